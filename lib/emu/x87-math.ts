/**
 * The x87's arithmetic on JavaScript doubles: correctly rounded results in
 * the control word's rounding mode (round to nearest is the double's own;
 * the directed modes come from the exact error of each operation), precision
 * control, the NaN rules, and the conversions between doubles and the
 * memory formats (single, 80-bit extended, integers, packed BCD).
 *
 * Registers hold doubles: 53-bit significands and the double's exponent
 * range, not the 64-bit extended format. Results that are exact in double
 * precision are the real FPU's; others differ by the double rounding.
 *
 * @module
 */

/** Exception flags (status word bits 0-6). */
export const IE = 1, DE = 2, ZE = 4, OE = 8, UE = 0x10, PE = 0x20, SF = 0x40;
/** Rounding control (control word bits 10-11). */
export const RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_CHOP = 3;

/**
 * What the last operation raised, whether it rounded the magnitude up (C1),
 * and a remainder's low three quotient bits.
 */
export const status = { ex: 0, up: false, q: 0 };

const F64 = new Float64Array(1);
/** The double's words: [0] low, [1] high (sign, exponent, top 20 fraction bits). */
const W = new Uint32Array(F64.buffer);
const F32 = new Float32Array(1);
const W32 = new Uint32Array(F32.buffer);

/** The double with these words. */
export function fromWords(lo: number, hi: number): number {
  W[0] = lo;
  W[1] = hi;
  return F64[0];
}
/** The high word of a double. */
export function hiWord(v: number): number {
  F64[0] = v;
  return W[1];
}
/** The low word of a double. */
export function loWord(v: number): number {
  F64[0] = v;
  return W[0];
}

/** The QNaN floating-point indefinite: negative, quiet, no payload. */
export const INDEFINITE = fromWords(0, 0xfff80000);
const MAX_SINGLE = 3.4028234663852886e38;
const MIN_NORMAL = 2.2250738585072014e-308;
const MIN_NORMAL_SINGLE = 1.1754943508222875e-38;

/** A NaN whose quiet bit is clear. */
export function isSignaling(v: number): boolean {
  return v !== v && (hiWord(v) & 0x80000) === 0;
}
/** The NaN with its quiet bit set. */
export function quiet(v: number): number {
  F64[0] = v;
  W[1] |= 0x80000;
  return F64[0];
}

/** The result of an operation on NaN operand(s): SNaN raises IE; x87 picks which NaN. */
export function nanResult(a: number, b: number): number {
  if (isSignaling(a) || isSignaling(b)) status.ex |= IE;
  if (a !== a && b !== b) {
    const qa = (hiWord(a) & 0x80000) !== 0, qb = (hiWord(b) & 0x80000) !== 0;
    if (qa !== qb) return qa ? a : quiet(b);
    // Both of one kind: the larger significand (a on a tie).
    const ha = hiWord(a) & 0xfffff, hb = hiWord(b) & 0xfffff;
    const pickB = hb > ha || (hb === ha && loWord(b) > loWord(a));
    return quiet(pickB ? b : a);
  }
  return quiet(a !== a ? a : b);
}

