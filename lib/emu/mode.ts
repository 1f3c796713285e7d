/**
 * The software CPU's mode word: real or protected, the code segment's
 * default size (CS.D), the stack's width (SS.B), CPL and paging, all derived
 * from CR0 and the segment caches in one place. Everything that changes
 * them calls `updateMode`.
 *
 * @module
 */

import { type Cpu, CS, SS } from "./cpu.ts";

/** Attribute offsets in `Cpu.attrs` (9 bytes per segment, kvm_segment order). */
const A_DPL = 2, A_DB = 3;

/** Re-derives the mode from CR0 and the CS/SS caches (after CR0, CS, SS or CPL changes). */
export function updateMode(c: Cpu): void {
  const pe = !c.is8086 && (c.cr0 & 1) !== 0;
  const pg = pe && (c.cr0 & 0x80000000) !== 0;
  if (pg !== c.pg || pe !== c.pe) c.tlb.flush();
  c.pe = pe;
  c.pg = pg;
  c.def32 = pe && c.attrs[CS * 9 + A_DB] !== 0;
  c.ss32 = pe && c.attrs[SS * 9 + A_DB] !== 0;
  if (!pe) c.cpl = 0;
  c.modeKey = modeKey(c);
  // The next instruction starts from the new default sizes.
  c.prefixed = true;
  c.refresh();
}

/**
 * What translated code depends on besides its bytes and CS: protected mode,
 * CS.D, SS.B, paging, CPL 3 and, with paging, CR0.WP (the rights its TLB
 * checks need).
 */
function modeKey(c: Cpu): number {
  return (c.pe ? 1 : 0) | (c.def32 ? 2 : 0) | (c.ss32 ? 4 : 0) | (c.pg ? 8 : 0) |
    (c.cpl === 3 ? 16 : 0) | (c.pg && (c.cr0 & 0x10000) !== 0 ? 32 : 0);
}

/** Takes the CPL the way KVM reports it for a loaded state: the DPL of SS. */
export function cplFromCaches(c: Cpu): number {
  return (c.cr0 & 1) !== 0 ? c.attrs[SS * 9 + A_DPL] & 3 : 0;
}

/** Drops every cached translation (CR3, CR0.PG/WP, CR4 writes) and the fetch page. */
export function flushTranslations(c: Cpu): void {
  c.tlb.flush();
  c.fetchPage = -1;
}
