// A BIOS on plain memory for service tests: 640 KiB of RAM, the ROM, a VGA,
// an optional disk, and no CPU running (services are called on hand-made
// register states).
import { Bios } from "../../lib/bios/bios.ts";
import { BiosRegs } from "../../lib/bios/regs.ts";
import { ManualClock } from "../../lib/devices/clock.ts";
import { Vga } from "../../lib/devices/vga.ts";
import { EmuAccelerator } from "../../lib/emu/mod.ts";
import { Disk } from "../../lib/loader/disk.ts";
import { Bus } from "../../lib/machine/bus.ts";
import { GuestMemory } from "../../lib/machine/memory.ts";

export interface TestBios {
  bios: Bios;
  memory: GuestMemory;
  vga: Vga;
  clock: ManualClock;
  ports: Bus;
  disk?: Disk;
}

/** Makes and POSTs a BIOS; `image` becomes drive 0x80 (or 0x00 for floppy sizes). */
export function testBios(image?: Uint8Array, extendedBytes = 0): TestBios {
  const memory = new GuestMemory();
  memory.addRegion(0, new Uint8Array(0xa0000));
  memory.addRegion(0xf0000, new Uint8Array(0x10000), true);
  if (extendedBytes > 0) memory.addRegion(0x100000, new Uint8Array(extendedBytes));
  const clock = new ManualClock();
  const vga = new Vga({ clock });
  const ports = new Bus("port I/O", 0x10000);
  const disk = image ? Disk.fromImage(image) : undefined;
  const drive = disk?.type === "floppy" ? 0x00 : 0x80;
  const bios = new Bios({
    memory,
    vga,
    vcpu: new EmuAccelerator().createVm().createVcpu(),
    ports,
    clock,
    disks: new Map(disk ? [[drive, disk]] : []),
    bootDrive: drive,
    conventionalBytes: 0xa0000,
    extendedBytes,
  });
  bios.post();
  return { bios, memory, vga, clock, ports, disk };
}

/** Registers with the given 16-bit values (others 0, SS:SP = 0:7C00). */
export function regs(
  values: Partial<Record<"ax" | "bx" | "cx" | "dx" | "si" | "di" | "bp" | "ds" | "es", number>>,
): BiosRegs {
  const r = new BiosRegs();
  r.sp = 0x7c00;
  for (const [k, v] of Object.entries(values)) {
    (r as unknown as Record<string, number>)[k] = v;
  }
  return r;
}

/** The text on row `row` of the screen (trailing blanks trimmed). */
export function row(vga: Vga, row: number): string {
  let s = "";
  for (let c = 0; c < vga.columns; c++) s += String.fromCharCode(vga.cell(row, c).char || 0x20);
  return s.trimEnd();
}
