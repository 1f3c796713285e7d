/**
 * The x87 instructions: escape opcodes D8-DF and WAIT on the 386 model.
 * The FPU's availability (CR0.EM/TS/MP: #NM) and error reporting (#MF on
 * the next waiting instruction with CR0.NE) are decided here, once.
 *
 * Every instruction reads its memory operands before it changes any FPU
 * state and checks that its stores can be done before it writes, so a fault
 * restarts it from the state it started with.
 *
 * @module
 */

import { type Cpu, CS, EAX } from "./cpu.ts";
import { CF, PF, ZF } from "./flags.ts";
import {
  ADD,
  arith,
  DE,
  DIV,
  EXT,
  fromBcd,
  fromExtended,
  fromSingleBits,
  fromWords,
  hiWord,
  IE,
  INDEFINITE,
  invalid,
  isSignaling,
  loWord,
  MUL,
  nanResult,
  PE,
  quiet,
  remainder,
  round,
  roundInt,
  scale,
  SF,
  sqrt,
  status,
  SUB,
  toBcd,
  toExtended,
  toSingleBits,
  UE,
  ZE,
} from "./x87-math.ts";
import { BUSY, C0, C1, C2, C3, ES, type X87 } from "./x87.ts";
import {
  loadEnv,
  loadState,
  probe,
  rd16,
  rd32,
  storeEnv,
  storeState,
  wr16,
  wr32,
} from "./x87-memory.ts";

const CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_NE = 0x20;
/** #UD, #NM, #MF. */
const UD = 6, NM = 7, MF = 16;
/** IE, DE, ZE: unmasked, the destination is left alone. */
const PRE = IE | DE | ZE;

/** WAIT/FWAIT: #NM with CR0.TS and MP, then any pending unmasked exception. */
export function fwait(c: Cpu): void {
  if (c.is8086) return;
  if ((c.cr0 & (CR0_MP | CR0_TS)) === (CR0_MP | CR0_TS)) c.fault(NM);
  if (c.fpu !== null) pending(c, c.fpu);
}

/**
 * A pending unmasked exception (ES) faults a waiting instruction with #MF
 * when CR0.NE is set. With NE clear the PC's FERR#/IRQ 13 wiring would
 * apply; the software CPU has no such line, so the error stays pending in
 * the status word (as with IGNNE# asserted) and the instruction goes on.
 */
function pending(c: Cpu, x: X87): void {
  if ((x.sw & ES) !== 0 && (c.cr0 & CR0_NE) !== 0) c.fault(MF);
}

/** How an instruction treats the FPU: numeric, control (no pointer update), no-wait control. */
const NUMERIC = 0, CONTROL = 1, NO_WAIT = 2;
/** By escape row and ModRM reg, memory forms: FLDENV FLDCW FRSTOR are control, FNSTENV FNSTCW FNSAVE FNSTSW no-wait. */
const MEM_KIND = new Uint8Array(64);
MEM_KIND[0o14] = MEM_KIND[0o15] = MEM_KIND[0o54] = CONTROL;
MEM_KIND[0o16] =
  MEM_KIND[0o17] =
  MEM_KIND[0o56] =
  MEM_KIND[0o57] =
    NO_WAIT;

/** ESC (D8-DF). */
export function escape(c: Cpu, op: number): void {
  c.modrm();
  if (c.is8086) return; // the 8086 model has no FPU: ESC only decodes its operand
  if ((c.cr0 & (CR0_EM | CR0_TS)) !== 0) c.fault(NM);
  const x = c.fpu;
  // A CPU without an FPU (the KVM fallback's, whose FPU state is KVM's) does not run FPU code.
  if (x === null) return c.fault(UD);
  const row = op & 7;
  const sub = (row << 3) | c.reg;
  const mem = c.mod !== 3;
  const kind = mem ? MEM_KIND[sub] : (row === 3 && c.reg === 4) || sub === 0o74 ? NO_WAIT : NUMERIC;
  if (kind !== NO_WAIT) pending(c, x);
  status.ex = 0;
  status.up = false;
  if (mem) memory(c, x, sub);
  else register(c, x, row, c.reg, c.rm);
  if (kind === NUMERIC) {
    x.fip = c.insStart;
    x.fcs = c.sel[CS];
    x.fop = (row << 8) | (c.mod << 6) | (c.reg << 3) | c.rm;
    if (mem) {
      x.fdp = c.eaOff;
      x.fds = c.sel[c.eaSeg];
    }
  }
}

