/**
 * Protected mode's control transfers and segment loads: descriptors from
 * the GDT/LDT with their checks, far JMP/CALL (code segments and call
 * gates, the TSS stack switch for calls to inner levels), far RET and IRET
 * to the same and outer levels, and interrupt and exception delivery
 * through the IDT (32- and 16-bit interrupt and trap gates, error codes,
 * double fault, shutdown), from protected and from virtual-8086 mode (IRET
 * returns there from CPL 0). Everything is checked before anything is
 * committed, so a fault restarts the instruction exactly. Task switches
 * (TSSs, task gates, IRET with NT) are in tasks.ts.
 *
 * @module
 */

import { type Cpu, CpuFault, CS, DS, ECX, EDX, ES, ESP, FS, GS, SS, Stop } from "./cpu.ts";
import { IF, NT, RF, TF, VM } from "./flags.ts";
import { updateMode } from "./mode.ts";
import { linearRead, linearWrite } from "./pmem.ts";
import { farToTask, interruptTask, taskReturn, TaskVia } from "./tasks.ts";
import { enterV86 } from "./v86.ts";

/** Error-code bit for events not caused by the program (exceptions and external interrupts). */
export const EXT = 1;
/** Vectors whose exceptions push an error code. */
const HAS_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);
/** Contributory exceptions (a second one during delivery is a double fault). */
const CONTRIBUTORY = new Set([0, 10, 11, 12, 13]);

// --- descriptors ------------------------------------------------------------

/** A descriptor as read: its two dwords and where it lives (linear). */
export interface Descriptor {
  lo: number;
  hi: number;
  at: number;
}

/** Base of a segment descriptor. */
export function descBase(d: Descriptor): number {
  return ((d.lo >>> 16) | ((d.hi & 0xff) << 16) | (d.hi & 0xff000000)) >>> 0;
}
/** Limit in bytes (granularity applied). */
export function descLimit(d: Descriptor): number {
  const raw = (d.lo & 0xffff) | (d.hi & 0xf0000);
  return (d.hi & 0x800000) !== 0 ? ((raw << 12) | 0xfff) >>> 0 : raw;
}
/** Type nibble (with the S bit as bit 4: 0x10 | type for code/data). */
export function descType(d: Descriptor): number {
  return (d.hi >> 8) & 0x1f;
}
/** DPL. */
export function descDpl(d: Descriptor): number {
  return (d.hi >> 13) & 3;
}
/** Present bit. */
export function descPresent(d: Descriptor): boolean {
  return (d.hi & 0x8000) !== 0;
}

/** kvm_segment layout of TR (bytes 0..23 of `trLdt`) and LDTR (24..47). */
export const TR = 0, LDTR = 24;
const SEG_BASE = 0, SEG_LIMIT = 8, SEG_SELECTOR = 12, SEG_PRESENT = 15;
/** Offset of the type byte in TR's or LDTR's part of `trLdt`. */
export const SEG_TYPE = 14;
const SEG_UNUSABLE = 22;

function sysView(c: Cpu): DataView {
  return new DataView(c.trLdt.buffer, c.trLdt.byteOffset, 48);
}
/** Base, limit and selector of TR or LDTR. */
export function sysBase(c: Cpu, which: number): number {
  return sysView(c).getUint32(which + SEG_BASE, true);
}
export function sysLimit(c: Cpu, which: number): number {
  return sysView(c).getUint32(which + SEG_LIMIT, true);
}
export function sysUsable(c: Cpu, which: number): boolean {
  return c.trLdt[which + SEG_UNUSABLE] === 0 && c.trLdt[which + SEG_PRESENT] !== 0;
}
/** The selector in TR or LDTR. */
export function sysSelector(c: Cpu, which: "tr" | "ldtr"): number {
  return sysView(c).getUint16((which === "tr" ? TR : LDTR) + SEG_SELECTOR, true);
}
/** Loads TR or LDTR's cache from a descriptor (null: unusable). */
export function sysLoad(c: Cpu, which: number, sel: number, d: Descriptor | null): void {
  const v = sysView(c);
  c.trLdt.fill(0, which, which + 24);
  v.setUint16(which + SEG_SELECTOR, sel, true);
  if (d === null) {
    c.trLdt[which + SEG_UNUSABLE] = 1;
    return;
  }
  v.setUint32(which + SEG_BASE, descBase(d), true);
  v.setUint32(which + SEG_LIMIT, descLimit(d), true);
  const b = c.trLdt;
  b[which + SEG_TYPE] = d.hi >> 8 & 0xf;
  b[which + SEG_PRESENT] = 1;
  b[which + 16] = descDpl(d);
  b[which + 17] = (d.hi >> 22) & 1;
  b[which + 18] = 0;
  b[which + 20] = (d.hi >> 23) & 1;
  b[which + 21] = (d.hi >> 20) & 1;
}

