/**
 * Virtual-8086 mode (386 model, no CR4.VME): real-mode segments (base =
 * selector << 4, 64 KiB limits) at CPL 3 under protected mode's paging and
 * I/O bitmap. IRET from CPL 0 and task switches enter it; interrupts and
 * exceptions leave it for a ring-0 handler (protected.ts). CLI, STI,
 * PUSHF, POPF, INT n and IRET are IOPL-sensitive.
 *
 * @module
 */

import { type Cpu, CS } from "./cpu.ts";
import { IOPL, VM } from "./flags.ts";
import { updateMode } from "./mode.ts";

/** A virtual-8086 segment's attribute bytes: present read/write data, DPL 3, 16-bit (as KVM reports them). */
const V86_ATTRS = [3, 1, 3, 0, 1, 0, 0, 0, 0];

/** Loads segment register `s` as virtual-8086 mode does (the cache too). */
export function v86Segment(c: Cpu, s: number, sel: number): void {
  c.sel[s] = sel;
  c.base[s] = sel << 4;
  c.limit[s] = 0xffff;
  c.attrs.set(V86_ATTRS, s * 9);
  if (s === CS) c.csBase = c.base[CS];
}

/** Enters virtual-8086 mode with these selectors (ES CS SS DS FS GS), EFLAGS otherwise loaded. */
export function enterV86(c: Cpu, sels: readonly number[]): void {
  c.rawFlags |= VM;
  for (let s = 0; s < 6; s++) v86Segment(c, s, sels[s]);
  updateMode(c);
}

/** #GP(0) for an IOPL-sensitive instruction in virtual-8086 mode below IOPL 3. */
export function v86Sensitive(c: Cpu): void {
  if ((c.rawFlags & IOPL) !== IOPL) c.fault(13, 0);
}
