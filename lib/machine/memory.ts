/**
 * Guest-physical memory as seen by the VMM: a list of RAM regions, each one
 * buffer (on KVM a zero-copy view of the mmap, on the software CPU a plain
 * buffer). Every access is checked against a region before it indexes
 * anything; loaders, the BIOS and devices only touch the guest through this.
 *
 * @module
 */

/** A guest address or length that falls outside RAM. */
export class GuestMemoryError extends RangeError {
  /** The error class name. */
  override name = "GuestMemoryError";
}

/** One RAM region. */
export interface MemoryRegion {
  readonly base: number;
  readonly bytes: Uint8Array;
  readonly readonly: boolean;
}

/** The bounds-checked interface to guest RAM. */
export class GuestMemory {
  readonly #regions: MemoryRegion[] = [];

  /** Adds a region; regions may not overlap. */
  addRegion(base: number, bytes: Uint8Array, readonly = false): void {
    const end = base + bytes.length;
    if (!Number.isSafeInteger(base) || base < 0 || bytes.length === 0) {
      throw new GuestMemoryError(`bad memory region at ${hex(base)}`);
    }
    for (const r of this.#regions) {
      if (base < r.base + r.bytes.length && r.base < end) {
        throw new GuestMemoryError(`memory region at ${hex(base)} overlaps one at ${hex(r.base)}`);
      }
    }
    this.#regions.push({ base, bytes, readonly });
    this.#regions.sort((a, b) => a.base - b.base);
  }

  /** The regions, in address order. */
  get regions(): readonly MemoryRegion[] {
    return this.#regions;
  }

  /** The region holding all of [address, address + length), if one does. */
  regionOf(address: number, length = 1): MemoryRegion | undefined {
    if (!Number.isSafeInteger(address) || !Number.isSafeInteger(length) || length < 0) {
      return undefined;
    }
    for (const r of this.#regions) {
      if (address >= r.base && address + length <= r.base + r.bytes.length) return r;
    }
    return undefined;
  }

  /** True when [address, address + length) is inside one region. */
  contains(address: number, length = 1): boolean {
    return this.regionOf(address, length) !== undefined;
  }

  /**
   * Told of every range handed out for writing (a software CPU drops the
   * code it translated from those bytes).
   */
  onWrite: ((address: number, length: number) => void) | undefined;

  /**
   * A view (not a copy) of [address, address + length) that the caller may
   * write through; throws outside RAM.
   */
  view(address: number, length: number): Uint8Array {
    const bytes = this.#bytes(address, length);
    this.onWrite?.(address, length);
    return bytes;
  }

  /** A copy of [address, address + length). */
  read(address: number, length: number): Uint8Array {
    return this.#bytes(address, length).slice();
  }

  /** Copies `data` to `address` (ROM regions too: loaders and the BIOS fill them). */
  write(address: number, data: Uint8Array): void {
    this.view(address, data.length).set(data);
  }

  /** Reads a byte. */
  readU8(address: number): number {
    return this.#bytes(address, 1)[0];
  }
  /** Reads a little-endian 16-bit value. */
  readU16(address: number): number {
    const b = this.#bytes(address, 2);
    return b[0] | (b[1] << 8);
  }
  /** Reads a little-endian 32-bit value. */
  readU32(address: number): number {
    const b = this.#bytes(address, 4);
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
  }
  /** Writes a byte. */
  writeU8(address: number, value: number): void {
    this.view(address, 1)[0] = value;
  }
  /** Writes a little-endian 16-bit value. */
  writeU16(address: number, value: number): void {
    const b = this.view(address, 2);
    b[0] = value;
    b[1] = value >> 8;
  }
  /** Writes a little-endian 32-bit value. */
  writeU32(address: number, value: number): void {
    const b = this.view(address, 4);
    b[0] = value;
    b[1] = value >> 8;
    b[2] = value >> 16;
    b[3] = value >> 24;
  }

  #bytes(address: number, length: number): Uint8Array {
    const r = this.#region(address, length);
    const at = address - r.base;
    return r.bytes.subarray(at, at + length);
  }

  #region(address: number, length: number): MemoryRegion {
    const r = this.regionOf(address, length);
    if (!r) {
      throw new GuestMemoryError(
        `guest address ${hex(address)}+${hex(length)} is outside guest RAM`,
      );
    }
    return r;
  }
}

function hex(n: number): string {
  return Number.isFinite(n) ? "0x" + n.toString(16) : String(n);
}