/** Raises what the operation collected in `status` and sets C1; false when the result must not be stored. */
function commit(x: X87): boolean {
  x.c1(status.up);
  return !x.signal(status.ex);
}
/** Whether exceptions `ex` include an unmasked IE/DE/ZE. */
function blocks(x: X87, ex: number): boolean {
  return (ex & ~x.cw & PRE) !== 0;
}

// --- memory operands ------------------------------------------------------

/** A real operand from memory: m32 or m64 (DE for a denormal, which the FPU's format normalizes). */
function readReal(c: Cpu, double: boolean): number {
  if (!double) {
    const bits = rd32(c, 0);
    if ((bits & 0x7f800000) === 0 && (bits & 0x7fffff) !== 0) status.ex |= DE;
    return fromSingleBits(bits);
  }
  const lo = rd32(c, 0), hi = rd32(c, 4);
  if ((hi & 0x7ff00000) === 0 && ((hi & 0xfffff) | lo) !== 0) status.ex |= DE;
  return fromWords(lo, hi);
}
/** An integer operand from memory: m16, m32 or m64. */
function readInt(c: Cpu, size: number): number {
  if (size === 2) return (rd16(c, 0) << 16) >> 16;
  if (size === 4) return rd32(c, 0) | 0;
  const lo = rd32(c, 0), hi = rd32(c, 4);
  return Number(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)));
}
function read80(c: Cpu): number {
  const lo = rd32(c, 0), hi = rd32(c, 4), se = rd16(c, 8);
  return fromExtended(lo, hi, se);
}

/** Memory forms by escape row and ModRM reg. */
function memory(c: Cpu, x: X87, sub: number): void {
  const row = sub >> 3, reg = sub & 7;
  if ((row & 1) === 0) {
    // D8 m32real, DA m32int, DC m64real, DE m16int: arithmetic and compares with ST(0).
    const v = row === 0
      ? readReal(c, false)
      : row === 4
      ? readReal(c, true)
      : readInt(c, row === 2 ? 4 : 2);
    if (reg === 2 || reg === 3) return compareSt0(x, v, reg === 3 ? 1 : 0);
    return arithInto(x, 0, reg, x.isEmpty(0), x.get(0), v, false);
  }
  switch (sub) {
    case 0o10: // FLD m32real
    case 0o50: // FLD m64real
      return load(x, readReal(c, row === 5));
    case 0o30: // FILD m32int
    case 0o70: // FILD m16int
    case 0o75: // FILD m64int
      return load(x, readInt(c, sub === 0o30 ? 4 : sub === 0o70 ? 2 : 8));
    case 0o35: // FLD m80real
      return load(x, read80(c));
    case 0o74: { // FBLD m80bcd
      const b = new Uint8Array(10);
      for (let i = 0; i < 10; i++) b[i] = c.read8(c.eaSeg, c.offsetAdd(c.eaOff, i));
      return load(x, fromBcd(b));
    }
    case 0o12:
    case 0o13: // FST(P) m32real
      return store(c, x, 4, sub === 0o13, (bits) => wr32(c, 0, bits), (v) => toSingleBits(v, x.cw));
    case 0o52:
    case 0o53: // FST(P) m64real
      return store(c, x, 8, sub === 0o53, (v) => {
        wr32(c, 0, loWord(v));
        wr32(c, 4, hiWord(v));
      }, (v) => {
        if (isSignaling(v)) status.ex |= IE;
        return v !== v ? quiet(v) : v;
      });
    case 0o37: // FSTP m80real
      return store(c, x, 10, true, (v) => {
        toExtended(v);
        wr32(c, 0, EXT[0]);
        wr32(c, 4, EXT[1]);
        wr16(c, 8, EXT[2]);
      }, (v) => v);
    case 0o32:
    case 0o33: // FIST(P) m32int
    case 0o72:
    case 0o73: // FIST(P) m16int
    case 0o77: { // FISTP m64int
      const size = row === 3 ? 4 : reg === 7 ? 8 : 2;
      return store(c, x, size, reg !== 2, (v) => {
        if (size === 2) wr16(c, 0, v & 0xffff);
        else if (size === 4) wr32(c, 0, v >>> 0);
        else {
          const n = BigInt.asUintN(64, BigInt(v));
          wr32(c, 0, Number(n & 0xffffffffn));
          wr32(c, 4, Number(n >> 32n));
        }
      }, (v) => toInteger(x, v, size));
    }
    case 0o76: { // FBSTP m80bcd
      const b = new Uint8Array(10);
      return store(c, x, 10, true, (v) => {
        if (v !== v) b.set([0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff]);
        else toBcd(v, b);
        for (let i = 0; i < 10; i++) c.write8(c.eaSeg, c.offsetAdd(c.eaOff, i), b[i]);
      }, (v) => {
        const r = v !== v ? v : roundInt(v, (x.cw >> 10) & 3);
        if (r !== r || Math.abs(r) > 999999999999999999) {
          status.ex = IE;
          return NaN;
        }
        return r;
      });
    }
    case 0o14: // FLDENV
      return loadEnv(c, x);
    case 0o15: { // FLDCW
      x.cw = (rd16(c, 0) & 0x1f3f) | 0x40;
      return x.summarize();
    }
    case 0o16: { // FNSTENV: then all exceptions are masked
      storeEnv(c, x);
      x.cw |= 0x3f;
      return;
    }
    case 0o17: // FNSTCW
      return wr16(c, 0, x.cw);
    case 0o54: // FRSTOR
      return loadState(c, x);
    case 0o56: // FNSAVE: then FNINIT
      storeState(c, x);
      return x.init();
    case 0o57: // FNSTSW m16
      return wr16(c, 0, x.status());
    default: // D9 /1, DB /1 /4 /6, DD /1 /5, DF /1 (FISTTP is SSE3)
      return c.fault(UD);
  }
}

