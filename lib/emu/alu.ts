/**
 * Arithmetic and logic with flag results: the eight ALU operations, INC/DEC,
 * shifts and rotates, and the BCD adjustments. Each takes operands of
 * `size` bytes (1, 2, 4) as unsigned numbers and returns the unsigned result.
 *
 * @module
 */

import { type Cpu, Lazy } from "./cpu.ts";
import { AF, CF, MASK, OF, PARITY, SF, SIGN, szp, ZF } from "./flags.ts";

const ARITH = CF | 0x4 | AF | ZF | SF | OF;

/** ADD/ADC. */
export function add(c: Cpu, a: number, b: number, carry: number, size: number): number {
  const r = ((a + b + carry) & MASK[size]) >>> 0;
  c.setLazy(carry === 0 ? Lazy.ADD : Lazy.ADC, size, a, b, r, carry);
  return r;
}

/** SUB/SBB/CMP/NEG. */
export function sub(c: Cpu, a: number, b: number, borrow: number, size: number): number {
  const r = ((a - b - borrow) & MASK[size]) >>> 0;
  c.setLazy(borrow === 0 ? Lazy.SUB : Lazy.SBB, size, a, b, r, borrow);
  return r;
}

/** Flags of AND/OR/XOR/TEST: CF=OF=AF=0. */
export function logic(c: Cpu, r: number, size: number): number {
  c.lop = Lazy.LOGIC;
  c.lr = r;
  c.lsize = size;
  return r;
}

/** One of ADD OR ADC SBB AND SUB XOR CMP (op 0..7); CMP returns `a`. */
export function alu(c: Cpu, op: number, a: number, b: number, size: number): number {
  switch (op) {
    case 0:
      return add(c, a, b, 0, size);
    case 1:
      return logic(c, (a | b) >>> 0, size);
    case 2:
      return add(c, a, b, c.cf(), size);
    case 3:
      return sub(c, a, b, c.cf(), size);
    case 4:
      return logic(c, (a & b) >>> 0, size);
    case 5:
      return sub(c, a, b, 0, size);
    case 6:
      return logic(c, (a ^ b) >>> 0, size);
    default:
      sub(c, a, b, 0, size);
      return a;
  }
}

/** INC (dec=false) or DEC: CF is kept. */
export function incdec(c: Cpu, a: number, dec: boolean, size: number): number {
  const cf = c.cf();
  c.rawFlags = (c.rawFlags & ~CF) | cf;
  const r = ((dec ? a - 1 : a + 1) & MASK[size]) >>> 0;
  c.lop = dec ? Lazy.DEC : Lazy.INC;
  c.la = a;
  c.lr = r;
  c.lsize = size;
  return r;
}

function signExtend(v: number, size: number): number {
  return size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;
}

/**
 * BSWAP of a register of `size` bytes: a dword's bytes reversed; a word
 * (undefined) becomes 0, as real CPUs leave it.
 */
