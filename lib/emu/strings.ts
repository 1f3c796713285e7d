/**
 * The string instructions (MOVS CMPS STOS LODS SCAS INS OUTS) with REP.
 * One call runs one iteration; under REP the instruction pointer is wound
 * back so the next step runs the next iteration, which keeps interrupts,
 * exits and time slices responsive inside long copies.
 *
 * @module
 */

import { sub } from "./alu.ts";
import { type Cpu, ECX, EDI, EDX, ES, ESI, Stop } from "./cpu.ts";
import { DF, ZF } from "./flags.ts";
import { outRoom, portIn, portOut } from "./io.ts";
import { ioAllowed } from "./tasks.ts";

/**
 * Executes string opcode `op` (A4-AF, 6C-6F): one iteration, and under REP
 * (MOVS, CMPS, STOS, LODS, SCAS) as many more as `Cpu.repBudget` allows,
 * each counted as one instruction and leaving the state it would leave as a
 * step of its own: a fault in the middle finds the registers of the
 * iterations before it, as the next step would have.
 */
export function stringOp(c: Cpu, op: number): void {
  const next = c.ip; // after the instruction: where the last iteration leaves IP
  if (!iteration(c, op) || op < 0xa4) return; // INS/OUTS batch through their exits
  while (c.repBudget > 0 && c.stop === Stop.NONE) {
    c.repBudget--;
    c.instructions++;
    c.ip = next;
    if (!iteration(c, op)) return;
  }
}

/** One iteration; true when a REP has more to do (IP is back at the instruction). */
function iteration(c: Cpu, op: number): boolean {
  const size = (op & 1) === 0 ? 1 : c.o32 ? 4 : 2;
  const a32 = c.a32;
  const r16 = c.r16, r32 = c.r32;
  let cnt = 0;
  if (c.rep !== 0) {
    cnt = a32 ? r32[ECX] : r16[ECX << 1];
    if (cnt === 0) {
      c.repPending = false;
      return false;
    }
  }
  const delta = (c.rawFlags & DF) !== 0 ? -size : size;
  const amask = a32 ? 0xffffffff : 0xffff;
  const si = a32 ? r32[ESI] : r16[ESI << 1];
  const di = a32 ? r32[EDI] : r16[EDI << 1];
  let useSi = false, useDi = false;
  let compare = false;
  switch (op) {
    case 0xa4:
    case 0xa5: {
      const v = c.readN(size, c.dataSeg(), si);
      c.writeN(size, ES, di, v);
      useSi = useDi = true;
      break;
    }
    case 0xa6:
    case 0xa7: {
      const a = c.readN(size, c.dataSeg(), si);
      const b = c.readN(size, ES, di);
      sub(c, a, b, 0, size);
      useSi = useDi = compare = true;
      break;
    }
    case 0xaa:
    case 0xab:
      c.writeN(size, ES, di, c.getReg(size, 0));
      useDi = true;
      break;
    case 0xac:
    case 0xad:
      c.setReg(size, 0, c.readN(size, c.dataSeg(), si));
      useSi = true;
      break;
    case 0xae:
    case 0xaf:
      sub(c, c.getReg(size, 0), c.readN(size, ES, di), 0, size);
      useDi = compare = true;
      break;
    case 0x6c:
    case 0x6d: {
      if (c.cpl !== 0) ioAllowed(c, r16[EDX << 1], size);
      const v = portIn(c, r16[EDX << 1], size, c.rep !== 0 ? cnt : 1);
      c.writeN(size, ES, di, v);
      useDi = true;
      break;
    }
    default: { // OUTS
      if (c.cpl !== 0) ioAllowed(c, r16[EDX << 1], size);
      const v = c.readN(size, c.dataSeg(), si);
      portOut(c, r16[EDX << 1], size, v);
      useSi = true;
    }
  }
  if (useSi) {
    const n = ((si + delta) & amask) >>> 0;
    if (a32) r32[ESI] = n;
    else r16[ESI << 1] = n;
  }
  if (useDi) {
    const n = ((di + delta) & amask) >>> 0;
    if (a32) r32[EDI] = n;
    else r16[EDI << 1] = n;
  }
  let more = false;
  if (c.rep !== 0) {
    cnt = (cnt - 1) >>> 0;
    if (a32) r32[ECX] = cnt;
    else r16[ECX << 1] = cnt;
    more = cnt !== 0;
    if (more && compare) more = ((c.flags & ZF) !== 0) === (c.rep === 0xf3);
    if (more) c.ip = c.insStart;
  }
  c.repPending = more;
  if (op >= 0x6e && op <= 0x6f) {
    // Batch REP OUTS like KVM: stop when the data page is full or the source leaves RAM.
    const next = c.phys(c.dataSeg(), ((si + delta) & amask) >>> 0);
    if (!more || !outRoom(c, size) || !c.m.isRam(next)) c.stop = Stop.IO;
  }
  return more;
}
