/**
 * The software CPU's mode word: real, protected or virtual-8086, the code
 * segment's default size (CS.D), the stack's width (SS.B), CPL and paging,
 * all derived from CR0, EFLAGS.VM and the segment caches in one place.
 * Everything that changes them calls `updateMode`.
 *
 * @module
 */

import { type Cpu, CS, SS } from "./cpu.ts";
import { VM } from "./flags.ts";
import { loadPdptes } from "./paging.ts";

/** Attribute offsets in `Cpu.attrs` (9 bytes per segment, kvm_segment order). */
const A_DPL = 2, A_DB = 3;

/** Re-derives the mode from CR0, EFLAGS.VM and the CS/SS caches (after any of them or CPL changes). */
export function updateMode(c: Cpu): void {
  const pe = !c.is8086 && (c.cr0 & 1) !== 0;
  const pg = pe && (c.cr0 & 0x80000000) !== 0;
  if (pg !== c.pg || pe !== c.pe) c.tlb.flush();
  c.pe = pe;
  c.pg = pg;
  // Virtual-8086 mode is 16-bit at CPL 3 whatever the caches say.
  const vm = pe && (c.rawFlags & VM) !== 0;
  c.vm = vm;
  c.pmode = pe && !vm;
  c.def32 = pe && !vm && c.attrs[CS * 9 + A_DB] !== 0;
  c.ss32 = pe && !vm && c.attrs[SS * 9 + A_DB] !== 0;
  if (!pe) c.cpl = 0;
  else if (vm) c.cpl = 3;
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

/** Takes the CPL the way KVM reports it for a loaded state: the DPL of SS (3 in virtual-8086 mode). */
export function cplFromCaches(c: Cpu): number {
  if ((c.cr0 & 1) === 0) return 0;
  return (c.rawFlags & VM) !== 0 ? 3 : c.attrs[SS * 9 + A_DPL] & 3;
}

/** Drops every cached translation (CR0.PG/WP, CR4 and EFER writes) and the fetch page. */
export function flushTranslations(c: Cpu): void {
  c.tlb.flush();
  c.fetchPage = -1;
}

/**
 * Loads CR3 (MOV to CR3, task switches): the PDPTEs with PAE paging on, then
 * every translation but the global ones (CR4.PGE) is dropped. False, with
 * nothing changed, when a PDPTE has reserved bits set (#GP(0) for the caller).
 */
export function loadCr3(c: Cpu, v: number): boolean {
  if (c.pg && (c.cr4 & 0x20) !== 0 && !loadPdptes(c, v)) return false;
  c.cr3 = v >>> 0;
  c.tlb.flushNonGlobal();
  c.fetchPage = -1;
  return true;
}
