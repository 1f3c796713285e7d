/**
 * Hardware task switches of the 386: far JMP/CALL to a TSS or a task gate,
 * interrupts and exceptions through a task gate in the IDT, IRET with NT
 * back to the task in the back-link; 32-bit (types 9/11) and 16-bit (1/3)
 * TSSs. Also the TSS's I/O permission bitmap.
 *
 * A switch reads the new TSS and checks everything that can fail (its
 * descriptor, the pages of both TSSs) before it writes anything, so a
 * fault before the commit point restarts the instruction exactly. At the
 * commit point the old task's state is saved and TR, CR0.TS, CR3 (32-bit
 * TSS, paging on) and the registers are loaded; the new task's segments
 * are then checked in the order LDT, CS, SS, ES, DS, FS, GS (the SDM's
 * Table 7-1 gives the P6's order and calls it model-specific), and a fault
 * there is delivered in the new task. The TSS's T bit (a debug trap after
 * the switch) is ignored.
 *
 * @module
 */

import { type Cpu, CS, DS, ES, ESP, FS, GS, SS, Stop } from "./cpu.ts";
import { IOPL, NT, TF } from "./flags.ts";
import { loadCr3, updateMode } from "./mode.ts";
import { linearRead, linearWrite, physical } from "./pmem.ts";
import {
  commitSegment,
  currentStack,
  descBase,
  descDpl,
  descLimit,
  descPresent,
  type Descriptor,
  descType,
  LDTR,
  loadNull,
  markAccessed,
  readDescriptor,
  SEG_TYPE,
  stackPush,
  sysBase,
  sysLimit,
  sysLoad,
  sysSelector,
  sysUsable,
  TR,
} from "./protected.ts";
import { v86Segment } from "./v86.ts";

/** What started a switch: the busy bits, NT and the back-link follow from it. */
export const TaskVia = { JMP: 0, CALL: 1, INT: 2, IRET: 3 } as const;

/** The busy bit of a TSS descriptor's type. */
const BUSY = 0x200;

/** What a switch loads from a TSS. */
interface TaskState {
  eip: number;
  eflags: number;
  regs: number[];
  /** ES CS SS DS FS GS. */
  segs: number[];
  ldt: number;
  cr3: number;
}

/** Reads the state a switch loads (a 16-bit TSS has no FS, GS or CR3: null, null, none). */
function readTaskState(c: Cpu, base: number, big: boolean): TaskState {
  const rd = (off: number, size: number) => linearRead(c, (base + off) >>> 0, size, false);
  const regs: number[] = [], segs: number[] = [];
  if (big) {
    for (let i = 0; i < 8; i++) regs.push(rd(0x28 + i * 4, 4));
    for (let s = 0; s < 6; s++) segs.push(rd(0x48 + s * 4, 2));
    return {
      eip: rd(0x20, 4),
      eflags: rd(0x24, 4),
      regs,
      segs,
      ldt: rd(0x60, 2),
      cr3: rd(0x1c, 4),
    };
  }
  // The 386 sets the upper halves of the registers to ones from a 16-bit TSS.
  for (let i = 0; i < 8; i++) regs.push((rd(0x12 + i * 2, 2) | 0xffff0000) >>> 0);
  for (let s = 0; s < 4; s++) segs.push(rd(0x22 + s * 2, 2));
  segs.push(0, 0);
  return { eip: rd(0x0e, 2), eflags: rd(0x10, 2), regs, segs, ldt: rd(0x2a, 2), cr3: -1 };
}

/** The dynamic part of a TSS (what a switch saves): first and last byte. */
function savedRange(big: boolean): [number, number] {
  return big ? [0x20, 0x5f] : [0x0e, 0x29];
}

/** Saves the current task's registers into its TSS at `base`. */
function saveTaskState(c: Cpu, base: number, big: boolean, eflags: number): void {
  const wr = (off: number, size: number, v: number) =>
    linearWrite(c, (base + off) >>> 0, size, v, false);
  if (big) {
    wr(0x20, 4, c.ip);
    wr(0x24, 4, eflags);
    for (let i = 0; i < 8; i++) wr(0x28 + i * 4, 4, c.r32[i]);
    for (let s = 0; s < 6; s++) wr(0x48 + s * 4, 2, c.sel[s]);
    return;
  }
  wr(0x0e, 2, c.ip);
  wr(0x10, 2, eflags);
  for (let i = 0; i < 8; i++) wr(0x12 + i * 2, 2, c.r32[i]);
  for (let s = 0; s < 4; s++) wr(0x22 + s * 2, 2, c.sel[s]);
}

/** Faults now (#PF) where a later write of the linear byte could. */
function probeWrite(c: Cpu, lin: number): void {
  physical(c, lin >>> 0, true, false);
}

/** True for a TSS descriptor type (available or busy, 16- or 32-bit). */
function isTss(type: number): boolean {
  return (type & 0x15) === 1;
}

