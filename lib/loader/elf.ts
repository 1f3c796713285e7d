/**
 * ELF executables as kernels use them: the file header, the PT_LOAD segments
 * (loaded at their physical addresses), notes and section headers, for
 * ELFCLASS32 (i386) and ELFCLASS64 (x86-64), little-endian. Every field is
 * checked against the file before anything is written to the guest.
 *
 * @example
 * ```ts
 * import { isElf, parseElf } from "./elf.ts";
 * const image = await Deno.readFile("guests/kernel-mb1.elf");
 * if (isElf(image)) console.log(parseElf(image).entry.toString(16)); // "100000"
 * ```
 *
 * @module
 */

import type { GuestMemory } from "../machine/memory.ts";
import { LoaderError } from "./entry.ts";

/** ELF class: 32 for ELFCLASS32, 64 for ELFCLASS64. */
export type ElfClass = 32 | 64;

/** A PT_LOAD segment. */
export interface ElfSegment {
  /** Where it goes in guest-physical memory (p_paddr). */
  paddr: number;
  /** Its offset in the file. */
  offset: number;
  /** Bytes from the file. */
  fileSize: number;
  /** Bytes in memory (the rest is zeroed). */
  memSize: number;
}

/** A note from a PT_NOTE segment. */
export interface ElfNote {
  name: string;
  type: number;
  desc: Uint8Array;
}

/** The section header table as the file holds it. */
export interface ElfSections {
  /** Offset of the table in the file. */
  offset: number;
  /** Number of entries. */
  count: number;
  /** Bytes per entry. */
  entrySize: number;
  /** Index of the section-name string table. */
  stringIndex: number;
}

/** A checked ELF executable. */
export interface ElfImage {
  class: ElfClass;
  /** e_machine: 3 (i386) or 62 (x86-64). */
  machine: number;
  /** e_entry (may lie above 4 GiB for 64-bit kernels). */
  entry: bigint;
  segments: ElfSegment[];
  notes: ElfNote[];
  /** Present when the file has a section header table. */
  sections?: ElfSections;
}

const PT_LOAD = 1;
const PT_NOTE = 4;
const SHT_NOBITS = 8;
const ET_EXEC = 2;
const EM_386 = 3;
const EM_X86_64 = 62;
/** Segments must end below 4 GiB: picovmm's RAM is there. */
const LIMIT_4G = 2 ** 32;

/** True when the image starts with the ELF magic. */
export function isElf(image: Uint8Array): boolean {
  return image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c &&
    image[3] === 0x46;
}

/** True when the image is an ELF file of class ELFCLASS64 (EI_CLASS, byte 4, is 2). */
export function isElf64(image: Uint8Array): boolean {
  return isElf(image) && image.length > 4 && image[4] === 2;
}