/** An integer-valued store: rounded by RC; out of range (or NaN) gives IE and the integer indefinite. */
function toInteger(x: X87, v: number, size: number): number {
  const r = v !== v ? v : roundInt(v, (x.cw >> 10) & 3);
  const lim = 2 ** (size * 8 - 1);
  if (!(r >= -lim && r < lim)) {
    status.ex = IE;
    status.up = false;
    return -lim;
  }
  return r;
}

/**
 * A store of ST(0) (FST, FIST, FBST and their pops): `convert` gives the
 * stored value and collects exceptions, `write` stores it after `probe`.
 * An empty ST(0) stores the format's indefinite (masked) or nothing.
 */
function store(
  c: Cpu,
  x: X87,
  size: number,
  pop: boolean,
  write: (v: number) => void,
  convert: (v: number) => number,
): void {
  let v: number;
  if (x.isEmpty(0)) {
    status.ex = IE | SF;
    v = convert(INDEFINITE);
    status.ex = IE | SF;
  } else v = convert(x.get(0));
  if (blocks(x, status.ex)) {
    commit(x);
    return;
  }
  probe(c, size);
  write(v);
  commit(x);
  if (pop) x.pop();
}

/** Pushes a loaded value (an SNaN is quieted with IE). */
function load(x: X87, v: number): void {
  if (isSignaling(v)) {
    status.ex |= IE;
    v = quiet(v);
  }
  if (!x.isEmpty(7)) {
    x.overflow();
    if (blocks(x, IE)) return;
    v = INDEFINITE;
  } else if (!commit(x)) return;
  x.top = (x.top - 1) & 7;
  x.set(0, v);
}

// --- arithmetic and compares ---------------------------------------------

