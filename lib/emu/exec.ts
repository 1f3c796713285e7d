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
import { portIn, portOut } from "./io.ts";
import { aad, aam, imul2, mulDiv } from "./muldiv.ts";
import { stringOp } from "./strings.ts";
import { exec0f } from "./exec0f.ts";

/** Prefix bytes by model: 0 none, else what the byte sets. */
const PREFIX_8086 = new Uint8Array(256);
const PREFIX_386 = new Uint8Array(256);
for (const b of [0x26, 0x2e, 0x36, 0x3e, 0xf0, 0xf2, 0xf3]) PREFIX_8086[b] = PREFIX_386[b] = 1;
PREFIX_8086[0xf1] = 1; // an alias of LOCK on the 8086
for (const b of [0x64, 0x65, 0x66, 0x67]) PREFIX_386[b] = 1;

/** Executes one instruction (or one iteration of a REP string instruction). */
export function step(c: Cpu): void {
  c.o32 = false;
  c.a32 = false;
  c.segOvr = -1;
  c.rep = 0;
  let op = c.fetch8();
  if ((c.is8086 ? PREFIX_8086 : PREFIX_386)[op] !== 0) op = prefixes(c, op);
  exec(c, op);
}

/** Consumes prefix bytes starting with `op`; returns the opcode after them. */
function prefixes(c: Cpu, op: number): number {
  const table = c.is8086 ? PREFIX_8086 : PREFIX_386;
  while (table[op] !== 0) {
    if (op === 0x26 || op === 0x2e || op === 0x36 || op === 0x3e) c.segOvr = (op >> 3) & 3;
    else if (op === 0xf3 || op === 0xf2) c.rep = op;
    else if (op === 0x66) c.o32 = true;
    else if (op === 0x67) c.a32 = true;
    else if (op === 0x64) c.segOvr = FS;
    else if (op === 0x65) c.segOvr = GS;
    // F0/F1 (LOCK): nothing to do on one CPU
    op = c.fetch8();
  }
  return op;
}

/** Undefined opcode: #UD on the 386 model (the 8086 has no such exception). */
export function undefinedOpcode(c: Cpu): void {
  if (!c.is8086) c.fault(6);
}

function sx8(v: number): number {
  return (v << 24) >> 24;
}

/** Sets IP to a near target; a 32-bit target beyond the real-mode CS limit faults. */
export function jumpNear(c: Cpu, target: number): void {
  if (c.o32) {
    target >>>= 0;
    if (target > c.limit[CS] || target > 0xffff) c.fault(13);
  }
  c.ip = target & 0xffff;
}

