/**
 * The paging unit of the software CPU: a TLB indexed by linear page and the
 * two-level 32-bit page walk (4 KiB pages, and 4 MiB pages with CR4.PSE)
 * that fills it. Translations are only cached once the walk has set the
 * accessed bits, and a write hits the TLB only once the dirty bit is set, so
 * the guest's page tables always show what it touched. PAE and NX are not
 * implemented (CR4.PAE is refused where it is written).
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

/** TLB entry bits below the physical page number (which sits at bit 8 and up). */
const VALID = 1, WRITABLE = 2, USER = 4, DIRTY = 8, RAM_READ = 16, RAM_WRITE = 32;
/** Where the physical page number starts in an entry (translated code reads entries too). */
export const TLB_PAGE_SHIFT = 8;
const PAGE_SHIFT = TLB_PAGE_SHIFT;
/** TLB entry bits for the code that reads entries itself: CPL 3 may use the page; it is RAM. */
export const TLB_USER = USER, TLB_RAM_READ = RAM_READ;

/**
 * The TLB entry bits an access needs for the fast path of translated code,
 * by kind: a read at CPL 0-2, a write there with and without CR0.WP, and the
 * same at CPL 3; both need the page to be RAM in `flat`. A write needs the
 * dirty bit already set (else the walk sets it).
 */
export function tlbRights(cpl: number, wp: boolean): { read: number; write: number } {
  const read = RAM_READ | VALID, write = RAM_WRITE | VALID | DIRTY;
  if (cpl === 3) return { read: read | USER, write: write | WRITABLE | USER };
  return { read, write: wp ? write | WRITABLE : write };
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
/** Page-table entry bits. */
const P = 1, RW = 2, US = 4, ACCESSED = 0x20, DIRTY_BIT = 0x40, PS = 0x80;
/** CR0.WP and CR4.PSE. */
const CR0_WP = 1 << 16, CR4_PSE = 1 << 4;

/** Cached translations, one slot per 4 KiB linear page, and the list of filled slots. */
export class Tlb {
  /** 0 empty, else physical page << 8 | VALID | WRITABLE | USER | DIRTY | RAM_READ | RAM_WRITE. */
  readonly entries: Int32Array = new Int32Array(1 << 20);
  /** Filled slots, so a flush costs what was filled, not 4 MiB of zeroes. */
  #filled: number[] = [];

  /** Drops every translation (CR3 and CR0/CR4 writes, mode changes). */
  flush(): void {
    const e = this.entries;
    for (const i of this.#filled) e[i] = 0;
    this.#filled = [];
  }
  /** Drops the translation of one linear page (INVLPG). */
  flushPage(lin: number): void {
    this.entries[lin >>> 12] = 0;
  }
  /** Caches a translation. */
  fill(page: number, entry: number): void {
    if (this.entries[page] === 0) this.#filled.push(page);
    this.entries[page] = entry;
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
  return walk(c, lin >>> 0, write, user);
}

/** Reads a page-table entry (tables live in physical memory, A20 applies). */
function readEntry(c: Cpu, at: number): number {
  return c.m.rd32((at & c.m.addrMask) >>> 0);
}
function writeEntry(c: Cpu, at: number, v: number): void {
  const p = (at & c.m.addrMask) >>> 0;
  c.noteStore(p, 4);
  c.m.wr32(p, v >>> 0);
}

/** Walks the page tables for `lin`, sets accessed/dirty bits and fills the TLB. */
export function walk(c: Cpu, lin: number, write: boolean, user: boolean): number {
  const pdeAt = (c.cr3 & 0xfffff000) + (lin >>> 22) * 4;
  const pde = readEntry(c, pdeAt);
  if ((pde & P) === 0) pageFault(c, lin, false, write, user);
  const big = (pde & PS) !== 0 && (c.cr4 & CR4_PSE) !== 0;
  let pte = pde, pteAt = pdeAt, rights = pde;
  if (!big) {
    pteAt = (pde & 0xfffff000) + ((lin >>> 12) & 0x3ff) * 4;
    pte = readEntry(c, pteAt);
    if ((pte & P) === 0) pageFault(c, lin, false, write, user);
    rights = pde & pte;
  }
  if (user && (rights & US) === 0) pageFault(c, lin, true, write, user);
  if (write && (rights & RW) === 0 && (user || (c.cr0 & CR0_WP) !== 0)) {
    pageFault(c, lin, true, write, user);
  }
  // The access is allowed: mark the tables as the hardware does.
  if (!big && (pde & ACCESSED) === 0) writeEntry(c, pdeAt, pde | ACCESSED);
  const want = ACCESSED | (write ? DIRTY_BIT : 0);
  if ((pte & want) !== want) writeEntry(c, pteAt, pte | want);
  const frame = big ? (pte & 0xffc00000) + (lin & 0x3ff000) : pte & 0xfffff000;
  const page = (frame >>> 12) & 0xfffff;
  c.tlb.fill(
    lin >>> 12,
    (page << PAGE_SHIFT) | VALID | (rights & RW ? WRITABLE : 0) | (rights & US ? USER : 0) |
      (write || (pte & DIRTY_BIT) !== 0 ? DIRTY : 0) | ramBits(c, page),
  );
  return page * 4096 + (lin & 0xfff);
}

/** Raises #PF for `lin`: CR2 and the error code (present, write, user). */
function pageFault(c: Cpu, lin: number, present: boolean, write: boolean, user: boolean): never {
  c.cr2 = lin >>> 0;
  throw new CpuFault(14, (present ? 1 : 0) | (write ? 2 : 0) | (user ? 4 : 0));
}
