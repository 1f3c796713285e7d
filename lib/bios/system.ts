/**
 * The small services: INT 11h (equipment), 12h (memory size),
 * 15h (system: E820 map, A20, extended memory, wait, configuration), 17h
 * (printer: none), 18h (no bootable device) and 19h (boot again).
 *
 * @module
 */

import { SECTOR_SIZE } from "../loader/disk.ts";
import { BDA } from "./bda.ts";
import type { BiosEnv } from "./env.ts";
import { waitFor } from "./int16.ts";
import { teletype } from "./int10.ts";
import { type BiosRegs, linear } from "./regs.ts";
import { ROM_SEGMENT } from "./rom.ts";

/** One entry of the INT 15h E820 memory map. */
export interface E820Entry {
  /** First byte. */
  base: number;
  /** Bytes. */
  length: number;
  /** 1 usable RAM, 2 reserved. */
  type: number;
}

/** The memory facts INT 12h/15h report, fixed when the machine is built. */
export interface MemoryLayout {
  /** Bytes of conventional RAM below the EBDA. */
  baseBytes: number;
  /** Bytes of RAM from 1 MiB up. */
  extendedBytes: number;
  /** The E820 map. */
  e820: readonly E820Entry[];
}

/** INT 11h: the equipment word. */
export function int11(r: BiosRegs, env: BiosEnv): void {
  r.ax = env.memory.readU16(BDA.EQUIPMENT);
}

/** INT 12h: conventional memory in KiB. */
export function int12(r: BiosRegs, env: BiosEnv): void {
  r.ax = env.memory.readU16(BDA.MEMORY_KB);
}

/** INT 17h: no printer is attached. */
export function int17(r: BiosRegs): void {
  r.ah = 0x01; // time-out: nothing answers
}

/** INT 18h: nothing could be booted: say so and halt. */
export function int18(r: BiosRegs, env: BiosEnv): void {
  for (const c of "No bootable device.\r\n") teletype(env, c.charCodeAt(0), 0x07);
  r.cs = ROM_SEGMENT;
  r.ip = env.rom.haltLoop;
}

/** INT 19h: reads the boot sector again and starts it, as at power-on. */
export function int19(r: BiosRegs, env: BiosEnv): void {
  const disk = env.disks.get(env.bootDrive);
  if (!disk || !env.memory.contains(0x7c00, SECTOR_SIZE)) {
    int18(r, env);
    return;
  }
  env.memory.write(0x7c00, disk.sector(0));
  r.cs = 0;
  r.ip = 0x7c00;
  r.ss = 0;
  r.sp = 0x7c00;
  r.ds = 0;
  r.es = 0;
  r.edx = env.bootDrive;
}

/** INT 15h: the system services. Unsupported functions fail with CF=1, AH=86h. */
export function int15(r: BiosRegs, env: BiosEnv, layout: MemoryLayout): void {
  switch (r.ah) {
    case 0x24:
      a20(r, env);
      return;
    case 0x86:
      wait(r, env);
      return;
    case 0x88:
      r.ax = Math.min(layout.extendedBytes / 1024, 0xfc00);
      r.cf = false;
      return;
    case 0xc0:
      r.es = ROM_SEGMENT;
      r.bx = env.rom.configTable;
      r.ok();
      return;
    case 0xe8:
      if (r.al === 0x01) {
        // AX/CX: KiB from 1 to 16 MiB; BX/DX: 64 KiB blocks above 16 MiB.
        const ext = layout.extendedBytes;
        const low = Math.min(ext, 15 * 1024 * 1024) / 1024;
        const high = Math.min(Math.max(0, ext - 15 * 1024 * 1024) / 65536, 0xffff);
        r.ax = r.cx = low;
        r.bx = r.dx = Math.floor(high);
        r.cf = false;
        return;
      }
      if (r.al === 0x20) {
        e820(r, env, layout);
        return;
      }
      r.fail(0x86);
      return;
    default:
      r.fail(0x86);
  }
}

/** AH=24h: the A20 gate (00h off, 01h on, 02h status, 03h support). */
function a20(r: BiosRegs, env: BiosEnv): void {
  switch (r.al) {
    case 0x00:
    case 0x01:
      env.state.a20 = r.al === 0x01;
      env.setA20?.(env.state.a20);
      r.ok();
      return;
    case 0x02:
      r.al = env.state.a20 ? 1 : 0;
      r.ok();
      return;
    case 0x03:
      r.bx = 0x0003; // keyboard controller and port 92h
      r.ok();
      return;
    default:
      r.fail(0x86);
  }
}

/**
 * AH=86h: wait CX:DX microseconds. The guest waits in the ROM wait loop
 * (interrupts on) until the machine's clock passes the end of the wait.
 */
function wait(r: BiosRegs, env: BiosEnv): void {
  const s = env.state;
  const now = env.now();
  if (s.waitUntilNs < 0) {
    const us = r.cx * 0x10000 + r.dx;
    if (us === 0) {
      r.ok();
      return;
    }
    s.waitUntilNs = now + us * 1000;
  }
  if (now >= s.waitUntilNs) {
    s.waitUntilNs = -1;
    r.ok();
    return;
  }
  waitFor(r, env, 0x15);
}

const SMAP = 0x534d4150;

/** AX=E820h: one entry of the memory map per call into ES:DI; EBX continues. */
function e820(r: BiosRegs, env: BiosEnv, layout: MemoryLayout): void {
  const index = r.ebx;
  const size = r.ecx;
  if (r.edx !== SMAP || size < 20 || index >= layout.e820.length) {
    r.fail(0x86);
    return;
  }
  const n = size >= 24 ? 24 : 20;
  const at = linear(r.es, r.di);
  const region = env.memory.regionOf(at, n);
  if (!region || region.readonly) {
    r.fail(0x86);
    return;
  }
  const entry = layout.e820[index];
  const m = env.memory;
  m.writeU32(at, entry.base >>> 0);
  m.writeU32(at + 4, Math.floor(entry.base / 0x100000000));
  m.writeU32(at + 8, entry.length >>> 0);
  m.writeU32(at + 12, Math.floor(entry.length / 0x100000000));
  m.writeU32(at + 16, entry.type);
  if (n === 24) m.writeU32(at + 20, 1); // ACPI 3.0 attributes: valid
  r.eax = SMAP;
  r.ecx = n;
  r.ebx = index + 1 < layout.e820.length ? index + 1 : 0;
  r.cf = false;
}
