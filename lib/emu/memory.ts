/**
 * Guest-physical memory of the software CPU: RAM slots (plain buffers) and
 * everything else as MMIO. A read of MMIO that has no value yet aborts the
 * instruction (the vCPU exits, the caller fills the data, the instruction
 * runs again and finds the value); writes to MMIO are queued and leave as
 * exits once the instruction has completed.
 *
 * @module
 */

import type { PortOutHook } from "../vcpu/contract.ts";

/** One RAM slot. */
export interface Slot {
  readonly base: number;
  readonly size: number;
  readonly bytes: Uint8Array;
  readonly readonly: boolean;
}

/** A queued MMIO write: address, length in bytes and value (little-endian). */
export interface MmioWrite {
  address: number;
  length: number;
  value: number;
}

/** Thrown (one shared object) to abandon an instruction that must wait for an exit. */
export const ABORT: { readonly abort: true } = Object.freeze({ abort: true });

/** Whoever runs on this memory: told to stop when an MMIO write is queued. */
export interface MemoryOwner {
  stop: number;
}

/** `Stop.MMIO_WRITE` (kept here to avoid an import cycle). */
const STOP_MMIO_WRITE = 3;
/** `Stop.RECHECK`. */
const STOP_RECHECK = 8;
/** `Stop.YIELD`. */
const STOP_YIELD = 11;

/** `PhysMemory.fastKind` bits: the page is RAM in `flat` (readable; writable too). */
export const FAST_READ = 1, FAST_WRITE = 2;

/** The physical address space: slots, A20 and pending MMIO traffic. */
export class PhysMemory {
  /** The CPU running on this memory (picovmm runs one vCPU). */
  owner: MemoryOwner | null = null;
  /** The slot at guest-physical 0, the fast path (empty when none). */
  ram: Uint8Array = new Uint8Array(0);
  /** Readable bytes of the fast-path slot. */
  ramLen = 0;
  /** Writable bytes of the fast-path slot (0 when it is read-only). */
  ramWLen = 0;
  /** ANDed into every physical address (1 MiB wrap, A20 off, or none). */
  addrMask = -1;
  /**
   * RAM as one array indexed by physical address: the slots made inside it
   * (see `reserve`; else the slot at 0 alone). Translated protected-mode
   * code reads and writes it where {@link fastKind} allows.
   */
  flat: Uint8Array = new Uint8Array(0);
  /** Per 4 KiB physical page of `flat`: {@link FAST_READ} and {@link FAST_WRITE} where it is RAM. */
  fastKind: Uint8Array = new Uint8Array(0);
  /** Bumped when `flat` or `fastKind` change (caches of them must be dropped). */
  layoutVersion = 0;
  /** All slots, sorted by address. */
  readonly slots: Slot[] = [];

  /** Values the caller supplied for MMIO reads of the instruction being retried, in order. */
  readonly fillAddr: number[] = [];
  readonly fillLen: number[] = [];
  readonly fillValue: number[] = [];
  /** How many fills the current attempt has consumed. */
  fillIdx = 0;
  /** The MMIO read that aborted the instruction (address, length), when `readPending`. */
  readPending = false;
  readAddr = 0;
  readLen = 0;
  /** Writes waiting to leave as exits. */
  readonly writes: MmioWrite[] = [];
  /**
   * Completes MMIO writes without an exit where the host can: 0 the write
   * must leave as an exit, 1 done, 2 done and the run should end.
   */
  mmioWriteHook: PortOutHook | null = null;

  /**
   * RAM will be added below `top`: fresh slots there are made inside one
   * buffer ({@link flat}), so that translated code reaches all of them
   * through one array. Only before the first slot.
   */
  reserve(top: number): void {
    if (this.slots.length !== 0 || !Number.isSafeInteger(top) || top <= 0) return;
    this.flat = new Uint8Array(Math.min(top, 0x100000000));
    this.fastKind = new Uint8Array(Math.ceil(this.flat.length / 4096));
    this.layoutVersion++;
  }

