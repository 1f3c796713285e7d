/**
 * The paging unit of the software CPU: a TLB indexed by linear page and the
 * page walks that fill it: 32-bit two-level tables (4 KiB pages, and 4 MiB
 * pages with CR4.PSE) and PAE's three levels of 64-bit entries (CR4.PAE:
 * four PDPTEs cached from CR3, 2 MiB and 4 KiB pages, reserved bits, the XD
 * bit with EFER.NXE). CR4.PGE keeps global translations over CR3 writes.
 * Translations are only cached once the walk has set the accessed bits, and
 * a write hits the TLB only once the dirty bit is set, so the guest's page
 * tables always show what it touched.
 *
 * Physical addresses have MAXPHYADDR = 36 bits (CPUID 0x80000008). RAM is
 * below 4 GiB, so a page above it is MMIO to the memory path; addresses
 * past 32 bits are kept as plain numbers (no bitwise operators on them).
 *
 * Without paging the TLB caches the identity (with A20's mask), so that
 * translated code has one memory path in protected mode: an entry also says
 * whether its physical page is RAM in `PhysMemory.flat` (readable,
 * writable), which is all the fast path needs to know.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { CpuFault } from "./cpu.ts";
import { FAST_READ, FAST_WRITE } from "./memory.ts";

/**
 * TLB entry bits below the physical page number (which sits at bit 8 and up;
 * 36-bit addresses make 24-bit page numbers, so an entry uses all 32 bits and
 * may read as negative). NO_EXEC: an XD page (no instruction fetch); GLOBAL:
 * kept over CR3 writes (CR4.PGE and the entry's G bit).
 */
const VALID = 1, WRITABLE = 2, USER = 4, DIRTY = 8, RAM_READ = 16, RAM_WRITE = 32;
const NO_EXEC = 64, GLOBAL = 128;
/** Where the physical page number starts in an entry (translated code reads entries too). */
export const TLB_PAGE_SHIFT = 8;
const PAGE_SHIFT = TLB_PAGE_SHIFT;

/**
 * The TLB entry bits an access needs for the fast path of translated code,
 * by kind: a read at CPL 0-2, a write there with and without CR0.WP, and the
 * same at CPL 3; both need the page to be RAM in `flat`. A write needs the
 * dirty bit already set (else the walk sets it).
 */
export function tlbRights(cpl: number, wp: boolean): { read: number; write: number } {
  return { read: tlbNeed(cpl, wp, false), write: tlbNeed(cpl, wp, true) };
}

/** One of `tlbRights`' masks: for a read, or a write (`write`). */
export function tlbNeed(cpl: number, wp: boolean, write: boolean): number {
  if (!write) return cpl === 3 ? RAM_READ | VALID | USER : RAM_READ | VALID;
  const w = RAM_WRITE | VALID | DIRTY;
  return cpl === 3 ? w | WRITABLE | USER : wp ? w | WRITABLE : w;
}

/**
 * Where in `flat` the `size` bytes at linear `lin` lie when the TLB already
 * says so for this access at the CPU's CPL (see `tlbRights`), inside one
 * page; else -1, and the full path (the walk, its faults and bits, MMIO)
 * decides. The interpreter's side of translated code's fast path.
 */
export function fastPhysical(c: Cpu, lin: number, size: number, write: boolean): number {
  const e = c.tlb.entries[lin >>> 12];
  const need = tlbNeed(c.cpl, (c.cr0 & CR0_WP) !== 0, write);
  if ((e & need) !== need || (lin & 0xfff) > 0x1000 - size) return -1;
  return entryAddress(e, lin);
}

/**
 * Whether translated code may run from the page of entry `e` at CPL 3
 * (`user`) or below: RAM in `flat`, user where it must be, not XD.
 */
export function tlbRunnable(e: number, user: boolean): boolean {
  const need = user ? RAM_READ | USER : RAM_READ;
  return (e & (need | NO_EXEC)) === need;
}

/** The physical address an entry maps linear `lin` to (`lin`'s offset in the page). */
export function entryAddress(e: number, lin: number): number {
  return (e >>> PAGE_SHIFT) * 4096 + (lin & 0xfff);
}

/** The entry bits that say whether physical `page` is RAM in `flat` (from `fastKind`). */
function ramBits(c: Cpu, page: number): number {
  const k = c.m.fastKind[page];
  return k === undefined ? 0 : ((k & FAST_READ) !== 0 ? RAM_READ : 0) |
    ((k & FAST_WRITE) !== 0 ? RAM_WRITE : 0);
}

