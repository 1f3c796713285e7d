/**
 * gdb's x86 register numbering for the two layouts it knows (32-bit for
 * i8086 and i386, 64-bit for i386:x86-64), the mapping of each register to
 * kvm_regs/kvm_sregs, and the `g`/`G`/`p`/`P` encodings. The x87 and SSE
 * registers are part of the layout gdb requires; picovmm reports their reset
 * values and ignores writes to them (the vCPU contract carries no FPU state).
 *
 * @module
 */

import type { KvmRegs, KvmSregs, RegName } from "../kvm/structs.ts";
import { leHex, parseLeHex } from "./packet.ts";

/** The architecture described to gdb for one connection. */
export type GdbArch = "i8086" | "i386" | "i386:x86-64";

/** One register as gdb numbers it. */
export interface RegisterDef {
  name: string;
  bits: number;
  /** The target description's type. */
  type: string;
  /** The feature it belongs to. */
  feature: "core" | "sse";
  /** Where the value lives. */
  source:
    | { kind: "gpr"; reg: RegName }
    | { kind: "flags" }
    | { kind: "segment"; seg: "cs" | "ss" | "ds" | "es" | "fs" | "gs" }
    | { kind: "constant"; value: bigint };
}

const gpr = (name: string, reg: RegName, bits: number, type = "int"): RegisterDef => ({
  name,
  bits,
  type: type === "int" ? `int${bits}` : type,
  feature: "core",
  source: { kind: "gpr", reg },
});

const SEGS = ["cs", "ss", "ds", "es", "fs", "gs"] as const;
const X87_CONTROL = ["fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg", "fooff", "fop"];
/** The x87 control word and MXCSR after reset/FNINIT. */
const FCTRL_RESET = 0x37fn, MXCSR_RESET = 0x1f80n;

function fpuAndSse(xmmCount: number): RegisterDef[] {
  const out: RegisterDef[] = [];
  for (let i = 0; i < 8; i++) {
    out.push({
      name: `st${i}`,
      bits: 80,
      type: "i387_ext",
      feature: "core",
      source: { kind: "constant", value: 0n },
    });
  }
  for (const name of X87_CONTROL) {
    out.push({
      name,
      bits: 32,
      type: "int32",
      feature: "core",
      source: { kind: "constant", value: name === "fctrl" ? FCTRL_RESET : 0n },
    });
  }
  for (let i = 0; i < xmmCount; i++) {
    out.push({
      name: `xmm${i}`,
      bits: 128,
      type: "vec128",
      feature: "sse",
      source: { kind: "constant", value: 0n },
    });
  }
  out.push({
    name: "mxcsr",
    bits: 32,
    type: "int32",
    feature: "sse",
    source: { kind: "constant", value: MXCSR_RESET },
  });
  return out;
}

const segmentDefs: RegisterDef[] = SEGS.map((seg) => ({
  name: seg,
  bits: 32,
  type: "int32",
  feature: "core",
  source: { kind: "segment", seg },
}));

const flagsDef: RegisterDef = {
  name: "eflags",
  bits: 32,
  type: "int32",
  feature: "core",
  source: { kind: "flags" },
};

/** gdb's 32-bit order: eax ecx edx ebx esp ebp esi edi eip eflags cs ss ds es fs gs, x87, SSE. */
export const REGISTERS_32: readonly RegisterDef[] = [
  gpr("eax", "rax", 32),
  gpr("ecx", "rcx", 32),
  gpr("edx", "rdx", 32),
  gpr("ebx", "rbx", 32),
  gpr("esp", "rsp", 32, "data_ptr"),
  gpr("ebp", "rbp", 32, "data_ptr"),
  gpr("esi", "rsi", 32),
  gpr("edi", "rdi", 32),
  gpr("eip", "rip", 32, "code_ptr"),
  flagsDef,
  ...segmentDefs,
  ...fpuAndSse(8),
];

/** gdb's 64-bit order: rax rbx rcx rdx rsi rdi rbp rsp r8-r15 rip eflags, segments, x87, SSE. */
export const REGISTERS_64: readonly RegisterDef[] = [
  gpr("rax", "rax", 64),
  gpr("rbx", "rbx", 64),
  gpr("rcx", "rcx", 64),
  gpr("rdx", "rdx", 64),
  gpr("rsi", "rsi", 64),
  gpr("rdi", "rdi", 64),
  gpr("rbp", "rbp", 64, "data_ptr"),
  gpr("rsp", "rsp", 64, "data_ptr"),
  ...(["r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"] as const).map((r) => gpr(r, r, 64)),
  gpr("rip", "rip", 64, "code_ptr"),
  flagsDef,
  ...segmentDefs,
  ...fpuAndSse(16),
];

/** The register layout of an architecture. */
export function registersOf(arch: GdbArch): readonly RegisterDef[] {
  return arch === "i386:x86-64" ? REGISTERS_64 : REGISTERS_32;
}

/** One register's value from the structs (truncated to its width). */
export function readRegister(def: RegisterDef, regs: KvmRegs, sregs: KvmSregs): bigint {
  const mask = (1n << BigInt(def.bits)) - 1n;
  switch (def.source.kind) {
    case "gpr":
      return regs.get(def.source.reg) & mask;
    case "flags":
      return regs.get("rflags") & mask;
    case "segment":
      return BigInt(sregs.segment(def.source.seg).selector);
    case "constant":
      return def.source.value;
  }
}

/**
 * Writes one register into the structs. A 32-bit register of a 64-bit CPU
 * keeps the upper half (gdb's 32-bit layout on a guest now in long mode). A
 * selector write in real mode also sets the base (selector * 16), as a MOV
 * to the segment register would; in protected mode only the selector
 * changes (the descriptor cache stays). Returns false for registers that
 * cannot be written (x87/SSE, reported with their reset values).
 */
export function writeRegister(
  def: RegisterDef,
  value: bigint,
  regs: KvmRegs,
  sregs: KvmSregs,
): boolean {
  switch (def.source.kind) {
    case "gpr":
    case "flags": {
      const name = def.source.kind === "gpr" ? def.source.reg : "rflags";
      if (def.bits === 64) regs.set(name, value);
      else regs.set(name, (regs.get(name) & ~0xffffffffn) | (value & 0xffffffffn));
      return true;
    }
    case "segment": {
      const seg = sregs.segment(def.source.seg);
      const selector = Number(value & 0xffffn);
      seg.selector = selector;
      if ((sregs.getControl("cr0") & 1n) === 0n) seg.base = BigInt(selector * 16);
      return true;
    }
    case "constant":
      return false;
  }
}

/** The `g` reply: every register in order, little-endian hex. */
export function encodeRegisters(arch: GdbArch, regs: KvmRegs, sregs: KvmSregs): string {
  let s = "";
  for (const def of registersOf(arch)) s += leHex(readRegister(def, regs, sregs), def.bits / 8);
  return s;
}

/**
 * Applies a `G` packet's hex to the structs. Returns false when its length
 * does not match the layout (nothing is changed then).
 */
export function decodeRegisters(
  arch: GdbArch,
  hex: string,
  regs: KvmRegs,
  sregs: KvmSregs,
): boolean {
  const defs = registersOf(arch);
  const total = defs.reduce((n, d) => n + d.bits / 4, 0);
  if (hex.length !== total || !/^[0-9a-fA-F]*$/.test(hex)) return false;
  let at = 0;
  for (const def of defs) {
    const digits = def.bits / 4;
    writeRegister(def, parseLeHex(hex.slice(at, at + digits))!, regs, sregs);
    at += digits;
  }
  return true;
}