/** reg's operation: 0 ADD, 1 MUL, 4 d-s, 5 s-d, 6 d/s, 7 s/d. */
function compute(x: X87, reg: number, d: number, s: number): number {
  switch (reg) {
    case 0:
      return arith(ADD, d, s, x.cw);
    case 1:
      return arith(MUL, d, s, x.cw);
    case 4:
      return arith(SUB, d, s, x.cw);
    case 5:
      return arith(SUB, s, d, x.cw);
    case 6:
      return arith(DIV, d, s, x.cw);
    default:
      return arith(DIV, s, d, x.cw);
  }
}

/** ST(dst) := ST(dst) op s; `empty` when an operand register was empty (stack underflow). */
function arithInto(
  x: X87,
  dst: number,
  reg: number,
  empty: boolean,
  d: number,
  s: number,
  pop: boolean,
): void {
  let r: number;
  if (empty) {
    if (x.underflow()) return;
    r = INDEFINITE;
  } else {
    r = compute(x, reg, d, s);
    if (!commit(x)) return;
  }
  x.set(dst, r);
  if (pop) x.pop();
}

/** C3 C2 C0 of comparing a with b; IE for NaNs (FUCOM: only for SNaNs). */
function compareCc(a: number, b: number, unordered: boolean): number {
  if (a !== a || b !== b) {
    if (!unordered || isSignaling(a) || isSignaling(b)) status.ex |= IE;
    return C3 | C2 | C0;
  }
  return a > b ? 0 : a < b ? C0 : C3;
}

/** FCOM/FUCOM family: compares ST(0) with v, pops `pops` times. */
function compareSt0(x: X87, v: number, pops: number, empty = false, unordered = false): void {
  let cc: number;
  if (x.isEmpty(0) || empty) {
    if (x.underflow()) return;
    cc = C3 | C2 | C0;
  } else {
    cc = compareCc(x.get(0), v, unordered);
    if (x.signal(status.ex)) return;
  }
  x.setCc(cc);
  for (let i = 0; i < pops; i++) x.pop();
}

/** FCOMI/FUCOMI(P): the comparison into ZF, PF, CF (OF, SF, AF clear). */
function compareFlags(c: Cpu, x: X87, i: number, unordered: boolean, pop: boolean): void {
  let f: number;
  if (x.isEmpty(0) || x.isEmpty(i)) {
    if (x.underflow()) return;
    f = ZF | PF | CF;
  } else {
    const cc = compareCc(x.get(0), x.get(i), unordered);
    x.c1(false);
    if (x.signal(status.ex)) return;
    f = cc === 0 ? 0 : cc === C0 ? CF : cc === C3 ? ZF : ZF | PF | CF;
  }
  c.setArith(f);
  if (pop) x.pop();
}

// --- register forms -------------------------------------------------------

/** Constants of D9 E8-EE: 1, log2(10), log2(e), pi, log10(2), ln(2), 0. */
const CONSTANTS = [
  1,
  3.321928094887362,
  1.4426950408889634,
  3.141592653589793,
  0.3010299956639812,
  0.6931471805599453,
  0,
];

