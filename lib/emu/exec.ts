/**
 * The instruction decoder and executor for one-byte opcodes: prefixes, then
 * a switch on the opcode. Two-byte (0F) opcodes of the 386 model are in
 * exec0f.ts. `step` executes one instruction (one REP iteration).
 *
 * @module
 */

import { aaa, alu, daa, das, incdec, logic, shift } from "./alu.ts";
import { type Cpu, CS, DS, EAX, EBP, EBX, ECX, EDX, ES, ESP, FS, GS, SS, Stop } from "./cpu.ts";
import { AF, CF, DF, IF, MASK, OF, PF, SF, szp, ZF } from "./flags.ts";
import { out, portIn } from "./io.ts";
import { aad, aam, imul2, mulDiv } from "./muldiv.ts";
import { stringOp } from "./strings.ts";
import { exec0f } from "./exec0f.ts";
import { farJump, pmFarCall, pmIret, pmRetf } from "./protected.ts";
import { probeWrite } from "./pmem.ts";
import { arpl, ioPrivileged, privileged } from "./protected.ts";
import { escape, fwait } from "./x87-exec.ts";
import { ioAllowed } from "./tasks.ts";
import { v86Sensitive } from "./v86.ts";

/** Prefix bytes by model: 0 none, else what the byte sets. */
const PREFIX_8086 = new Uint8Array(256);
const PREFIX_386 = new Uint8Array(256);
for (const b of [0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3]) PREFIX_8086[b] = PREFIX_386[b] = 1;
PREFIX_8086[0xf1] = 1; // an alias of LOCK on the 8086
for (const b of [0x64, 0x65, 0x66, 0x67]) PREFIX_386[b] = 1;

/** Executes one instruction (or one iteration of a REP string instruction). */
export function step(c: Cpu): void {
  if (c.prefixed) {
    c.prefixed = false;
    c.o32 = c.def32;
    c.a32 = c.def32;
    c.segOvr = -1;
    c.rep = 0;
    c.lock = false;
  }
  let op = c.fetch8();
  if ((c.is8086 ? PREFIX_8086 : PREFIX_386)[op] !== 0) op = prefixes(c, op);
  if (c.lock && !lockable(c, op)) c.fault(6);
  exec(c, op);
}

/** Consumes prefix bytes starting with `op`; returns the opcode after them. */
function prefixes(c: Cpu, op: number): number {
  const table = c.is8086 ? PREFIX_8086 : PREFIX_386;
  c.prefixed = true;
  let n = 0;
  while (table[op] !== 0) {
    // Bound the instruction: the 386 faults past 15 bytes; the 8086 has no
    // limit, so a long run of prefixes is cut into steps (the host never spins).
    if (++n >= 15) {
      if (!c.is8086) c.fault(13);
      return 0x90;
    }
    if (op === 0x26 || op === 0x2e || op === 0x36 || op === 0x3e) c.segOvr = (op >> 3) & 3;
    else if (op === 0xf3 || op === 0xf2) c.rep = op;
    else if (op === 0x66) c.o32 = !c.def32;
    else if (op === 0x67) c.a32 = !c.def32;
    else if (op === 0x64) c.segOvr = FS;
    else if (op === 0x65) c.segOvr = GS;
    else if (op === 0xf0 && !c.is8086) c.lock = true;
    // LOCK has nothing to do on one CPU; the 8086 takes it (and F1) anywhere
    op = c.fetch8();
  }
  return op;
}

/** Opcodes LOCK may prefix (with a memory destination), by their first byte. */
const LOCKABLE = new Uint8Array(256);
for (
  const b of [0x00, 0x01, 0x08, 0x09, 0x10, 0x11, 0x18, 0x19, 0x20, 0x21, 0x28, 0x29, 0x30, 0x31]
) {
  LOCKABLE[b] = 1;
}
for (const b of [0x80, 0x81, 0x82, 0x83, 0x86, 0x87, 0xf6, 0xf7, 0xfe, 0xff, 0x0f]) LOCKABLE[b] = 1;
/** 0F opcodes LOCK may prefix: BTS, BTR, BTC, group 8, CMPXCHG, XADD, CMPXCHG8B. */
const LOCKABLE_0F = new Set([0xab, 0xb3, 0xbb, 0xba, 0xb0, 0xb1, 0xc0, 0xc1, 0xc7]);

/**
 * Whether LOCK may prefix the instruction at `op` (386 model: else #UD):
 * a read-modify-write of memory. Looks at the following bytes without
 * consuming them.
 */
