/**
 * Two-byte (0F xx) opcodes of the 386 model: the 386-P6 additions real-mode
 * boot code uses (MOVZX/MOVSX, SETcc, bit tests, double shifts, Jcc near,
 * CMOVcc, CPUID, RDTSC, MSRs, control registers, descriptor tables, ...).
 *
 * @module
 */

import { add, byteSwap, logic, sub } from "./alu.ts";
import { type Cpu, EAX, EBX, ECX, EDX, FS, GS, SS } from "./cpu.ts";
import { CF, MASK, OF, SIGN, szp, ZF } from "./flags.ts";
import { imul2 } from "./muldiv.ts";
import { jumpNear, undefinedOpcode } from "./exec.ts";
import { flushTranslations, loadCr3, updateMode } from "./mode.ts";
import { EFER_NXE, loadPdptes } from "./paging.ts";
import { larLsl, privileged, sysenter, sysexit, system00 } from "./protected.ts";

/** MSR numbers the software CPU implements. */
/** IA32_TIME_STAMP_COUNTER, IA32_APIC_BASE, IA32_BIOS_SIGN_ID (the microcode revision), EFER. */
const MSR_TSC = 0x10, MSR_APIC_BASE = 0x1b, MSR_BIOS_SIGN = 0x8b, MSR_EFER = 0xc0000080;
/** IA32_SYSENTER_CS, IA32_SYSENTER_ESP, IA32_SYSENTER_EIP. */
const MSR_SYSENTER_CS = 0x174, MSR_SYSENTER_ESP = 0x175, MSR_SYSENTER_EIP = 0x176;

