/**
 * Protected mode's memory path: segment checks (usable, type, limit with
 * expand-down), then linear to physical (identity, or the paging unit),
 * then physical memory. Accesses that cross a page are checked on both
 * pages before any byte is written, so a faulting store changes nothing.
 * Instruction fetch uses the same path with a one-page cache.
 *
 * @module
 */

import { type Cpu, CS, SS, Stop } from "./cpu.ts";
import { ABORT, FAST_READ, loadLittleEndian, storeLittleEndian } from "./memory.ts";
import {
  entryAddress,
  fastPhysical,
  fillIdentity,
  tlbRunnable,
  translate,
  translateFetch,
} from "./paging.ts";

/** Attribute byte offsets in `Cpu.attrs` (kvm_segment order: type present dpl db s l g avl unusable). */
const A_TYPE = 0, A_PRESENT = 1, A_DB = 3, A_UNUSABLE = 8;

/** Faults a data access through segment `s` (#SS for the stack, #GP otherwise, code 0). */
function segmentFault(c: Cpu, s: number): never {
  return c.fault(s === SS ? 12 : 13, 0);
}

/**
 * The linear address of s:off for `size` bytes, after the segment's checks:
 * the plain case by {@link fastLimit} (the rule translated code uses too),
 * then what it leaves out: faults for the wrong segment, and expand-down.
 */
export function checkedLinear(
  c: Cpu,
  s: number,
  off: number,
  size: number,
  write: boolean,
): number {
  const last = off + size - 1;
  const plain = fastLimit(c, s, write);
  if (plain >= 0) {
    if (last > plain) segmentFault(c, s);
    return (c.base[s] + off) >>> 0;
  }
  // Not a plain segment for this access: only expand-down data of the right kind passes.
  const a = s * 9;
  const attrs = c.attrs;
  const type = attrs[a + A_TYPE];
  if (attrs[a + A_UNUSABLE] !== 0 || attrs[a + A_PRESENT] === 0) segmentFault(c, s);
  if ((type & 0xc) !== 4 || (write && (type & 2) === 0)) segmentFault(c, s);
  // Expand-down data: valid offsets lie above the limit, up to 64 KiB or 4 GiB.
  const top = attrs[a + A_DB] !== 0 ? 0xffffffff : 0xffff;
  if (off <= c.limit[s] || last > top) segmentFault(c, s);
  return (c.base[s] + off) >>> 0;
}

/**
 * The physical address of a linear one (paging or identity with A20).
 * Without paging the identity is cached in the TLB too, for translated code.
 */
export function physical(c: Cpu, lin: number, write: boolean, user: boolean): number {
  if (c.pg) return translate(c, lin, write, user);
  const p = (lin & c.m.addrMask) >>> 0;
  if (c.tlb.entries[lin >>> 12] === 0) fillIdentity(c, lin >>> 12, p >>> 12);
  return p;
}

/** Reads `size` bytes at linear `lin`; `user` says whether CPL 3's page rights apply. */
export function linearRead(c: Cpu, lin: number, size: number, user: boolean): number {
  if (size === 1 || !c.pg || (lin & 0xfff) <= 0x1000 - size) {
    const p = physical(c, lin, false, user);
    return size === 1 ? c.m.rd8(p) : size === 2 ? c.m.rd16(p) : c.m.rd32(p);
  }
  // Across a page: the first page is translated first, so #PF names the right address.
  const p0 = physical(c, lin, false, user);
  const split = 0x1000 - (lin & 0xfff);
  const p1 = physical(c, (lin + split) >>> 0, false, user);
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + c.m.rd8(i < split ? p0 + i : p1 + i - split);
  return v;
}

/** Writes `size` bytes at linear `lin`. */
export function linearWrite(c: Cpu, lin: number, size: number, v: number, user: boolean): void {
  const m = c.m;
  if (size === 1 || !c.pg || (lin & 0xfff) <= 0x1000 - size) {
    const p = physical(c, lin, true, user);
    c.noteStore(p, size);
    if (size === 1) m.wr8(p, v);
    else if (size === 2) m.wr16(p, v);
    else m.wr32(p, v);
    return;
  }
  // Across a page: both translations first, so a fault on the second writes nothing.
  const p0 = physical(c, lin, true, user);
  const split = 0x1000 - (lin & 0xfff);
  const p1 = physical(c, (lin + split) >>> 0, true, user);
  for (let i = 0; i < size; i++) {
    const p = i < split ? p0 + i : p1 + i - split;
    c.noteStore(p, 1);
    m.wr8(p, (v >>> (i * 8)) & 0xff);
  }
}