/**
 * Reads the descriptor `sel` names; `vector` (#GP, or #TS for stack
 * switches) with the selector as error code when it lies beyond its table.
 */
export function readDescriptor(c: Cpu, sel: number, vector = 13, ext = 0): Descriptor {
  const index = sel & 0xfff8;
  let base: number, limit: number;
  if ((sel & 4) !== 0) {
    if (!sysUsable(c, LDTR)) c.fault(vector, (sel & 0xfffc) | ext);
    base = sysBase(c, LDTR);
    limit = sysLimit(c, LDTR);
  } else {
    base = c.gdtBase;
    limit = c.gdtLimit;
  }
  if (index + 7 > limit) c.fault(vector, (sel & 0xfffc) | ext);
  const at = (base + index) >>> 0;
  return { lo: linearRead(c, at, 4, false), hi: linearRead(c, (at + 4) >>> 0, 4, false), at };
}

/** Sets the accessed bit of a code/data descriptor, as loading it does. */
export function markAccessed(c: Cpu, d: Descriptor): void {
  if ((d.hi & 0x100) === 0) {
    d.hi = (d.hi | 0x100) >>> 0;
    linearWrite(c, (d.at + 4) >>> 0, 4, d.hi, false);
  }
}

/** Fills segment register `s`'s cache from a descriptor. */
export function commitSegment(c: Cpu, s: number, sel: number, d: Descriptor): void {
  c.sel[s] = sel;
  c.base[s] = descBase(d);
  c.limit[s] = descLimit(d);
  const a = s * 9, hi = d.hi;
  c.attrs.set([
    (hi >> 8) & 0xf,
    (hi >> 15) & 1,
    (hi >> 13) & 3,
    (hi >> 22) & 1,
    (hi >> 12) & 1,
    (hi >> 21) & 1,
    (hi >> 23) & 1,
    (hi >> 20) & 1,
    0,
  ], a);
  if (s === CS) c.csBase = c.base[CS];
}

/** Loads a null selector into a data segment register (unusable until loaded again). */
export function loadNull(c: Cpu, s: number, sel: number): void {
  c.sel[s] = sel;
  c.base[s] = 0;
  c.limit[s] = 0;
  c.attrs.fill(0, s * 9, s * 9 + 9);
  c.attrs[s * 9 + 8] = 1;
}

/** MOV/POP/LxS to a data segment register or SS in protected mode, with all checks. */
export function loadSegment(c: Cpu, s: number, sel: number): void {
  sel &= 0xffff;
  if (s === CS) c.fault(6); // CS is loaded only by far transfers
  if ((sel & 0xfffc) === 0) {
    if (s === SS) c.fault(13, 0);
    return loadNull(c, s, sel);
  }
  const d = readDescriptor(c, sel);
  const type = descType(d), dpl = descDpl(d), rpl = sel & 3, err = sel & 0xfffc;
  if (s === SS) {
    // A writable data segment at exactly CPL.
    if (rpl !== c.cpl || (type & 0x1a) !== 0x12 || dpl !== c.cpl) c.fault(13, err);
    if (!descPresent(d)) c.fault(12, err);
  } else {
    // Data, or readable code; DPL must admit both CPL and RPL unless conforming code.
    if ((type & 0x10) === 0 || (type & 0x1a) === 0x18) c.fault(13, err);
    const conforming = (type & 0x1c) === 0x1c;
    if (!conforming && (rpl > dpl || c.cpl > dpl)) c.fault(13, err);
    if (!descPresent(d)) c.fault(11, err);
  }
  markAccessed(c, d);
  commitSegment(c, s, sel, d);
  if (s === SS) updateMode(c);
}