/** One step from v toward +infinity (`up`) or -infinity. */
function nextToward(v: number, up: boolean): number {
  if (v === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  F64[0] = v;
  if ((v > 0) === up) {
    W[0] = W[0] + 1;
    if (W[0] === 0) W[1]++;
  } else {
    if (W[0] === 0) W[1]--;
    W[0] = W[0] - 1;
  }
  return F64[0];
}
/** One single-precision step from the single v toward +infinity (`up`) or -infinity. */
function nextToward32(v: number, up: boolean): number {
  if (v === 0) return up ? 1.401298464324817e-45 : -1.401298464324817e-45;
  F32[0] = v;
  W32[0] = W32[0] + ((v > 0) === up ? 1 : -1);
  return F32[0];
}

/**
 * Moves a round-to-nearest result r to the rounding mode's neighbour of the
 * exact value, whose direction from r is `e` (-1, 0, 1). Returns the new
 * direction of the exact value from the result.
 */
function directed(r: number, e: number, rc: number, step: (v: number, up: boolean) => number) {
  let move = 0;
  if (rc === RC_DOWN) move = e < 0 ? -1 : 0;
  else if (rc === RC_UP) move = e > 0 ? 1 : 0;
  else if (rc === RC_CHOP) move = r > 0 && e < 0 ? -1 : r < 0 && e > 0 ? 1 : 0;
  if (move === 0) return { r, e };
  return { r: step(r, move > 0), e: -e };
}

/** The masked overflow response: infinity or the largest finite value, by rounding mode. */
function overflow(positive: boolean, rc: number, max: number): number {
  status.ex |= OE | PE;
  const toInf = rc === RC_NEAREST || (positive ? rc === RC_UP : rc === RC_DOWN);
  status.up = toInf;
  const m = toInf ? Infinity : max;
  return positive ? m : -m;
}

/**
 * Rounds a result of finite operands: `r` is the double nearest the exact
 * value, `e` the sign of (exact - r). Applies RC and PC, raises PE/OE/UE.
 */
export function round(r: number, e: number, cw: number): number {
  const rc = (cw >> 10) & 3;
  if (r === Infinity || r === -Infinity) return overflow(r > 0, rc, Number.MAX_VALUE);
  if (e !== 0 && rc !== RC_NEAREST) ({ r, e } = directed(r, e, rc, nextToward));
  if (r === Infinity || r === -Infinity) return overflow(r > 0, rc, Number.MAX_VALUE);
  let tiny = MIN_NORMAL;
  if ((cw & 0x300) === 0) {
    // Precision control: single (rounded from the double result).
    tiny = MIN_NORMAL_SINGLE;
    const s = Math.fround(r);
    if (s === Infinity || s === -Infinity) return overflow(s > 0, rc, MAX_SINGLE);
    if (s !== r) {
      e = r > s ? 1 : -1;
      r = s;
      if (rc !== RC_NEAREST) ({ r, e } = directed(r, e, rc, nextToward32));
    }
  }
  if (e !== 0) {
    status.ex |= PE;
    if (Math.abs(r) < tiny) status.ex |= UE;
    status.up = r > 0 ? e < 0 : e > 0;
  }
  return r;
}

/** Dekker's split: the high half of x's significand. */
function splitHi(x: number): number {
  const t = 134217729 * x;
  return t - (t - x);
}
/** The error of p = fl(a*b), exactly: a*b - p (a, b near 1, so nothing over- or underflows). */
function productError(a: number, b: number, p: number): number {
  const ah = splitHi(a), al = a - ah, bh = splitHi(b), bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}
/** x * 2^k in steps that are each exact while x stays in range. */
export function scale(x: number, k: number): number {
  while (k > 1000) {
    x *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    x *= 2 ** -1000;
    k += 1000;
  }
  return x * 2 ** k;
}
/** The binary exponent of a finite non-zero x (to within one: only used to scale near 1). */
function exponentOf(x: number): number {
  return Math.floor(Math.log2(Math.abs(x)));
}

/** Operation codes of {@link arith}. */
export const ADD = 0, MUL = 1, SUB = 4, DIV = 6;

/** a op b (ADD, MUL, SUB, DIV) with x87 exceptions and rounding. */
export function arith(op: number, a: number, b: number, cw: number): number {
  if (a !== a || b !== b) return nanResult(a, b);
  if (op === SUB) b = -b;
  if (op === ADD || op === SUB) {
    if (!isFinite(a) || !isFinite(b)) {
      if (!isFinite(a) && !isFinite(b) && a !== b) return invalid();
      return a + b;
    }
    const s = a + b;
    if (!isFinite(s)) return round(s, 0, cw);
    const bb = s - a;
    const err = (a - (s - bb)) + (b - bb); // TwoSum: exact
    if (s === 0 && err === 0) {
      // An exact zero is -0 when rounding down, unless both operands are +0.
      const down = ((cw >> 10) & 3) === RC_DOWN;
      return down && !(Object.is(a, 0) && Object.is(b, 0)) ? -0 : s;
    }
    return round(s, Math.sign(err), cw);
  }
  if (op === MUL) {
    if (!isFinite(a) || !isFinite(b)) return a === 0 || b === 0 ? invalid() : a * b;
    const p = a * b;
    if (!isFinite(p) || a === 0 || b === 0) return round(p, 0, cw);
    // Scaled near 1, the exact product is P + E; p scales exactly.
    const ka = exponentOf(a), kb = exponentOf(b);
    const sa = scale(a, -ka), sb = scale(b, -kb), sp = scale(p, -ka - kb);
    const P = sa * sb;
    return round(p, P !== sp ? Math.sign(P - sp) : Math.sign(productError(sa, sb, P)), cw);
  }
  if (!isFinite(a) || !isFinite(b)) return !isFinite(a) && !isFinite(b) ? invalid() : a / b;
  if (b === 0) {
    if (a === 0) return invalid();
    status.ex |= ZE;
    return a / b;
  }
  const q = a / b;
  if (!isFinite(q) || a === 0) return round(q, 0, cw);
  if (q === 0) return round(q, Math.sign(a) * Math.sign(b), cw);
  // sign(a/b - q) = sign(a - q*b) * sign(b), with everything scaled near 1.
  const ka = exponentOf(a), kb = exponentOf(b);
  const sa = scale(a, -ka), sb = scale(b, -kb), sq = scale(q, kb - ka);
  const P = sq * sb;
  return round(q, Math.sign((sa - P) - productError(sq, sb, P)) * Math.sign(sb), cw);
}

/** Square root with IE for negative operands. */
export function sqrt(a: number, cw: number): number {
  if (a !== a) return nanResult(a, a);
  if (a === 0 || a === Infinity) return a;
  if (a < 0) return invalid();
  const q = Math.sqrt(a);
  const k = exponentOf(a) & ~1;
  const sa = scale(a, -k), sq = scale(q, -k / 2);
  const P = sq * sq;
  return round(q, Math.sign((sa - P) - productError(sq, sq, P)), cw);
}

/** The invalid-operation response: IE and the indefinite. */
export function invalid(): number {
  status.ex |= IE;
  return INDEFINITE;
}

/** Rounds to an integer by RC (FRNDINT, FIST): PE when that changed the value. */
export function roundInt(v: number, rc: number): number {
  if (!isFinite(v)) return v;
  let r: number;
  if (rc === RC_DOWN) r = Math.floor(v);
  else if (rc === RC_UP) r = Math.ceil(v);
  else if (rc === RC_CHOP) r = Math.trunc(v);
  else {
    r = Math.floor(v);
    const d = v - r;
    if (d > 0.5 || (d === 0.5 && r % 2 !== 0)) r += 1;
  }
  if (r !== v) {
    status.ex |= PE;
    status.up = Math.abs(r) > Math.abs(v);
  }
  return r === 0 && (v < 0 || Object.is(v, -0)) ? -0 : r;
}

/** A double to single precision by RC (FST m32), as a float32 bit pattern. */
export function toSingleBits(v: number, cw: number): number {
  if (v !== v) {
    if (isSignaling(v)) status.ex |= IE;
    F64[0] = v;
    const hi = W[1], lo = W[0];
    return ((hi & 0x80000000) | 0x7fc00000 | ((hi & 0x7ffff) << 3) | (lo >>> 29)) >>> 0;
  }
  let s = Math.fround(v);
  if (isFinite(v) && s !== v) {
    const rc = (cw >> 10) & 3;
    if (!isFinite(s)) s = overflow(s > 0, rc, MAX_SINGLE);
    else {
      let e = v > s ? 1 : -1;
      if (rc !== RC_NEAREST) ({ r: s, e } = directed(s, e, rc, nextToward32));
      if (!isFinite(s)) s = overflow(s > 0, rc, MAX_SINGLE);
      else {
        status.ex |= PE;
        if (Math.abs(s) < MIN_NORMAL_SINGLE) status.ex |= UE;
        status.up = s > 0 ? e < 0 : e > 0;
      }
    }
  }
  F32[0] = s;
  return W32[0];
}

/** A float32 bit pattern as a double (exact; an SNaN keeps its payload and stays signalling). */
export function fromSingleBits(bits: number): number {
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) {
    return fromWords(bits << 29, (bits & 0x80000000) | 0x7ff00000 | ((bits & 0x7fffff) >>> 3));
  }
  W32[0] = bits;
  return F32[0];
}