/** Parses and checks an ELF executable; throws LoaderError with the first problem. */
export function parseElf(image: Uint8Array): ElfImage {
  if (!isElf(image)) throw new LoaderError("the image is not an ELF file");
  if (image.length < 52) throw new LoaderError("the ELF header is truncated");
  const cls = image[4];
  if (cls !== 1 && cls !== 2) throw new LoaderError(`unknown ELF class ${cls}`);
  const elfClass: ElfClass = cls === 1 ? 32 : 64;
  if (image[5] !== 1) throw new LoaderError("the ELF file is not little-endian");
  if (image[6] !== 1) throw new LoaderError(`unknown ELF version ${image[6]}`);
  const headerSize = elfClass === 32 ? 52 : 64;
  if (image.length < headerSize) throw new LoaderError("the ELF header is truncated");
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const type = v.getUint16(16, true);
  if (type !== ET_EXEC) throw new LoaderError(`the ELF file is not an executable (e_type ${type})`);
  const machine = v.getUint16(18, true);
  const expected = elfClass === 32 ? EM_386 : EM_X86_64;
  if (machine !== expected) {
    throw new LoaderError(
      `the ELF${elfClass} file is for machine ${machine}, not ${
        elfClass === 32 ? "i386" : "x86-64"
      }`,
    );
  }
  const word = (at: number) =>
    elfClass === 32 ? v.getUint32(at, true) : safeNumber(v.getBigUint64(at, true), "ELF offset");
  const entry = elfClass === 32 ? BigInt(v.getUint32(24, true)) : v.getBigUint64(24, true);
  const phoff = word(elfClass === 32 ? 28 : 32);
  const shoff = word(elfClass === 32 ? 32 : 40);
  const at = elfClass === 32 ? 42 : 54;
  const phentsize = v.getUint16(at, true);
  const phnum = v.getUint16(at + 2, true);
  const shentsize = v.getUint16(at + 4, true);
  const shnum = v.getUint16(at + 6, true);
  const shstrndx = v.getUint16(at + 8, true);
  const phSize = elfClass === 32 ? 32 : 56;
  if (phnum === 0) throw new LoaderError("the ELF file has no program headers");
  if (phentsize !== phSize) {
    throw new LoaderError(`ELF program header size ${phentsize}, expected ${phSize}`);
  }
  if (phoff + phnum * phentsize > image.length) {
    throw new LoaderError("the ELF program headers lie outside the file");
  }
  const segments: ElfSegment[] = [];
  const notes: ElfNote[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const pType = v.getUint32(p, true);
    const f = elfClass === 32
      ? {
        offset: v.getUint32(p + 4, true),
        paddr: v.getUint32(p + 12, true),
        fileSize: v.getUint32(p + 16, true),
        memSize: v.getUint32(p + 20, true),
      }
      : {
        offset: safeNumber(v.getBigUint64(p + 8, true), "segment offset"),
        paddr: safeNumber(v.getBigUint64(p + 24, true), "segment address"),
        fileSize: safeNumber(v.getBigUint64(p + 32, true), "segment size"),
        memSize: safeNumber(v.getBigUint64(p + 40, true), "segment size"),
      };
    if (pType !== PT_LOAD && pType !== PT_NOTE) continue;
    if (f.offset + f.fileSize > image.length) {
      throw new LoaderError(`ELF segment ${i} lies outside the file`);
    }
    if (pType === PT_NOTE) {
      notes.push(...parseNotes(image.subarray(f.offset, f.offset + f.fileSize), i));
      continue;
    }
    if (f.memSize === 0) continue;
    if (f.fileSize > f.memSize) {
      throw new LoaderError(`ELF segment ${i} has more file bytes than memory bytes`);
    }
    if (f.paddr + f.memSize > LIMIT_4G) {
      throw new LoaderError(
        `ELF segment ${i} at physical ${hex(f.paddr)} (${f.memSize} bytes) ends above 4 GiB`,
      );
    }
    segments.push(f);
  }
  if (segments.length === 0) throw new LoaderError("the ELF file has no loadable segments");
  let sections: ElfSections | undefined;
  if (shoff !== 0 && shnum !== 0) {
    const shSize = elfClass === 32 ? 40 : 64;
    if (shentsize !== shSize) {
      throw new LoaderError(`ELF section header size ${shentsize}, expected ${shSize}`);
    }
    if (shoff + shnum * shentsize > image.length) {
      throw new LoaderError("the ELF section headers lie outside the file");
    }
    if (shstrndx >= shnum) throw new LoaderError("the ELF section-name index is out of range");
    for (let i = 1; i < shnum; i++) {
      const e = shoff + i * shentsize;
      const type = v.getUint32(e + 4, true);
      const offset = elfClass === 32
        ? v.getUint32(e + 16, true)
        : safeNumber(v.getBigUint64(e + 24, true), "section offset");
      const size = elfClass === 32
        ? v.getUint32(e + 20, true)
        : safeNumber(v.getBigUint64(e + 32, true), "section size");
      if (type !== SHT_NOBITS && size > 0 && offset + size > image.length) {
        throw new LoaderError(`ELF section ${i} lies outside the file`);
      }
    }
    sections = { offset: shoff, count: shnum, entrySize: shentsize, stringIndex: shstrndx };
  }
  return { class: elfClass, machine, entry, segments, notes, sections };
}

function parseNotes(bytes: Uint8Array, segment: number): ElfNote[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const notes: ElfNote[] = [];
  let at = 0;
  while (at + 12 <= bytes.length) {
    const nameSize = v.getUint32(at, true);
    const descSize = v.getUint32(at + 4, true);
    const type = v.getUint32(at + 8, true);
    const nameAt = at + 12;
    const descAt = nameAt + align4(nameSize);
    const end = descAt + align4(descSize);
    if (descAt > bytes.length || descAt + descSize > bytes.length) {
      throw new LoaderError(`an ELF note in segment ${segment} runs past its end`);
    }
    const name = new TextDecoder().decode(bytes.subarray(nameAt, nameAt + nameSize))
      .replace(/\0+$/, "");
    notes.push({ name, type, desc: bytes.subarray(descAt, descAt + descSize) });
    at = end;
  }
  return notes;
}

/** The highest physical address any segment reaches (exclusive). */
export function elfEnd(elf: ElfImage): number {
  return Math.max(...elf.segments.map((s) => s.paddr + s.memSize));
}

/**
 * Copies the PT_LOAD segments to their physical addresses and zeroes their
 * BSS. Checks every segment against RAM first: nothing is written when one
 * does not fit.
 */
export function loadElfSegments(memory: GuestMemory, elf: ElfImage, image: Uint8Array): void {
  for (const s of elf.segments) {
    if (!memory.contains(s.paddr, s.memSize)) {
      throw new LoaderError(
        `the kernel's segment at ${hex(s.paddr)}-${hex(s.paddr + s.memSize)} is not in guest RAM` +
          " (RAM is 0-0x9ffff and from 0x100000 to the memory size; use --memory)",
      );
    }
  }
  for (const s of elf.segments) {
    const target = memory.view(s.paddr, s.memSize);
    target.set(image.subarray(s.offset, s.offset + s.fileSize));
    target.fill(0, s.fileSize);
  }
}

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new LoaderError(`ELF ${what} 0x${value.toString(16)} is out of range`);
  }
  return Number(value);
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

/** Hex for messages. */
export function hex(n: number | bigint): string {
  return "0x" + n.toString(16);
}
