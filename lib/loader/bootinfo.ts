/**
 * What every kernel boot protocol hands over besides the kernel: the PC's
 * memory map, modules placed after the kernel, a bump allocator for the
 * boot-information structures in low memory, and the ELF section table.
 * The Multiboot v1/v2 and PVH loaders share these.
 *
 * Low memory of a kernel boot (no BIOS, so nothing else lives there):
 *
 * | range            | what                                      |
 * | ---------------- | ----------------------------------------- |
 * | 0x1000-0x1FFF    | GDT (flat code and data, a TSS)           |
 * | 0x2000-0x7FFF    | the initial stack (ESP = 0x8000)          |
 * | 0x8000-0x9FFFF   | boot information, command lines, tables,  |
 * |                  | page tables of a long-mode entry          |
 *
 * @module
 */

import type { GuestMemory } from "../machine/memory.ts";
import { LoaderError, type ProtectedModeEntry } from "./entry.ts";
import { type ElfImage, hex } from "./elf.ts";

/** Where conventional RAM ends and the VGA/ROM hole begins. */
export const LOW_RAM_END = 0xa0000;
/** Where RAM resumes after the hole. */
export const HIGH_RAM_BASE = 0x100000;
/** Where picovmm's boot data starts: the kernel may not load below this. */
export const BOOT_DATA_START = 0x1000;
/** The initial stack pointer given to kernels. */
export const KERNEL_STACK_TOP = 0x8000;
/** Where the boot-information area starts. */
export const BOOT_INFO_START = 0x8000;

/** A multiboot/e820 memory type: 1 usable RAM, 2 reserved. */
export type MemoryType = 1 | 2;

/** One entry of the memory map given to the kernel. */
export interface MemoryMapEntry {
  base: number;
  length: number;
  type: MemoryType;
}

/** A module (initrd) to load next to the kernel. */
export interface BootModule {
  data: Uint8Array;
  /** Its command line (Multiboot: the module's string). */
  cmdline: string;
}

/** A module where it was loaded. */
export interface PlacedModule {
  start: number;
  end: number;
  cmdline: string;
}

/** What a kernel loader gets besides the image. */
export interface KernelBootOptions {
  /** Guest RAM in bytes (picovmm's PC map: 640 KiB low, the rest from 1 MiB). */
  memoryBytes: number;
  /** The kernel's command line (`--append`). */
  cmdline: string;
  /** Modules in order (`--initrd` first, then each `--module`). */
  modules: readonly BootModule[];
  /** Multiboot v1: the kernel's name, put before the command line as GRUB and QEMU do. */
  imageName?: string;
}

/** A loaded kernel: where it starts, and the module placement (for tests). */
export interface LoadedKernel {
  entry: ProtectedModeEntry;
  modules: PlacedModule[];
  /** The boot information's address (EBX at entry). */
  info: number;
}

/** The memory map of picovmm's PC: low RAM, the VGA/ROM hole, RAM from 1 MiB. */
export function pcMemoryMap(memoryBytes: number): MemoryMapEntry[] {
  const map: MemoryMapEntry[] = [
    { base: 0, length: Math.min(memoryBytes, LOW_RAM_END), type: 1 },
  ];
  if (memoryBytes > LOW_RAM_END) {
    map.push({ base: LOW_RAM_END, length: HIGH_RAM_BASE - LOW_RAM_END, type: 2 });
    map.push({ base: HIGH_RAM_BASE, length: memoryBytes - LOW_RAM_END, type: 1 });
  }
  return map;
}

/** KiB of RAM below 640 KiB and from 1 MiB (Multiboot mem_lower, mem_upper). */
export function basicMemory(memoryBytes: number): { lowerKb: number; upperKb: number } {
  return {
    lowerKb: Math.min(memoryBytes, LOW_RAM_END) >> 10,
    upperKb: Math.max(0, memoryBytes - LOW_RAM_END) >> 10,
  };
}

const encoder = new TextEncoder();

/** Hands out space for boot structures in [start, end) and writes them through guest memory. */
export class BootInfoWriter {
  #next: number;

  constructor(readonly memory: GuestMemory, start = BOOT_INFO_START, readonly end = LOW_RAM_END) {
    this.#next = start;
  }

