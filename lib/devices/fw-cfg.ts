/**
 * QEMU's firmware configuration device, the legacy I/O interface: a 16-bit
 * selector at port 0x510 and a byte-wide data port at 0x511 that reads the
 * selected item byte by byte (0 past its end). Items: the signature "QEMU"
 * (0x0000), the interface ID 1, without DMA (0x0001), the RAM size (0x0003,
 * 64-bit little-endian), the CPU count (0x0005) and maximum (0x000F), both
 * 16-bit, and an empty file directory (0x0019, a big-endian count of 0).
 * Test suites such as kvm-unit-tests read these.
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";

/** The selector port; the data port is the next one. */
export const FW_CFG_PORT = 0x510;

/** Options for {@link FwCfg}. */
export interface FwCfgOptions {
  /** Guest RAM in bytes. */
  memoryBytes: number;
  /** Number of CPUs (default 1). */
  cpus?: number;
}

/** The device, two ports wide. */
export class FwCfg implements BusDevice {
  readonly #items = new Map<number, Uint8Array>();
  #item: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #selector = 0;

  constructor(options: FwCfgOptions) {
    const cpus = options.cpus ?? 1;
    const ram = new Uint8Array(8);
    new DataView(ram.buffer).setBigUint64(0, BigInt(options.memoryBytes), true);
    this.#items.set(0x0000, Uint8Array.of(0x51, 0x45, 0x4d, 0x55)); // "QEMU"
    this.#items.set(0x0001, Uint8Array.of(1, 0, 0, 0));
    this.#items.set(0x0003, ram);
    this.#items.set(0x0005, Uint8Array.of(cpus & 0xff, cpus >> 8));
    this.#items.set(0x000f, Uint8Array.of(cpus & 0xff, cpus >> 8));
    this.#items.set(0x0019, new Uint8Array(4));
    this.#select(0);
  }

  read(offset: number, data: Uint8Array): void {
    if (offset === 0) {
      data.fill(0);
      data[0] = this.#selector & 0xff;
      if (data.length > 1) data[1] = this.#selector >> 8;
      return;
    }
    data[0] = this.#pos < this.#item.length ? this.#item[this.#pos] : 0;
    this.#pos++;
    data.fill(0, 1);
  }

  write(offset: number, data: Uint8Array): void {
    if (offset !== 0) return; // the legacy data port is read-only
    this.#select(data.length > 1 ? data[0] | data[1] << 8 : data[0]);
  }

  #select(selector: number): void {
    this.#selector = selector;
    this.#item = this.#items.get(selector) ?? new Uint8Array(0);
    this.#pos = 0;
  }
}