// --- control transfers ---------------------------------------------------------

/** Checks a code segment as the target of a direct far JMP/CALL or a return to `rpl`. */
function checkCodeTarget(c: Cpu, sel: number, d: Descriptor, cpl: number): void {
  const type = descType(d), dpl = descDpl(d), err = sel & 0xfffc;
  if ((type & 0x18) !== 0x18) c.fault(13, err);
  if ((type & 4) !== 0 ? dpl > cpl : dpl !== cpl) c.fault(13, err);
  if (!descPresent(d)) c.fault(11, err);
}

/** Commits CS (with RPL = the new CPL) and EIP, and re-derives the mode. */
function commitCode(c: Cpu, sel: number, d: Descriptor, cpl: number, ip: number): void {
  markAccessed(c, d);
  commitSegment(c, CS, (sel & 0xfffc) | cpl, d);
  c.cpl = cpl;
  c.ip = ip;
  updateMode(c);
}

/** A stack being built before it is committed: SS cache values and the pointer. */
export interface Stack {
  base: number;
  limit: number;
  big: boolean;
  sp: number;
}

export function stackPush(c: Cpu, st: Stack, size: number, v: number, errSel: number): void {
  const sp = st.big ? (st.sp - size) >>> 0 : (st.sp - size) & 0xffff;
  if (sp + size - 1 > st.limit) c.fault(12, errSel);
  linearWrite(c, (st.base + sp) >>> 0, size, v, false);
  st.sp = sp;
}

/** The inner stack for level `dpl` from the TSS, checked (#TS, #SS) but not yet loaded. */
function innerStack(c: Cpu, dpl: number, ext: number): { sel: number; d: Descriptor; st: Stack } {
  if (!sysUsable(c, TR)) c.fault(10, ext);
  const trType = c.trLdt[TR + SEG_TYPE] & 0xf;
  const big = trType === 9 || trType === 0xb;
  const at = big ? 4 + dpl * 8 : 2 + dpl * 4;
  const trSel = sysSelector(c, "tr") & 0xfffc;
  if (at + (big ? 5 : 3) > sysLimit(c, TR)) c.fault(10, trSel | ext);
  const base = sysBase(c, TR);
  const sp = linearRead(c, (base + at) >>> 0, big ? 4 : 2, false);
  const sel = linearRead(c, (base + at + (big ? 4 : 2)) >>> 0, 2, false);
  if ((sel & 0xfffc) === 0) c.fault(10, ext);
  const d = readDescriptor(c, sel, 10, ext);
  const err = (sel & 0xfffc) | ext;
  if ((sel & 3) !== dpl || descDpl(d) !== dpl || (descType(d) & 0x1a) !== 0x12) c.fault(10, err);
  if (!descPresent(d)) c.fault(12, err);
  return {
    sel,
    d,
    st: { base: descBase(d), limit: descLimit(d), big: (d.hi & 0x400000) !== 0, sp },
  };
}

/** Switches to a checked stack: SS and ESP (a 16-bit stack keeps ESP's upper half). */
function commitStack(c: Cpu, sel: number, d: Descriptor, st: Stack): void {
  markAccessed(c, d);
  commitSegment(c, SS, sel, d);
  if (st.big) c.r32[ESP] = st.sp;
  else c.r32[ESP] = ((c.r32[ESP] & 0xffff0000) | st.sp) >>> 0;
}

/** The current stack as a {@link Stack}. */
export function currentStack(c: Cpu): Stack {
  return { base: c.base[SS], limit: c.limit[SS], big: c.ss32, sp: c.getSp() };
}

/** TSS (available) and task gate types: far JMP/CALL to them switch tasks. */
function isTaskTarget(type: number): boolean {
  return type === 1 || type === 9 || type === 5;
}

