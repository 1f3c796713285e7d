/**
 * What the BIOS services reach: guest memory, the VGA, the disks, the port
 * bus (for the devices a real BIOS drives through ports), time, and the few
 * facts a service keeps between calls.
 *
 * @module
 */

import type { Vga } from "../devices/vga.ts";
import type { Disk } from "../loader/disk.ts";
import type { Bus } from "../machine/bus.ts";
import type { GuestMemory } from "../machine/memory.ts";
import type { BiosRegs } from "./regs.ts";
import type { Rom } from "./rom.ts";

/** State a service keeps between calls (plain data). */
export interface BiosState {
  /** INT 15h AH=86h: the clock time the current wait ends, or -1. */
  waitUntilNs: number;
  /** INT 14h AH=02h: the clock time the current receive times out, or -1. */
  serialWaitUntilNs: number;
  /** The A20 gate as INT 15h AH=24xx sees it. */
  a20: boolean;
}

/** The environment of the BIOS services. */
export interface BiosEnv {
  /** Guest RAM (bounds-checked). */
  readonly memory: GuestMemory;
  /** The VGA: memory window and registers. */
  readonly vga: Vga;
  /** Drives by BIOS number (0x00 floppy A:, 0x80 first hard disk). */
  readonly disks: ReadonlyMap<number, Disk>;
  /** The drive booted from. */
  readonly bootDrive: number;
  /** The ROM layout (stubs, wait loops, tables). */
  readonly rom: Rom;
  /** The port bus, for devices (keyboard controller, COM1, CMOS). */
  readonly ports: Bus;
  /** Device time in nanoseconds (the machine's clock). */
  now(): number;
  /** Changes the A20 gate where the accelerator emulates it. */
  setA20?(enabled: boolean): void;
  /** What services keep between calls. */
  readonly state: BiosState;
}

/** A BIOS service: changes the registers of the call; errors are CF=1 with AH a code. */
export type BiosService = (r: BiosRegs, env: BiosEnv) => void;

/** A fresh service state. */
export function newBiosState(): BiosState {
  return {
    waitUntilNs: -1,
    serialWaitUntilNs: -1,
    a20: true,
  };
}
