/**
 * The PC platform for `--boot bios`: the memory map (conventional RAM, the
 * EBDA, the VGA window, the BIOS ROM, extended memory), the legacy devices
 * on their ports with their interrupt lines, and the BIOS.
 *
 * | ports        | device                                   | IRQ |
 * | ------------ | ---------------------------------------- | --- |
 * | 0x20, 0xA0   | 8259A pair (vectors 08h-0Fh, 70h-77h)    |     |
 * | 0x40-0x43    | 8254 PIT, channel 0 at 18.2 Hz           | 0   |
 * | 0x60, 0x64   | 8042 keyboard controller                 | 1   |
 * | 0x61, 0x92   | system control ports B and A (A20)       |     |
 * | 0x70-0x71    | MC146818 RTC / CMOS                      | 8   |
 * | 0x3C0-0x3DF  | VGA registers                            |     |
 * | 0x3F8-0x3FF  | COM1                                     | 4   |
 * | 0x1F0, 0x3F6 | IDE primary (hard disks 80h, 81h)        | 14  |
 * | 0x170, 0x376 | IDE secondary (hard disks 82h, 83h)      | 15  |
 * | 0x510-0x511  | QEMU fw_cfg (signature, RAM size, CPUs)  |     |
 * | 0xEF         | the BIOS trap port                       |     |
 *
 * @example
 * ```ts
 * import { createMachine } from "./create.ts";
 * const image = new Uint8Array(512);
 * image.set([0xfa, 0xf4], 0); // cli; hlt
 * image[510] = 0x55;
 * image[511] = 0xaa;
 * const { machine, pc } = createMachine({ image, boot: "bios", accel: "emu" });
 * pc?.keyboard.type("dir\n");
 * console.log((await machine.run()).kind); // "halt"
 * ```
 *
 * @module
 */

import { Bios } from "../bios/bios.ts";
import { newBiosState } from "../bios/env.ts";
import { CmosRtc } from "../bios/time.ts";
import { keyBufferHasRoom } from "../bios/keyboard.ts";
import { Cmos } from "../devices/cmos.ts";
import { I8042, keysToScancodes } from "../devices/i8042.ts";
import { VGA_BASE, VGA_SIZE } from "../devices/vga.ts";
import { LinearFramebuffer } from "../devices/framebuffer.ts";
import { framebufferBytes, type LinearFramebufferMode } from "../loader/framebuffer.ts";
import { Pic } from "../devices/pic.ts";
import { Pit } from "../devices/pit.ts";
import { IDE_PRIMARY, IDE_SECONDARY, IdeController } from "../devices/ide.ts";
import { addApics, type Apics } from "./apic.ts";
import { buildMpTables } from "../bios/mptable.ts";
import { buildAcpiTables } from "../bios/acpi.ts";
import { BDA } from "../bios/bda.ts";
import { FW_CFG_PORT, FwCfg } from "../devices/fw-cfg.ts";
import { Port61, Port92 } from "../devices/port61.ts";
import type { Disk } from "../loader/disk.ts";
import { BIOS_TRAP_PORT, ROM_BASE, ROM_SIZE, ROM_TABLES } from "../bios/rom.ts";
import type { Machine } from "./machine.ts";
import { TypingQueue } from "./typing.ts";
import type { TimedDevice } from "../devices/clock.ts";
import { InstructionClock } from "./instruction-clock.ts";

/** Where conventional memory ends. */
export const CONVENTIONAL_END = 0xa0000;
/** Where extended memory starts. */
export const EXTENDED_BASE = 0x100000;
/** Virtual time one BIOS service call takes on the software CPU's clock. */
export const BIOS_CALL_NS = 20_000;

/** Options for {@link buildPc}. */
export interface PcOptions {
  /** The drives by BIOS number (floppies 00h-03h, hard disks from 80h). */
  drives: ReadonlyMap<number, Disk>;
  /** The drive booted from (0x00 or 0x80). */
  bootDrive: number;
  /** Total RAM in bytes: up to 640 KiB conventional, the rest from 1 MiB. */
  memory: number;
  /** The RTC's time at power-on (default: the host's time). */
  rtcStart?: Date | number;
  /** A local APIC, an IOAPIC and the MP tables that describe them (default true). */
  apic?: boolean;
}