/** Far JMP in protected mode: to a code segment, through a call gate, or to a task. */
export function farJump(c: Cpu, sel: number, off: number, wsize: number): void {
  if ((sel & 0xfffc) === 0) c.fault(13, 0);
  const d = readDescriptor(c, sel);
  const type = descType(d);
  if ((type & 0x10) !== 0) {
    checkCodeTarget(c, sel, d, c.cpl);
    if ((sel & 3) > c.cpl && (type & 4) === 0) c.fault(13, sel & 0xfffc);
    const ip = wsize === 2 ? off & 0xffff : off >>> 0;
    if (ip > descLimit(d)) c.fault(13, 0);
    return commitCode(c, sel, d, c.cpl, ip);
  }
  if (isTaskTarget(type)) return farToTask(c, sel, d, TaskVia.JMP);
  const g = gateTarget(c, sel, d);
  const tType = descType(g.d);
  if ((tType & 4) === 0 && descDpl(g.d) !== c.cpl) c.fault(13, g.sel & 0xfffc);
  commitCode(c, g.sel, g.d, c.cpl, g.off);
}

/** Follows a call gate to its code segment (checked; the offset against its limit). */
function gateTarget(c: Cpu, sel: number, gate: Descriptor) {
  const type = descType(gate);
  if (type !== 4 && type !== 0xc) c.fault(13, sel & 0xfffc); // busy TSSs and the rest
  if (descDpl(gate) < Math.max(c.cpl, sel & 3)) c.fault(13, sel & 0xfffc);
  if (!descPresent(gate)) c.fault(11, sel & 0xfffc);
  const tsel = gate.lo >>> 16;
  const off = type === 0xc ? ((gate.hi & 0xffff0000) | (gate.lo & 0xffff)) >>> 0 : gate.lo & 0xffff;
  if ((tsel & 0xfffc) === 0) c.fault(13, 0);
  const d = readDescriptor(c, tsel);
  const tType = descType(d);
  if ((tType & 0x18) !== 0x18 || descDpl(d) > c.cpl) c.fault(13, tsel & 0xfffc);
  if (!descPresent(d)) c.fault(11, tsel & 0xfffc);
  if (off > descLimit(d)) c.fault(13, 0);
  return { sel: tsel, d, off, size: type === 0xc ? 4 : 2, params: gate.hi & 0x1f };
}

/** Far CALL in protected mode: same level, through a call gate (to an inner level), or to a task. */
export function pmFarCall(c: Cpu, sel: number, off: number, wsize: number): void {
  if ((sel & 0xfffc) === 0) c.fault(13, 0);
  const d = readDescriptor(c, sel);
  if ((descType(d) & 0x10) !== 0) {
    checkCodeTarget(c, sel, d, c.cpl);
    if ((sel & 3) > c.cpl && (descType(d) & 4) === 0) c.fault(13, sel & 0xfffc);
    const ip = wsize === 2 ? off & 0xffff : off >>> 0;
    if (ip > descLimit(d)) c.fault(13, 0);
    const st = currentStack(c);
    stackPush(c, st, wsize, c.sel[CS], 0);
    stackPush(c, st, wsize, c.ip, 0);
    c.setSp(st.sp);
    return commitCode(c, sel, d, c.cpl, ip);
  }
  if (isTaskTarget(descType(d))) return farToTask(c, sel, d, TaskVia.CALL);
  const g = gateTarget(c, sel, d);
  const dpl = descDpl(g.d);
  if ((descType(g.d) & 4) === 0 && dpl < c.cpl) {
    // To an inner level: the TSS's stack, the caller's SS:ESP and parameters on it.
    const inner = innerStack(c, dpl, 0);
    const st = inner.st;
    const old = currentStack(c);
    stackPush(c, st, g.size, c.sel[SS], inner.sel & 0xfffc);
    stackPush(c, st, g.size, c.r32[ESP], inner.sel & 0xfffc);
    for (let i = g.params - 1; i >= 0; i--) {
      const at = old.big ? (old.sp + i * g.size) >>> 0 : (old.sp + i * g.size) & 0xffff;
      stackPush(c, st, g.size, linearRead(c, (old.base + at) >>> 0, g.size, false), 0);
    }
    stackPush(c, st, g.size, c.sel[CS], inner.sel & 0xfffc);
    stackPush(c, st, g.size, c.ip, inner.sel & 0xfffc);
    commitStack(c, inner.sel, inner.d, st);
    return commitCode(c, g.sel, g.d, dpl, g.off);
  }
  const st = currentStack(c);
  stackPush(c, st, g.size, c.sel[CS], 0);
  stackPush(c, st, g.size, c.ip, 0);
  c.setSp(st.sp);
  commitCode(c, g.sel, g.d, c.cpl, g.off);
}