/** An 80-bit extended value: significand words and sign/exponent (filled by {@link toExtended}). */
export const EXT = new Uint32Array(3);

/** A double as 80-bit extended into {@link EXT}: [significand low, significand high, sign|exponent]. */
export function toExtended(v: number): void {
  F64[0] = v;
  const hi = W[1], lo = W[0];
  const sign = (hi >>> 16) & 0x8000;
  const e = (hi >>> 20) & 0x7ff;
  let mhi = (((hi & 0xfffff) << 11) | (lo >>> 21)) >>> 0;
  let mlo = (lo << 11) >>> 0;
  let exp: number;
  if (e === 0x7ff) {
    exp = 0x7fff;
    mhi = (mhi | 0x80000000) >>> 0;
  } else if (e !== 0) {
    exp = e + 15360;
    mhi = (mhi | 0x80000000) >>> 0;
  } else if (mhi === 0 && mlo === 0) exp = 0;
  else {
    // A double denormal is a normal extended number: normalize it.
    const n = mhi !== 0 ? Math.clz32(mhi) : 32 + Math.clz32(mlo);
    if (n >= 32) {
      mhi = (mlo << (n - 32)) >>> 0;
      mlo = 0;
    } else if (n > 0) {
      mhi = ((mhi << n) | (mlo >>> (32 - n))) >>> 0;
      mlo = (mlo << n) >>> 0;
    }
    exp = 15361 - n;
  }
  EXT[0] = mlo;
  EXT[1] = mhi;
  EXT[2] = sign | exp;
}