/**
 * Caches the identity translation of linear page `lp` (paging off), with
 * all rights: segment checks are the only checks then.
 */
export function fillIdentity(c: Cpu, lp: number, physPage: number): void {
  c.tlb.fill(lp, (physPage << PAGE_SHIFT) | VALID | WRITABLE | USER | DIRTY | ramBits(c, physPage));
}
/** Page-table entry bits (the low dword of PAE's entries has the same ones). */
const P = 1, RW = 2, US = 4, ACCESSED = 0x20, DIRTY_BIT = 0x40, PS = 0x80, G = 0x100;
/** CR0.WP; CR4.PSE, PAE and PGE; EFER.NXE. */
const CR0_WP = 1 << 16, CR4_PSE = 1 << 4, CR4_PAE = 1 << 5, CR4_PGE = 1 << 7;
export const EFER_NXE = 1 << 11;
/**
 * Reserved bits of PAE entries with MAXPHYADDR 36: bits 36-62 in the high
 * dword (and 63, XD, without EFER.NXE); bits 13-20 of a 2 MiB PDE; bits 1-2
 * and 5-8 of a PDPTE, whose bit 63 is always reserved.
 */
const RSVD_HIGH = 0x7ffffff0, XD_HIGH = 0x80000000, RSVD_BIG = 0x1fe000;
const RSVD_PDPTE = 0x1e6, RSVD_PDPTE_HIGH = 0xfffffff0;
/** #PF error code bits. */
const PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_ID = 16;

/**
 * Cached translations, one slot per 4 KiB linear page, and the lists of
 * filled slots: global ones (PGE) apart, so that a CR3 write (a task switch)
 * costs what was cached since the last one rather than every global page of
 * a kernel again. A slot emptied by INVLPG and filled again may be listed
 * twice, or in the other list: each flush looks at the entry itself.
 */
export class Tlb {
  /** 0 empty, else physical page << 8 | VALID | WRITABLE | USER | DIRTY | RAM_READ | RAM_WRITE | NO_EXEC | GLOBAL. */
  readonly entries: Int32Array = new Int32Array(1 << 20);
  /** Slots filled with a non-global entry since the last flush. */
  #local: number[] = [];
  /** Slots filled with a global entry since the last full flush. */
  #global: number[] = [];
  /** The length of `#global` after its last compaction (see `flushNonGlobal`). */
  #globalKept = 0;