/** After a return to an outer level: data segments the new level may not use become null. */
function dropInnerSegments(c: Cpu): void {
  for (const s of [ES, DS, FS, GS]) {
    const a = s * 9;
    if (c.attrs[a + 8] !== 0) continue;
    const type = c.attrs[a] | 0x10;
    const conformingCode = (type & 0x1c) === 0x1c;
    if (!conformingCode && c.attrs[a + 2] < c.cpl) loadNull(c, s, 0);
  }
}

/**
 * The part of RETF and IRET after CS:EIP (and EFLAGS) were read from the
 * stack at `st`: checks CS, pops the outer SS:ESP when returning outwards,
 * then commits. `flags` is applied (with the CPL rules) before CPL changes.
 */
function farReturn(
  c: Cpu,
  st: Stack,
  size: number,
  cs: number,
  ip: number,
  n: number,
  flags: number,
): void {
  if ((cs & 0xfffc) === 0) c.fault(13, 0);
  const rpl = cs & 3;
  if (rpl < c.cpl) c.fault(13, cs & 0xfffc);
  const d = readDescriptor(c, cs);
  checkCodeTarget(c, cs, d, rpl);
  if ((descType(d) & 4) === 0 && descDpl(d) !== rpl) c.fault(13, cs & 0xfffc);
  const target = size === 2 ? ip & 0xffff : ip >>> 0;
  if (target > descLimit(d)) c.fault(13, 0);
  st.sp = st.big ? (st.sp + n) >>> 0 : (st.sp + n) & 0xffff;
  if (rpl === c.cpl) {
    if (flags >= 0) c.writeFlags(flags, size === 4);
    c.setSp(st.sp);
    return commitCode(c, cs, d, rpl, target);
  }
  // Outwards: the outer stack pointer and SS follow on the stack.
  const esp = stackPop(c, st, size);
  const ss = stackPop(c, st, size) & 0xffff;
  if ((ss & 0xfffc) === 0) c.fault(13, 0);
  const sd = readDescriptor(c, ss);
  if ((ss & 3) !== rpl || descDpl(sd) !== rpl || (descType(sd) & 0x1a) !== 0x12) {
    c.fault(13, ss & 0xfffc);
  }
  if (!descPresent(sd)) c.fault(12, ss & 0xfffc);
  if (flags >= 0) c.writeFlags(flags, size === 4);
  const big = (sd.hi & 0x400000) !== 0;
  const sp = big ? (esp + n) >>> 0 : (esp + n) & 0xffff;
  const outer: Stack = { base: descBase(sd), limit: descLimit(sd), big, sp };
  commitStack(c, ss, sd, outer);
  commitCode(c, cs, d, rpl, target);
  dropInnerSegments(c);
}

function stackPop(c: Cpu, st: Stack, size: number): number {
  if (st.sp + size - 1 > st.limit && st.limit !== 0xffffffff) c.fault(12, 0);
  const v = linearRead(c, (st.base + st.sp) >>> 0, size, c.cpl === 3);
  st.sp = st.big ? (st.sp + size) >>> 0 : (st.sp + size) & 0xffff;
  return v;
}

/** RETF (with `n` bytes of parameters to drop) in protected mode. */
export function pmRetf(c: Cpu, size: number, n: number): void {
  const st = currentStack(c);
  const ip = stackPop(c, st, size);
  const cs = stackPop(c, st, size) & 0xffff;
  farReturn(c, st, size, cs, ip, n, -1);
}

/** IRET in protected mode: to the same or an outer level, to virtual-8086 mode, or (NT) to a task. */
export function pmIret(c: Cpu, size: number): void {
  if ((c.rawFlags & NT) !== 0) return taskReturn(c);
  const st = currentStack(c);
  const ip = stackPop(c, st, size);
  const cs = stackPop(c, st, size) & 0xffff;
  let flags = stackPop(c, st, size);
  if (size === 4 && (flags & VM) !== 0 && c.cpl === 0) return iretToV86(c, st, ip, cs, flags);
  if (size === 2) flags = (c.readFlags() & 0xffff0000) | flags;
  farReturn(c, st, size, cs, ip, 0, flags >>> 0);
}