  /** Adds a slot (fresh zeroed bytes, or `bytes` shared with another accelerator); no overlaps. */
  addSlot(
    base: number,
    size: number,
    readonly: boolean,
    given?: Uint8Array,
  ): Uint8Array {
    if (!Number.isSafeInteger(base) || !Number.isSafeInteger(size) || base < 0 || size <= 0) {
      throw new RangeError(`bad memory slot ${base}+${size}`);
    }
    if (given !== undefined && given.length !== size) {
      throw new RangeError(`slot bytes are not ${size} long`);
    }
    if (base + size > 0x100000000) throw new RangeError("memory slot above 4 GiB");
    for (const s of this.slots) {
      if (base < s.base + s.size && s.base < base + size) {
        throw new RangeError(`memory slot at 0x${base.toString(16)} overlaps another`);
      }
    }
    const inFlat = given === undefined && base + size <= this.flat.length;
    const bytes = given ?? (inFlat ? this.flat.subarray(base, base + size) : new Uint8Array(size));
    if (base === 0 && given === undefined && this.flat.length === 0) {
      // No reservation: the slot at 0 is the flat RAM.
      this.flat = bytes;
      this.fastKind = new Uint8Array(Math.ceil(size / 4096));
    }
    if (this.flat.buffer === bytes.buffer && bytes.byteOffset === base) {
      // Whole pages only: a partial page at either end stays on the checked path.
      const kind = readonly ? FAST_READ : FAST_READ | FAST_WRITE;
      this.fastKind.fill(kind, Math.ceil(base / 4096), Math.floor((base + size) / 4096));
    }
    this.layoutVersion++;
    this.slots.push({ base, size, bytes, readonly });
    this.slots.sort((a, b) => a.base - b.base);
    if (base === 0) {
      this.ram = bytes;
      this.ramLen = size;
      this.ramWLen = readonly ? 0 : size;
    }
    return bytes;
  }

  /** The slot `slotOf` found last: stores to video memory hit the same one again and again. */
  #lastSlot: Slot | undefined;

  /** The slot holding [a, a + len), if one does. */
  slotOf(a: number, len: number): Slot | undefined {
    const last = this.#lastSlot;
    if (last !== undefined && a >= last.base && a + len <= last.base + last.size) return last;
    for (const s of this.slots) {
      if (a >= s.base && a + len <= s.base + s.size) {
        this.#lastSlot = s;
        return s;
      }
    }
    return undefined;
  }

  /** Reads a byte at a physical address (already masked, unsigned). */
  rd8(a: number): number {
    if (a < this.ramLen) return this.ram[a];
    return this.slowRead(a, 1);
  }

  /** Reads a little-endian word. */
  rd16(a: number): number {
    if (a + 1 < this.ramLen) return this.ram[a] | (this.ram[a + 1] << 8);
    return this.slowRead(a, 2);
  }

  /** Reads a little-endian dword (unsigned). */
  rd32(a: number): number {
    if (a + 3 < this.ramLen) {
      const r = this.ram;
      return (r[a] | (r[a + 1] << 8) | (r[a + 2] << 16) | (r[a + 3] << 24)) >>> 0;
    }
    return this.slowRead(a, 4);
  }

  /** Writes a byte. */
  wr8(a: number, v: number): void {
    if (a < this.ramWLen) this.ram[a] = v;
    else this.slowWrite(a, 1, v & 0xff);
  }

  /** Writes a little-endian word. */
  wr16(a: number, v: number): void {
    if (a + 1 < this.ramWLen) {
      this.ram[a] = v;
      this.ram[a + 1] = v >> 8;
    } else this.slowWrite(a, 2, v & 0xffff);
  }

  /** Writes a little-endian dword. */
  wr32(a: number, v: number): void {
    if (a + 3 < this.ramWLen) {
      const r = this.ram;
      r[a] = v;
      r[a + 1] = v >> 8;
      r[a + 2] = v >> 16;
      r[a + 3] = v >> 24;
    } else this.slowWrite(a, 4, v >>> 0);
  }

  /** True when a byte read at `a` would not leave RAM (used to cut REP OUTS batches). */
  isRam(a: number): boolean {
    return a < this.ramLen || this.slotOf(a, 1) !== undefined;
  }

  /** Forgets the MMIO values of a completed (or abandoned) instruction. */
  clearFills(): void {
    this.fillAddr.length = 0;
    this.fillLen.length = 0;
    this.fillValue.length = 0;
    this.fillIdx = 0;
  }

