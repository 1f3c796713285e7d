// The scripting API's debugger (guest.debug) on a boot sector.
import { deepStrictEqual, strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";

Deno.test("guest.debug: breakpoint, step, memory at linear addresses, page walk, run to the end", async () => {
  using guest = Guest.create(await Deno.readFile("guests/gdb-count.bin"), { accel: "emu" });
  const debug = guest.debug;
  strictEqual(debug.pc, 0x7c00);
  strictEqual(debug.addBreakpoint(0x7c0b), true);
  deepStrictEqual(await debug.continue(), { kind: "breakpoint", pc: 0x7c0b, hardware: false });
  deepStrictEqual([...debug.readMemory(0x7c14, 2)], [1, 0]);
  deepStrictEqual(await debug.step(), { kind: "step", pc: 0x7c0c });
  strictEqual(debug.translate(0x7c14).physical, 0x7c14);
  strictEqual(debug.writeMemory(0x7c14, new Uint8Array([0x10, 0])), true);
  strictEqual(debug.removeBreakpoint(0x7c0b), true);
  const end = await debug.continue();
  // Two more passes count 0x10 up to 0x12.
  deepStrictEqual(end, { kind: "ended", reason: { kind: "debug-exit", code: 0x12 } });
});