/** Executes the opcode `op` after its prefixes. */
export function exec(c: Cpu, op: number): void {
  const wsize = c.o32 ? 4 : 2;
  if (op < 0x40 && (op & 7) < 6) {
    const aop = op >> 3;
    switch (op & 7) {
      case 0: {
        c.modrm();
        const r = alu(c, aop, c.readRM(1), c.get8(c.reg), 1);
        if (aop !== 7) c.writeRM(1, r);
        return;
      }
      case 1: {
        c.modrm();
        const r = alu(c, aop, c.readRM(wsize), c.getReg(wsize, c.reg), wsize);
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
  switch (op) {
    case 0x06:
    case 0x0e:
    case 0x16:
    case 0x1e:
      c.pushN(wsize, c.sel[op >> 3]);
      return;
    case 0x07:
    case 0x17:
    case 0x1f: {
      const s = op >> 3;
      c.loadSeg(s, c.popN(wsize) & 0xffff);
      if (s === SS) c.inhibitInterrupts();
      return;
    }
    case 0x0f:
      if (c.is8086) c.loadSeg(CS, c.pop16()); // POP CS
      else exec0f(c);
      return;
    case 0x27:
      return daa(c);
    case 0x2f:
      return das(c);
    case 0x37:
      return aaa(c, false);
    case 0x3f:
      return aaa(c, true);
    case 0x40:
    case 0x41:
    case 0x42:
    case 0x43:
    case 0x44:
    case 0x45:
    case 0x46:
    case 0x47:
    case 0x48:
    case 0x49:
    case 0x4a:
    case 0x4b:
    case 0x4c:
    case 0x4d:
    case 0x4e:
    case 0x4f: {
      const i = op & 7;
      c.setReg(wsize, i, incdec(c, c.getReg(wsize, i), op >= 0x48, wsize));
      return;
    }
    case 0x50:
    case 0x51:
    case 0x52:
    case 0x53:
    case 0x54:
    case 0x55:
    case 0x56:
    case 0x57: {
      const i = op & 7;
      // The 8086 pushes SP as already decremented; the 286+ push the old value.
      const v = i === ESP && c.is8086 ? (c.r16[ESP << 1] - 2) & 0xffff : c.getReg(wsize, i);
      c.pushN(wsize, v);
      return;
    }
    case 0x58:
    case 0x59:
    case 0x5a:
    case 0x5b:
    case 0x5c:
    case 0x5d:
    case 0x5e:
    case 0x5f: {
      const v = c.popN(wsize);
      c.setReg(wsize, op & 7, v);
      return;
    }
    case 0x70:
    case 0x71:
    case 0x72:
    case 0x73:
    case 0x74:
    case 0x75:
    case 0x76:
    case 0x77:
    case 0x78:
    case 0x79:
    case 0x7a:
    case 0x7b:
    case 0x7c:
    case 0x7d:
    case 0x7e:
    case 0x7f: {
      const d = sx8(c.fetch8());
      if (c.cond(op & 15)) c.ip = (c.ip + d) & 0xffff;
      return;
    }
    case 0x80:
    case 0x81:
    case 0x82:
    case 0x83: {
      const size = (op & 1) === 0 ? 1 : wsize;
      c.modrm();
      const a = c.readRM(size);
      const b = op === 0x83 ? sx8(c.fetch8()) & MASK[size] : c.fetchN(size);
      const r = alu(c, c.reg, a, b >>> 0, size);
      if (c.reg !== 7) c.writeRM(size, r);
      return;
    }
    case 0x84:
    case 0x85: {
      const size = op === 0x84 ? 1 : wsize;
      c.modrm();
      logic(c, (c.readRM(size) & c.getReg(size, c.reg)) >>> 0, size);
      return;
    }
    case 0x86:
    case 0x87: {
      const size = op === 0x86 ? 1 : wsize;
      c.modrm();
      const a = c.readRM(size);
      const b = c.getReg(size, c.reg);
      c.writeRM(size, b);
      c.setReg(size, c.reg, a);
      return;
    }
    case 0x88:
      c.modrm();
      c.writeRM(1, c.get8(c.reg));
      return;
    case 0x89:
      c.modrm();
      c.writeRM(wsize, c.getReg(wsize, c.reg));
      return;
    case 0x8a:
      c.modrm();
      c.set8(c.reg, c.readRM(1));
      return;
    case 0x8b:
      c.modrm();
      c.setReg(wsize, c.reg, c.readRM(wsize));
      return;
    case 0x8c: {
      c.modrm();
      let s = c.reg;
      if (c.is8086) s &= 3;
      else if (s > 5) return undefinedOpcode(c);
      if (c.mod === 3) c.setReg(wsize, c.rm, c.sel[s]);
      else c.write16(c.eaSeg, c.eaOff, c.sel[s]);
      return;
    }
    case 0x8d:
      c.modrm();
      if (c.mod === 3) return undefinedOpcode(c);
      c.setReg(wsize, c.reg, c.eaOff);
      return;
    case 0x8e: {
      c.modrm();
      let s = c.reg;
      if (c.is8086) s &= 3;
      else if (s > 5 || s === CS) return undefinedOpcode(c);
      c.loadSeg(s, c.readRM(2));
      if (s === SS) c.inhibitInterrupts();
      return;
    }
    case 0x8f: {
      c.modrm();
      if (c.reg !== 0 && !c.is8086) return undefinedOpcode(c);
      const v = c.popN(wsize);
      c.writeRM(wsize, v);
      return;
    }
    case 0x90:
      return;
    case 0x91:
    case 0x92:
    case 0x93:
    case 0x94:
    case 0x95:
    case 0x96:
    case 0x97: {
      const i = op & 7;
      const t = c.getReg(wsize, i);
      c.setReg(wsize, i, c.getReg(wsize, EAX));
      c.setReg(wsize, EAX, t);
      return;
    }
    case 0x98:
      if (c.o32) c.r32[EAX] = (c.r16[0] << 16) >> 16;
      else c.r16[0] = sx8(c.r8[0]);
      return;
    case 0x99:
      if (c.o32) c.r32[EDX] = (c.r32[EAX] & 0x80000000) !== 0 ? 0xffffffff : 0;
      else c.r16[EDX << 1] = (c.r16[0] & 0x8000) !== 0 ? 0xffff : 0;
      return;
    case 0x9a: {
      const off = c.fetchN(wsize);
      const seg = c.fetch16();
      farCall(c, seg, off);
      return;
    }
    case 0x9b: // WAIT: no FPU to wait for
      return;
    case 0x9c:
      if (c.o32) c.push32(c.readFlags() & 0x00fcffff);
      else c.push16(c.readFlags() & 0xffff);
      return;
    case 0x9d:
      c.writeFlags(c.popN(wsize), c.o32);
      return;
    case 0x9e:
      c.flags = (c.flags & ~0xff) | (c.r8[1] & 0xd5) | 2;
      return;
    case 0x9f:
      c.r8[1] = c.readFlags() & 0xff;
      return;
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3: {
      const size = (op & 1) === 0 ? 1 : wsize;
      const off = c.a32 ? c.fetch32() : c.fetch16();
      const s = c.dataSeg();
      if (op < 0xa2) c.setReg(size, EAX, c.readN(size, s, off));
      else c.writeN(size, s, off, c.getReg(size, EAX));
      return;
    }
    case 0xa4:
    case 0xa5:
    case 0xa6:
    case 0xa7:
    case 0xaa:
    case 0xab:
    case 0xac:
    case 0xad:
    case 0xae:
    case 0xaf:
      return stringOp(c, op);
    case 0xa8:
      logic(c, c.r8[0] & c.fetch8(), 1);
      return;
    case 0xa9:
      logic(c, (c.getReg(wsize, EAX) & c.fetchN(wsize)) >>> 0, wsize);
      return;
    case 0xb0:
    case 0xb1:
    case 0xb2:
    case 0xb3:
    case 0xb4:
    case 0xb5:
    case 0xb6:
    case 0xb7:
      c.set8(op & 7, c.fetch8());
      return;
    case 0xb8:
    case 0xb9:
    case 0xba:
    case 0xbb:
    case 0xbc:
    case 0xbd:
    case 0xbe:
    case 0xbf:
      c.setReg(wsize, op & 7, c.fetchN(wsize));
      return;
    case 0xc0:
    case 0xc1:
      if (c.is8086) return ret(c, op === 0xc0); // aliases of C2/C3
      return shiftGroup(c, op, -1);
    case 0xc2:
    case 0xc3:
      return ret(c, op === 0xc2);
    case 0xc4:
    case 0xc5: {
      c.modrm();
      if (c.mod === 3) return undefinedOpcode(c);
      const off = c.readN(wsize, c.eaSeg, c.eaOff);
      const seg = c.read16(c.eaSeg, (c.eaOff + wsize) & (c.a32 ? 0xffffffff : 0xffff));
      c.setReg(wsize, c.reg, off);
      c.loadSeg(op === 0xc4 ? ES : DS, seg);
      return;
    }
    case 0xc6:
    case 0xc7: {
      const size = op === 0xc6 ? 1 : wsize;
      c.modrm();
      if (c.reg !== 0 && !c.is8086) return undefinedOpcode(c);
      c.writeRM(size, c.fetchN(size));
      return;
    }
    case 0xc8:
      if (c.is8086) return retf(c, true);
      return enter(c);
    case 0xc9:
      if (c.is8086) return retf(c, false);
      // LEAVE: SP = BP, pop BP
      c.r16[ESP << 1] = c.r16[EBP << 1];
      c.setReg(wsize, EBP, c.popN(wsize));
      return;
    case 0xca:
    case 0xcb:
      return retf(c, op === 0xca);
    case 0xcc:
      return c.deliver(3);
    case 0xcd:
      return c.deliver(c.fetch8());
    case 0xce:
      if ((c.flags & OF) !== 0) c.deliver(4);
      return;
    case 0xcf: {
      const ip = c.popN(wsize);
      const cs = c.popN(wsize);
      const fl = c.popN(wsize);
      if (c.o32 && ip > 0xffff) c.fault(13);
      c.ip = ip & 0xffff;
      c.loadSeg(CS, cs & 0xffff);
      c.writeFlags(fl, c.o32);
      return;
    }
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
      return shiftGroup(c, op, op < 0xd2 ? 1 : c.r8[4]);
    case 0xd4:
      return aam(c, c.fetch8());
    case 0xd5:
      return aad(c, c.fetch8());
    case 0xd6: // SALC
      c.r8[0] = (c.flags & CF) !== 0 ? 0xff : 0;
      return;
    case 0xd7: {
      const off = c.a32 ? (c.r32[EBX] + c.r8[0]) >>> 0 : (c.r16[EBX << 1] + c.r8[0]) & 0xffff;
      c.r8[0] = c.read8(c.dataSeg(), off);
      return;
    }
    case 0xd8:
    case 0xd9:
    case 0xda:
    case 0xdb:
    case 0xdc:
    case 0xdd:
    case 0xde:
    case 0xdf:
      // No FPU: decode the operand and do nothing; EM or TS set raise #NM on the 386 model.
      c.modrm();
      if (!c.is8086 && (c.cr0 & 0xc) !== 0) c.fault(7);
      return;
    case 0xe0:
    case 0xe1:
    case 0xe2: {
      const d = sx8(c.fetch8());
      let n: number;
      if (c.a32) n = c.r32[ECX] = c.r32[ECX] - 1;
      else n = c.r16[ECX << 1] = c.r16[ECX << 1] - 1;
      let take = n !== 0;
      if (op === 0xe0) take &&= (c.flags & ZF) === 0;
      else if (op === 0xe1) take &&= (c.flags & ZF) !== 0;
      if (take) c.ip = (c.ip + d) & 0xffff;
      return;
    }
    case 0xe3: {
      const d = sx8(c.fetch8());
      if ((c.a32 ? c.r32[ECX] : c.r16[ECX << 1]) === 0) c.ip = (c.ip + d) & 0xffff;
      return;
    }
    case 0xe4:
    case 0xe5:
    case 0xec:
    case 0xed: {
      const size = (op & 1) === 0 ? 1 : wsize;
      const port = op < 0xe8 ? c.fetch8() : c.r16[EDX << 1];
      c.setReg(size, EAX, portIn(c, port, size));
      return;
    }
    case 0xe6:
    case 0xe7:
    case 0xee:
    case 0xef: {
      const size = (op & 1) === 0 ? 1 : wsize;
      const port = op < 0xe8 ? c.fetch8() : c.r16[EDX << 1];
      c.ioCount = 0;
      portOut(c, port, size, c.getReg(size, EAX));
      c.stop = Stop.IO;
      return;
    }
    case 0xe8: {
      const d = c.fetchN(wsize);
      const next = c.ip;
      const target = next + d;
      if (c.o32 && ((target >>> 0) > 0xffff)) c.fault(13);
      c.pushN(wsize, next);
      c.ip = target & 0xffff;
      return;
    }
    case 0xe9: {
      const d = c.fetchN(wsize);
      return jumpNear(c, c.ip + d);
    }
    case 0xea: {
      const off = c.fetchN(wsize);
      const seg = c.fetch16();
      if (off > 0xffff) c.fault(13);
      c.loadSeg(CS, seg);
      c.ip = off;
      return;
    }
    case 0xeb: {
      const d = sx8(c.fetch8());
      c.ip = (c.ip + d) & 0xffff;
      return;
    }
    case 0xf1: // ICEBP on the 386+ (the 8086 treats F1 as a prefix above)
      return c.deliver(1);
    case 0xf4:
      c.stop = Stop.HLT;
      return;
    case 0xf5:
      c.flags ^= CF;
      return;
    case 0xf6:
    case 0xf7: {
      const size = op === 0xf6 ? 1 : wsize;
      c.modrm();
      const v = c.readRM(size);
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
      return;
    }
    case 0xf8:
      c.flags &= ~CF;
      return;
    case 0xf9:
      c.flags |= CF;
      return;
    case 0xfa:
      c.flags &= ~IF;
      return;
    case 0xfb:
      if ((c.flags & IF) === 0) c.inhibitInterrupts();
      c.flags |= IF;
      return;
    case 0xfc:
      c.flags &= ~DF;
      return;
    case 0xfd:
      c.flags |= DF;
      return;
    case 0xfe:
      c.modrm();
      if (c.reg < 2) c.writeRM(1, incdec(c, c.readRM(1), c.reg === 1, 1));
      else undefinedOpcode(c);
      return;
    case 0xff:
      return group5(c, wsize);
    default:
      return exec186(c, op, wsize);
  }
}

/** 60-6F: 186+ instructions on the 386 model, Jcc aliases on the 8086. */
function exec186(c: Cpu, op: number, wsize: number): void {
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
      const hi = c.readN(wsize, c.eaSeg, (c.eaOff + wsize) & (c.a32 ? 0xffffffff : 0xffff));
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
    default: // 63 ARPL and anything else: not in real mode
      return undefinedOpcode(c);
  }
}

function ret(c: Cpu, imm: boolean): void {
  const n = imm ? c.fetch16() : 0;
  const wsize = c.o32 ? 4 : 2;
  const ip = c.popN(wsize);
  if (ip > 0xffff) c.fault(13);
  c.ip = ip;
  c.r16[ESP << 1] += n;
}

function retf(c: Cpu, imm: boolean): void {
  const n = imm ? c.fetch16() : 0;
  const wsize = c.o32 ? 4 : 2;
  const ip = c.popN(wsize);
  const cs = c.popN(wsize) & 0xffff;
  if (ip > 0xffff) c.fault(13);
  c.ip = ip;
  c.loadSeg(CS, cs);
  c.r16[ESP << 1] += n;
}

/** Far call: pushes CS and IP, then jumps. */
export function farCall(c: Cpu, seg: number, off: number): void {
  const wsize = c.o32 ? 4 : 2;
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
  const frame = c.r16[ESP << 1];
  let bp = c.r16[EBP << 1];
  for (let i = 1; i < level; i++) {
    bp = (bp - wsize) & 0xffff;
    c.pushN(wsize, c.readN(wsize, SS, bp));
  }
  if (level > 0) c.pushN(wsize, frame);
  c.setReg(2, EBP, frame);
  c.r16[ESP << 1] = c.r16[ESP << 1] - size;
}

/** C0/C1/D0-D3: the shift group; `count` -1 means an imm8 follows the ModRM. */
function shiftGroup(c: Cpu, op: number, count: number): void {
  const size = (op & 1) === 0 ? 1 : c.o32 ? 4 : 2;
  c.modrm();
  const v = c.readRM(size);
  if (count < 0) count = c.fetch8();
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
      c.writeRM(wsize, incdec(c, c.readRM(wsize), reg === 1, wsize));
      return;
    case 2: {
      const target = c.readRM(wsize);
      if (target > 0xffff) c.fault(13);
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
      const seg = c.read16(c.eaSeg, (c.eaOff + wsize) & (c.a32 ? 0xffffffff : 0xffff));
      if (reg === 3) return farCall(c, seg, off);
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