/**
 * Switches to the task of TSS `sel` (descriptor `d`, already checked for
 * its type, DPL and presence by the caller). `ext` is the error code's EXT
 * bit for the faults it raises.
 */
function switchTask(c: Cpu, sel: number, d: Descriptor, via: number, ext: number): void {
  const big = (descType(d) & 8) !== 0;
  if (descLimit(d) < (big ? 0x67 : 0x2b)) c.fault(10, (sel & 0xfffc) | ext);
  const base = descBase(d);
  const next = readTaskState(c, base, big);
  const oldSel = sysSelector(c, "tr"), oldBase = sysBase(c, TR);
  const oldType = c.trLdt[TR + SEG_TYPE] & 0xf;
  const oldBig = oldType !== 1 && oldType !== 3;
  const [first, last] = savedRange(oldBig);
  probeWrite(c, oldBase + first);
  probeWrite(c, oldBase + last);
  const nest = via === TaskVia.CALL || via === TaskVia.INT;
  if (nest) probeWrite(c, base);
  const leave = via === TaskVia.JMP || via === TaskVia.IRET;
  const oldDesc = leave ? readDescriptor(c, oldSel, 10, ext) : null;

  // Commit point: nothing below undoes what came before it.
  let eflags = c.readFlags();
  if (via === TaskVia.IRET) eflags &= ~NT;
  if (oldDesc !== null && isTss(descType(oldDesc))) {
    linearWrite(c, (oldDesc.at + 4) >>> 0, 4, (oldDesc.hi & ~BUSY) >>> 0, false);
  }
  saveTaskState(c, oldBase, oldBig, eflags);
  if (nest) {
    linearWrite(c, base, 2, oldSel, false);
    next.eflags |= NT;
  }
  if (via !== TaskVia.IRET) {
    d.hi = (d.hi | BUSY) >>> 0;
    linearWrite(c, (d.at + 4) >>> 0, 4, d.hi, false);
  }
  sysLoad(c, TR, sel, d);
  c.taskSwitches++;
  c.cr0 |= 8; // TS: the next FPU instruction traps, so an OS can switch FPU state lazily
  c.dr[7] &= ~0x155; // the local breakpoint enables belong to the old task
  // Like MOV to CR3: global translations stay; bad PDPTEs (PAE) fault in the new task below.
  const badCr3 = big && c.pg && !loadCr3(c, next.cr3);
  for (let i = 0; i < 8; i++) c.r32[i] = next.regs[i];
  c.ip = next.eip;
  // EFLAGS come whole from the TSS, whatever the CPL (a 16-bit TSS clears the upper half).
  c.flags = (next.eflags & (big ? 0x277fd5 : 0x7fd5)) | 2;
  c.noteIfOn();
  if ((c.rawFlags & TF) !== 0 && c.stop === Stop.NONE) c.stop = Stop.RECHECK;
  // A fault from here on is the new task's: it restarts at the new task's first instruction.
  c.insStart = c.ip;
  c.savedSp = c.r32[ESP];
  if (badCr3) c.fault(13, 0);
  loadTaskSegments(c, next, ext);
}

/**
 * Loads the new task's LDT and segments. Every selector is in place before
 * the first check, so a fault leaves the new task's selectors (without
 * usable caches) for its handler to see or save.
 */
function loadTaskSegments(c: Cpu, next: TaskState, ext: number): void {
  const segs = next.segs;
  for (const s of [ES, DS, FS, GS]) loadNull(c, s, segs[s]);
  c.sel[CS] = segs[CS];
  c.sel[SS] = segs[SS];
  const ldt = next.ldt;
  sysLoad(c, LDTR, ldt, null);
  updateMode(c);
  if ((ldt & 0xfffc) !== 0) {
    const err = (ldt & 0xfffc) | ext;
    if ((ldt & 4) !== 0) c.fault(10, err);
    const ld = readDescriptor(c, ldt, 10, ext);
    if (descType(ld) !== 2 || !descPresent(ld)) c.fault(10, err);
    sysLoad(c, LDTR, ldt, ld);
  }
  if (c.vm) {
    for (let s = 0; s < 6; s++) v86Segment(c, s, segs[s]);
    return updateMode(c);
  }
  const cs = segs[CS], cpl = cs & 3;
  c.cpl = cpl;
  const csErr = (cs & 0xfffc) | ext;
  if ((cs & 0xfffc) === 0) c.fault(10, ext);
  const cd = readDescriptor(c, cs, 10, ext);
  const ct = descType(cd), cdpl = descDpl(cd);
  if ((ct & 0x18) !== 0x18 || ((ct & 4) !== 0 ? cdpl > cpl : cdpl !== cpl)) c.fault(10, csErr);
  if (!descPresent(cd)) c.fault(11, csErr);
  const ss = segs[SS], ssErr = (ss & 0xfffc) | ext;
  if ((ss & 0xfffc) === 0) c.fault(10, ext);
  const sd = readDescriptor(c, ss, 10, ext);
  if ((ss & 3) !== cpl || (descType(sd) & 0x1a) !== 0x12 || descDpl(sd) !== cpl) c.fault(10, ssErr);
  if (!descPresent(sd)) c.fault(12, ssErr);
  markAccessed(c, cd);
  commitSegment(c, CS, cs, cd);
  markAccessed(c, sd);
  commitSegment(c, SS, ss, sd);
  updateMode(c);
  for (const s of [ES, DS, FS, GS]) {
    const sel = segs[s];
    if ((sel & 0xfffc) === 0) continue;
    const dd = readDescriptor(c, sel, 10, ext);
    const t = descType(dd), dpl = descDpl(dd), err = (sel & 0xfffc) | ext;
    // Data, or readable code; DPL must admit CPL and RPL unless conforming code.
    if ((t & 0x10) === 0 || (t & 0x1a) === 0x18) c.fault(10, err);
    if ((t & 0x1c) !== 0x1c && (dpl < cpl || dpl < (sel & 3))) c.fault(10, err);
    if (!descPresent(dd)) c.fault(11, err);
    markAccessed(c, dd);
    commitSegment(c, s, sel, dd);
  }
}