function register(c: Cpu, x: X87, row: number, reg: number, i: number): void {
  switch (row) {
    case 0: // D8: ST(0) := ST(0) op ST(i); FCOM, FCOMP
      if (reg === 2 || reg === 3) return compareSt0(x, x.get(i), reg - 2, x.isEmpty(i));
      return arithInto(x, 0, reg, x.isEmpty(0) || x.isEmpty(i), x.get(0), x.get(i), false);
    case 4: // DC: ST(i) := ST(i) op ST(0) (the subtract and divide directions swap)
    case 6: // DE: the same, then pop
      if (reg === 2 || reg === 3) {
        // DC D0/D8 and DE D0 alias FCOM/FCOMP; DE D9 is FCOMPP.
        if (row === 6 && reg === 3) {
          if (i !== 1) return c.fault(UD);
          return compareSt0(x, x.get(1), 2, x.isEmpty(1));
        }
        return compareSt0(x, x.get(i), row === 6 ? 1 : reg - 2, x.isEmpty(i));
      }
      return arithInto(
        x,
        i,
        reg >= 4 ? reg ^ 1 : reg,
        x.isEmpty(0) || x.isEmpty(i),
        x.get(i),
        x.get(0),
        row === 6,
      );
    case 1:
      return rowD9(c, x, reg, i);
    case 2: // DA: FCMOVB/E/BE/U, FUCOMPP
      if (reg < 4) return fcmov(c, x, reg, i, false);
      if (reg === 5 && i === 1) return compareSt0(x, x.get(1), 2, x.isEmpty(1), true);
      return c.fault(UD);
    case 3: // DB: FCMOVNB/NE/NBE/NU, FNCLEX, FNINIT, FUCOMI, FCOMI
      if (reg < 4) return fcmov(c, x, reg, i, true);
      if (reg === 4) {
        if (i === 2) x.sw &= ~(0x3f | SF | ES | BUSY); // FNCLEX
        else if (i === 3) x.init(); // FNINIT
        else if (i > 4) c.fault(UD); // E0 FENI, E1 FDISI, E4 FSETPM: no-ops since the 387
        return;
      }
      if (reg === 5 || reg === 6) return compareFlags(c, x, i, reg === 5, false);
      return c.fault(UD);
    case 5: // DD: FFREE, FXCH4, FST, FSTP, FUCOM, FUCOMP
      if (reg === 0) x.empty |= 1 << x.phys(i);
      else if (reg === 1) fxch(x, i);
      else if (reg === 2 || reg === 3) stSt(x, i, reg === 3);
      else if (reg === 4 || reg === 5) compareSt0(x, x.get(i), reg - 4, x.isEmpty(i), true);
      else c.fault(UD);
      return;
    default: // DF: FFREEP, FXCH7, FSTP8/9, FNSTSW AX, FUCOMIP, FCOMIP
      if (reg === 0) {
        x.empty |= 1 << x.phys(i);
        x.pop();
      } else if (reg === 1) fxch(x, i);
      else if (reg === 2 || reg === 3) stSt(x, i, true);
      else if (reg === 4 && i === 0) c.r16[EAX << 1] = x.status();
      else if (reg === 5 || reg === 6) compareFlags(c, x, i, reg === 5, true);
      else c.fault(UD);
  }
}

function rowD9(c: Cpu, x: X87, reg: number, i: number): void {
  switch (reg) {
    case 0: { // FLD ST(i)
      if (x.isEmpty(i)) {
        if (x.underflow()) return;
        return load(x, INDEFINITE);
      }
      return load(x, x.get(i));
    }
    case 1:
      return fxch(x, i);
    case 2: // FNOP
      if (i !== 0) c.fault(UD);
      return;
    case 3: // FSTP1 (an alias of FSTP ST(i))
      return stSt(x, i, true);
    case 4:
      if (i === 0) return unary(x, (v) => fromWords(loWord(v), hiWord(v) ^ 0x80000000)); // FCHS
      if (i === 1) return unary(x, (v) => fromWords(loWord(v), hiWord(v) & 0x7fffffff)); // FABS
      if (i === 4) return compareSt0(x, 0, 0); // FTST
      if (i === 5) return fxam(x);
      return c.fault(UD);
    case 5: // FLD1 ... FLDZ
      if (i === 7) return c.fault(UD);
      return load(x, CONSTANTS[i]);
    case 6:
      return transcendental6(x, i);
    default:
      return transcendental7(x, i);
  }
}

/** FXCH: an empty side is filled with the indefinite (masked underflow) first. */
function fxch(x: X87, i: number): void {
  if (x.isEmpty(0) || x.isEmpty(i)) {
    if (x.underflow()) return;
    if (x.isEmpty(0)) x.set(0, INDEFINITE);
    if (x.isEmpty(i)) x.set(i, INDEFINITE);
  } else x.c1(false);
  const t = x.get(0);
  x.set(0, x.get(i));
  x.set(i, t);
}

/** FST/FSTP ST(i). */
function stSt(x: X87, i: number, pop: boolean): void {
  if (x.isEmpty(0)) {
    if (x.underflow()) return;
    x.set(i, INDEFINITE);
  } else {
    x.c1(false);
    x.set(i, x.get(0));
  }
  if (pop) x.pop();
}

