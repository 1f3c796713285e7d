/**
 * What a loader hands back: where and how the CPU starts.
 *
 * @module
 */

import { KvmRegs, type KvmSregs } from "../kvm/structs.ts";

/** A bad image or options that do not fit it; the CLI exits with status 2. */
export class LoaderError extends Error {
  /** The error class name. */
  override name = "LoaderError";
}

/** A real-mode entry state. */
export interface RealModeEntry {
  cs: number;
  ip: number;
  ds: number;
  es: number;
  ss: number;
  sp: number;
  /** Other general registers to set (e.g. DL = boot drive). */
  regs?: Partial<Record<"rax" | "rbx" | "rcx" | "rdx" | "rsi" | "rdi" | "rbp", number>>;
}

/**
 * Puts a real-mode entry into register structs: `sregs` as read from the
 * vCPU (other fields kept), and fresh general registers with RFLAGS = 2.
 */
export function applyRealModeEntry(entry: RealModeEntry, sregs: KvmSregs): KvmRegs {
  sregs.cs.setRealMode(entry.cs, true);
  sregs.ds.setRealMode(entry.ds);
  sregs.es.setRealMode(entry.es);
  sregs.fs.setRealMode(0);
  sregs.gs.setRealMode(0);
  sregs.ss.setRealMode(entry.ss);
  sregs.setControl("cr0", (sregs.getControl("cr0") & ~1n) | 0x10n);
  const regs = new KvmRegs();
  regs.set("rip", entry.ip);
  regs.set("rsp", entry.sp);
  regs.set("rflags", 2);
  for (const [name, value] of Object.entries(entry.regs ?? {})) {
    regs.set(name as keyof NonNullable<RealModeEntry["regs"]>, value ?? 0);
  }
  return regs;
}
