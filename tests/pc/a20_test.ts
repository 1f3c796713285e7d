// The A20 gate through the PC reaches the software CPU's memory map: with
// port 0x92's bit 1 cleared, FFFF:0010 wraps to physical 0, as on a PC (and
// QEMU); with it set (the BIOS leaves it so), the same store lands at 1 MiB.
import { strictEqual } from "@std/assert";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { bootSector } from "../support/io_guests.ts";

/** Sets A20 to `on` through port 0x92, stores 0x5A at FFFF:0010, exits with code 0x30. */
function a20Guest(on: boolean): Uint8Array {
  return bootSector(`
    in al, 0x92
    ${on ? "or al, 2" : "and al, 0xfd"}
    out 0x92, al
    mov ax, 0xffff
    mov ds, ax
    mov byte [0x10], 0x5a
    mov al, 0x30
    out 0xf4, al
  `);
}

for (const on of [false, true]) {
  Deno.test(`a20: FFFF:0010 is physical ${on ? "0x100000 with A20 on" : "0 with A20 off"} (emu)`, async () => {
    const { machine } = createMachine({
      image: a20Guest(on),
      boot: "bios",
      accel: "emu",
      memory: 2 * 1024 * 1024,
    });
    try {
      const before = machine.memory.readU8(0);
      const stop = await machine.run({ timeoutMs: 5_000 });
      strictEqual(stop.kind === "debug-exit" && stop.code, 0x30);
      strictEqual(machine.memory.readU8(0), on ? before : 0x5a, "physical 0");
      strictEqual(machine.memory.readU8(0x100000) === 0x5a, on, "physical 1 MiB");
    } finally {
      machine.close();
    }
  });
}
