// Small kernel images built byte by byte for the loader tests: ELF32/ELF64
// files with PT_LOAD and PT_NOTE segments and section headers, Multiboot v1
// and v2 headers, and guest memory laid out as picovmm's PC.
import { GuestMemory } from "../../lib/machine/memory.ts";

/** Guest memory as a kernel boot has it: 640 KiB low, `mib` MiB from 1 MiB. */
export function pcMemory(mib = 4): { memory: GuestMemory; bytes: number } {
  const memory = new GuestMemory();
  memory.addRegion(0, new Uint8Array(0xa0000));
  memory.addRegion(0x100000, new Uint8Array(mib << 20));
  return { memory, bytes: 0xa0000 + (mib << 20) };
}

/** True when no byte of guest memory was written. */
export function untouched(memory: GuestMemory): boolean {
  return memory.regions.every((r) => r.bytes.every((b) => b === 0));
}

/** A Multiboot v1 header: magic, flags, checksum (and address fields when given). */
export function mb1Header(flags: number, address: number[] = [], checksumDelta = 0): Uint8Array {
  const words = [0x1badb002, flags, (-(0x1badb002 + flags) + checksumDelta) >>> 0, ...address];
  return u32s(...words);
}

/** A Multiboot2 header with the given tags (each [type, flags, ...u32 body]) and an end tag. */
export function mb2Header(
  tags: [number, number, ...number[]][],
  options: { arch?: number; checksumDelta?: number; length?: number } = {},
): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [type, flags, ...body] of tags) {
    const size = 8 + body.length * 4;
    const t = new Uint8Array(Math.ceil(size / 8) * 8);
    const v = new DataView(t.buffer);
    v.setUint16(0, type, true);
    v.setUint16(2, flags, true);
    v.setUint32(4, size, true);
    body.forEach((x, i) => v.setUint32(8 + i * 4, x >>> 0, true));
    parts.push(t);
  }
  parts.push(u32s(0, 8));
  const body = concat(...parts);
  const length = options.length ?? 16 + body.length;
  const arch = options.arch ?? 0;
  const sum = (-(0xe85250d6 + arch + length) + (options.checksumDelta ?? 0)) >>> 0;
  return concat(u32s(0xe85250d6, arch, length, sum), body);
}

/** Options for {@link elfImage}. */
export interface ElfOptions {
  class?: 32 | 64;
  /** Physical load address of the one PT_LOAD segment. */
  paddr?: number;
  entry?: number;
  /** The segment's bytes (the code/data; the header block goes first in it). */
  payload?: Uint8Array;
  /** Extra zeroed memory after the payload (BSS). */
  bss?: number;
  /** A note to put in a PT_NOTE segment: [name, type, desc]. */
  note?: [string, number, Uint8Array];
  /** Add a section header table with a NULL, a .text, a .symtab and a .shstrtab. */
  sections?: boolean;
}

/** Offsets inside an {@link elfImage} file, for tests that break it. */
export interface ElfLayout {
  bytes: Uint8Array;
  phoff: number;
  payloadOffset: number;
  shoff: number;
}

/**
 * An ELF executable: header, program headers (PT_LOAD at `paddr`, a
 * PT_NOTE if asked), the payload at file offset 0x1000, then notes and
 * section headers.
 */