export function byteSwap(v: number, size: number): number {
  if (size === 2) return 0;
  return ((v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/**
 * Shift/rotate group op (ROL ROR RCL RCR SHL SHR SETMO/SAL SAR) by `count`.
 * The caller masks the count (the 386 masks to 5 bits; the 8086 does not).
 * A zero count changes nothing.
 */
export function shift(c: Cpu, op: number, v: number, count: number, size: number): number {
  if (count === 0) return v;
  const bits = size * 8;
  const m = MASK[size];
  const top = SIGN[size];
  let r: number;
  let cf: number;
  let of: number;
  let f = c.flags;
  switch (op) {
    case 0: { // ROL
      const n = count % bits;
      r = n === 0 ? v : (((v << n) | (v >>> (bits - n))) & m) >>> 0;
      cf = r & 1;
      of = ((r & top) !== 0 ? 1 : 0) ^ cf;
      c.flags = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
      return r;
    }
    case 1: { // ROR
      const n = count % bits;
      r = n === 0 ? v : (((v >>> n) | (v << (bits - n))) & m) >>> 0;
      cf = (r & top) !== 0 ? 1 : 0;
      of = cf ^ ((r & (top >>> 1)) !== 0 ? 1 : 0);
      c.flags = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
      return r;
    }
    case 2: { // RCL
      let n = count % (bits + 1);
      cf = f & CF;
      r = v;
      while (n-- > 0) {
        const out = (r & top) !== 0 ? 1 : 0;
        r = (((r << 1) | cf) & m) >>> 0;
        cf = out;
      }
      of = ((r & top) !== 0 ? 1 : 0) ^ cf;
      c.flags = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
      return r;
    }
    case 3: { // RCR
      let n = count % (bits + 1);
      cf = f & CF;
      r = v;
      while (n-- > 0) {
        const out = r & 1;
        r = ((r >>> 1) | (cf ? top : 0)) >>> 0;
        cf = out;
      }
      of = ((r & top) !== 0 ? 1 : 0) ^ ((r & (top >>> 1)) !== 0 ? 1 : 0);
      c.flags = (f & ~(CF | OF)) | (cf ? CF : 0) | (of ? OF : 0);
      return r;
    }
    case 4: // SHL
    case 6: // SAL on 386+; SETMO on the 8086 (handled by the caller)
      if (count > bits) {
        r = 0;
        cf = 0;
      } else {
        cf = count === bits ? v & 1 : (v >>> (bits - count)) & 1;
        r = count === bits ? 0 : ((v << count) & m) >>> 0;
      }
      of = ((r & top) !== 0 ? 1 : 0) ^ cf;
      break;
    case 5: // SHR
      if (count > bits) {
        r = 0;
        cf = 0;
      } else {
        cf = (v >>> (count - 1)) & 1;
        r = count === bits ? 0 : v >>> count;
      }
      of = (v & top) !== 0 ? 1 : 0;
      break;
    default: { // SAR
      const s = signExtend(v, size);
      if (count >= bits) {
        r = s < 0 ? m : 0;
        cf = s < 0 ? 1 : 0;
      } else {
        r = ((s >> count) & m) >>> 0;
        cf = (s >> (count - 1)) & 1;
      }
      of = 0;
    }
  }
  f = (f & ~ARITH) | szp(r, size) | (cf ? CF : 0) | (of ? OF : 0);
  c.flags = f;
  return r;
}

/** DAA. */
export function daa(c: Cpu): void {
  const al = c.r8[0];
  const f = c.flags;
  let r = al;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || (f & AF) !== 0) {
    r += 6;
    af = AF;
  }
  if (al > ((f & AF) !== 0 && c.is8086 ? 0x9f : 0x99) || (f & CF) !== 0) {
    r += 0x60;
    cf = CF;
  }
  r &= 0xff;
  c.r8[0] = r;
  // OF is undefined; this is what the adjustment as an addition would give.
  const o = (al & 0x80) === 0 && (r & 0x80) !== 0 ? OF : 0;
  c.flags = (f & ~ARITH) | PARITY[r] | (r === 0 ? ZF : 0) | (r & 0x80 ? SF : 0) | cf | af | o;
}

/** DAS. */
export function das(c: Cpu): void {
  const al = c.r8[0];
  const f = c.flags;
  let r = al;
  let cf = 0;
  let af = 0;
  if ((al & 0xf) > 9 || (f & AF) !== 0) {
    r -= 6;
    af = AF;
    // The 386 sets CF when AL - 6 borrows (test386's reference and the SDM's pseudocode).
    if (!c.is8086 && al < 6) cf = CF;
  }
  if (al > ((f & AF) !== 0 && c.is8086 ? 0x9f : 0x99) || (f & CF) !== 0) {
    r -= 0x60;
    cf = CF;
  }
  r &= 0xff;
  c.r8[0] = r;
  const o = (al & 0x80) !== 0 && (r & 0x80) === 0 ? OF : 0;
  c.flags = (f & ~ARITH) | PARITY[r] | (r === 0 ? ZF : 0) | (r & 0x80 ? SF : 0) | cf | af | o;
}

/** AAA (sub=false) or AAS. */
export function aaa(c: Cpu, isSub: boolean): void {
  const f = c.flags;
  const al = c.r8[0];
  let r = al;
  let adj = 0;
  if ((al & 0xf) > 9 || (f & AF) !== 0) {
    if (c.is8086) {
      r = isSub ? al - 6 : al + 6;
      c.r8[1] = c.r8[1] + (isSub ? -1 : 1);
    } else {
      const ax = c.r16[0] + (isSub ? -0x106 : 0x106);
      c.r16[0] = ax;
      r = ax & 0xff;
    }
    adj = AF | CF;
  }
  r &= 0x0f;
  c.r8[0] = r;
  c.flags = (f & ~ARITH) | adj | PARITY[r] | (r === 0 ? ZF : 0);
}
