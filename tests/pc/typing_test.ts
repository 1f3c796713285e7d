// Typing more keys than the BIOS buffer holds: every key arrives, in order.
import { strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { guestImage } from "../support/guest_cases.ts";

Deno.test("typing: a 50-key line reaches a BIOS-reading guest whole", async () => {
  using guest = Guest.create(guestImage("boot-keys"), { accel: "emu" });
  const running = guest.run({ timeoutMs: 20_000 });
  await guest.waitForScreen(/Type a line:/, { timeoutMs: 10_000 });
  const line = "the quick brown fox jumps over the lazy dog 012345"; // 50 keys: > 15
  guest.keyboard.type(line + "\n");
  const result = await running;
  strictEqual(result.stop.kind, "halt", Guest.describe(result));
  strictEqual(guest.screenText().includes(`You typed: ${line}`), true, guest.screenText());
});
