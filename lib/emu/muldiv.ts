/**
 * MUL, IMUL, DIV, IDIV (the F6/F7 group), the two- and three-operand IMUL of
 * the 186/386, AAM and AAD. 32-bit products are formed from 16-bit halves so
 * no precision is lost; 64-by-32 division uses BigInt only when EDX is not 0.
 *
 * @module
 */

import { CF, OF, szp } from "./flags.ts";
import { sub } from "./alu.ts";
import { type Cpu, EAX, EDX, Lazy } from "./cpu.ts";

let mulLo = 0;
let mulHi = 0;

/** Unsigned 32x32 -> 64 product into mulLo/mulHi. */
function mul32(a: number, b: number): void {
  const aL = a & 0xffff, aH = a >>> 16, bL = b & 0xffff, bH = b >>> 16;
  const ll = aL * bL, lh = aL * bH, hl = aH * bL, hh = aH * bH;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  mulLo = ((mid << 16) | (ll & 0xffff)) >>> 0;
  mulHi = (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
}

/** Signed 32x32 -> 64 product (operands as unsigned 32-bit) into mulLo/mulHi. */
function imul32(a: number, b: number): void {
  mul32(a, b);
  let hi = mulHi;
  if (a & 0x80000000) hi -= b;
  if (b & 0x80000000) hi -= a;
  mulHi = hi >>> 0;
}

function sx(v: number, size: number): number {
  return size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;
}

/**
 * Raises #DE. The 8086 pushes the address of the next instruction and leaves
 * the flags of the microcode's last ALU step; later CPUs fault on the
 * divide itself.
 */
function divideError(c: Cpu): void {
  if (!c.is8086) c.raise(0);
  else c.exception(0);
}

/** F6/F7 /4../7 on `src`. Returns nothing; writes AX/DX:AX/EDX:EAX. */
export function mulDiv(c: Cpu, op: number, src: number, size: number): void {
  const r = c.r16, r32 = c.r32;
  const negate = c.is8086 && c.rep !== 0; // the 8086 microcode negates the result under REP
  switch (op) {
    case 4: { // MUL
      let hiNonZero: boolean;
      if (size === 1) {
        const p = c.r8[0] * src;
        r[0] = p;
        hiNonZero = p > 0xff;
        c.flags = (c.rawFlags & ~0x8d5) | szp(p >> 8 & 0xff, 1);
      } else if (size === 2) {
        const p = r[0] * src;
        r[0] = p;
        r[EDX << 1] = p >>> 16;
        hiNonZero = p > 0xffff;
        c.flags = (c.rawFlags & ~0x8d5) | szp(p >>> 16, 2);
      } else {
        mul32(r32[EAX], src);
        r32[EAX] = mulLo;
        r32[EDX] = mulHi;
        hiNonZero = mulHi !== 0;
        c.flags = (c.rawFlags & ~0x8d5) | szp(mulHi, 4);
      }
      if (hiNonZero) c.flags |= CF | OF;
      return;
    }
    case 5: { // IMUL
      let overflow: boolean;
      if (size === 1) {
        let p = sx(c.r8[0], 1) * sx(src, 1);
        if (negate) p = -p;
        r[0] = p;
        overflow = p !== sx(p & 0xff, 1);
        c.flags = (c.rawFlags & ~0x8d5) | szp((p >> 8) & 0xff, 1);
      } else if (size === 2) {
        let p = sx(r[0], 2) * sx(src, 2);
        if (negate) p = -p;
        r[0] = p;
        r[EDX << 1] = p >> 16;
        overflow = p !== sx(p & 0xffff, 2);
        c.flags = (c.rawFlags & ~0x8d5) | szp((p >> 16) & 0xffff, 2);
      } else {
        imul32(r32[EAX], src);
        r32[EAX] = mulLo;
        r32[EDX] = mulHi;
        overflow = mulHi !== ((mulLo & 0x80000000) ? 0xffffffff : 0);
        c.flags = (c.rawFlags & ~0x8d5) | szp(mulHi, 4);
      }
      if (overflow) c.flags |= CF | OF;
      return;
    }
    case 6: { // DIV
      if (size === 1) {
        const a = r[0];
        if (src === 0 || (a >> 8) >= src) {
          if (c.is8086) sub(c, a >> 8, src, 0, 1);
          return divideError(c);
        }
        c.r8[0] = Math.floor(a / src);
        c.r8[1] = a % src;
      } else if (size === 2) {
        const hi = r[EDX << 1];
        if (src === 0 || hi >= src) {
          if (c.is8086) sub(c, hi, src, 0, 2);
          return divideError(c);
        }
        const a = hi * 0x10000 + r[0];
        r[0] = Math.floor(a / src);
        r[EDX << 1] = a % src;
      } else {
        const hi = r32[EDX];
        if (src === 0 || hi >= src) return divideError(c);
        if (hi === 0) {
          const a = r32[EAX];
          r32[EAX] = Math.floor(a / src);
          r32[EDX] = a % src;
        } else {
          const a = (BigInt(hi) << 32n) | BigInt(r32[EAX]);
          const d = BigInt(src);
          r32[EAX] = Number(a / d);
          r32[EDX] = Number(a % d);
        }
      }
      return;
    }
    default: { // IDIV
      if (size === 4) return idiv32(c, src);
      const bits = size * 8;
      const a = size === 1 ? sx(r[0], 2) : (r[EDX << 1] << 16) | r[0];
      const d = sx(src, size);
      if (d === 0) return idivError(c, a, d, size);
      let q = Math.trunc(a / d);
      const rem = a - q * d;
      // The 8086 rejects the most negative quotient; the 286+ accept it.
      const min = c.is8086 ? -(2 ** (bits - 1)) + 1 : -(2 ** (bits - 1));
      if (q > 2 ** (bits - 1) - 1 || q < min) return idivError(c, a, d, size);
      if (negate) q = -q;
      if (size === 1) {
        c.r8[0] = q;
        c.r8[1] = rem;
      } else {
        r[0] = q;
        r[EDX << 1] = rem;
      }
    }
  }
}

/**
 * IDIV overflow. The 8086 pushes the flags its microcode left: with the
 * operands made positive, either those of the first check (high half minus
 * divisor, which failed), or, when the quotient came out too large, those of
 * the last subtraction of the shift-and-subtract loop with CF clear (derived
 * from the SingleStepTests captures).
 */
function idivError(c: Cpu, a: number, d: number, size: number): void {
  if (c.is8086) {
    const bits = size * 8;
    const m = size === 1 ? 0xff : 0xffff;
    const ad = Math.abs(d);
    const aa = Math.abs(a);
    let hi = Math.floor(aa / (m + 1));
    let lo = aa & m;
    if (ad === 0 || hi >= ad) sub(c, hi, ad, 0, size);
    else {
      for (let i = 0; i < bits; i++) {
        const carry = hi >> (bits - 1);
        hi = ((hi << 1) | (lo >> (bits - 1))) & m;
        lo = (lo << 1) & m;
        const t = hi - ad;
        sub(c, hi, ad, 0, size);
        if (carry !== 0 || t >= 0) {
          hi = t & m;
          lo |= 1;
        }
      }
      c.flags &= ~CF;
    }
  }
  divideError(c);
}

function idiv32(c: Cpu, src: number): void {
  const d = BigInt(src | 0);
  if (d === 0n) return divideError(c);
  const a = BigInt.asIntN(64, (BigInt(c.r32[EDX]) << 32n) | BigInt(c.r32[EAX]));
  const q = a / d;
  if (q > 0x7fffffffn || q < -0x80000000n) return divideError(c);
  c.r32[EAX] = Number(BigInt.asUintN(32, q));
  c.r32[EDX] = Number(BigInt.asUintN(32, a % d));
}

/**
 * Two/three-operand IMUL: returns the truncated product. Its flags are
 * those of a shift's lazy kind (SF, ZF, PF of the product, AF clear, CF and
 * OF set when the product does not fit): the translator leaves the same.
 */
export function imul2(c: Cpu, a: number, b: number, size: number): number {
  let r: number;
  let overflow: boolean;
  if (size === 2) {
    const p = sx(a, 2) * sx(b, 2);
    r = p & 0xffff;
    overflow = p !== sx(r, 2);
  } else {
    // The low half is Math.imul's; the double product is exact below 2^53 and, above, far
    // from any 32-bit value, so it differs from the low half exactly when the result overflows.
    const lo = Math.imul(a, b);
    r = lo >>> 0;
    overflow = (a | 0) * (b | 0) !== lo;
  }
  c.lop = Lazy.SHIFT;
  c.lr = r;
  c.lb = overflow ? CF | OF : 0;
  c.lsize = size;
  return r;
}

/** AAM imm8: AH = AL / imm, AL = AL % imm; #DE when imm is 0. */
export function aam(c: Cpu, imm: number): void {
  if (imm === 0) {
    if (c.is8086) c.flags = (c.rawFlags & ~0x8d5) | szp(0, 1);
    return divideError(c);
  }
  const al = c.r8[0];
  c.r8[1] = Math.floor(al / imm);
  c.r8[0] = al % imm;
  c.flags = (c.rawFlags & ~0x8d5) | szp(c.r8[0], 1);
}

/** AAD imm8: AL = AL + AH * imm, AH = 0 (flags as the 8-bit add of the product). */
export function aad(c: Cpu, imm: number): void {
  const prod = (c.r8[1] * imm) & 0xff;
  const r = add8(c, c.r8[0], prod);
  c.r16[0] = r;
}

function add8(c: Cpu, a: number, b: number): number {
  const t = a + b;
  const r = t & 0xff;
  let f = (t > 0xff ? CF : 0) | ((a ^ b ^ r) & 0x10) | szp(r, 1);
  if ((a ^ r) & (b ^ r) & 0x80) f |= OF;
  c.flags = (c.rawFlags & ~0x8d5) | f;
  return r;
}
