/**
 * FLAGS bits and the per-size masks the software CPU computes results with.
 *
 * @module
 */

/** Carry. */
export const CF = 0x0001;
/** Parity of the low result byte. */
export const PF = 0x0004;
/** Auxiliary (BCD) carry out of bit 3. */
export const AF = 0x0010;
/** Zero. */
export const ZF = 0x0040;
/** Sign. */
export const SF = 0x0080;
/** Trap (single step). */
export const TF = 0x0100;
/** Interrupt enable. */
export const IF = 0x0200;
/** String direction. */
export const DF = 0x0400;
/** Overflow. */
export const OF = 0x0800;
/** The six arithmetic status flags. */
export const ARITH = CF | PF | AF | ZF | SF | OF;

/** Result masks by operand size in bytes (1, 2, 4). */
export const MASK: readonly number[] = [0, 0xff, 0xffff, 0, 0xffffffff];
/** Sign bits by operand size in bytes. */
export const SIGN: readonly number[] = [0, 0x80, 0x8000, 0, 0x80000000];

/** PF for each byte value (PF is set when the low byte has an even number of ones). */
export const PARITY: Uint8Array = (() => {
  const t = new Uint8Array(256);
  // 0x6996 holds the parity of each nibble value: one lookup, not a loop over bits (start-up).
  for (let i = 0; i < 256; i++) t[i] = (0x6996 >> ((i ^ (i >> 4)) & 0xf)) & 1 ? 0 : PF;
  return t;
})();

/** SF, ZF and PF of each byte result. */
export const SZP8: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) t[i] = PARITY[i] | (i === 0 ? ZF : 0) | (i & 0x80 ? SF : 0);
  return t;
})();

/** SF, ZF and PF of a result of `size` bytes (SF is bit 7 of FLAGS, so it is shifted down). */
export function szp(r: number, size: number): number {
  if (size === 1) return SZP8[r];
  const sf = size === 2 ? (r >> 8) & SF : (r >>> 24) & SF;
  return sf | (r === 0 ? ZF : 0) | PARITY[r & 0xff];
}

/** I/O privilege level (two bits). */
export const IOPL = 0x3000;
/** Nested task: IRET returns to the task in the TSS's back-link. */
export const NT = 0x4000;
/** Resume (no debug fault on the next instruction). */
export const RF = 0x10000;
/** Virtual-8086 mode. */
export const VM = 0x20000;