  /** Drops every translation, global ones too (CR4 writes, CR0.PG/WP, mode changes). */
  flush(): void {
    const e = this.entries;
    for (const i of this.#local) e[i] = 0;
    for (const i of this.#global) e[i] = 0;
    this.#local = [];
    this.#global = [];
    this.#globalKept = 0;
  }
  /** Drops every translation but the global ones (CR3 writes and task switches). */
  flushNonGlobal(): void {
    const e = this.entries;
    for (const i of this.#local) if ((e[i] & GLOBAL) === 0) e[i] = 0;
    this.#local = [];
    // Global slots that INVLPG emptied and were filled again, globally or not, are listed
    // again: now and then the list is cut to the global entries there are, once each.
    if (this.#global.length > 2 * this.#globalKept + 1024) this.#compactGlobal();
  }
  /** Drops the translation of one linear page, global or not (INVLPG). */
  flushPage(lin: number): void {
    this.entries[lin >>> 12] = 0;
  }
  /** Caches a translation. */
  fill(page: number, entry: number): void {
    const old = this.entries[page];
    this.entries[page] = entry;
    if ((entry & GLOBAL) !== 0) {
      if (old === 0 || (old & GLOBAL) === 0) this.#global.push(page);
    } else if (old === 0 || (old & GLOBAL) !== 0) this.#local.push(page);
  }

  #compactGlobal(): void {
    const e = this.entries, once: number[] = [];
    for (const i of this.#global) {
      // Mark each global slot once (bit 0 of an entry is VALID, set in every filled one).
      if ((e[i] & GLOBAL) !== 0) {
        once.push(i);
        e[i] ^= GLOBAL;
      }
    }
    for (const i of once) e[i] |= GLOBAL;
    // A slot that is no longer global is in `#local` (it was filled so), or empty.
    this.#global = once;
    this.#globalKept = once.length;
  }
}

/**
 * The physical address of linear `lin` for an access (`write`; `user` for
 * CPL 3 accesses other than descriptor-table and TSS reads). Raises #PF
 * with CR2 and the error code when the page tables refuse it.
 */
export function translate(c: Cpu, lin: number, write: boolean, user: boolean): number {
  const e = c.tlb.entries[lin >>> 12];
  if (e !== 0 && (!user || (e & USER) !== 0)) {
    if (!write) return entryAddress(e, lin);
    if ((e & DIRTY) !== 0 && ((e & WRITABLE) !== 0 || (!user && (c.cr0 & CR0_WP) === 0))) {
      return entryAddress(e, lin);
    }
  }
  return walk(c, lin >>> 0, write, user, false);
}

/** The physical address of linear `lin` for an instruction fetch (XD pages fault). */
export function translateFetch(c: Cpu, lin: number, user: boolean): number {
  const e = c.tlb.entries[lin >>> 12];
  if (e !== 0 && (e & NO_EXEC) === 0 && (!user || (e & USER) !== 0)) return entryAddress(e, lin);
  return walk(c, lin >>> 0, false, user, true);
}

/** A 32-bit physical address with A20's mask; tables above 4 GiB (PAE) are not masked. */
function tableAddress(c: Cpu, at: number): number {
  return at < 0x100000000 ? (at & c.m.addrMask) >>> 0 : at;
}
/** Reads a page-table entry, or a dword of one (tables live in physical memory, A20 applies). */
function readEntry(c: Cpu, at: number): number {
  return c.m.rd32(tableAddress(c, at));
}
function writeEntry(c: Cpu, at: number, v: number): void {
  const p = tableAddress(c, at);
  c.noteStore(p, 4);
  c.m.wr32(p, v >>> 0);
}

/** The PDPTEs being loaded, checked before any is taken. */
const pdpteScratch = new Uint32Array(8);

/**
 * Loads the four PDPTEs of PAE paging from the table CR3 `cr3` names, as
 * MOV to CR3 (PAE paging on), MOV to CR0/CR4 entering PAE paging and task
 * switches do. False, and nothing loaded, when a present one has reserved
 * bits set (the caller raises #GP(0)).
 */
export function loadPdptes(c: Cpu, cr3: number): boolean {
  const base = (cr3 & 0xffffffe0) >>> 0;
  const v = pdpteScratch;
  for (let i = 0; i < 8; i++) v[i] = readEntry(c, base + i * 4);
  for (let i = 0; i < 8; i += 2) {
    if ((v[i] & P) !== 0 && ((v[i] & RSVD_PDPTE) !== 0 || (v[i + 1] & RSVD_PDPTE_HIGH) !== 0)) {
      return false;
    }
  }
  c.pdpte.set(v);
  return true;
}

/** Walks the page tables for `lin`, sets accessed/dirty bits and fills the TLB. */
export function walk(c: Cpu, lin: number, write: boolean, user: boolean, fetch: boolean): number {
  if ((c.cr4 & CR4_PAE) !== 0) return walkPae(c, lin, write, user, fetch);
  const pdeAt = (c.cr3 & 0xfffff000) + (lin >>> 22) * 4;
  const pde = readEntry(c, pdeAt);
  if ((pde & P) === 0) pageFault(c, lin, write, user, 0);
  const big = (pde & PS) !== 0 && (c.cr4 & CR4_PSE) !== 0;
  let pte = pde, pteAt = pdeAt, rights = pde;
  if (!big) {
    pteAt = (pde & 0xfffff000) + ((lin >>> 12) & 0x3ff) * 4;
    pte = readEntry(c, pteAt);
    if ((pte & P) === 0) pageFault(c, lin, write, user, 0);
    rights = pde & pte;
  }
  if (user && (rights & US) === 0) pageFault(c, lin, write, user, PF_P);
  if (write && (rights & RW) === 0 && (user || (c.cr0 & CR0_WP) !== 0)) {
    pageFault(c, lin, write, user, PF_P);
  }
  // The access is allowed: mark the tables as the hardware does.
  if (!big && (pde & ACCESSED) === 0) writeEntry(c, pdeAt, pde | ACCESSED);
  const want = ACCESSED | (write ? DIRTY_BIT : 0);
  if ((pte & want) !== want) writeEntry(c, pteAt, pte | want);
  const frame = big ? (pte & 0xffc00000) + (lin & 0x3ff000) : pte & 0xfffff000;
  const page = (frame >>> 12) & 0xfffff;
  fillWalked(c, lin, page, rights, write || (pte & DIRTY_BIT) !== 0, pte, false);
  return page * 4096 + (lin & 0xfff);
}

/**
 * The PAE walk: the cached PDPTE, then the PDE (a 2 MiB page with PS) and
 * the PTE, each 64 bits read as two dwords. Reserved bits in a present
 * entry fault with RSVD; XD (EFER.NXE) refuses instruction fetches, and
 * with NXE every fetch fault has the I/D bit.
 */
function walkPae(c: Cpu, lin: number, write: boolean, user: boolean, fetch: boolean): number {
  const nxe = (c.efer & EFER_NXE) !== 0;
  const id = fetch && nxe ? PF_ID : 0;
  const rsvdHigh = nxe ? RSVD_HIGH : RSVD_HIGH | XD_HIGH;
  const i = (lin >>> 30) * 2;
  const pdpLo = c.pdpte[i], pdpHi = c.pdpte[i + 1];
  if ((pdpLo & P) === 0) pageFault(c, lin, write, user, id);
  const pdeAt = (pdpHi & 0xf) * 0x100000000 + (pdpLo & 0xfffff000) + ((lin >>> 21) & 0x1ff) * 8;
  const pde = readEntry(c, pdeAt);
  if ((pde & P) === 0) pageFault(c, lin, write, user, id);
  const pdeHi = readEntry(c, pdeAt + 4);
  const big = (pde & PS) !== 0;
  if ((pdeHi & rsvdHigh) !== 0 || (big && (pde & RSVD_BIG) !== 0)) {
    pageFault(c, lin, write, user, PF_P | PF_RSVD | id);
  }
  let pte = pde, pteHi = pdeHi, pteAt = pdeAt, rights = pde, xd = pdeHi;
  if (!big) {
    pteAt = (pdeHi & 0xf) * 0x100000000 + (pde & 0xfffff000) + ((lin >>> 12) & 0x1ff) * 8;
    pte = readEntry(c, pteAt);
    if ((pte & P) === 0) pageFault(c, lin, write, user, id);
    pteHi = readEntry(c, pteAt + 4);
    if ((pteHi & rsvdHigh) !== 0) pageFault(c, lin, write, user, PF_P | PF_RSVD | id);
    rights = pde & pte;
    xd = pdeHi | pteHi;
  }
  const noExec = nxe && (xd & XD_HIGH) !== 0;
  if (user && (rights & US) === 0) pageFault(c, lin, write, user, PF_P | id);
  if (write && (rights & RW) === 0 && (user || (c.cr0 & CR0_WP) !== 0)) {
    pageFault(c, lin, write, user, PF_P);
  }
  if (fetch && noExec) pageFault(c, lin, write, user, PF_P | id);
  // The access is allowed: mark the tables (the low dwords hold A and D).
  if (!big && (pde & ACCESSED) === 0) writeEntry(c, pdeAt, pde | ACCESSED);
  const want = ACCESSED | (write ? DIRTY_BIT : 0);
  if ((pte & want) !== want) writeEntry(c, pteAt, pte | want);
  // Bits 12-35 of the frame: 24-bit page numbers, the high dword's nibble on top.
  const page = big
    ? (pteHi & 0xf) * 0x100000 + ((pte >>> 21) << 9) + ((lin >>> 12) & 0x1ff)
    : (pteHi & 0xf) * 0x100000 + (pte >>> 12);
  fillWalked(c, lin, page, rights, write || (pte & DIRTY_BIT) !== 0, pte, noExec);
  return page * 4096 + (lin & 0xfff);
}

/** Caches what a walk found: the page, the rights of all levels, dirty, G (with PGE) and XD. */
function fillWalked(
  c: Cpu,
  lin: number,
  page: number,
  rights: number,
  dirty: boolean,
  leaf: number,
  noExec: boolean,
): void {
  c.tlb.fill(
    lin >>> 12,
    (page << PAGE_SHIFT) | VALID | (rights & RW ? WRITABLE : 0) | (rights & US ? USER : 0) |
      (dirty ? DIRTY : 0) | ramBits(c, page) | (noExec ? NO_EXEC : 0) |
      ((leaf & G) !== 0 && (c.cr4 & CR4_PGE) !== 0 ? GLOBAL : 0),
  );
}

/** Raises #PF for `lin`: CR2 and the error code (`bits`: P, RSVD, I/D; W and U from the access). */
function pageFault(c: Cpu, lin: number, write: boolean, user: boolean, bits: number): never {
  c.cr2 = lin >>> 0;
  throw new CpuFault(14, bits | (write ? PF_W : 0) | (user ? PF_U : 0));
}