/** Executes the opcode after a 0F byte. */
export function exec0f(c: Cpu): void {
  const op = c.fetch8();
  const wsize = c.o32 ? 4 : 2;
  if (op >= 0x80 && op <= 0x8f) { // Jcc rel16/rel32
    const d = c.o32 ? c.fetch32() | 0 : (c.fetch16() << 16) >> 16;
    if (c.cond(op & 15)) jumpNear(c, c.ip + d);
    return;
  }
  if (op >= 0x90 && op <= 0x9f) { // SETcc
    c.modrm();
    c.writeRM(1, c.cond(op & 15) ? 1 : 0);
    return;
  }
  if (op >= 0x40 && op <= 0x4f) { // CMOVcc: the source is read either way
    c.modrm();
    const v = c.readRM(wsize);
    if (c.cond(op & 15)) c.setReg(wsize, c.reg, v);
    return;
  }
  if (op >= 0xc8) { // BSWAP
    const i = op & 7;
    c.setReg(wsize, i, byteSwap(c.r32[i], wsize));
    return;
  }
  switch (op) {
    case 0x00:
      return system00(c);
    case 0x01:
      return system01(c);
    case 0x02:
    case 0x03:
      return larLsl(c, op === 0x03);
    case 0x06: // CLTS
      privileged(c);
      c.cr0 &= ~8;
      return;
    case 0x08: // INVD
    case 0x09: // WBINVD
      privileged(c);
      return;
    case 0x0d: // prefetch hints and multi-byte NOPs
    case 0x18:
    case 0x19:
    case 0x1a:
    case 0x1b:
    case 0x1c:
    case 0x1d:
    case 0x1e:
    case 0x1f:
      c.modrm();
      return;
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
      privileged(c);
      return movControl(c, op);
    case 0x30:
      privileged(c);
      return wrmsr(c);
    case 0x31: {
      const t = c.instructions + c.tscOffset;
      c.r32[EAX] = t >>> 0;
      c.r32[EDX] = Math.floor(t / 0x100000000) >>> 0;
      return;
    }
    case 0x32:
      privileged(c);
      return rdmsr(c);
    case 0x34:
      return sysenter(c);
    case 0x35:
      return sysexit(c);
    case 0xa0:
    case 0xa8:
      c.pushN(wsize, c.sel[op === 0xa0 ? FS : GS]);
      return;
    case 0xa1:
    case 0xa9:
      c.loadSeg(op === 0xa1 ? FS : GS, c.popN(wsize) & 0xffff);
      return;
    case 0xa2:
      return cpuid(c);
    case 0xc7:
      return cmpxchg8b(c);
    case 0xa3:
    case 0xab:
    case 0xb3:
    case 0xbb:
      return bitTest(c, (op >> 3) & 3, -1);
    case 0xba: {
      c.modrm();
      if (c.reg < 4) return undefinedOpcode(c);
      return bitTest(c, c.reg & 3, c.fetch8());
    }
    case 0xa4:
    case 0xa5:
    case 0xac:
    case 0xad: {
      c.modrm();
      const count = ((op & 1) === 0 ? c.fetch8() : c.r8[4]) & 31;
      return doubleShift(c, op < 0xa8, count);
    }
    case 0xaf:
      c.modrm();
      c.setReg(wsize, c.reg, imul2(c, c.getReg(wsize, c.reg), c.readRM(wsize), wsize));
      return;
    case 0xb0:
    case 0xb1: {
      const size = op === 0xb0 ? 1 : wsize;
      c.modrm();
      const d = c.readRMW(size);
      const acc = c.getReg(size, EAX);
      sub(c, acc, d, 0, size);
      if (acc === d) c.writeRM(size, c.getReg(size, c.reg));
      else {
        c.writeRM(size, d); // the destination is written back either way
        c.setReg(size, EAX, d);
      }
      return;
    }
    case 0xb2:
    case 0xb4:
    case 0xb5: {
      c.modrm();
      if (c.mod === 3) return undefinedOpcode(c);
      const off = c.readN(wsize, c.eaSeg, c.eaOff);
      const seg = c.read16(c.eaSeg, c.offsetAdd(c.eaOff, wsize));
      c.setReg(wsize, c.reg, off);
      const s = op === 0xb2 ? SS : op === 0xb4 ? FS : GS;
      c.loadSeg(s, seg);
      if (s === SS) c.inhibitInterrupts();
      return;
    }
    case 0xb6:
    case 0xb7:
    case 0xbe:
    case 0xbf: {
      c.modrm();
      const src = (op & 1) === 0 ? 1 : 2;
      let v = c.readRM(src);
      if (op >= 0xbe) v = src === 1 ? (v << 24) >> 24 : (v << 16) >> 16;
      c.setReg(wsize, c.reg, (v & MASK[wsize]) >>> 0);
      return;
    }
    case 0xbc:
    case 0xbd: {
      c.modrm();
      const v = c.readRM(wsize);
      if (v === 0) {
        c.flags |= ZF;
        return;
      }
      const i = op === 0xbc ? 31 - Math.clz32(v & -v) : 31 - Math.clz32(v);
      c.flags &= ~ZF;
      c.setReg(wsize, c.reg, i);
      return;
    }
    case 0xc0:
    case 0xc1: {
      const size = op === 0xc0 ? 1 : wsize;
      c.modrm();
      const d = c.readRMW(size);
      const s = c.getReg(size, c.reg);
      const sum = add(c, d, s, 0, size);
      c.setReg(size, c.reg, d);
      c.writeRM(size, sum);
      return;
    }
    default:
      return undefinedOpcode(c);
  }
}

/**
 * 0F C7 /1: CMPXCHG8B m64. EDX:EAX against the quadword: equal, ECX:EBX is
 * stored and ZF set; else the quadword goes to EDX:EAX and ZF is cleared (the
 * locked cycle writes the old value back). Both dwords are checked for the
 * write before anything changes.
 */
function cmpxchg8b(c: Cpu): void {
  c.modrm();
  if (c.reg !== 1 || c.mod === 3) return undefinedOpcode(c);
  const s = c.eaSeg, off = c.eaOff, high = c.offsetAdd(off, 4);
  const lo = c.readRmw(4, s, off);
  const hi = c.readRmw(4, s, high);
  const r = c.r32;
  const equal = lo === r[EAX] && hi === r[EDX];
  c.writeN(4, s, off, equal ? r[EBX] : lo);
  c.writeN(4, s, high, equal ? r[ECX] : hi);
  if (!equal) {
    r[EAX] = lo;
    r[EDX] = hi;
  }
  c.flags = equal ? c.flags | ZF : c.flags & ~ZF;
}

