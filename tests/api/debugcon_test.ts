// The scripting API's view of the debug console at port 0xE9: its text, a
// wait on it, and `debugcon: false` leaving the port empty (as QEMU without
// -debugcon), which this guest reports through debug-exit.
import { strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";

const image = () => Deno.readFile(new URL("../../guests/debugcon.bin", import.meta.url));

Deno.test("api debugcon: debugconText and waitForDebugcon show port 0xE9's output", async () => {
  using guest = Guest.create(await image(), { accel: "emu" });
  const done = guest.run({ timeoutMs: 5000 });
  strictEqual(await guest.waitForDebugcon("OK", { timeoutMs: 5000 }), "debugcon OK\n");
  strictEqual((await done).stop.kind, "halt");
  strictEqual(guest.debugconText(), "debugcon OK\n");
  strictEqual(guest.serialText(), "");
});

Deno.test("api debugcon: debugcon: false leaves port 0xE9 empty", async () => {
  using guest = Guest.create(await image(), { accel: "emu", debugcon: false });
  const result = await guest.run({ timeoutMs: 5000 });
  strictEqual(result.exitStatus, 3); // the guest read 0xFF and wrote 1 to debug-exit
  strictEqual(guest.debugconText(), "");
});
