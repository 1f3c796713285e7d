/**
 * The debug console at port 0xE9 (Bochs' "port E9 hack", QEMU's `-debugcon`):
 * each byte written is one byte of output, and a read returns 0xE9, which is
 * how a guest detects the port before using it.
 *
 * @example
 * ```ts
 * import { Debugcon, DEBUGCON_PORT } from "./debugcon.ts";
 * const out: number[] = [];
 * const debugcon = new Debugcon((byte) => out.push(byte)); // register at 0xE9, length 1
 * debugcon.write(0, Uint8Array.of(0x41));
 * console.log(DEBUGCON_PORT.toString(16), out); // "e9" [65]
 * ```
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";

/** The debug console's port. */
export const DEBUGCON_PORT = 0xe9;

/** What a read of the port returns (the port's number, as Bochs and QEMU answer). */
export const DEBUGCON_READBACK = 0xe9;

/** Port 0xE9: writes are output bytes, reads return {@link DEBUGCON_READBACK}. */
export class Debugcon implements BusDevice {
  /** @param onOutput gets each byte the guest writes */
  constructor(readonly onOutput: (byte: number) => void) {}

  /** Reads as 0xE9. */
  read(_offset: number, data: Uint8Array): void {
    data.fill(DEBUGCON_READBACK);
  }

  /** Each byte written is output (the port is one byte wide; the bus splits wider writes). */
  write(_offset: number, data: Uint8Array): void {
    for (const byte of data) this.onOutput(byte);
  }
}