function lockable(c: Cpu, op: number): boolean {
  if (LOCKABLE[op] === 0) return false;
  const ip = c.ip;
  try {
    let next = op;
    if (op === 0x0f) {
      next = c.fetch8();
      if (!LOCKABLE_0F.has(next)) return false;
    }
    const modrm = c.fetch8();
    const reg = (modrm >> 3) & 7;
    if (modrm >> 6 === 3) return false;
    if (op >= 0x80 && op <= 0x83) return reg !== 7; // not CMP
    if (op === 0xf6 || op === 0xf7) return reg === 2 || reg === 3; // NOT, NEG
    if (op === 0xfe || op === 0xff) return reg < 2; // INC, DEC
    if (next === 0xba) return reg >= 5; // BTS, BTR, BTC
    if (next === 0xc7) return reg === 1; // CMPXCHG8B
    return true;
  } finally {
    c.ip = ip;
  }
}

/** Undefined opcode: #UD on the 386 model (the 8086 has no such exception). */
export function undefinedOpcode(c: Cpu): void {
  if (!c.is8086) c.raise(6);
}

function sx8(v: number): number {
  return (v << 24) >> 24;
}

/** Sets IP to a near target; a 32-bit target beyond the real-mode CS limit faults. */
export function jumpNear(c: Cpu, target: number): void {
  if (c.pe) {
    // Protected mode: the operand size truncates, the CS limit bounds.
    const t = c.o32 ? target >>> 0 : target & 0xffff;
    if (t > c.limit[CS]) c.fault(13, 0);
    c.ip = t;
    return;
  }
  if (c.o32) {
    target >>>= 0;
    if (target > c.limit[CS] || target > 0xffff) c.fault(13);
  }
  c.ip = target & 0xffff;
}

/** A short jump's target: IP wraps at 64 KiB in real mode; protected mode checks the limit. */
function jumpShort(c: Cpu, target: number): void {
  if (c.pe) return jumpNear(c, target);
  c.ip = target & 0xffff;
}

/** Executes the opcode `op` after its prefixes. */
export function exec(c: Cpu, op: number): void {
  OPS[op](c, op);
}

/** ADD OR ADC SBB AND SUB XOR CMP in their six forms (00-3F, low 3 bits 0-5). */
function aluForms(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const aop = op >> 3;
  switch (op & 7) {
    case 0: {
      c.modrm();
      const r = alu(c, aop, aop !== 7 ? c.readRMW(1) : c.readRM(1), c.get8(c.reg), 1);
      if (aop !== 7) c.writeRM(1, r);
      return;
    }
    case 1: {
      c.modrm();
      const a = aop !== 7 ? c.readRMW(wsize) : c.readRM(wsize);
      const r = alu(c, aop, a, c.getReg(wsize, c.reg), wsize);
      if (aop !== 7) c.writeRM(wsize, r);
      return;
    }
    case 2: {
      c.modrm();
      const r = alu(c, aop, c.get8(c.reg), c.readRM(1), 1);
      if (aop !== 7) c.set8(c.reg, r);
      return;
    }
    case 3: {
      c.modrm();
      const r = alu(c, aop, c.getReg(wsize, c.reg), c.readRM(wsize), wsize);
      if (aop !== 7) c.setReg(wsize, c.reg, r);
      return;
    }
    case 4: {
      const b = c.fetch8();
      const r = alu(c, aop, c.r8[0], b, 1);
      if (aop !== 7) c.r8[0] = r;
      return;
    }
    default: {
      const b = c.fetchN(wsize);
      const r = alu(c, aop, c.getReg(wsize, EAX), b, wsize);
      if (aop !== 7) c.setReg(wsize, EAX, r);
      return;
    }
  }
}

function op06_1e(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  c.pushN(wsize, c.sel[op >> 3]);
}

function op07_1f(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const s = op >> 3;
  c.loadSeg(s, c.popN(wsize) & 0xffff);
  if (s === SS) c.inhibitInterrupts();
}

function op0f(c: Cpu): void {
  if (c.is8086) c.loadSeg(CS, c.pop16()); // POP CS
  else exec0f(c);
}

function op27(c: Cpu): void {
  return daa(c);
}

function op2f(c: Cpu): void {
  return das(c);
}

function op37(c: Cpu): void {
  return aaa(c, false);
}

function op3f(c: Cpu): void {
  return aaa(c, true);
}

function op40_4f(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const i = op & 7;
  c.setReg(wsize, i, incdec(c, c.getReg(wsize, i), op >= 0x48, wsize));
}

function op50_57(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const i = op & 7;
  // The 8086 pushes SP as already decremented; the 286+ push the old value.
  const v = i === ESP && c.is8086 ? (c.r16[ESP << 1] - 2) & 0xffff : c.getReg(wsize, i);
  c.pushN(wsize, v);
}

