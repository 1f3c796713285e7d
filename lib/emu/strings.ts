/**
 * The string instructions (MOVS CMPS STOS LODS SCAS INS OUTS) with REP.
 * One call runs one iteration; under REP the instruction pointer is wound
 * back so the next step runs the next iteration, which keeps interrupts,
 * exits and time slices responsive inside long copies.
 *
 * @module
 */

import { sub } from "./alu.ts";
import { type Cpu, EAX, ECX, EDI, EDX, ES, ESI, Stop } from "./cpu.ts";
import { entryAddress, tlbNeed } from "./paging.ts";
import { fastLimit } from "./pmem.ts";
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
    const done = bulk(c, op);
    if (done > 0) {
      c.repBudget -= done;
      c.instructions += done;
      if ((c.a32 ? c.r32[ECX] : c.r16[ECX << 1]) === 0) {
        c.ip = next;
        c.repPending = false;
        return;
      }
      continue;
    }
    c.repBudget--;
    c.instructions++;
    c.ip = next;
    if (!iteration(c, op)) return;
  }
}

/**
 * REP MOVS and STOS going forward over plain RAM: as many of the next
 * iterations as stay inside one page of each operand, inside the segments'
 * limits and offsets' width, inside the budget and clear of translated code,
 * done at once (a fill or a copy). Returns how many; 0 leaves them to
 * `iteration`, which checks, faults and exits one at a time. A copy whose
 * destination overlaps its source ahead of it (a pattern fill) is left too.
 */
function bulk(c: Cpu, op: number): number {
  const movs = op === 0xa4 || op === 0xa5;
  if ((!movs && op !== 0xaa && op !== 0xab) || (c.rawFlags & DF) !== 0) return 0;
  const size = (op & 1) === 0 ? 1 : c.o32 ? 4 : 2;
  const a32 = c.a32, r16 = c.r16, r32 = c.r32;
  const cnt = a32 ? r32[ECX] : r16[ECX << 1];
  const di = a32 ? r32[EDI] : r16[EDI << 1];
  const si = a32 ? r32[ESI] : r16[ESI << 1];
  const top = a32 ? 0x100000000 : 0x10000;
  let k = Math.min(cnt, c.repBudget, Math.floor((top - di) / size));
  if (movs) k = Math.min(k, Math.floor((top - si) / size));
  const ram = c.pe ? c.m.flat : c.ram;
  const dst = fastRange(c, ES, di, size, k, true);
  if (dst.count === 0) return 0;
  k = dst.count;
  let from = 0;
  if (movs) {
    const src = fastRange(c, c.dataSeg(), si, size, k, false);
    if (src.count === 0) return 0;
    k = src.count;
    from = src.at;
  }
  const at = dst.at, len = k * size;
  for (let p = at >> 8; p <= (at + len - 1) >> 8; p++) if (c.codePages[p] !== 0) return 0;
  if (movs) {
    if (at > from && at < from + len) return 0;
    ram.copyWithin(at, from, from + len);
  } else if (size === 1) ram.fill(r16[0] & 0xff, at, at + len);
  else {
    const v = size === 2 ? r16[0] : r32[EAX];
    for (let i = 0; i < size; i++) ram[at + i] = (v >>> (8 * i)) & 0xff;
    for (let done = size; done < len; done *= 2) {
      ram.copyWithin(at + done, at, at + Math.min(done, len - done));
    }
  }
  if (a32) {
    r32[EDI] = di + len;
    if (movs) r32[ESI] = si + len;
    r32[ECX] = cnt - k;
  } else {
    r16[EDI << 1] = di + len;
    if (movs) r16[ESI << 1] = si + len;
    r16[ECX << 1] = cnt - k;
  }
  return k;
}

/**
 * How many of `max` elements of `size` bytes from s:off on (going up) lie
 * in plain RAM reachable without checks (one page in protected mode, whose
 * TLB entry grants the access), and where they start in the RAM array.
 */
function fastRange(
  c: Cpu,
  s: number,
  off: number,
  size: number,
  max: number,
  write: boolean,
): { count: number; at: number } {
  const none = { count: 0, at: 0 };
  if (max <= 0) return none;
  const lin = (c.base[s] + off) >>> 0;
  if (!c.pe) {
    // Real mode: the segment's limit, and the RAM below 1 MiB (no A20 wrap there).
    const limitCount = Math.floor((c.limit[s] - off + 1) / size);
    const ramCount = Math.floor(((write ? c.fastW : c.fastR) - lin) / size);
    const count = Math.min(max, limitCount, ramCount);
    return count > 0 ? { count, at: lin } : none;
  }
  const limit = fastLimit(c, s, write);
  const e = c.tlb.entries[lin >>> 12];
  const need = tlbNeed(c.cpl, (c.cr0 & 0x10000) !== 0, write);
  if (limit < 0 || (e & need) !== need) return none;
  const count = Math.min(
    max,
    Math.floor((limit - off + 1) / size),
    Math.floor((0x1000 - (lin & 0xfff)) / size),
  );
  return count > 0 ? { count, at: entryAddress(e, lin) } : none;
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