/**
 * IRET from CPL 0 to virtual-8086 mode: after EIP, CS and EFLAGS, the
 * frame holds ESP, SS, ES, DS, FS, GS (dwords), all read before any is loaded.
 */
function iretToV86(c: Cpu, st: Stack, ip: number, cs: number, flags: number): void {
  const esp = stackPop(c, st, 4);
  const segs = [0, cs, 0, 0, 0, 0];
  for (const s of [SS, ES, DS, FS, GS]) segs[s] = stackPop(c, st, 4) & 0xffff;
  c.writeFlags(flags, true);
  c.r32[ESP] = esp;
  c.ip = ip;
  enterV86(c, segs);
}

// --- interrupts -------------------------------------------------------------------

/**
 * Delivers vector `v` through the IDT. `code` is the error code to push
 * (-1: none); `soft` for INT n/INT3/INTO (the gate's DPL must admit CPL).
 * From virtual-8086 mode only a gate to a nonconforming code segment of
 * DPL 0 will do: the frame on its TSS stack also holds GS, FS, DS and ES,
 * which are then nulled.
 */
export function pmDeliver(c: Cpu, v: number, code: number, soft: boolean): void {
  const ext = soft ? 0 : EXT;
  const idx = v * 8;
  const err = idx + 2 + ext;
  if (idx + 7 > c.idtLimit) c.fault(13, err);
  const at = (c.idtBase + idx) >>> 0;
  const lo = linearRead(c, at, 4, false), hi = linearRead(c, (at + 4) >>> 0, 4, false);
  const type = (hi >> 8) & 0x1f;
  const size = type === 0xe || type === 0xf ? 4 : type === 6 || type === 7 ? 2 : 0;
  if (size === 0 && type !== 5) c.fault(13, err);
  if (soft && ((hi >> 13) & 3) < c.cpl) c.fault(13, idx + 2);
  if ((hi & 0x8000) === 0) c.fault(11, err);
  const sel = lo >>> 16;
  if (type === 5) return interruptTask(c, sel, code, ext);
  const off = size === 4 ? ((hi & 0xffff0000) | (lo & 0xffff)) >>> 0 : lo & 0xffff;
  if ((sel & 0xfffc) === 0) c.fault(13, ext);
  const d = readDescriptor(c, sel, 13, ext);
  const dpl = descDpl(d);
  if ((descType(d) & 0x18) !== 0x18 || dpl > c.cpl) c.fault(13, (sel & 0xfffc) | ext);
  if (!descPresent(d)) c.fault(11, (sel & 0xfffc) | ext);
  const inward = (descType(d) & 4) === 0 && dpl < c.cpl;
  if (c.vm && (!inward || dpl !== 0)) c.fault(13, (sel & 0xfffc) | ext);
  if (off > descLimit(d)) c.fault(13, ext);
  const flags = c.readFlags();
  let cpl = c.cpl;
  if (inward) {
    const inner = innerStack(c, dpl, ext);
    const st = inner.st, e = (inner.sel & 0xfffc) | ext;
    if (c.vm) { for (const s of [GS, FS, DS, ES]) stackPush(c, st, size, c.sel[s], e); }
    stackPush(c, st, size, c.sel[SS], e);
    stackPush(c, st, size, c.r32[ESP], e);
    stackPush(c, st, size, flags, e);
    stackPush(c, st, size, c.sel[CS], e);
    stackPush(c, st, size, c.ip, e);
    if (code >= 0) stackPush(c, st, size, code, e);
    if (c.vm) { for (const s of [GS, FS, DS, ES]) loadNull(c, s, 0); }
    commitStack(c, inner.sel, inner.d, st);
    cpl = dpl;
  } else {
    const st = currentStack(c);
    stackPush(c, st, size, flags, ext);
    stackPush(c, st, size, c.sel[CS], ext);
    stackPush(c, st, size, c.ip, ext);
    if (code >= 0) stackPush(c, st, size, code, ext);
    c.setSp(st.sp);
  }
  c.flags = c.flags & ~(TF | NT | RF | VM | ((type & 1) === 0 ? IF : 0));
  commitCode(c, sel, d, cpl, off);
}

/**
 * Delivers an exception (`external`: an interrupt from the PIC, which
 * pushes no error code). A fault during delivery is delivered in turn, or
 * becomes a double fault by the classes of the two; one during the double
 * fault shuts the CPU down, as KVM reports it.
 */