function op58_5f(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const v = c.popN(wsize);
  c.setReg(wsize, op & 7, v);
}

function op70_7f(c: Cpu, op: number): void {
  const d = sx8(c.fetch8());
  if (c.cond(op & 15)) jumpShort(c, c.ip + d);
}

function op80_83(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const size = (op & 1) === 0 ? 1 : wsize;
  c.modrm();
  const a = c.reg !== 7 ? c.readRMW(size) : c.readRM(size);
  const b = op === 0x83 ? sx8(c.fetch8()) & MASK[size] : c.fetchN(size);
  const r = alu(c, c.reg, a, b >>> 0, size);
  if (c.reg !== 7) c.writeRM(size, r);
}

function op84_85(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const size = op === 0x84 ? 1 : wsize;
  c.modrm();
  logic(c, (c.readRM(size) & c.getReg(size, c.reg)) >>> 0, size);
}

function op86_87(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const size = op === 0x86 ? 1 : wsize;
  c.modrm();
  const a = c.readRM(size);
  const b = c.getReg(size, c.reg);
  c.writeRM(size, b);
  c.setReg(size, c.reg, a);
  // xchg bx, bx (87 DB): the Bochs magic breakpoint.
  if (c.magicBreak && op === 0x87 && c.mod === 3 && c.reg === 3 && c.rm === 3) c.stop = Stop.MAGIC;
}

function op88(c: Cpu): void {
  c.modrm();
  c.writeRM(1, c.get8(c.reg));
}

function op89(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  c.modrm();
  c.writeRM(wsize, c.getReg(wsize, c.reg));
}

function op8a(c: Cpu): void {
  c.modrm();
  c.set8(c.reg, c.readRM(1));
}

function op8b(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  c.modrm();
  c.setReg(wsize, c.reg, c.readRM(wsize));
}

function op8c(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  c.modrm();
  let s = c.reg;
  if (c.is8086) s &= 3;
  else if (s > 5) return undefinedOpcode(c);
  if (c.mod === 3) c.setReg(wsize, c.rm, c.sel[s]);
  else c.write16(c.eaSeg, c.eaOff, c.sel[s]);
}

function op8d(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  c.modrm();
  if (c.mod === 3) return undefinedOpcode(c);
  c.setReg(wsize, c.reg, c.eaOff);
}

function op8e(c: Cpu): void {
  c.modrm();
  let s = c.reg;
  if (c.is8086) s &= 3;
  else if (s > 5 || s === CS) return undefinedOpcode(c);
  c.loadSeg(s, c.readRM(2));
  if (s === SS) c.inhibitInterrupts();
}

/** POP r/m: the address is formed after the pop, so [ESP+d] sees the new ESP (as on the 386). */
function op8f(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  const v = c.popN(wsize);
  c.modrm();
  if (c.reg !== 0 && !c.is8086) return undefinedOpcode(c);
  c.writeRM(wsize, v);
}

/** NOP (and PAUSE). */
function op90(_c: Cpu): void {}

function op91_97(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const i = op & 7;
  const t = c.getReg(wsize, i);
  c.setReg(wsize, i, c.getReg(wsize, EAX));
  c.setReg(wsize, EAX, t);
}

function op98(c: Cpu): void {
  if (c.o32) c.r32[EAX] = (c.r16[0] << 16) >> 16;
  else c.r16[0] = sx8(c.r8[0]);
}

function op99(c: Cpu): void {
  if (c.o32) c.r32[EDX] = (c.r32[EAX] & 0x80000000) !== 0 ? 0xffffffff : 0;
  else c.r16[EDX << 1] = (c.r16[0] & 0x8000) !== 0 ? 0xffff : 0;
}

function op9a(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  const off = c.fetchN(wsize);
  const seg = c.fetch16();
  farCall(c, seg, off);
}

function op9c(c: Cpu): void {
  if (c.vm) v86Sensitive(c);
  if (c.o32) c.push32(c.readFlags() & 0x00fcffff);
  else c.push16(c.readFlags() & 0xffff);
}

function op9d(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  if (c.vm) v86Sensitive(c);
  c.writeFlags(c.popN(wsize), c.o32);
}

function op9e(c: Cpu): void {
  c.flags = (c.flags & ~0xff) | (c.r8[1] & 0xd5) | 2;
}

function op9f(c: Cpu): void {
  c.r8[1] = c.readFlags() & 0xff;
}