/** Typing on the PC's keyboard. */
export interface PcKeyboard {
  /**
   * Types text and `{Name}` keys (see lib/devices/i8042.ts `keysToScancodes`);
   * returns the scan code bytes queued. Throws RangeError for an unknown key.
   */
  type(keys: string): number;
  /** Queues raw set-1 scan codes. */
  sendScancodes(codes: Iterable<number>): number;
}

/** The PC's devices, for scripts and tests. */
export interface Pc {
  /** The 8259A pair. */
  pic: Pic;
  /** The 8254 timer. */
  pit: Pit;
  /** The keyboard controller. */
  i8042: I8042;
  /** The RTC and CMOS RAM. */
  cmos: Cmos;
  /** System control port B (0x61). */
  port61: Port61;
  /** System control port A (0x92). */
  port92: Port92;
  /** The BIOS (absent on a kernel boot, which has none). */
  bios?: Bios;
  /** The local APIC and IOAPIC (absent on a PC without them). */
  apics?: Apics;
  /** The IDE controller (absent without hard disks). */
  ide?: IdeController;
  /** Typing, which also wakes a waiting guest. */
  keyboard: PcKeyboard;
  /**
   * A CPU reset's effect on the platform: the devices back to their
   * power-on state (CMOS and RAM kept, as on a PC) and the BIOS's POST again.
   * The caller then starts the CPU at the boot sector.
   */
  reset(): void;
}

/** Options for {@link buildPcDevices}. */
export interface PcDeviceOptions {
  /** Total RAM in bytes (for the CMOS memory sizes). */
  memory: number;
  /** The RTC's time at power-on (default: the host's time). */
  rtcStart?: Date | number;
  /** CMOS floppy drive types (0 none, 4 1.44 MB ...). */
  floppies?: [number, number];
  /** CMOS hard-disk types (0 none, 47 user-defined). */
  hardDisks?: [number, number];
  /** Told when the A20 gate changes (after the software CPU's memory map is). */
  onA20?: (enabled: boolean) => void;
  /** Whether the typing queue may hand the controller its next key (default always). */
  typingReady?: () => boolean;
  /** Hard disks by BIOS number (80h-83h go on the IDE channels, see {@link ideDrives}). */
  drives?: ReadonlyMap<number, Disk>;
  /** Add a local APIC and an IOAPIC in front of the PIC (lib/machine/apic.ts). */
  apic?: boolean;
}

/**
 * The IDE drives of a PC's hard disks: 80h primary master, 81h primary
 * slave, 82h secondary master, 83h secondary slave (as QEMU's `-drive
 * index=0..3`); floppies and later hard disks are not on IDE.
 */
export function ideDrives(drives: ReadonlyMap<number, Disk>): (Disk | undefined)[] {
  return [0x80, 0x81, 0x82, 0x83].map((n) => drives.get(n));
}

/** Adds the IDE controller for the drives, with each channel that has one. */
function addIde(
  machine: Machine,
  setIrq: (line: number, level: boolean) => void,
  drives: (Disk | undefined)[],
): IdeController | undefined {
  if (drives.every((d) => d === undefined)) return undefined;
  const ide = new IdeController({ drives, setIrq });
  for (const [index, ch] of [[0, IDE_PRIMARY], [1, IDE_SECONDARY]] as const) {
    if (!ide.hasDrives(index)) continue;
    const ports = ide.channelPorts(index);
    machine.ports.register(ch.base, 8, ports.command, `IDE ${index ? "secondary" : "primary"}`);
    machine.ports.register(
      ch.control,
      1,
      ports.control,
      `IDE ${index ? "secondary" : "primary"} control`,
    );
    // Commands and the control register raise and lower the interrupt: seen as exits.
    machine.markExitPorts(ch.base + 1, 7);
    machine.markExitPorts(ch.control, 1);
  }
  return ide;
}

