/**
 * Power-on set-up, done by the VMM instead of ROM code: the ROM image, the
 * interrupt vector table, the BIOS data area and the EBDA, video mode 3,
 * and the tick count from the RTC's time of day.
 *
 * @module
 */

import type { GuestMemory } from "../machine/memory.ts";
import { BDA } from "./bda.ts";
import type { BiosEnv } from "./env.ts";
import { setMode } from "./int10.ts";
import { DEFAULT_SERIAL_TIMEOUT_TICKS } from "./int14.ts";
import { initKeyboardBuffer } from "./keyboard.ts";
import { ROM_BASE, ROM_SEGMENT } from "./rom.ts";
import type { MemoryLayout } from "./system.ts";
import { type RtcSource, ticksAtTimeOfDay } from "./time.ts";

/** Size of the extended BIOS data area at the top of conventional memory. */
export const EBDA_SIZE = 1024;
/** Where a PC's conventional memory ends. */
export const CONVENTIONAL_LIMIT = 0xa0000;

/** The memory layout for `conventional` bytes below 640 KiB and `extended` bytes from 1 MiB. */
export function memoryLayout(conventional: number, extended: number): MemoryLayout {
  const ebda = Math.min(conventional, CONVENTIONAL_LIMIT) - EBDA_SIZE;
  const e820 = [
    { base: 0, length: ebda, type: 1 },
    { base: ebda, length: EBDA_SIZE, type: 2 },
    { base: 0xf0000, length: 0x10000, type: 2 },
  ];
  if (extended > 0) e820.push({ base: 0x100000, length: extended, type: 1 });
  return { baseBytes: ebda, extendedBytes: extended, e820 };
}

/** Fills the ROM, the IVT, the BDA and the EBDA, and sets video mode 3. */
export function post(env: BiosEnv, layout: MemoryLayout, rtc: RtcSource): void {
  const m = env.memory;
  m.write(ROM_BASE, env.rom.bytes);
  // The IVT in one write: the software CPU hears of one range, not of 512 words.
  const ivt = m.view(0, env.rom.vectors.length * 4);
  env.rom.vectors.forEach((p, v) => {
    ivt[v * 4] = p.offset;
    ivt[v * 4 + 1] = p.offset >> 8;
    ivt[v * 4 + 2] = ROM_SEGMENT & 0xff;
    ivt[v * 4 + 3] = ROM_SEGMENT >> 8;
  });
  m.view(0x400, 0x100).fill(0);
  const ebda = layout.baseBytes;
  m.view(ebda, EBDA_SIZE).fill(0);
  m.writeU8(ebda, 1); // EBDA size in KiB
  m.writeU16(BDA.EBDA_SEGMENT, ebda >> 4);
  m.writeU16(BDA.MEMORY_KB, ebda >> 10);
  m.writeU16(BDA.COM_PORTS, 0x3f8);
  m.view(BDA.COM_TIMEOUTS, 4).fill(DEFAULT_SERIAL_TIMEOUT_TICKS);
  let floppies = 0, hardDisks = 0;
  for (const drive of env.disks.keys()) drive & 0x80 ? hardDisks++ : floppies++;
  // Equipment: floppies (bit 0, count-1 in bits 6-7), 80x25 colour (bits 4-5 = 10b), one serial port.
  let equipment = 0x0020 | (1 << 9);
  if (floppies > 0) equipment |= 1 | ((floppies - 1) << 6);
  m.writeU16(BDA.EQUIPMENT, equipment);
  m.writeU8(BDA.HDD_COUNT, hardDisks);
  initKeyboardBuffer(m);
  m.writeU8(BDA.KBD_FLAGS1, 0x20); // Num Lock on, as most BIOSes leave it
  const t = rtc.read();
  m.writeU32(BDA.TICKS, ticksAtTimeOfDay(t.hours, t.minutes, t.seconds));
  setMode(env, 0x03);
}

/** True when `memory` has RAM for the IVT, BDA and boot sector. */
export function hasLowMemory(memory: GuestMemory): boolean {
  return memory.contains(0, 0x7e00);
}