function opa0_a3(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const size = (op & 1) === 0 ? 1 : wsize;
  const off = c.a32 ? c.fetch32() : c.fetch16();
  const s = c.dataSeg();
  if (op < 0xa2) c.setReg(size, EAX, c.readN(size, s, off));
  else c.writeN(size, s, off, c.getReg(size, EAX));
}

function opa4_af(c: Cpu, op: number): void {
  return stringOp(c, op);
}

function opa8(c: Cpu): void {
  logic(c, c.r8[0] & c.fetch8(), 1);
}

function opa9(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  logic(c, (c.getReg(wsize, EAX) & c.fetchN(wsize)) >>> 0, wsize);
}

function opb0_b7(c: Cpu, op: number): void {
  c.set8(op & 7, c.fetch8());
}

function opb8_bf(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  c.setReg(wsize, op & 7, c.fetchN(wsize));
}

function opc0_c1(c: Cpu, op: number): void {
  if (c.is8086) return ret(c, op === 0xc0); // aliases of C2/C3
  return shiftGroup(c, op, -1);
}

function opc2_c3(c: Cpu, op: number): void {
  return ret(c, op === 0xc2);
}

function opc4_c5(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  c.modrm();
  if (c.mod === 3) return undefinedOpcode(c);
  const off = c.readN(wsize, c.eaSeg, c.eaOff);
  const seg = c.read16(c.eaSeg, c.offsetAdd(c.eaOff, wsize));
  c.setReg(wsize, c.reg, off);
  c.loadSeg(op === 0xc4 ? ES : DS, seg);
}

function opc6_c7(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const size = op === 0xc6 ? 1 : wsize;
  c.modrm();
  if (c.reg !== 0 && !c.is8086) return undefinedOpcode(c);
  c.writeRM(size, c.fetchN(size));
}

function opc8(c: Cpu): void {
  if (c.is8086) return retf(c, true);
  return enter(c);
}

function opc9(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  if (c.is8086) return retf(c, false);
  // LEAVE: SP = BP (at the stack's width), pop BP
  c.setSp(c.ss32 ? c.r32[EBP] : c.r16[EBP << 1]);
  c.setReg(wsize, EBP, c.popN(wsize));
}

function opca_cb(c: Cpu, op: number): void {
  return retf(c, op === 0xca);
}

function opcc(c: Cpu): void {
  return c.deliver(3);
}

function opcd(c: Cpu): void {
  const v = c.fetch8();
  if (c.vm) v86Sensitive(c);
  return c.deliver(v);
}

function opce(c: Cpu): void {
  if ((c.flags & OF) !== 0) c.deliver(4);
}

function opcf(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  if (c.pmode) return pmIret(c, wsize);
  if (c.vm) v86Sensitive(c);
  const ip = c.popN(wsize);
  const cs = c.popN(wsize);
  const fl = c.popN(wsize);
  if (c.o32 && ip > 0xffff) c.fault(13);
  c.ip = ip & 0xffff;
  c.loadSeg(CS, cs & 0xffff);
  c.writeFlags(fl, c.o32);
}

function opd0_d3(c: Cpu, op: number): void {
  return shiftGroup(c, op, op < 0xd2 ? 1 : c.r8[4]);
}

function opd4(c: Cpu): void {
  return aam(c, c.fetch8());
}

function opd5(c: Cpu): void {
  return aad(c, c.fetch8());
}

function opd6(c: Cpu): void {
  // SALC
  c.r8[0] = (c.flags & CF) !== 0 ? 0xff : 0;
}

function opd7(c: Cpu): void {
  const off = c.a32 ? (c.r32[EBX] + c.r8[0]) >>> 0 : (c.r16[EBX << 1] + c.r8[0]) & 0xffff;
  c.r8[0] = c.read8(c.dataSeg(), off);
}

function ope0_e2(c: Cpu, op: number): void {
  const d = sx8(c.fetch8());
  let n: number;
  if (c.a32) n = c.r32[ECX] = c.r32[ECX] - 1;
  else n = c.r16[ECX << 1] = c.r16[ECX << 1] - 1;
  let take = n !== 0;
  if (op === 0xe0) take &&= (c.flags & ZF) === 0;
  else if (op === 0xe1) take &&= (c.flags & ZF) !== 0;
  if (take) jumpShort(c, c.ip + d);
}

function ope3(c: Cpu): void {
  const d = sx8(c.fetch8());
  if ((c.a32 ? c.r32[ECX] : c.r16[ECX << 1]) === 0) jumpShort(c, c.ip + d);
}

function ope4_ed(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const size = (op & 1) === 0 ? 1 : wsize;
  const port = op < 0xe8 ? c.fetch8() : c.r16[EDX << 1];
  if (c.cpl !== 0) ioAllowed(c, port, size);
  c.setReg(size, EAX, portIn(c, port, size));
}