/** 0F 01: SGDT SIDT LGDT LIDT SMSW LMSW INVLPG. */
function system01(c: Cpu): void {
  c.modrm();
  const reg = c.reg;
  if (reg === 4) { // SMSW
    if (c.mod === 3) c.setReg(c.o32 ? 4 : 2, c.rm, c.o32 ? c.cr0 >>> 0 : c.cr0 & 0xffff);
    else c.write16(c.eaSeg, c.eaOff, c.cr0 & 0xffff);
    return;
  }
  if (reg === 6) { // LMSW: can set PE but not clear it
    privileged(c);
    const v = c.readRM(2);
    return setCr0(c, (c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & 1));
  }
  if (c.mod === 3) return undefinedOpcode(c);
  if (reg === 7) { // INVLPG
    privileged(c);
    c.tlb.flushPage((c.base[c.eaSeg] + c.eaOff) >>> 0);
    c.fetchPage = -1;
    return;
  }
  if (reg === 5) return undefinedOpcode(c);
  if (reg >= 2) privileged(c);
  const s = c.eaSeg, off = c.eaOff;
  const next = c.offsetAdd(off, 2);
  if (reg < 2) { // SGDT/SIDT store the limit and all 32 bits of the base
    c.write16(s, off, reg === 0 ? c.gdtLimit : c.idtLimit);
    c.write32(s, next, reg === 0 ? c.gdtBase : c.idtBase);
    return;
  }
  const limit = c.read16(s, off);
  let base = c.read32(s, next);
  if (!c.o32) base &= 0xffffff;
  if (reg === 2) {
    c.gdtBase = base;
    c.gdtLimit = limit;
  } else {
    c.idtBase = base;
    c.idtLimit = limit;
  }
}

/** CR4.PAE; CR0.PG and the CR0 bits whose change reloads PAE's PDPTEs (PG, CD, NW). */
const CR4_PAE = 0x20, CR0_PG = 0x80000000, CR0_PDPTE_BITS = 0xe0000000;

/**
 * Writes CR0: PE, PG and WP change the mode; PG and WP changes drop the TLB.
 * With CR4.PAE, turning paging on (or changing CD/NW with it on) loads the
 * PDPTEs first: reserved bits in one give #GP(0) and CR0 stays.
 */
function setCr0(c: Cpu, v: number): void {
  v >>>= 0;
  if ((v & 0x80000000) !== 0 && (v & 1) === 0) c.fault(13, 0);
  const old = c.cr0;
  if (
    (v & CR0_PG) !== 0 && (c.cr4 & CR4_PAE) !== 0 && ((old ^ v) & CR0_PDPTE_BITS) !== 0 &&
    !loadPdptes(c, c.cr3)
  ) c.fault(13, 0);
  c.cr0 = (v | 0x10) >>> 0;
  if (((old ^ c.cr0) & 0x80010000) !== 0) flushTranslations(c);
  if (((old ^ c.cr0) & 0x80010001) !== 0) updateMode(c); // WP is part of the mode key
}

/** CR4 bits the software CPU implements: PSE (4 MiB pages), PAE and PGE; the rest are refused. */
const CR4_KNOWN = 0x10 | 0x20 | 0x80;
/** CR4 bits whose change reloads the PDPTEs when PAE paging is on after the write. */
const CR4_PDPTE_BITS = 0x10 | 0x20 | 0x80;