export function elfImage(options: ElfOptions = {}): ElfLayout {
  const wide = (options.class ?? 32) === 64;
  const paddr = options.paddr ?? 0x100000;
  const payload = options.payload ?? new Uint8Array([0xf4]);
  const ehsize = wide ? 64 : 52;
  const phsize = wide ? 56 : 32;
  const phnum = options.note ? 2 : 1;
  const payloadOffset = 0x1000;
  const noteBytes = options.note ? noteOf(...options.note) : new Uint8Array(0);
  const noteOffset = payloadOffset + payload.length;
  const symtab = new Uint8Array(wide ? 24 : 16); // one null symbol
  const symtabOffset = noteOffset + noteBytes.length;
  const shstr = new TextEncoder().encode("\0.text\0.symtab\0.shstrtab\0");
  const shstrOffset = symtabOffset + symtab.length;
  const shoff = options.sections ? Math.ceil((shstrOffset + shstr.length) / 8) * 8 : 0;
  const shsize = wide ? 64 : 40;
  const shnum = options.sections ? 4 : 0;
  const bytes = new Uint8Array(Math.max(shoff + shnum * shsize, noteOffset + noteBytes.length));
  const v = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, wide ? 2 : 1, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, wide ? 62 : 3, true);
  v.setUint32(20, 1, true);
  const entry = options.entry ?? paddr;
  if (wide) {
    v.setBigUint64(24, BigInt(entry), true);
    v.setBigUint64(32, BigInt(ehsize), true);
    v.setBigUint64(40, BigInt(shoff), true);
  } else {
    v.setUint32(24, entry, true);
    v.setUint32(28, ehsize, true);
    v.setUint32(32, shoff, true);
  }
  const at = wide ? 52 : 40;
  v.setUint16(at, ehsize, true);
  v.setUint16(at + 2, phsize, true);
  v.setUint16(at + 4, phnum, true);
  v.setUint16(at + 6, shsize, true);
  v.setUint16(at + 8, shnum, true);
  v.setUint16(at + 10, options.sections ? 3 : 0, true);
  const ph = (i: number, type: number, offset: number, addr: number, file: number, mem: number) => {
    const p = ehsize + i * phsize;
    v.setUint32(p, type, true);
    if (wide) {
      v.setBigUint64(p + 8, BigInt(offset), true);
      v.setBigUint64(p + 16, BigInt(addr), true);
      v.setBigUint64(p + 24, BigInt(addr), true);
      v.setBigUint64(p + 32, BigInt(file), true);
      v.setBigUint64(p + 40, BigInt(mem), true);
    } else {
      v.setUint32(p + 4, offset, true);
      v.setUint32(p + 8, addr, true);
      v.setUint32(p + 12, addr, true);
      v.setUint32(p + 16, file, true);
      v.setUint32(p + 20, mem, true);
    }
  };
  bytes.set(payload, payloadOffset);
  ph(0, 1, payloadOffset, paddr, payload.length, payload.length + (options.bss ?? 0));
  if (options.note) {
    bytes.set(noteBytes, noteOffset);
    ph(1, 4, noteOffset, 0, noteBytes.length, noteBytes.length);
  }
  if (options.sections) {
    bytes.set(symtab, symtabOffset);
    bytes.set(shstr, shstrOffset);
    const sh = (
      i: number,
      name: number,
      type: number,
      addr: number,
      offset: number,
      size: number,
    ) => {
      const s = shoff + i * shsize;
      v.setUint32(s, name, true);
      v.setUint32(s + 4, type, true);
      if (wide) {
        v.setBigUint64(s + 16, BigInt(addr), true);
        v.setBigUint64(s + 24, BigInt(offset), true);
        v.setBigUint64(s + 32, BigInt(size), true);
      } else {
        v.setUint32(s + 12, addr, true);
        v.setUint32(s + 16, offset, true);
        v.setUint32(s + 20, size, true);
      }
    };
    sh(1, 1, 1, paddr, payloadOffset, payload.length);
    sh(2, 7, 2, 0, symtabOffset, symtab.length);
    sh(3, 15, 3, 0, shstrOffset, shstr.length);
  }
  return { bytes, phoff: ehsize, payloadOffset, shoff };
}

/** An ELF note: name size, desc size, type, name (padded), desc (padded). */
export function noteOf(name: string, type: number, desc: Uint8Array): Uint8Array {
  const n = new TextEncoder().encode(name + "\0");
  const out = new Uint8Array(12 + Math.ceil(n.length / 4) * 4 + Math.ceil(desc.length / 4) * 4);
  const v = new DataView(out.buffer);
  v.setUint32(0, n.length, true);
  v.setUint32(4, desc.length, true);
  v.setUint32(8, type, true);
  out.set(n, 12);
  out.set(desc, 12 + Math.ceil(n.length / 4) * 4);
  return out;
}

/** Little-endian u32 words. */
export function u32s(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setUint32(i * 4, x >>> 0, true));
  return b;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Reads a NUL-terminated string from guest memory. */
export function cString(memory: GuestMemory, address: number): string {
  let end = address;
  while (memory.readU8(end) !== 0) end++;
  return new TextDecoder().decode(memory.read(address, end - address));
}