function ope6_ef(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const size = (op & 1) === 0 ? 1 : wsize;
  const port = op < 0xe8 ? c.fetch8() : c.r16[EDX << 1];
  if (c.cpl !== 0) ioAllowed(c, port, size);
  const done = out(c, port, size, c.getReg(size, EAX));
  if (done !== 1) c.stop = done === 0 ? Stop.IO : Stop.YIELD;
}

function ope8(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  const d = c.fetchN(wsize);
  const next = c.ip;
  const target = next + d;
  if (c.pe) {
    const t = c.o32 ? target >>> 0 : target & 0xffff;
    if (t > c.limit[CS]) c.fault(13, 0);
    c.pushN(wsize, next);
    c.ip = t;
    return;
  }
  if (c.o32 && ((target >>> 0) > 0xffff)) c.fault(13);
  c.pushN(wsize, next);
  c.ip = target & 0xffff;
}

function ope9(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  const d = c.fetchN(wsize);
  return jumpNear(c, c.ip + d);
}

function opea(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  const off = c.fetchN(wsize);
  const seg = c.fetch16();
  if (c.pmode) return farJump(c, seg, off, wsize);
  if (off > 0xffff) c.fault(13);
  c.loadSeg(CS, seg);
  c.ip = off;
}

function opeb(c: Cpu): void {
  const d = sx8(c.fetch8());
  jumpShort(c, c.ip + d);
}

function opf1(c: Cpu): void {
  // ICEBP on the 386+ (the 8086 treats F1 as a prefix above)
  return c.deliver(1);
}

function opf4(c: Cpu): void {
  if (c.cpl !== 0) privileged(c);
  c.stop = Stop.HLT;
}

function opf5(c: Cpu): void {
  c.flags ^= CF;
}

function opf6_f7(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  const size = op === 0xf6 ? 1 : wsize;
  c.modrm();
  const v = c.reg === 2 || c.reg === 3 ? c.readRMW(size) : c.readRM(size);
  switch (c.reg) {
    case 0:
    case 1: // TEST (1 is an alias)
      logic(c, (v & c.fetchN(size)) >>> 0, size);
      return;
    case 2:
      c.writeRM(size, ~v & MASK[size]);
      return;
    case 3: {
      const r = (0 - v) & MASK[size];
      c.flags = (c.flags & ~(CF | PF | AF | ZF | SF | OF)) | szp(r >>> 0, size) |
        (v !== 0 ? CF : 0) | ((v ^ r) & AF) |
        ((v & r & (MASK[size] ^ (MASK[size] >>> 1))) ? OF : 0);
      c.writeRM(size, r >>> 0);
      return;
    }
    default:
      return mulDiv(c, c.reg, v, size);
  }
}

function opf8(c: Cpu): void {
  c.flags &= ~CF;
}

function opf9(c: Cpu): void {
  c.flags |= CF;
}

// CLI/STI/CLD/STD touch no arithmetic flag, so they leave a lazy result pending.
function opfa(c: Cpu): void {
  if (c.cpl !== 0) ioPrivileged(c);
  c.rawFlags &= ~IF;
}

function opfb(c: Cpu): void {
  if (c.cpl !== 0) ioPrivileged(c);
  if ((c.rawFlags & IF) === 0) c.inhibitInterrupts();
  c.rawFlags |= IF;
  c.noteIfOn();
}

function opfc(c: Cpu): void {
  c.rawFlags &= ~DF;
}

function opfd(c: Cpu): void {
  c.rawFlags |= DF;
}

function opfe(c: Cpu): void {
  c.modrm();
  if (c.reg < 2) c.writeRM(1, incdec(c, c.readRMW(1), c.reg === 1, 1));
  else undefinedOpcode(c);
}

function opff(c: Cpu): void {
  const wsize = c.o32 ? 4 : 2;
  return group5(c, wsize);
}