  /** Reserves `size` zeroed bytes aligned to `align`; returns their address. */
  alloc(size: number, align = 8): number {
    const at = Math.ceil(this.#next / align) * align;
    if (at + size > this.end || !this.memory.contains(at, size)) {
      throw new LoaderError(
        `the boot information (${at + size - BOOT_INFO_START} bytes) does not fit below ` +
          `${hex(this.end)}; shorten the command lines or load fewer modules`,
      );
    }
    this.memory.view(at, size).fill(0);
    this.#next = at + size;
    return at;
  }

  /** Writes bytes and returns their address. */
  bytes(data: Uint8Array, align = 8): number {
    const at = this.alloc(data.length, align);
    this.memory.write(at, data);
    return at;
  }

  /** Writes a NUL-terminated UTF-8 string and returns its address. */
  string(text: string): number {
    const body = encoder.encode(text);
    const at = this.alloc(body.length + 1, 1);
    this.memory.write(at, body);
    return at;
  }

  /** Writes a little-endian u64 (as two halves; addresses stay below 2^53). */
  writeU64(address: number, value: number): void {
    this.memory.writeU32(address, value >>> 0);
    this.memory.writeU32(address + 4, Math.floor(value / 2 ** 32));
  }
}

/** Checks that a load range is RAM and clear of picovmm's boot data below 640 KiB. */
export function checkKernelRange(memory: GuestMemory, start: number, end: number): void {
  if (start < LOW_RAM_END && end > BOOT_DATA_START) {
    throw new LoaderError(
      `the kernel loads at ${hex(start)}-${hex(end)}, over picovmm's boot data ` +
        `(${hex(BOOT_DATA_START)}-${hex(LOW_RAM_END)}); link it at 1 MiB or above`,
    );
  }
  if (!memory.contains(start, end - start)) {
    throw new LoaderError(
      `the kernel at ${hex(start)}-${hex(end)} is not in guest RAM ` +
        "(RAM is 0-0x9ffff and from 0x100000 to the memory size; use --memory)",
    );
  }
}

const PAGE = 4096;

/** Page-aligned placement of data after `from`, checked against RAM. */
export function placeAfter(
  memory: GuestMemory,
  from: number,
  length: number,
  what: string,
): number {
  const start = Math.ceil(from / PAGE) * PAGE;
  if (!memory.contains(start, Math.max(length, 1))) {
    throw new LoaderError(
      `${what} (${length} bytes) does not fit in guest RAM after ${hex(start)}; use --memory`,
    );
  }
  return start;
}

/** Loads modules one after another, page-aligned, from `from`; returns where each went. */
export function placeModules(
  memory: GuestMemory,
  from: number,
  modules: readonly BootModule[],
): PlacedModule[] {
  const placed: PlacedModule[] = [];
  let next = from;
  for (const [i, m] of modules.entries()) {
    const start = placeAfter(memory, next, m.data.length, `module ${i + 1}`);
    memory.write(start, m.data);
    placed.push({ start, end: start + m.data.length, cmdline: m.cmdline });
    next = start + m.data.length;
  }
  return placed;
}

/** The ELF section table as handed to a Multiboot kernel. */
export interface SectionTable {
  /** Guest address of the copied section headers. */
  address: number;
  count: number;
  entrySize: number;
  stringIndex: number;
  /** Highest guest address used for section contents (exclusive). */
  end: number;
}

const SHT_NOBITS = 8;

/**
 * Copies the ELF section headers to the boot-information area and the
 * contents of sections not already loaded (symbol and string tables) after
 * `from`, setting their sh_addr to where they went, as a Multiboot loader
 * does. Returns undefined for an ELF without section headers.
 */
export function loadSectionTable(
  memory: GuestMemory,
  info: BootInfoWriter,
  image: Uint8Array,
  elf: ElfImage,
  from: number,
): SectionTable | undefined {
  const s = elf.sections;
  if (!s) return undefined;
  const table = image.slice(s.offset, s.offset + s.count * s.entrySize);
  const v = new DataView(table.buffer);
  const wide = elf.class === 64;
  let next = from;
  for (let i = 1; i < s.count; i++) {
    const e = i * s.entrySize;
    const type = v.getUint32(e + 4, true);
    const address = wide ? Number(v.getBigUint64(e + 16, true)) : v.getUint32(e + 12, true);
    const offset = wide ? Number(v.getBigUint64(e + 24, true)) : v.getUint32(e + 16, true);
    const size = wide ? Number(v.getBigUint64(e + 32, true)) : v.getUint32(e + 20, true);
    // parseElf has checked that the contents lie inside the file.
    if (address !== 0 || type === SHT_NOBITS || size === 0) continue;
    const at = placeAfter(memory, next, size, `ELF section ${i}`);
    memory.write(at, image.subarray(offset, offset + size));
    if (wide) v.setBigUint64(e + 16, BigInt(at), true);
    else v.setUint32(e + 12, at, true);
    next = at + size;
  }
  const address = info.bytes(table, 8);
  return {
    address,
    count: s.count,
    entrySize: s.entrySize,
    stringIndex: s.stringIndex,
    end: next,
  };
}

/** Bytes the identity map of the first 4 GiB takes: PML4, PDPT and four page directories. */
const IDENTITY_MAP_PAGES = 6;

/**
 * Writes page tables that map the first 4 GiB one to one with 2 MiB pages
 * (present, writable, supervisor) into the boot-information area; returns
 * the PML4's address for CR3.
 */
export function writeIdentityPageTables(info: BootInfoWriter): number {
  const memory = info.memory;
  const base = info.alloc(IDENTITY_MAP_PAGES * PAGE, PAGE);
  const pml4 = base;
  const pdpt = base + PAGE;
  memory.writeU32(pml4, pdpt | 0x3);
  for (let i = 0; i < 4; i++) {
    const pd = base + (2 + i) * PAGE;
    memory.writeU32(pdpt + i * 8, pd | 0x3);
    for (let j = 0; j < 512; j++) {
      const physical = (i * 512 + j) * 0x200000;
      memory.writeU32(pd + j * 8, (physical | 0x83) >>> 0); // present, writable, 2 MiB page
    }
  }
  return pml4;
}