  /** Records the value the caller put into an MMIO read exit. */
  addFill(address: number, length: number, value: number): void {
    this.fillAddr.push(address);
    this.fillLen.push(length);
    this.fillValue.push(value);
  }

  private slowRead(a: number, len: number): number {
    // RAM above the slot at 0 (extended memory) is in `flat` where fastKind says so.
    const f = this.flat;
    if (
      a < f.length && (this.fastKind[a >>> 12] & FAST_READ) !== 0 && (a & 0xfff) <= 0x1000 - len
    ) {
      return loadLittleEndian(f, a, len);
    }
    const s = this.slotOf(a, len);
    if (s !== undefined) {
      const o = a - s.base;
      let v = 0;
      for (let i = len - 1; i >= 0; i--) v = v * 256 + s.bytes[o + i];
      return v;
    }
    if (len > 1 && this.#touchesSlot(a, len)) {
      // Straddles RAM and MMIO (or two slots): split into bytes.
      let v = 0;
      for (let i = len - 1; i >= 0; i--) v = v * 256 + this.rd8(this.wrap(a + i));
      return v;
    }
    return this.mmioRead(a, len);
  }

  private slowWrite(a: number, len: number, v: number): void {
    const f = this.flat;
    if (
      a < f.length && (this.fastKind[a >>> 12] & FAST_WRITE) !== 0 && (a & 0xfff) <= 0x1000 - len
    ) {
      storeLittleEndian(f, a, len, v);
      return;
    }
    const s = this.slotOf(a, len);
    if (s !== undefined && !s.readonly) {
      storeLittleEndian(s.bytes, a - s.base, len, v);
      return;
    }
    if (s === undefined && len > 1 && this.#touchesSlot(a, len)) {
      // Straddles RAM and MMIO (or two slots): split into bytes.
      for (let i = 0; i < len; i++) this.wr8(this.wrap(a + i), Math.floor(v / 2 ** (8 * i)) & 0xff);
      return;
    }
    const hook = this.mmioWriteHook;
    // Writes keep their order: while one waits to leave as an exit, the rest queue behind it.
    if (hook !== null && this.writes.length === 0) {
      const done = hook(a, len, v);
      if (done !== 0) {
        const o = this.owner;
        if (done === 2 && o !== null && (o.stop === 0 || o.stop === STOP_RECHECK)) {
          o.stop = STOP_YIELD;
        }
        return;
      }
    }
    this.writes.push({ address: a, length: len, value: v });
    const o = this.owner;
    if (o !== null && (o.stop === 0 || o.stop === STOP_RECHECK)) o.stop = STOP_MMIO_WRITE;
  }

  /** True when some slot holds a byte of [a, a + len). */
  #touchesSlot(a: number, len: number): boolean {
    for (const s of this.slots) {
      if (a < s.base + s.size && s.base < a + len) return true;
    }
    return false;
  }

  private wrap(a: number): number {
    return (a & this.addrMask) >>> 0;
  }

  private mmioRead(a: number, len: number): number {
    const i = this.fillIdx;
    if (i < this.fillAddr.length && this.fillAddr[i] === a && this.fillLen[i] === len) {
      this.fillIdx = i + 1;
      return this.fillValue[i];
    }
    this.readPending = true;
    this.readAddr = a;
    this.readLen = len;
    throw ABORT;
  }
}

/** The `len` (1, 2 or 4) bytes at `bytes[o]` as an unsigned little-endian number. */
export function loadLittleEndian(bytes: Uint8Array, o: number, len: number): number {
  if (len === 1) return bytes[o];
  if (len === 2) return bytes[o] | (bytes[o + 1] << 8);
  return (bytes[o] | (bytes[o + 1] << 8) | (bytes[o + 2] << 16) | (bytes[o + 3] << 24)) >>> 0;
}

/** Stores the low `len` (1, 2 or 4) bytes of `v` at `bytes[o]`, least significant first. */
export function storeLittleEndian(bytes: Uint8Array, o: number, len: number, v: number): void {
  bytes[o] = v;
  if (len > 1) bytes[o + 1] = v >>> 8;
  if (len > 2) {
    bytes[o + 2] = v >>> 16;
    bytes[o + 3] = v >>> 24;
  }
}