/** Handlers by opcode. */
const OPS: Array<(c: Cpu, op: number) => void> = new Array(256).fill(exec186);
for (let op = 0; op < 0x40; op++) if ((op & 7) < 6) OPS[op] = aluForms;
OPS[0x06] = op06_1e;
OPS[0x0e] = op06_1e;
OPS[0x16] = op06_1e;
OPS[0x1e] = op06_1e;
OPS[0x07] = op07_1f;
OPS[0x17] = op07_1f;
OPS[0x1f] = op07_1f;
OPS[0x0f] = op0f;
OPS[0x27] = op27;
OPS[0x2f] = op2f;
OPS[0x37] = op37;
OPS[0x3f] = op3f;
OPS[0x40] = op40_4f;
OPS[0x41] = op40_4f;
OPS[0x42] = op40_4f;
OPS[0x43] = op40_4f;
OPS[0x44] = op40_4f;
OPS[0x45] = op40_4f;
OPS[0x46] = op40_4f;
OPS[0x47] = op40_4f;
OPS[0x48] = op40_4f;
OPS[0x49] = op40_4f;
OPS[0x4a] = op40_4f;
OPS[0x4b] = op40_4f;
OPS[0x4c] = op40_4f;
OPS[0x4d] = op40_4f;
OPS[0x4e] = op40_4f;
OPS[0x4f] = op40_4f;
OPS[0x50] = op50_57;
OPS[0x51] = op50_57;
OPS[0x52] = op50_57;
OPS[0x53] = op50_57;
OPS[0x54] = op50_57;
OPS[0x55] = op50_57;
OPS[0x56] = op50_57;
OPS[0x57] = op50_57;
OPS[0x58] = op58_5f;
OPS[0x59] = op58_5f;
OPS[0x5a] = op58_5f;
OPS[0x5b] = op58_5f;
OPS[0x5c] = op58_5f;
OPS[0x5d] = op58_5f;
OPS[0x5e] = op58_5f;
OPS[0x5f] = op58_5f;
OPS[0x70] = op70_7f;
OPS[0x71] = op70_7f;
OPS[0x72] = op70_7f;
OPS[0x73] = op70_7f;
OPS[0x74] = op70_7f;
OPS[0x75] = op70_7f;
OPS[0x76] = op70_7f;
OPS[0x77] = op70_7f;
OPS[0x78] = op70_7f;
OPS[0x79] = op70_7f;
OPS[0x7a] = op70_7f;
OPS[0x7b] = op70_7f;
OPS[0x7c] = op70_7f;
OPS[0x7d] = op70_7f;
OPS[0x7e] = op70_7f;
OPS[0x7f] = op70_7f;
OPS[0x80] = op80_83;
OPS[0x81] = op80_83;
OPS[0x82] = op80_83;
OPS[0x83] = op80_83;
OPS[0x84] = op84_85;
OPS[0x85] = op84_85;
OPS[0x86] = op86_87;
OPS[0x87] = op86_87;
OPS[0x88] = op88;
OPS[0x89] = op89;
OPS[0x8a] = op8a;
OPS[0x8b] = op8b;
OPS[0x8c] = op8c;
OPS[0x8d] = op8d;
OPS[0x8e] = op8e;
OPS[0x8f] = op8f;
OPS[0x90] = op90;
OPS[0x91] = op91_97;
OPS[0x92] = op91_97;
OPS[0x93] = op91_97;
OPS[0x94] = op91_97;
OPS[0x95] = op91_97;
OPS[0x96] = op91_97;
OPS[0x97] = op91_97;
OPS[0x98] = op98;
OPS[0x99] = op99;
OPS[0x9a] = op9a;
OPS[0x9b] = fwait;
OPS[0x9c] = op9c;
OPS[0x9d] = op9d;
OPS[0x9e] = op9e;
OPS[0x9f] = op9f;
OPS[0xa0] = opa0_a3;
OPS[0xa1] = opa0_a3;
OPS[0xa2] = opa0_a3;
OPS[0xa3] = opa0_a3;
OPS[0xa4] = opa4_af;
OPS[0xa5] = opa4_af;
OPS[0xa6] = opa4_af;
OPS[0xa7] = opa4_af;
OPS[0xaa] = opa4_af;
OPS[0xab] = opa4_af;
OPS[0xac] = opa4_af;
OPS[0xad] = opa4_af;
OPS[0xae] = opa4_af;
OPS[0xaf] = opa4_af;
OPS[0xa8] = opa8;
OPS[0xa9] = opa9;
OPS[0xb0] = opb0_b7;
OPS[0xb1] = opb0_b7;
OPS[0xb2] = opb0_b7;
OPS[0xb3] = opb0_b7;
OPS[0xb4] = opb0_b7;
OPS[0xb5] = opb0_b7;
OPS[0xb6] = opb0_b7;
OPS[0xb7] = opb0_b7;
OPS[0xb8] = opb8_bf;
OPS[0xb9] = opb8_bf;
OPS[0xba] = opb8_bf;
OPS[0xbb] = opb8_bf;
OPS[0xbc] = opb8_bf;
OPS[0xbd] = opb8_bf;
OPS[0xbe] = opb8_bf;
OPS[0xbf] = opb8_bf;
OPS[0xc0] = opc0_c1;
OPS[0xc1] = opc0_c1;
OPS[0xc2] = opc2_c3;
OPS[0xc3] = opc2_c3;
OPS[0xc4] = opc4_c5;
OPS[0xc5] = opc4_c5;
OPS[0xc6] = opc6_c7;
OPS[0xc7] = opc6_c7;
OPS[0xc8] = opc8;
OPS[0xc9] = opc9;
OPS[0xca] = opca_cb;
OPS[0xcb] = opca_cb;
OPS[0xcc] = opcc;
OPS[0xcd] = opcd;
OPS[0xce] = opce;
OPS[0xcf] = opcf;
OPS[0xd0] = opd0_d3;
OPS[0xd1] = opd0_d3;
OPS[0xd2] = opd0_d3;
OPS[0xd3] = opd0_d3;
OPS[0xd4] = opd4;
OPS[0xd5] = opd5;
OPS[0xd6] = opd6;
OPS[0xd7] = opd7;
OPS[0xd8] = escape;
OPS[0xd9] = escape;
OPS[0xda] = escape;
OPS[0xdb] = escape;
OPS[0xdc] = escape;
OPS[0xdd] = escape;
OPS[0xde] = escape;
OPS[0xdf] = escape;
OPS[0xe0] = ope0_e2;
OPS[0xe1] = ope0_e2;
OPS[0xe2] = ope0_e2;
OPS[0xe3] = ope3;
OPS[0xe4] = ope4_ed;
OPS[0xe5] = ope4_ed;
OPS[0xec] = ope4_ed;
OPS[0xed] = ope4_ed;
OPS[0xe6] = ope6_ef;
OPS[0xe7] = ope6_ef;
OPS[0xee] = ope6_ef;
OPS[0xef] = ope6_ef;
OPS[0xe8] = ope8;
OPS[0xe9] = ope9;
OPS[0xea] = opea;
OPS[0xeb] = opeb;
OPS[0xf1] = opf1;
OPS[0xf4] = opf4;
OPS[0xf5] = opf5;
OPS[0xf6] = opf6_f7;
OPS[0xf7] = opf6_f7;
OPS[0xf8] = opf8;
OPS[0xf9] = opf9;
OPS[0xfa] = opfa;
OPS[0xfb] = opfb;
OPS[0xfc] = opfc;
OPS[0xfd] = opfd;
OPS[0xfe] = opfe;
OPS[0xff] = opff;