/** 0F 20-23: MOV to/from CRn and DRn (the ModRM always names a register). */
function movControl(c: Cpu, op: number): void {
  // The mod field is ignored: the operand is always a register (no displacement follows).
  const b = c.fetch8();
  const n = (b >> 3) & 7;
  const r = b & 7;
  if (op === 0x21 || op === 0x23) {
    if (n === 4 || n === 5) return undefinedOpcode(c);
    if (op === 0x21) c.r32[r] = c.dr[n];
    else c.dr[n] = c.r32[r];
    return;
  }
  if (op === 0x20) {
    let v: number;
    if (n === 0) v = c.cr0;
    else if (n === 2) v = c.cr2;
    else if (n === 3) v = c.cr3;
    else if (n === 4) v = c.cr4;
    else return undefinedOpcode(c);
    c.r32[r] = v;
    return;
  }
  const v = c.r32[r];
  if (n === 0) setCr0(c, v);
  else if (n === 2) c.cr2 = v;
  else if (n === 3) {
    if (!loadCr3(c, v)) c.fault(13, 0);
  } else if (n === 4) {
    if ((v & ~CR4_KNOWN) !== 0) c.fault(13, 0);
    if (
      c.pg && (v & CR4_PAE) !== 0 && ((c.cr4 ^ v) & CR4_PDPTE_BITS) !== 0 && !loadPdptes(c, c.cr3)
    ) c.fault(13, 0);
    // Every CR4 write drops global translations too (the manuals ask it for PGE, PAE and PSE).
    c.cr4 = v;
    flushTranslations(c);
  } else undefinedOpcode(c);
}

function rdmsr(c: Cpu): void {
  const n = c.r32[ECX];
  let lo: number, hi: number;
  if (n === MSR_TSC) {
    const t = c.instructions + c.tscOffset;
    lo = t >>> 0;
    hi = Math.floor(t / 0x100000000) >>> 0;
  } else if (n === MSR_APIC_BASE) {
    lo = c.apicBase >>> 0;
    hi = 0;
  } else if (n === MSR_BIOS_SIGN) {
    lo = hi = 0; // no microcode update loaded
  } else if (n === MSR_EFER) {
    lo = c.efer >>> 0;
    hi = 0;
  } else if (n === MSR_SYSENTER_CS) {
    lo = c.sysenterCs >>> 0;
    hi = 0;
  } else if (n === MSR_SYSENTER_ESP) {
    lo = c.sysenterEsp >>> 0;
    hi = 0;
  } else if (n === MSR_SYSENTER_EIP) {
    lo = c.sysenterEip >>> 0;
    hi = 0;
  } else return c.fault(13);
  c.r32[EAX] = lo;
  c.r32[EDX] = hi;
}

function wrmsr(c: Cpu): void {
  const n = c.r32[ECX];
  const v = c.r32[EDX] * 0x100000000 + c.r32[EAX];
  if (n === MSR_TSC) c.tscOffset = v - c.instructions;
  else if (n === MSR_APIC_BASE) c.apicBase = c.r32[EAX];
  else if (n === MSR_EFER) {
    // NXE only: no long mode (LME), no SYSCALL (SCE), as on a 32-bit CPU with XD.
    if (c.r32[EDX] !== 0 || (c.r32[EAX] & ~EFER_NXE) !== 0) return c.fault(13);
    if (c.r32[EAX] !== c.efer) flushTranslations(c); // XD's meaning changes
    c.efer = c.r32[EAX];
  } else if (n === MSR_SYSENTER_CS) c.sysenterCs = c.r32[EAX];
  // A 32-bit CPU keeps the low halves (EDX is ignored, as for the P6's 32-bit MSRs).
  else if (n === MSR_SYSENTER_ESP) c.sysenterEsp = c.r32[EAX];
  else if (n === MSR_SYSENTER_EIP) c.sysenterEip = c.r32[EAX];
  else if (n !== MSR_BIOS_SIGN) c.fault(13); // writes there only ask CPUID to refresh it
}

const VENDOR = "GenuineIntel";
function vendorWord(i: number): number {
  let v = 0;
  for (let k = 3; k >= 0; k--) v = (v << 8) | VENDOR.charCodeAt(i * 4 + k);
  return v >>> 0;
}

/**
 * CPUID: a P6-class CPU with an x87 (FPU; FCMOV and FCOMI come with CMOV), PSE (4 MiB
 * pages), TSC, MSR, PAE, CX8 (CMPXCHG8B), SEP (SYSENTER/SYSEXIT), PGE and CMOV; extended leaves up to 0x80000008 with NX
 * (EFER.NXE) and 36 physical address bits. No FXSR: there is no FXSAVE/FXRSTOR.
 * No long mode, so 0x80000001 has neither LM nor SYSCALL.
 */