/** The TSS descriptor a task gate or back-link names: in the GDT (else `vector` with the selector). */
function gdtTss(c: Cpu, sel: number, vector: number, ext: number): Descriptor {
  if ((sel & 4) !== 0) c.fault(vector, (sel & 0xfffc) | ext);
  return readDescriptor(c, sel, vector, ext);
}

/** Far JMP or CALL to a TSS descriptor or a task gate (type 1, 9 or 5) in protected mode. */
export function farToTask(c: Cpu, sel: number, d: Descriptor, via: number): void {
  const err = sel & 0xfffc;
  if (descDpl(d) < Math.max(c.cpl, sel & 3)) c.fault(13, err);
  let tss = sel, td = d;
  if (descType(d) === 5) {
    if (!descPresent(d)) c.fault(11, err);
    tss = d.lo >>> 16;
    td = gdtTss(c, tss, 13, 0);
  } else if ((sel & 4) !== 0) c.fault(13, err);
  const type = descType(td);
  if (type !== 1 && type !== 9) c.fault(13, tss & 0xfffc); // busy, or no TSS
  if (!descPresent(td)) c.fault(11, tss & 0xfffc);
  switchTask(c, tss, td, via, 0);
  if (c.ip > c.limit[CS]) c.fault(13, 0);
}

/**
 * An interrupt or exception through a task gate naming TSS `sel`: a nested
 * switch, then the error code (if any) on the new task's stack, at the new
 * TSS's width.
 */
export function interruptTask(c: Cpu, sel: number, code: number, ext: number): void {
  const td = gdtTss(c, sel, 13, ext);
  const type = descType(td), err = (sel & 0xfffc) | ext;
  if (type !== 1 && type !== 9) c.fault(13, err);
  if (!descPresent(td)) c.fault(11, err);
  switchTask(c, sel, td, TaskVia.INT, ext);
  if (code >= 0) {
    const st = currentStack(c);
    stackPush(c, st, type === 9 ? 4 : 2, code, ext);
    c.setSp(st.sp);
  }
  if (c.ip > c.limit[CS]) c.fault(13, ext);
}

/** IRET with NT set: back to the (busy) task whose selector is in this TSS's back-link. */
export function taskReturn(c: Cpu): void {
  const link = linearRead(c, sysBase(c, TR), 2, false);
  const d = gdtTss(c, link, 10, 0);
  const type = descType(d);
  if (type !== 3 && type !== 0xb) c.fault(10, link & 0xfffc);
  if (!descPresent(d)) c.fault(11, link & 0xfffc);
  switchTask(c, link, d, TaskVia.IRET, 0);
  if (c.ip > c.limit[CS]) c.fault(13, 0);
}

/**
 * IN, OUT, INS and OUTS: allowed at CPL <= IOPL in protected mode; above
 * it and in virtual-8086 mode only when the 32-bit TSS's I/O permission
 * bitmap has every bit of the port's bytes clear (#GP(0) otherwise, and
 * when the bitmap lies beyond the TSS limit).
 */
export function ioAllowed(c: Cpu, port: number, size: number): void {
  if (!c.vm && c.cpl <= (c.rawFlags & IOPL) >> 12) return;
  const type = c.trLdt[TR + SEG_TYPE] & 0xf;
  if (!sysUsable(c, TR) || (type !== 9 && type !== 0xb)) c.fault(13, 0);
  const base = sysBase(c, TR), limit = sysLimit(c, TR);
  if (limit < 0x67) c.fault(13, 0);
  // The bitmap is read a word at a time, so a port's bits may span two bytes.
  const at = linearRead(c, (base + 0x66) >>> 0, 2, false) + (port >>> 3);
  if (at + 1 > limit) c.fault(13, 0);
  const bits = linearRead(c, (base + at) >>> 0, 2, false);
  if (((bits >> (port & 7)) & ((1 << size) - 1)) !== 0) c.fault(13, 0);
}