/** 60-6F: 186+ instructions on the 386 model, Jcc aliases on the 8086. */
function exec186(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  if (c.is8086) {
    if (op >= 0x60 && op <= 0x6f) return exec(c, op + 0x10);
    return;
  }
  switch (op) {
    case 0x60: {
      const sp = c.getReg(wsize, ESP);
      for (let i = 0; i < 8; i++) c.pushN(wsize, i === ESP ? sp : c.getReg(wsize, i));
      return;
    }
    case 0x61:
      for (let i = 7; i >= 0; i--) {
        const v = c.popN(wsize);
        if (i !== ESP) c.setReg(wsize, i, v);
      }
      return;
    case 0x62: {
      c.modrm();
      if (c.mod === 3) return undefinedOpcode(c);
      const lo = c.readN(wsize, c.eaSeg, c.eaOff);
      const hi = c.readN(wsize, c.eaSeg, c.offsetAdd(c.eaOff, wsize));
      const sx = (v: number) => wsize === 2 ? (v << 16) >> 16 : v | 0;
      const i = sx(c.getReg(wsize, c.reg));
      if (i < sx(lo) || i > sx(hi)) c.fault(5);
      return;
    }
    case 0x68:
      c.pushN(wsize, c.fetchN(wsize));
      return;
    case 0x6a:
      c.pushN(wsize, (sx8(c.fetch8()) & MASK[wsize]) >>> 0);
      return;
    case 0x69:
    case 0x6b: {
      c.modrm();
      const a = c.readRM(wsize);
      const b = op === 0x69 ? c.fetchN(wsize) : (sx8(c.fetch8()) & MASK[wsize]) >>> 0;
      c.setReg(wsize, c.reg, imul2(c, a, b, wsize));
      return;
    }
    case 0x6c:
    case 0x6d:
    case 0x6e:
    case 0x6f:
      return stringOp(c, op);
    case 0x63:
      if (!c.pmode) return undefinedOpcode(c);
      return arpl(c);
    default:
      return undefinedOpcode(c);
  }
}

function ret(c: Cpu, imm: boolean): void {
  const n = imm ? c.fetch16() : 0;
  const wsize = c.o32 ? 4 : 2;
  const ip = c.popN(wsize);
  if (ip > (c.pe ? c.limit[CS] : 0xffff)) c.fault(13, c.pe ? 0 : -1);
  c.ip = ip;
  c.addSp(n);
}

