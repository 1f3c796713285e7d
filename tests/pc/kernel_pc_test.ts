// The PC a kernel boots on: RAM below 640 KiB and from 1 MiB with the VGA
// window between, the legacy devices on their ports, and no BIOS (nothing on
// the BIOS trap port, an empty BIOS area, an empty IVT).
import { deepStrictEqual, strictEqual } from "@std/assert";
import { EmuAccelerator } from "../../lib/emu/mod.ts";
import { Machine } from "../../lib/machine/machine.ts";
import { buildKernelPc } from "../../lib/machine/pc.ts";
import { BIOS_TRAP_PORT } from "../../lib/bios/rom.ts";

Deno.test("kernel pc: memory map, devices, and no BIOS", () => {
  const vm = new EmuAccelerator().createVm();
  const machine = new Machine({ vm, vcpu: vm.createVcpu(), accelerator: "emu" });
  try {
    const devices = buildKernelPc(machine, { memory: 8 << 20, rtcStart: 0 });
    deepStrictEqual(
      machine.memory.regions.map((r) => [r.base, r.bytes.length, r.readonly]),
      [[0, 0xa0000, false], [0xc0000, 0x40000, true], [0x100000, (8 << 20) - 0xa0000, false]],
    );
    for (
      const [port, name] of [
        [0x20, "PIC master"],
        [0xa0, "PIC slave"],
        [0x40, "PIT"],
        [0x60, "i8042 data"],
        [0x64, "i8042 command"],
        [0x61, "port B"],
        [0x92, "port A"],
        [0x70, "CMOS"],
        [0x3d4, "VGA registers"],
        [0x3f8, "COM1"],
        [0xf4, "debug-exit"],
      ] as const
    ) {
      strictEqual(machine.ports.find(port)?.name, name, `port ${port.toString(16)}`);
    }
    strictEqual(machine.ports.find(BIOS_TRAP_PORT), undefined, "no BIOS trap port");
    strictEqual(machine.memory.read(0xc0000, 0x40000).every((b) => b === 0), true, "no BIOS ROM");
    strictEqual(machine.memory.read(0, 1024).every((b) => b === 0), true, "an empty IVT");
    strictEqual(devices.port92.a20, true, "A20 on");
    strictEqual(machine.interrupts, devices.pic);
    // CMOS: 640 KiB base memory, extended memory above 1 MiB in KiB (registers 0x15-0x18).
    const cmos = (index: number) => {
      machine.ports.write(0x70, new Uint8Array([index]));
      const data = new Uint8Array(1);
      machine.ports.read(0x71, data);
      return data[0];
    };
    strictEqual(cmos(0x15) | (cmos(0x16) << 8), 640);
    strictEqual(cmos(0x17) | (cmos(0x18) << 8), ((8 << 20) + 0x60000 - 0x100000) >> 10);
  } finally {
    machine.close();
  }
});
