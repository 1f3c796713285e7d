/**
 * What a loader hands back: where and how the CPU starts.
 *
 * @module
 */

import { KvmRegs, type KvmSregs } from "../kvm/structs.ts";

/** How to get past a LoaderError, in the command line's and the scripting API's words. */
export interface LoaderFix {
  /** E.g. "use --no-signature-check or --boot flat". */
  cli: string;
  /** E.g. 'use noSignatureCheck: true or boot: "flat"'. */
  api: string;
}

/**
 * A bad image or options that do not fit it; the CLI exits with status 2.
 * The message ends with the fix in command-line terms; {@link inApiTerms}
 * gives the same error in the scripting API's.
 */
export class LoaderError extends Error {
  /** The error class name. */
  override name = "LoaderError";
  /** What is wrong, without the fix. */
  readonly problem: string;
  /** The way around it, where there is one. */
  readonly fix: LoaderFix | undefined;

  /** Makes the error; its message is `problem`, then the command line's fix. */
  constructor(problem: string, fix?: LoaderFix) {
    super(fix ? `${problem}; ${fix.cli}` : problem);
    this.problem = problem;
    this.fix = fix;
  }

  /** The same error with the fix named as the scripting API's options. */
  inApiTerms(): LoaderError {
    if (!this.fix) return this;
    const e = new LoaderError(this.problem, this.fix);
    e.message = `${this.problem}; ${this.fix.api}`;
    return e;
  }
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