function retf(c: Cpu, imm: boolean): void {
  const n = imm ? c.fetch16() : 0;
  const wsize = c.o32 ? 4 : 2;
  if (c.pmode) return pmRetf(c, wsize, n);
  const ip = c.popN(wsize);
  const cs = c.popN(wsize) & 0xffff;
  if (ip > 0xffff) c.fault(13);
  c.ip = ip;
  c.loadSeg(CS, cs);
  c.addSp(n);
}

/** Far call: pushes CS and IP, then jumps. */
export function farCall(c: Cpu, seg: number, off: number): void {
  const wsize = c.o32 ? 4 : 2;
  if (c.pmode) return pmFarCall(c, seg, off, wsize);
  if (off > 0xffff) c.fault(13);
  c.pushN(wsize, c.sel[CS]);
  c.pushN(wsize, c.ip);
  c.loadSeg(CS, seg);
  c.ip = off;
}

function enter(c: Cpu): void {
  const size = c.fetch16();
  const level = c.fetch8() & 31;
  const wsize = c.o32 ? 4 : 2;
  c.pushN(wsize, c.getReg(wsize, EBP));
  // The frame pointer is ESP at the operand size (all of ESP for a 32-bit one, whatever SS.B).
  const frame = wsize === 4 ? c.r32[ESP] : c.getSp();
  const mask = c.ss32 ? 0xffffffff : 0xffff;
  let bp = c.ss32 ? c.r32[EBP] : c.r16[EBP << 1];
  for (let i = 1; i < level; i++) {
    bp = ((bp - wsize) & mask) >>> 0;
    c.pushN(wsize, c.readN(wsize, SS, bp));
  }
  if (level > 0) c.pushN(wsize, frame);
  const sp = c.getSp() - size;
  // The final stack pointer must be writable (a page fault comes from ENTER, not later).
  if (c.pe) probeWrite(c, SS, c.ss32 ? sp >>> 0 : sp & 0xffff, wsize);
  c.setReg(wsize, EBP, frame);
  c.setSp(sp);
}

/** C0/C1/D0-D3: the shift group; `count` -1 means an imm8 follows the ModRM. */
function shiftGroup(c: Cpu, op: number, count: number): void {
  const size = (op & 1) === 0 ? 1 : c.o32 ? 4 : 2;
  c.modrm();
  if (count < 0) count = c.fetch8();
  // A count of 0 writes nothing back (the operand is only read; it may be read-only).
  const v = count !== 0 && (c.is8086 || (count & 31) !== 0) ? c.readRMW(size) : c.readRM(size);
  if (!c.is8086) count &= 31;
  else if (c.reg === 6) {
    // SETMO/SETMOC: all ones when the count is not zero.
    if (count === 0) return;
    c.writeRM(size, logic(c, MASK[size], size));
    return;
  }
  const r = shift(c, c.reg, v, count, size);
  if (count !== 0) c.writeRM(size, r);
}

function group5(c: Cpu, wsize: number): void {
  c.modrm();
  const reg = c.reg;
  switch (reg) {
    case 0:
    case 1:
      c.writeRM(wsize, incdec(c, c.readRMW(wsize), reg === 1, wsize));
      return;
    case 2: {
      const target = c.readRM(wsize);
      if (target > (c.pe ? c.limit[CS] : 0xffff)) c.fault(13, c.pe ? 0 : -1);
      c.pushN(wsize, c.ip);
      c.ip = target;
      return;
    }
    case 4:
      return jumpNear(c, c.readRM(wsize));
    case 3:
    case 5: {
      if (c.mod === 3) return undefinedOpcode(c);
      const off = c.readN(wsize, c.eaSeg, c.eaOff);
      const seg = c.read16(c.eaSeg, c.offsetAdd(c.eaOff, wsize));
      if (reg === 3) return farCall(c, seg, off);
      if (c.pmode) return farJump(c, seg, off, wsize);
      if (off > 0xffff) c.fault(13);
      c.loadSeg(CS, seg);
      c.ip = off;
      return;
    }
    case 6:
    default: {
      if (reg === 7 && !c.is8086) return undefinedOpcode(c);
      // PUSH SP pushes the decremented value on the 8086.
      const v = c.mod === 3 && c.rm === ESP && c.is8086
        ? (c.r16[ESP << 1] - 2) & 0xffff
        : c.readRM(wsize);
      c.pushN(wsize, v);
      return;
    }
  }
}

export { DS, FS, GS, SS };
