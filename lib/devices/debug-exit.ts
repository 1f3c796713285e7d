/**
 * The debug-exit port (QEMU's isa-debug-exit at 0xF4): a guest writes a value
 * v and the VMM stops with exit status (v << 1) | 1.
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";

/** The port guests write their exit code to. */
export const DEBUG_EXIT_PORT = 0xf4;
/** Width of the port range (QEMU is commonly configured with iosize=4). */
export const DEBUG_EXIT_SIZE = 4;

/** Records the value written; the run loop stops when `code` is set. */
export class DebugExit implements BusDevice {
  /** The value the guest wrote, or undefined. */
  code: number | undefined;
  /** As QEMU's isa-debug-exit: an unaligned or straddling write is ignored, not split. */
  readonly alignedOnly = true;

  /** Reads as 0xFF, like an empty ISA port. */
  read(_offset: number, data: Uint8Array): void {
    data.fill(0xff);
  }

  /** Takes the written value (little-endian, as wide as the access). */
  write(_offset: number, data: Uint8Array): void {
    let v = 0;
    for (let i = data.length - 1; i >= 0; i--) v = v * 256 + data[i];
    this.code = v;
  }
}

/** The process exit status for a debug-exit value, as QEMU computes it (mod 256). */
export function debugExitStatus(value: number): number {
  return ((value * 2) | 1) & 0xff;
}