export function pmException(c: Cpu, v: number, code: number, external = false): void {
  const esp = c.r32[ESP], switches = c.taskSwitches;
  try {
    pmDeliver(c, v, !external && HAS_CODE.has(v) ? Math.max(code, 0) : -1, false);
  } catch (e) {
    if (!(e instanceof CpuFault)) throw e;
    // A fault after a task switch's commit point belongs to the new task (its ESP stays).
    if (c.taskSwitches === switches) c.r32[ESP] = esp;
    if (v === 8 && !external) {
      c.stop = Stop.SHUTDOWN;
      return;
    }
    const second = e.vector;
    const double = !external &&
      ((CONTRIBUTORY.has(v) && CONTRIBUTORY.has(second)) ||
        (v === 14 && (CONTRIBUTORY.has(second) || second === 14)));
    if (double) return pmException(c, 8, 0);
    return pmException(c, second, e.code);
  }
}

// --- instructions ---------------------------------------------------------------

/** #GP(0) unless CPL is 0. */
export function privileged(c: Cpu): void {
  if (c.cpl !== 0) c.fault(13, 0);
}
/** #GP(0) when CPL is above IOPL (CLI, STI; IN and OUT also ask the I/O bitmap: tasks.ts). */
export function ioPrivileged(c: Cpu): void {
  if (c.cpl > ((c.rawFlags >> 12) & 3)) c.fault(13, 0);
}

/** ARPL r/m16, r16: raises the RPL of the destination to the source's. */
export function arpl(c: Cpu): void {
  c.modrm();
  const dst = c.readRM(2);
  const src = c.getReg(2, c.reg);
  const ZF = 0x40;
  if ((dst & 3) < (src & 3)) {
    c.writeRM(2, (dst & ~3) | (src & 3));
    c.flags |= ZF;
  } else c.flags &= ~ZF;
}

/** 0F 00: SLDT STR LLDT LTR VERR VERW (#UD outside protected mode). */
export function system00(c: Cpu): void {
  c.modrm();
  const reg = c.reg;
  if (!c.pmode || reg > 5) return c.fault(6);
  if (reg === 0 || reg === 1) {
    const v = sysSelector(c, reg === 0 ? "ldtr" : "tr");
    if (c.mod === 3) c.setReg(c.o32 ? 4 : 2, c.rm, v);
    else c.write16(c.eaSeg, c.eaOff, v);
    return;
  }
  const sel = c.readRM(2);
  if (reg === 2 || reg === 3) {
    privileged(c);
    if (reg === 2) {
      if ((sel & 0xfffc) === 0) return sysLoad(c, LDTR, sel, null);
      if ((sel & 4) !== 0) c.fault(13, sel & 0xfffc);
      const d = readDescriptor(c, sel);
      if (descType(d) !== 2) c.fault(13, sel & 0xfffc);
      if (!descPresent(d)) c.fault(11, sel & 0xfffc);
      return sysLoad(c, LDTR, sel, d);
    }
    if ((sel & 0xfffc) === 0 || (sel & 4) !== 0) c.fault(13, sel & 0xfffc);
    const d = readDescriptor(c, sel);
    const type = descType(d);
    if (type !== 1 && type !== 9) c.fault(13, sel & 0xfffc); // an available TSS
    if (!descPresent(d)) c.fault(11, sel & 0xfffc);
    d.hi = (d.hi | 0x200) >>> 0; // busy
    linearWrite(c, (d.at + 4) >>> 0, 4, d.hi, false);
    return sysLoad(c, TR, sel, d);
  }
  // VERR / VERW: ZF says whether the segment could be read / written at CPL and RPL.
  const d = visible(c, sel);
  let ok = false;
  if (d !== null && (descType(d) & 0x10) !== 0) {
    const type = descType(d);
    ok = reg === 4 ? (type & 0x18) !== 0x18 || (type & 2) !== 0 : (type & 0x1a) === 0x12;
  }
  setZf(c, ok);
}

function setZf(c: Cpu, on: boolean): void {
  c.flags = on ? c.flags | 0x40 : c.flags & ~0x40;
}