/** FCMOVcc: B (CF), E (ZF), BE (CF|ZF), U (PF); `negate` for the DB forms. */
function fcmov(c: Cpu, x: X87, cc: number, i: number, negate: boolean): void {
  const f = c.flags;
  const mask = cc === 0 ? CF : cc === 1 ? ZF : cc === 2 ? CF | ZF : PF;
  if (((f & mask) !== 0) === negate) return x.c1(false);
  if (x.isEmpty(0) || x.isEmpty(i)) {
    if (x.underflow()) return;
    return x.set(0, INDEFINITE);
  }
  x.c1(false);
  x.set(0, x.get(i));
}

/** FXAM: C3 C2 C0 give the class, C1 the sign. */
function fxam(x: X87): void {
  const v = x.get(0);
  let cc = (hiWord(v) & 0x80000000) !== 0 ? C1 : 0;
  if (x.isEmpty(0)) cc |= C3 | C0;
  else if (v !== v) cc |= C0;
  else if (!isFinite(v)) cc |= C2 | C0;
  else if (v === 0) cc |= C3;
  else cc |= C2; // normal (a double's denormals are normal in the extended format)
  x.setCc(cc);
}

/** A one-operand operation on ST(0); NaN operands propagate. */
function unary(x: X87, f: (v: number) => number): void {
  if (x.isEmpty(0)) {
    if (x.underflow()) return;
    return x.set(0, INDEFINITE);
  }
  const v = x.get(0);
  const r = v !== v ? nanResult(v, v) : f(v);
  if (commit(x)) x.set(0, r);
}

/** A transcendental result: inexact unless the function's value is exact there. */
function inexact(r: number, exact: boolean): number {
  if (!exact && isFinite(r)) status.ex |= PE;
  return r;
}

/** FSIN, FCOS, FPTAN, FSINCOS: |x| >= 2^63 sets C2 and leaves ST(0). True when in range. */
function trigRange(x: X87): boolean {
  const v = x.get(0);
  const out = !x.isEmpty(0) && isFinite(v) && Math.abs(v) >= 2 ** 63;
  if (out) x.sw |= C2;
  else x.sw &= ~C2;
  return !out;
}

/** ST(1) := f(ST(1), ST(0)), pop (FYL2X, FPATAN, FYL2XP1). */
function binaryPop(x: X87, f: (y: number, v: number) => number): void {
  let r: number;
  if (x.isEmpty(0) || x.isEmpty(1)) {
    if (x.underflow()) return;
    r = INDEFINITE;
  } else {
    const v = x.get(0), y = x.get(1);
    r = v !== v || y !== y ? nanResult(v, y) : f(y, v);
    if (r !== r && v === v && y === y) r = invalid();
    if (!commit(x)) return;
  }
  x.set(1, r);
  x.pop();
}

/** Two results: ST(0) := a, then b pushed (FPTAN, FSINCOS, FXTRACT). */
function splitPush(x: X87, f: (v: number) => [number, number]): void {
  if (!x.isEmpty(7)) {
    if (x.overflow()) return;
    x.set(0, INDEFINITE);
    x.top = (x.top - 1) & 7;
    return x.set(0, INDEFINITE);
  }
  if (x.isEmpty(0)) {
    if (x.underflow()) return;
    x.set(0, INDEFINITE);
    x.top = (x.top - 1) & 7;
    return x.set(0, INDEFINITE);
  }
  const v = x.get(0);
  const [a, b] = v !== v ? [nanResult(v, v), quiet(v)] : f(v);
  if (!commit(x)) return;
  x.set(0, a);
  x.top = (x.top - 1) & 7;
  x.set(0, b);
}

