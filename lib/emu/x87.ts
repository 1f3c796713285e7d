/**
 * The x87 FPU's state: eight registers used as a stack from TOP, which
 * registers are empty, the control and status words, and the last
 * instruction and operand pointers. Registers are doubles (x87-math.ts).
 *
 * @module
 */

import { IE, INDEFINITE, SF } from "./x87-math.ts";

/** Status word bits beyond the exception flags. */
export const ES = 0x80, C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, BUSY = 0x8000;
/** The condition code bits. */
export const CC = C0 | C1 | C2 | C3;
/** IE, DE and ZE: unmasked, the instruction leaves its destination alone. */
const PRE = 0x7;

/** The x87 state. */
export class X87 {
  /** Physical registers 0..7; ST(i) is register (TOP + i) & 7. */
  readonly r: Float64Array = new Float64Array(8);
  /** Bit p set: physical register p is empty (the tag word's 11). */
  empty = 0xff;
  top = 0;
  /** Control word. */
  cw = 0x37f;
  /** Status word without TOP (bits 11-13 kept zero here). */
  sw = 0;
  /** Last instruction (CS:EIP, 11-bit opcode) and operand (DS:offset) pointers. */
  fip = 0;
  fcs = 0;
  fop = 0;
  fdp = 0;
  fds = 0;

  /** FNINIT: control word 037F, everything else clear, all registers empty. */
  init(): void {
    this.cw = 0x37f;
    this.sw =
      this.top =
      this.fip =
      this.fcs =
      this.fop =
      this.fdp =
      this.fds =
        0;
    this.empty = 0xff;
  }

  /** The status word as software reads it. */
  status(): number {
    return this.sw | (this.top << 11);
  }
  /** Loads the status word (FLDENV, FRSTOR). */
  setStatus(v: number): void {
    this.top = (v >> 11) & 7;
    this.sw = v & ~0x3800 & 0xffff;
  }

  /** ES and B follow the exception flags and masks (after the control word or flags change). */
  summarize(): void {
    if ((this.sw & ~this.cw & 0x3f) !== 0) this.sw |= ES | BUSY;
    else this.sw &= ~(ES | BUSY);
  }

  /** Raises exception flags; true when an unmasked IE/DE/ZE forbids storing the result. */
  signal(ex: number): boolean {
    if (ex === 0) return false;
    this.sw |= ex;
    const unmasked = ex & ~this.cw & 0x3f;
    if (unmasked === 0) return false;
    this.sw |= ES | BUSY;
    return (unmasked & PRE) !== 0;
  }

  /** Sets C1 to `on`. */
  c1(on: boolean): void {
    this.sw = on ? this.sw | C1 : this.sw & ~C1;
  }
  /** Sets C3 C2 C1 C0 from the bits of `cc` (other status bits stay). */
  setCc(cc: number): void {
    this.sw = (this.sw & ~CC) | cc;
  }

  /** The physical register of ST(i). */
  phys(i: number): number {
    return (this.top + i) & 7;
  }
  isEmpty(i: number): boolean {
    return ((this.empty >> ((this.top + i) & 7)) & 1) !== 0;
  }
  get(i: number): number {
    return this.r[(this.top + i) & 7];
  }
  /** Writes ST(i) (it becomes non-empty). */
  set(i: number, v: number): void {
    const p = (this.top + i) & 7;
    this.r[p] = v;
    this.empty &= ~(1 << p);
  }
  pop(): void {
    this.empty |= 1 << this.top;
    this.top = (this.top + 1) & 7;
  }
  /** Pushes v; after a stack overflow the masked response pushes the indefinite. False: unmasked, nothing changed. */
  push(v: number): boolean {
    if (!this.isEmpty(7)) {
      if (this.overflow()) return false;
      v = INDEFINITE;
    }
    this.top = (this.top - 1) & 7;
    this.set(0, v);
    return true;
  }

  /** Stack underflow (an empty register read): IE+SF, C1 clear. True when unmasked. */
  underflow(): boolean {
    this.c1(false);
    return this.signal(IE | SF);
  }
  /** Stack overflow (a push onto a full register): IE+SF, C1 set. True when unmasked. */
  overflow(): boolean {
    this.c1(true);
    return this.signal(IE | SF);
  }

  /** The full tag word: 00 valid, 01 zero, 10 special (NaN, infinity), 11 empty, by physical register. */
  tagWord(): number {
    let t = 0;
    for (let p = 0; p < 8; p++) {
      const v = this.r[p];
      const tag = ((this.empty >> p) & 1) !== 0 ? 3 : v === 0 ? 1 : isFinite(v) ? 0 : 2;
      t |= tag << (p * 2);
    }
    return t;
  }
  /** Loads a tag word: only empty (11) or not counts; the values define the rest. */
  setTagWord(t: number): void {
    let e = 0;
    for (let p = 0; p < 8; p++) if (((t >> (p * 2)) & 3) === 3) e |= 1 << p;
    this.empty = e;
  }
}