function cpuid(c: Cpu): void {
  const leaf = c.r32[EAX];
  const r = c.r32;
  if (leaf === 0) {
    r[EAX] = 1;
    r[EBX] = vendorWord(0);
    r[EDX] = vendorWord(1);
    r[ECX] = vendorWord(2);
  } else if (leaf === 1) {
    // Family 6 model 3 (a Pentium II's signature; a Pentium Pro's makes Linux work around
    // that chip's errata), with only the feature bits below.
    r[EAX] = 0x0633;
    r[EBX] = 0;
    r[ECX] = 0;
    // FPU, PSE, TSC, MSR, PAE, CX8, SEP (SYSENTER/SYSEXIT), PGE, CMOV
    r[EDX] = (c.fpu !== null ? 1 : 0) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) |
      (1 << 11) | (1 << 13) | (1 << 15);
  } else if (leaf === 0x80000000) {
    r[EAX] = 0x80000008;
    r[EBX] = r[ECX] = r[EDX] = 0;
  } else if (leaf === 0x80000001) {
    r[EAX] = r[EBX] = r[ECX] = 0;
    r[EDX] = 1 << 20; // NX
  } else if (leaf === 0x80000008) {
    r[EAX] = 36 | (32 << 8); // physical and linear address bits
    r[EBX] = r[ECX] = r[EDX] = 0;
  } else {
    r[EAX] =
      r[EBX] =
      r[ECX] =
      r[EDX] =
        0;
  }
}

/** BT/BTS/BTR/BTC (kind 0..3); `imm` is the bit offset, or -1 to take it from the register. */
function bitTest(c: Cpu, kind: number, imm: number): void {
  const size = c.o32 ? 4 : 2;
  const bits = size * 8;
  if (imm < 0) c.modrm();
  let bit: number;
  let off = c.eaOff;
  if (imm >= 0) bit = imm & (bits - 1);
  else {
    const raw = c.getReg(size, c.reg);
    if (c.mod === 3) bit = raw & (bits - 1);
    else {
      // A register offset addresses memory beyond the operand (signed).
      const s = size === 2 ? (raw << 16) >> 16 : raw | 0;
      const words = Math.floor(s / bits);
      off = c.offsetAdd(off, words * size);
      bit = s - words * bits;
    }
  }
  const v = c.mod === 3
    ? c.getReg(size, c.rm)
    : kind === 0
    ? c.readN(size, c.eaSeg, off)
    : c.readRmw(size, c.eaSeg, off);
  const m = 1 << bit;
  c.flags = (v & m) !== 0 ? c.flags | CF : c.flags & ~CF;
  if (kind === 0) return;
  const r = (kind === 1 ? v | m : kind === 2 ? v & ~m : v ^ m) >>> 0;
  if (c.mod === 3) c.setReg(size, c.rm, r);
  else c.writeN(size, c.eaSeg, off, r);
}

/** SHLD (left) / SHRD by `count` (already masked to 5 bits). */
function doubleShift(c: Cpu, left: boolean, count: number): void {
  if (count === 0) return;
  const size = c.o32 ? 4 : 2;
  const top = SIGN[size];
  const m = MASK[size];
  let d = c.readRMW(size);
  let s = c.getReg(size, c.reg);
  const orig = d;
  let cf = 0;
  for (let i = 0; i < count; i++) {
    if (left) {
      cf = (d & top) !== 0 ? 1 : 0;
      d = (((d << 1) | ((s & top) !== 0 ? 1 : 0)) & m) >>> 0;
      s = ((s << 1) & m) >>> 0;
    } else {
      cf = d & 1;
      d = ((d >>> 1) | ((s & 1) !== 0 ? top : 0)) >>> 0;
      s = s >>> 1;
    }
  }
  const of = ((orig ^ d) & top) !== 0;
  logic(c, d, size);
  c.flags |= (cf ? CF : 0) | (of ? OF : 0);
  c.flags = (c.flags & ~0x44) | szp(d, size);
  c.writeRM(size, d);
}
