/**
 * A bus of address ranges: one for port I/O, one for MMIO. Devices see the
 * offset inside their range; accesses nobody claims are counted.
 *
 * @module
 */

/** A device on a bus. `data` is the access: 1, 2 or 4 bytes (up to 8 for MMIO). */
export interface BusDevice {
  /** Fills `data` with what the guest reads at `offset` within the device's range. */
  read(offset: number, data: Uint8Array): void;
  /** Takes what the guest writes at `offset` within the device's range. */
  write(offset: number, data: Uint8Array): void;
  /**
   * The device takes only naturally aligned accesses that lie inside its
   * range (as QEMU's memory regions without unaligned support): others,
   * also those that start before it or run past its end, miss it.
   */
  readonly alignedOnly?: boolean;
}

/** One registered range. */
export interface BusRange {
  readonly base: number;
  readonly length: number;
  readonly name: string;
  readonly device: BusDevice;
}

/** Raised for an empty, overflowing or overlapping registration. */
export class BusError extends Error {
  override name = "BusError";
}

/** A sorted set of non-overlapping address ranges. */
export class Bus {
  readonly #ranges: BusRange[] = [];
  readonly #limit: number;
  /** Unclaimed accesses by address. */
  readonly unhandled: Map<number, number> = new Map();
  /** Called for each unclaimed access (e.g. to trace it), with a write's bytes. */
  onUnhandled?: (address: number, isWrite: boolean, size: number, written?: Uint8Array) => void;

  /** @param limit one past the highest address (0x10000 for ports). */
  constructor(readonly label: string, limit: number) {
    this.#limit = limit;
  }

  /** Adds a device at [base, base + length); overlap and empty ranges are errors. */
  register(base: number, length: number, device: BusDevice, name: string): void {
    if (!Number.isSafeInteger(base) || !Number.isSafeInteger(length) || length <= 0) {
      throw new BusError(`${this.label}: ${name}: empty or invalid range`);
    }
    if (base < 0 || base + length > this.#limit) {
      throw new BusError(`${this.label}: ${name}: range ${hex(base)}+${hex(length)} out of bounds`);
    }
    const clash = this.#ranges.find((r) => base < r.base + r.length && r.base < base + length);
    if (clash) {
      throw new BusError(`${this.label}: ${name} at ${hex(base)} overlaps ${clash.name}`);
    }
    this.#ranges.push({ base, length, name, device });
    this.#ranges.sort((a, b) => a.base - b.base);
  }

  /** The range holding `address`, if any (binary search). */
  find(address: number): BusRange | undefined {
    const ranges = this.#ranges;
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = ranges[mid];
      if (address < r.base) hi = mid - 1;
      else if (address >= r.base + r.length) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  /** All registered ranges, in address order. */
  get ranges(): readonly BusRange[] {
    return this.#ranges;
  }

  /**
   * Reads at `address`. Unclaimed bytes read as 0xFF, as on an ISA bus. An
   * access that runs past its device's range is split so no device sees an
   * offset outside its range (an `alignedOnly` device sees none of it).
   */
  read(address: number, data: Uint8Array): void {
    const range = this.find(address);
    if (range && address + data.length <= range.base + range.length) {
      if (takes(range, address, data.length)) range.device.read(address - range.base, data);
      else this.#missAll(address, false, data);
      return;
    }
    if (data.length === 1) {
      this.#missAll(address, false, data);
      return;
    }
    for (let i = 0; i < data.length; i++) {
      const byte = data.subarray(i, i + 1);
      if (this.find(address + i)?.device.alignedOnly) this.#missAll(address + i, false, byte);
      else this.read(address + i, byte);
    }
  }

  /** Writes at `address`; unclaimed writes are dropped and counted (split as reads are). */
  write(address: number, data: Uint8Array): void {
    const range = this.find(address);
    if (range && address + data.length <= range.base + range.length) {
      if (takes(range, address, data.length)) range.device.write(address - range.base, data);
      else this.#missAll(address, true, data);
      return;
    }
    if (data.length === 1) {
      this.#missAll(address, true, data);
      return;
    }
    for (let i = 0; i < data.length; i++) {
      const byte = data.subarray(i, i + 1);
      if (this.find(address + i)?.device.alignedOnly) this.#missAll(address + i, true, byte);
      else this.write(address + i, byte);
    }
  }

  /** An access nobody takes: counted; a read gives 0xFF bytes. */
  #missAll(address: number, isWrite: boolean, data: Uint8Array): void {
    if (!isWrite) data.fill(0xff);
    this.#miss(address, isWrite, data.length, isWrite ? data : undefined);
  }

  #miss(address: number, isWrite: boolean, size: number, written?: Uint8Array): void {
    this.unhandled.set(address, (this.unhandled.get(address) ?? 0) + 1);
    this.onUnhandled?.(address, isWrite, size, written);
  }
}

/** Whether `range`'s device takes an access of `size` at `address` (inside its range). */
function takes(range: BusRange, address: number, size: number): boolean {
  return !range.device.alignedOnly || (address - range.base) % size === 0;
}

function hex(n: number): string {
  return "0x" + n.toString(16);
}