/**
 * An 80-bit extended value as a double (rounded to nearest; beyond double's
 * range it overflows to infinity or underflows). Unsupported encodings
 * (pseudo-NaN, pseudo-infinity, unnormals) give IE and the indefinite; an
 * extended denormal raises DE.
 */
export function fromExtended(lo: number, hi: number, se: number): number {
  const negative = (se & 0x8000) !== 0;
  const exp = se & 0x7fff;
  const integer = (hi & 0x80000000) !== 0;
  if (exp === 0x7fff) {
    if (!integer) return invalid();
    if ((hi & 0x7fffffff) === 0 && lo === 0) return negative ? -Infinity : Infinity;
    let dlo = ((hi << 21) | (lo >>> 11)) >>> 0;
    const dhi = ((negative ? 0x80000000 : 0) | 0x7ff00000 | ((hi >>> 11) & 0xfffff)) >>> 0;
    if ((dhi & 0xfffff) === 0 && dlo === 0) dlo = 1; // the payload was all in the lost bits
    return fromWords(dlo, dhi);
  }
  if (exp !== 0 && !integer) return invalid();
  if (exp === 0 && (hi !== 0 || lo !== 0)) status.ex |= DE;
  const m = hi * 4294967296 + lo; // one rounding to 53 bits
  const k = (exp === 0 ? 1 : exp) - 16383 - 63;
  const r = scale(m, k);
  return negative ? -r : r;
}

/** Packed BCD (18 digits, sign in byte 9's top bit) to a double. */
export function fromBcd(bytes: Uint8Array): number {
  let v = 0;
  for (let i = 8; i >= 0; i--) v = v * 100 + (bytes[i] >> 4) * 10 + (bytes[i] & 15);
  return (bytes[9] & 0x80) !== 0 ? -v : v;
}

/** An integer-valued double (|v| < 10^18) as packed BCD into `bytes`. */
export function toBcd(v: number, bytes: Uint8Array): void {
  let n = BigInt(Math.abs(v));
  for (let i = 0; i < 9; i++) {
    const two = Number(n % 100n);
    n /= 100n;
    bytes[i] = ((Math.floor(two / 10)) << 4) | (two % 10);
  }
  bytes[9] = v < 0 || Object.is(v, -0) ? 0x80 : 0;
}

/**
 * The remainder of a / b (finite, b not 0), exact: truncating (FPREM) or
 * with the quotient rounded to nearest even (FPREM1). The quotient's low
 * three bits go to `status.q`.
 */
export function remainder(a: number, b: number, nearest: boolean): number {
  let r = a % b;
  const b8 = b * 8;
  // (a mod 8b - a mod b) / b is the quotient's low three bits, up to sign.
  let q = isFinite(b8) ? Math.abs(Math.round(((a % b8) - r) / b)) : Math.abs(Math.trunc(a / b));
  if (nearest) {
    const twice = Math.abs(r) * 2, ab = Math.abs(b);
    if (twice > ab || (twice === ab && (q & 1) === 1)) {
      r -= Math.sign(r) * ab; // exact: |r| is at least |b|/2
      q++;
    }
  }
  status.q = q & 7;
  return r;
}