/** `device` as a timed device whose events raise interrupt line `irqLine`. */
function onLine(device: TimedDevice, irqLine: number): TimedDevice {
  return {
    update: (now) => device.update(now),
    nextEventNs: (now) => device.nextEventNs(now),
    irqLine,
  };
}

/** The PC's devices without a BIOS, for scripts and tests. */
export type PcDevices = Omit<Pc, "bios"> & {
  /** Sets the A20 gate as ports 0x92 and the 8042 do. */
  setA20(enabled: boolean): void;
};

/**
 * Adds the PC's legacy devices to a machine: the PIC pair, the PIT and port
 * 0x61, port 0x92 and the 8042 (A20, keyboard), the RTC/CMOS, the VGA
 * registers, and the typing queue. A BIOS boot adds the BIOS on top
 * ({@link buildPc}); a kernel boot uses them as they are.
 */
export function buildPcDevices(machine: Machine, options: PcDeviceOptions): PcDevices {
  const conventional = Math.min(options.memory, CONVENTIONAL_END);
  const ports = machine.ports;
  // IRQ 0, 1, 2 (cascade) and 4 on the master, 8 on the slave are unmasked.
  const pic = new Pic({
    pcDefaults: { masterMask: 0xe8, slaveMask: 0xfe },
    onOutput: (pending) => {
      if (pending) machine.interruptRaised();
    },
  });
  ports.register(0x20, 2, pic.master, "PIC master");
  ports.register(0xa0, 2, pic.slave, "PIC slave");
  ports.register(0x4d0, 2, pic.elcr, "ELCR");
  machine.interrupts = pic;
  const apics = options.apic ? addApics(machine, pic) : undefined;
  const setIrq = apics ? apics.setIrq : (line: number, level: boolean) => pic.setIrq(line, level);
  machine.serialIrq = (level) => setIrq(4, level);

  const pit = new Pit({
    clock: machine.clock,
    irq: (level) => setIrq(0, level),
    irqPending: () => pic.isRequested(0),
    pcDefaults: true,
  });
  ports.register(0x40, 4, pit, "PIT");
  const port61 = new Port61({ pit });
  ports.register(0x61, 1, port61, "port B");

  const vm = machine.vm;
  const setA20 = (on: boolean) => {
    vm.setA20?.(on);
    options.onA20?.(on);
  };
  const onReset = () => machine.requestReset();
  const port92 = new Port92({ onA20: setA20, onReset });
  ports.register(0x92, 1, port92, "port A");
  machine.markExitPorts(0x92, 1); // A20 changes the memory map: not in the middle of a block
  const i8042 = new I8042({ irq1: (level) => setIrq(1, level), onA20: setA20, onReset });
  ports.register(0x60, 1, i8042.data, "i8042 data");
  ports.register(0x64, 1, i8042.command, "i8042 command");

  const cmos = new Cmos({
    clock: machine.clock,
    start: options.rtcStart,
    irq: (level) => setIrq(8, level),
  });
  cmos.configure({
    memoryBytes: options.memory < EXTENDED_BASE ? EXTENDED_BASE : options.memory + 0x60000,
    baseMemoryKb: conventional >> 10,
    floppies: options.floppies ?? [0, 0],
    hardDisks: options.hardDisks ?? [0, 0],
  });
  ports.register(0x70, 2, cmos, "CMOS");
  ports.register(0x3c0, 0x20, machine.vga.registers, "VGA registers");
  ports.register(FW_CFG_PORT, 2, new FwCfg({ memoryBytes: options.memory }), "fw_cfg");
  machine.timedDevices.push(onLine(pit, 0), onLine(cmos, 8));
  // Programming these moves a timed device's next event: the PIT and its gate, the RTC,
  // the keyboard controller (the typing queue waits on it).
  for (const [base, length] of [[0x40, 4], [0x61, 1], [0x70, 2], [0x60, 1], [0x64, 1]]) {
    machine.markTimingPorts(base, length);
  }

  const ide = options.drives ? addIde(machine, setIrq, ideDrives(options.drives)) : undefined;

  const ready = options.typingReady ?? (() => true);
  const typing = new TypingQueue(i8042, ready);
  machine.timedDevices.push({
    update: () => typing.update(),
    nextEventNs: (now) => typing.nextEventNs(now),
    irqLine: 1,
  });
  const keyboard: PcKeyboard = {
    type(keys: string): number {
      const n = typing.push(keysToScancodes(keys));
      machine.wake();
      return n;
    },
    sendScancodes(codes: Iterable<number>): number {
      const n = typing.push(codes);
      machine.wake();
      return n;
    },
  };
  // The power-on states a reset returns to (the PIT's is made afresh then: it holds times).
  const powerOn = {
    pic: pic.snapshot(),
    i8042: i8042.snapshot(),
    port61: port61.snapshot(),
    port92: port92.snapshot(),
  };
  const reset = () => {
    pic.restore(powerOn.pic);
    pit.restore(new Pit({ clock: machine.clock, pcDefaults: true }).snapshot());
    i8042.restore(powerOn.i8042);
    port61.restore(powerOn.port61);
    port92.restore(powerOn.port92);
    ide?.reset();
    setA20(true);
  };
  return { pic, pit, i8042, cmos, port61, port92, apics, ide, keyboard, setA20, reset };
}