/** The descriptor of `sel` if it exists and CPL/RPL may see it (LAR/LSL/VERR/VERW), else null. */
function visible(c: Cpu, sel: number): Descriptor | null {
  if ((sel & 0xfffc) === 0) return null;
  const limit = (sel & 4) !== 0 ? (sysUsable(c, LDTR) ? sysLimit(c, LDTR) : -1) : c.gdtLimit;
  if ((sel & 0xfff8) + 7 > limit) return null;
  const d = readDescriptor(c, sel);
  const type = descType(d);
  const conformingCode = (type & 0x1c) === 0x1c;
  if (!conformingCode && (descDpl(d) < c.cpl || descDpl(d) < (sel & 3))) return null;
  return d;
}

/** System descriptor types LAR (and, without gates, LSL) accept. */
const LAR_TYPES = new Set([1, 2, 3, 4, 5, 9, 0xb, 0xc]);
const LSL_TYPES = new Set([1, 2, 3, 9, 0xb]);

/** 0F 02 LAR / 0F 03 LSL. */
export function larLsl(c: Cpu, lsl: boolean): void {
  if (!c.pmode) return c.fault(6);
  c.modrm();
  const sel = c.readRM(2);
  const size = c.o32 ? 4 : 2;
  const d = visible(c, sel);
  const type = d === null ? 0 : descType(d);
  const ok = d !== null && ((type & 0x10) !== 0 || (lsl ? LSL_TYPES : LAR_TYPES).has(type));
  setZf(c, ok);
  if (!ok) return;
  const v = lsl ? descLimit(d) : (d.hi & 0x00f0ff00) >>> 0;
  c.setReg(size, c.reg, size === 2 ? v & 0xffff : v);
}

// --- SYSENTER/SYSEXIT -------------------------------------------------------------

/**
 * Sets segment register `s`'s cache to the flat 4 GiB segment SYSENTER and
 * SYSEXIT assume (base 0, 32-bit, present, accessed; execute/read code or
 * read/write data of `dpl`) without reading a descriptor, as the SDM says.
 */
function flatSegment(c: Cpu, s: number, sel: number, code: boolean, dpl: number): void {
  const type = code ? 0xb : 0x3;
  commitSegment(c, s, sel, {
    lo: 0x0000ffff,
    hi: (0x00cf9000 | (dpl << 13) | (type << 8)) >>> 0,
    at: -1,
  });
}

/**
 * 0F 34: SYSENTER (P6): to CPL 0 at SYSENTER_CS:SYSENTER_EIP with the stack
 * SYSENTER_CS+8:SYSENTER_ESP, both flat; VM, IF and RF cleared. #GP(0) in
 * real mode or when SYSENTER_CS names the null selector. From any CPL and
 * from virtual-8086 mode (the data segments stay as they are).
 */
export function sysenter(c: Cpu): void {
  const cs = c.sysenterCs & 0xfffc;
  if (!c.pe || cs === 0) c.fault(13, 0);
  c.flags = c.flags & ~(VM | IF | RF);
  flatSegment(c, CS, cs, true, 0);
  flatSegment(c, SS, (cs + 8) & 0xffff, false, 0);
  c.cpl = 0;
  c.r32[ESP] = c.sysenterEsp >>> 0;
  c.ip = c.sysenterEip >>> 0;
  updateMode(c);
}

/**
 * 0F 35: SYSEXIT (P6): to CPL 3 at SYSENTER_CS+16:EDX with the stack
 * SYSENTER_CS+24:ECX, both flat with RPL 3. #GP(0) outside protected mode
 * proper (real mode, and virtual-8086 mode, whose CPL is 3), at CPL > 0 or
 * when SYSENTER_CS names the null selector. EFLAGS stays.
 */
export function sysexit(c: Cpu): void {
  const raw = c.sysenterCs & 0xffff;
  if (!c.pmode || c.cpl !== 0 || (raw & 0xfffc) === 0) c.fault(13, 0);
  const cs = ((raw + 16) | 3) & 0xffff;
  flatSegment(c, CS, cs, true, 3);
  flatSegment(c, SS, (cs + 8) & 0xffff, false, 3);
  c.cpl = 3;
  c.r32[ESP] = c.r32[ECX];
  c.ip = c.r32[EDX];
  updateMode(c);
}
