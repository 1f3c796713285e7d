/**
 * The x87's memory images: operand access at the decoded effective address,
 * and the environment (FSTENV/FLDENV) and state (FSAVE/FRSTOR) layouts in
 * their four formats: 32- or 16-bit operand size, protected or real mode.
 * Loads read the whole image before changing anything; stores check that
 * the whole image can be written first.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { probeWrite } from "./pmem.ts";
import { EXT, fromExtended, status, toExtended } from "./x87-math.ts";
import type { X87 } from "./x87.ts";

/** Operand bytes at offset d from the effective address (wrapping at the address size). */
export function rd16(c: Cpu, d: number): number {
  return c.read16(c.eaSeg, c.offsetAdd(c.eaOff, d));
}
export function rd32(c: Cpu, d: number): number {
  return c.read32(c.eaSeg, c.offsetAdd(c.eaOff, d));
}
export function wr16(c: Cpu, d: number, v: number): void {
  c.write16(c.eaSeg, c.offsetAdd(c.eaOff, d), v & 0xffff);
}
export function wr32(c: Cpu, d: number, v: number): void {
  c.write32(c.eaSeg, c.offsetAdd(c.eaOff, d), v >>> 0);
}
/** Faults now if a store of `size` bytes at the operand cannot complete (nothing is written). */
export function probe(c: Cpu, size: number): void {
  const last = c.offsetAdd(c.eaOff, size - 1);
  if (c.pe) {
    probeWrite(c, c.eaSeg, c.eaOff, 1);
    probeWrite(c, c.eaSeg, last, 1);
  } else if (last > c.limit[c.eaSeg] || last < c.eaOff) c.limitFault(c.eaSeg);
}

/** Reserved upper halves of the 32-bit image's words read as ones. */
const HI = 0xffff0000;

/** The environment image's size: 28 bytes with a 32-bit operand size, 14 with 16. */
function envSize(c: Cpu): number {
  return c.o32 ? 28 : 14;
}

/**
 * The environment's seven fields (dwords or words). Protected mode stores
 * the pointers as selector:offset with FOP beside FCS (32-bit only); real
 * mode stores linear addresses split around FOP.
 */
function envFields(c: Cpu, x: X87): number[] {
  const cw = x.cw, sw = x.status(), tw = x.tagWord();
  if (c.pe) {
    if (c.o32) return [cw | HI, sw | HI, tw | HI, x.fip, x.fcs | (x.fop << 16), x.fdp, x.fds | HI];
    return [cw, sw, tw, x.fip, x.fcs, x.fdp, x.fds];
  }
  const ip = (x.fcs * 16 + x.fip) >>> 0, dp = (x.fds * 16 + x.fdp) >>> 0;
  if (c.o32) {
    return [
      cw | HI,
      sw | HI,
      tw | HI,
      (ip & 0xffff) | HI,
      ((ip >>> 16) << 12) | x.fop,
      (dp & 0xffff) | HI,
      (dp >>> 16) << 12,
    ];
  }
  return [cw, sw, tw, ip, (((ip >>> 16) & 0xf) << 12) | x.fop, dp, ((dp >>> 16) & 0xf) << 12];
}

function writeEnv(c: Cpu, x: X87): void {
  const f = envFields(c, x);
  for (let k = 0; k < 7; k++) {
    if (c.o32) wr32(c, k * 4, f[k]);
    else wr16(c, k * 2, f[k]);
  }
}

function readEnv(c: Cpu): number[] {
  const f: number[] = [];
  for (let k = 0; k < 7; k++) f.push(c.o32 ? rd32(c, k * 4) : rd16(c, k * 2));
  return f;
}

function applyEnv(c: Cpu, x: X87, f: number[]): void {
  x.cw = (f[0] & 0x1f3f) | 0x40;
  x.setStatus(f[1] & 0xffff);
  x.setTagWord(f[2] & 0xffff);
  if (c.pe) {
    x.fip = c.o32 ? f[3] : f[3] & 0xffff;
    x.fcs = f[4] & 0xffff;
    x.fop = c.o32 ? (f[4] >>> 16) & 0x7ff : 0;
    x.fdp = c.o32 ? f[5] : f[5] & 0xffff;
    x.fds = f[6] & 0xffff;
  } else {
    const bits = c.o32 ? 0xffff : 0xf;
    x.fip = ((f[3] & 0xffff) | (((f[4] >>> 12) & bits) << 16)) >>> 0;
    x.fop = f[4] & 0x7ff;
    x.fdp = ((f[5] & 0xffff) | (((f[6] >>> 12) & bits) << 16)) >>> 0;
    x.fcs = x.fds = 0;
  }
  x.summarize();
}

/** FNSTENV's image. */
export function storeEnv(c: Cpu, x: X87): void {
  probe(c, envSize(c));
  writeEnv(c, x);
}

/** FLDENV. */
export function loadEnv(c: Cpu, x: X87): void {
  applyEnv(c, x, readEnv(c));
}

/** FNSAVE's image: the environment, then ST(0)..ST(7) as 80-bit values. */
export function storeState(c: Cpu, x: X87): void {
  const base = envSize(c);
  probe(c, base + 80);
  writeEnv(c, x);
  for (let i = 0; i < 8; i++) {
    toExtended(x.get(i));
    wr32(c, base + i * 10, EXT[0]);
    wr32(c, base + i * 10 + 4, EXT[1]);
    wr16(c, base + i * 10 + 8, EXT[2]);
  }
}

/** FRSTOR: the whole image is read before any of it is loaded. */
export function loadState(c: Cpu, x: X87): void {
  const f = readEnv(c);
  const base = envSize(c);
  const regs: number[] = [];
  for (let i = 0; i < 8; i++) {
    const at = base + i * 10;
    regs.push(rd32(c, at), rd32(c, at + 4), rd16(c, at + 8));
  }
  applyEnv(c, x, f);
  for (let i = 0; i < 8; i++) {
    x.r[x.phys(i)] = fromExtended(regs[i * 3], regs[i * 3 + 1], regs[i * 3 + 2]);
  }
  status.ex = 0; // an unsupported encoding loads as the indefinite without raising anything
}