/** The option-ROM and BIOS area of a kernel PC: zeros, where kernels look for ROMs and tables. */
export const EMPTY_BIOS_AREA = { base: 0xc0000, size: 0x40000 } as const;

/**
 * A PC without BIOS for kernels: RAM below 640 KiB and from 1 MiB, the VGA
 * window mapped as memory, an empty (zero) read-only BIOS area, and the
 * legacy devices; nothing in the IVT. The ROM area is memory rather than a
 * hole so that Linux's scans for option ROMs (0xC0000-0xDFFFF) and for MP,
 * SMBIOS and ACPI tables (0xE0000-0xFFFFF), some 65,000 reads, cost no exits.
 * With `framebuffer` (a kernel that asked for a graphics mode) its memory is
 * mapped too, and the machine shows it.
 */
export function buildKernelPc(
  machine: Machine,
  options: {
    memory: number;
    rtcStart?: Date | number;
    drives?: ReadonlyMap<number, Disk>;
    framebuffer?: LinearFramebufferMode;
  },
): PcDevices {
  addPcMemory(machine, options.memory, false);
  machine.addRam(EMPTY_BIOS_AREA.base, EMPTY_BIOS_AREA.size, true);
  if (options.framebuffer) addFramebuffer(machine, options.framebuffer);
  return buildPcDevices(machine, options);
}

/**
 * Maps a linear framebuffer's memory into the guest (like the VGA window:
 * stores cost no exits, and it is not RAM to the loaders) and makes it the
 * machine's screen.
 */
export function addFramebuffer(machine: Machine, mode: LinearFramebufferMode): LinearFramebuffer {
  const size = Math.ceil(framebufferBytes(mode) / 4096) * 4096;
  const framebuffer = new LinearFramebuffer(mode, machine.vm.addMemory(mode.address, size));
  machine.framebuffer = framebuffer;
  return framebuffer;
}

/** RAM below the VGA hole and from 1 MiB, the BIOS ROM if asked, the VGA window as memory. */
function addPcMemory(machine: Machine, memory: number, rom: boolean): void {
  const conventional = Math.min(memory, CONVENTIONAL_END);
  const extended = Math.max(0, memory - CONVENTIONAL_END);
  machine.addRam(0, conventional);
  if (rom) machine.addRam(ROM_BASE, ROM_SIZE, true);
  if (extended > 0) machine.addRam(EXTENDED_BASE, extended);
  // The VGA's memory is mapped into the guest like RAM (but is not RAM to loaders and the
  // BIOS): frame-buffer stores then cost what a store costs, not an exit each. The device
  // keeps reading the same bytes; the flat machine keeps the seed's trapped VGA.
  machine.vga.attachMemory(machine.vm.addMemory(VGA_BASE, VGA_SIZE));
}