/** A data read through segment `s` in protected mode. */
export function pmRead(c: Cpu, s: number, off: number, size: number): number {
  const lin = checkedLinear(c, s, off, size, false);
  const p = fastPhysical(c, lin, size, false);
  return p < 0 ? linearRead(c, lin, size, c.cpl === 3) : loadLittleEndian(c.m.flat, p, size);
}

/** A data write through segment `s` in protected mode. */
export function pmWrite(c: Cpu, s: number, off: number, size: number, v: number): void {
  const lin = checkedLinear(c, s, off, size, true);
  const p = fastPhysical(c, lin, size, true);
  if (p < 0) return linearWrite(c, lin, size, v, c.cpl === 3);
  c.noteStore(p, size);
  storeLittleEndian(c.m.flat, p, size, v);
}

/** Checks that a write of `size` bytes at s:off could be done (segment and paging faults), writing nothing. */
export function probeWrite(c: Cpu, s: number, off: number, size: number): void {
  physical(c, checkedLinear(c, s, off, size, true), true, c.cpl === 3);
}

/**
 * Fetches the instruction byte at CS:ip (ip is the address before the
 * caller's 16-bit increment; 32-bit code segments move EIP here).
 */
export function pmFetch(c: Cpu, ip: number): number {
  if (ip > c.limit[CS]) c.fault(13, 0);
  const lin = (c.csBase + ip) >>> 0;
  if (c.def32) c.ip = ip === 0xffffffff ? 0 : ip + 1;
  // With paging the fetch has its own walk: XD pages refuse it (#PF with I/D).
  const p = c.pg ? translateFetch(c, lin, c.cpl === 3) : physical(c, lin, false, false);
  const page = p - (p & 0xfff);
  if ((c.m.fastKind[page / 4096] & FAST_READ) !== 0) {
    // The page is RAM in `flat`: later bytes of it are read straight from there.
    c.fetchPage = lin >>> 12;
    c.fetchHost = page;
    return c.m.flat[p];
  }
  if (!c.m.isRam(p)) {
    c.stop = Stop.FETCH_OUTSIDE_RAM;
    c.fetchAddress = p;
    throw ABORT;
  }
  return c.m.rd8(p);
}

/**
 * The highest offset translated code may access through segment `s`
 * without the checks of {@link checkedLinear} (which the slow path then
 * makes), or -1 when every access must take that path: an unusable or
 * absent segment, the wrong type for the access, or expand-down.
 */
export function fastLimit(c: Cpu, s: number, write: boolean): number {
  const a = s * 9;
  const attrs = c.attrs;
  if (attrs[a + A_UNUSABLE] !== 0 || attrs[a + A_PRESENT] === 0) return -1;
  const type = attrs[a + A_TYPE];
  if ((type & 8) !== 0) return write || (type & 2) === 0 ? -1 : c.limit[s];
  if ((type & 4) !== 0 || (write && (type & 2) === 0)) return -1;
  return c.limit[s];
}

/** Sets `Cpu.fastLimR/W` from the segment caches (before translated code runs). */
export function setFastLimits(c: Cpu): void {
  for (let s = 0; s < 6; s++) {
    c.fastLimR[s] = fastLimit(c, s, false);
    c.fastLimW[s] = fastLimit(c, s, true);
  }
}

/**
 * The physical address of the instruction at CS:EIP when translated code
 * may run from it (its page is in the TLB with the rights of the CPL, is
 * RAM in `flat` and not XD), else -1; the interpreter's fetch fills the TLB
 * (or faults).
 */
export function codeAddress(c: Cpu): number {
  if (c.ip > c.limit[CS]) return -1;
  const lin = (c.csBase + c.ip) >>> 0;
  const e = c.tlb.entries[lin >>> 12];
  if (!tlbRunnable(e, c.cpl === 3)) return -1;
  return entryAddress(e, lin);
}
