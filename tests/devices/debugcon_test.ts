// The debug console at port 0xE9 on every machine: guest bytes reach
// debugconOutput and the sinks; the port reads back 0xE9.
import { deepStrictEqual, strictEqual } from "@std/assert";
import { Debugcon } from "../../lib/devices/debugcon.ts";
import { runDebugconGuest } from "../support/debugcon.ts";

Deno.test("debugcon: writes are output bytes, reads return 0xE9", () => {
  const out: number[] = [];
  const d = new Debugcon((b) => out.push(b));
  d.write(0, Uint8Array.of(0x41));
  d.write(0, Uint8Array.of(0x42, 0x43));
  deepStrictEqual(out, [0x41, 0x42, 0x43]);
  const data = new Uint8Array(2);
  d.read(0, data);
  deepStrictEqual([...data], [0xe9, 0xe9]);
});

for (const boot of ["flat", "bios"] as const) {
  Deno.test(`debugcon: a ${boot} guest's port 0xE9 output on the software CPU`, async () => {
    const r = await runDebugconGuest("emu", boot);
    strictEqual(r.stop, "halt");
    strictEqual(r.output, "debugcon OK\n");
    strictEqual(r.sunk, "debugcon OK\n");
  });
}