/** Adds the PC's memory, devices and BIOS to a machine, and runs the BIOS's power-on set-up. */
export function buildPc(machine: Machine, options: PcOptions): Pc {
  const conventional = Math.min(options.memory, CONVENTIONAL_END);
  const extended = Math.max(0, options.memory - CONVENTIONAL_END);
  addPcMemory(machine, options.memory, true);
  // The BIOS is made last; the A20 callbacks reach it through this.
  const late: { bios?: Bios } = {};
  // While INT 09h is the BIOS's, a key press waits for room in its buffer.
  const biosHandlesKeys = () => (machine.memory.readU16(9 * 4 + 2) << 4) === ROM_BASE;
  // CMOS describes the first two floppies and hard disks (type 47: user-defined geometry).
  const drives = options.drives;
  const devices = buildPcDevices(machine, {
    memory: options.memory,
    rtcStart: options.rtcStart,
    floppies: [drives.get(0)?.floppyType ?? 0, drives.get(1)?.floppyType ?? 0],
    hardDisks: [drives.has(0x80) ? 47 : 0, drives.has(0x81) ? 47 : 0],
    drives,
    apic: options.apic ?? true,
    onA20: (on) => {
      if (late.bios) late.bios.env.state.a20 = on;
    },
    typingReady: () => !biosHandlesKeys() || keyBufferHasRoom(machine.memory),
  });
  const ports = machine.ports;

  // A BIOS call is a few instructions of stub on the virtual clock but real work for the
  // host: charge it the time a PC BIOS would take, so guests that poll the BIOS (INT 1Ah,
  // INT 16h AH=01h) in a loop see time pass at a PC's pace rather than 100 ns per call.
  const clock = machine.clock;
  const onServiceCall = clock instanceof InstructionClock
    ? () => clock.advance(BIOS_CALL_NS)
    : undefined;
  const bios = new Bios({
    onServiceCall,
    onFault: (message) => machine.stopWith({ kind: "crash", cause: "internal-error", message }),
    memory: machine.memory,
    vga: machine.vga,
    vcpu: machine.vcpu,
    ports,
    clock: machine.clock,
    disks: drives,
    bootDrive: options.bootDrive,
    conventionalBytes: conventional,
    extendedBytes: extended,
    setA20: devices.setA20,
    rtc: new CmosRtc(devices.cmos, ports),
  });
  late.bios = bios;
  ports.register(BIOS_TRAP_PORT, 1, bios, "BIOS trap");
  // Updated before the typing queue (the last timed device), which waits on its key buffer.
  machine.timedDevices.splice(machine.timedDevices.length - 1, 0, bios);
  // The BIOS's waits are timed events too.
  machine.markTimingPorts(BIOS_TRAP_PORT, 1);
  // The firmware tables describe the APICs: the MP tables in the EBDA, where an MP-spec OS
  // looks first, and the ACPI tables in the ROM (an OS cannot overwrite them there, and E820
  // reserves it). POST rewrites the ROM image, so both are written again after each POST.
  const acpi = devices.apics ? buildAcpiTables(ROM_BASE + ROM_TABLES.offset) : undefined;
  if (acpi && acpi.bytes.length > ROM_TABLES.size) throw new Error("ACPI tables overflow the ROM");
  const writeFirmwareTables = () => {
    if (!acpi) return; // a PC without APICs has neither
    const at = (machine.memory.readU16(BDA.EBDA_SEGMENT) << 4) + 0x10;
    machine.memory.write(at, buildMpTables(at));
    machine.memory.write(acpi.rsdp, acpi.bytes);
  };
  bios.post();
  writeFirmwareTables();
  const { setA20, reset: resetDevices, ...rest } = devices;
  const reset = () => {
    resetDevices();
    Object.assign(bios.env.state, newBiosState());
    setA20(true);
    bios.post();
    writeFirmwareTables();
  };
  return { ...rest, bios, reset };
}
