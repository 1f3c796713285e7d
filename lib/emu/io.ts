/**
 * Port I/O of the software CPU. IN waits for the caller: the first attempt
 * records an exit and abandons the instruction, the retry finds the data.
 * OUT records its data and ends the run after the instruction.
 *
 * @module
 */

import { type Cpu, Stop } from "./cpu.ts";
import { ABORT } from "./memory.ts";

/** Reads `size` bytes from a port; `batch` is how many a REP INS may take at once. */
export function portIn(c: Cpu, port: number, size: number, batch = 1): number {
  if (c.ioFillPort === port && c.ioFillSize === size && c.ioFillPos + size <= c.ioFillEnd) {
    const b = c.ioBuf, p = c.ioFillPos;
    c.ioFillPos = p + size;
    if (size === 1) return b[p];
    if (size === 2) return b[p] | (b[p + 1] << 8);
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }
  c.ioFillPort = -1;
  c.ioWrite = false;
  c.ioPort = port;
  c.ioSize = size;
  c.ioCount = Math.max(1, Math.min(batch, Math.floor(c.ioBuf.length / size)));
  c.stop = Stop.IO;
  throw ABORT;
}

/** Appends `size` bytes to the pending OUT exit; the caller decides when the run stops. */
export function portOut(c: Cpu, port: number, size: number, v: number): void {
  if (!c.ioWrite) c.ioCount = 0; // a new batch (the count may still describe the last IN)
  const at = c.ioCount * size;
  const b = c.ioBuf;
  b[at] = v;
  if (size > 1) b[at + 1] = v >> 8;
  if (size > 2) {
    b[at + 2] = v >> 16;
    b[at + 3] = v >> 24;
  }
  c.ioWrite = true;
  c.ioPort = port;
  c.ioSize = size;
  c.ioCount++;
}

/**
 * OUT from the interpreter or a translated block: the host's hook completes
 * it at once where it can (1; 2 when the run should end after it), else its
 * data is recorded for an exit (0).
 */
export function out(c: Cpu, port: number, size: number, v: number): number {
  const hook = c.portOutHook;
  if (hook !== null) {
    const done = hook(port, size, v);
    if (done !== 0) return done;
  }
  c.ioCount = 0;
  portOut(c, port, size, v);
  return 0;
}

/** True while an OUTS batch has room for another element of `size` bytes. */
export function outRoom(c: Cpu, size: number): boolean {
  return (c.ioCount + 1) * size <= c.ioBuf.length;
}