function transcendental6(x: X87, i: number): void {
  switch (i) {
    case 0: // F2XM1
      return unary(x, (v) => inexact(Math.expm1(v * Math.LN2), v === 0 || v === 1 || v === -1));
    case 1: // FYL2X
      return binaryPop(x, (y, v) => {
        if (v < 0) return invalid();
        if (v === 0 && y !== 0 && isFinite(y)) status.ex |= ZE;
        return inexact(y * Math.log2(v), v === 1);
      });
    case 2: // FPTAN: tan, then 1 pushed
      if (!trigRange(x)) return;
      return splitPush(x, (v) => [isFinite(v) ? inexact(Math.tan(v), v === 0) : invalid(), 1]);
    case 3: // FPATAN
      return binaryPop(x, (y, v) => inexact(Math.atan2(y, v), y === 0));
    case 4: // FXTRACT: exponent, then significand pushed
      return splitPush(x, (v) => {
        if (v === 0) {
          status.ex |= ZE;
          return [-Infinity, v];
        }
        if (!isFinite(v)) return [Infinity, v];
        let e = Math.floor(Math.log2(Math.abs(v)));
        let m = scale(v, -e);
        if (Math.abs(m) >= 2) (m /= 2), e++;
        else if (Math.abs(m) < 1) (m *= 2), e--;
        return [e, m];
      });
    case 5: // FPREM1
      return prem(x, true);
    case 6: // FDECSTP
      x.c1(false);
      x.top = (x.top - 1) & 7;
      return;
    default: // FINCSTP
      x.c1(false);
      x.top = (x.top + 1) & 7;
  }
}

function transcendental7(x: X87, i: number): void {
  switch (i) {
    case 0: // FPREM
      return prem(x, false);
    case 1: // FYL2XP1
      return binaryPop(x, (y, v) => inexact(y * Math.log1p(v) * Math.LOG2E, v === 0));
    case 2: // FSQRT
      return unary(x, (v) => sqrt(v, x.cw));
    case 3: // FSINCOS: sin, then cos pushed
      if (!trigRange(x)) return;
      return splitPush(x, (v) => {
        if (!isFinite(v)) return [invalid(), INDEFINITE];
        return [inexact(Math.sin(v), v === 0), inexact(Math.cos(v), v === 0)];
      });
    case 4: // FRNDINT
      return unary(x, (v) => roundInt(v, (x.cw >> 10) & 3));
    case 5: // FSCALE
      return fscale(x);
    case 6: // FSIN
      if (!trigRange(x)) return;
      return unary(x, (v) => (isFinite(v) ? inexact(Math.sin(v), v === 0) : invalid()));
    default: // FCOS
      if (!trigRange(x)) return;
      return unary(x, (v) => (isFinite(v) ? inexact(Math.cos(v), false) : invalid()));
  }
}

/** FPREM (truncating) and FPREM1 (IEEE): always complete (C2 clear); C0 C3 C1 = quotient bits 2 0 1. */
function prem(x: X87, nearest: boolean): void {
  if (x.isEmpty(0) || x.isEmpty(1)) {
    if (x.underflow()) return;
    return x.set(0, INDEFINITE);
  }
  const a = x.get(0), b = x.get(1);
  let r: number, q = 0;
  if (a !== a || b !== b) r = nanResult(a, b);
  else if (!isFinite(a) || b === 0) r = invalid();
  else if (!isFinite(b)) r = a;
  else {
    r = remainder(a, b, nearest);
    q = status.q;
  }
  status.up = false;
  if (!commit(x)) return;
  x.setCc(((q & 4) !== 0 ? C0 : 0) | ((q & 1) !== 0 ? C3 : 0) | ((q & 2) !== 0 ? C1 : 0));
  x.set(0, r);
}

/** FSCALE: ST(0) * 2^trunc(ST(1)). */
function fscale(x: X87): void {
  if (x.isEmpty(0) || x.isEmpty(1)) {
    if (x.underflow()) return;
    return x.set(0, INDEFINITE);
  }
  const v = x.get(0), s = x.get(1);
  let r: number;
  if (v !== v || s !== s) r = nanResult(v, s);
  else if (!isFinite(s)) {
    if (s > 0 ? v === 0 : !isFinite(v)) r = invalid();
    else r = s > 0 ? (v === 0 ? v : v * Infinity) : isFinite(v) ? v * 0 : v;
  } else if (v === 0 || !isFinite(v)) r = v;
  else {
    const k = Math.max(-5000, Math.min(5000, Math.trunc(s)));
    r = scale(v, k);
    if (!isFinite(r)) r = round(r, 0, x.cw);
    else if (scale(r, -k) !== v) {
      status.ex |= UE | PE;
    }
  }
  if (commit(x)) x.set(0, r);
}
