/**
 * What a loader hands back: where and how the CPU starts (real mode for
 * boot sectors and flat images, 32-bit protected mode for kernels).
 *
 * @module
 */

import { KvmRegs, type KvmSregs } from "../kvm/structs.ts";
import type { GuestMemory } from "../machine/memory.ts";

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

/** The GDT picovmm gives kernels, at {@link GDT_ADDRESS}. */
export const GDT_ADDRESS = 0x1000;

/** Selectors of that GDT. */
export const Selector = { CODE32: 0x08, DATA32: 0x10, TSS: 0x18, CODE64: 0x20 } as const;

/** Its descriptors: null, flat 32-bit code and data, a 32-bit TSS at 0, 64-bit code. */
const GDT_DESCRIPTORS = [
  0n,
  0x00cf9b000000ffffn, // code: base 0, limit 4 GiB, execute/read, 32-bit
  0x00cf93000000ffffn, // data: base 0, limit 4 GiB, read/write, 32-bit
  0x00008b0000000067n, // TSS: base 0, limit 0x67, 32-bit busy
  0x00af9b000000ffffn, // code: 64-bit
];

/** Writes picovmm's flat GDT to guest memory at {@link GDT_ADDRESS}. */
export function writeFlatGdt(memory: GuestMemory): void {
  const bytes = new Uint8Array(GDT_DESCRIPTORS.length * 8);
  const view = new DataView(bytes.buffer);
  GDT_DESCRIPTORS.forEach((d, i) => view.setBigUint64(i * 8, d, true));
  memory.write(GDT_ADDRESS, bytes);
}

/**
 * A 32-bit protected-mode entry (Multiboot, PVH): flat 4 GiB segments from
 * picovmm's GDT, CR0.PE set, paging off, interrupts off; or, for a plain
 * ELF64, 64-bit long mode over identity page tables.
 */
export interface ProtectedModeEntry {
  eip: number;
  esp: number;
  /**
   * Enter 64-bit long mode instead, with CR3 = this page table (identity
   * paging: PAE, EFER.LME/LMA, CR0.PG, a 64-bit code segment).
   */
  longModePml4?: number;
  /** Other general registers (EAX = magic, EBX = boot information). */
  regs?: Partial<Record<"rax" | "rbx" | "rcx" | "rdx" | "rsi" | "rdi" | "rbp", number>>;
}

/**
 * Puts a protected-mode entry into register structs: `sregs` as read from
 * the vCPU gets flat segments (the hidden parts as the GDT's descriptors
 * say), GDTR, an empty IDTR (a fault before the kernel loads its own IDT is
 * a triple fault), CR0 = PE|ET, no paging, EFER 0; the general registers are
 * fresh with RFLAGS = 2 (IF clear).
 */
export function applyProtectedModeEntry(entry: ProtectedModeEntry, sregs: KvmSregs): KvmRegs {
  const code = sregs.cs;
  setFlatSegment(code, Selector.CODE32, 0xb);
  const long = entry.longModePml4 !== undefined;
  if (long) {
    code.selector = Selector.CODE64;
    code.l = 1;
    code.db = 0;
  }
  for (const data of [sregs.ds, sregs.es, sregs.fs, sregs.gs, sregs.ss]) {
    setFlatSegment(data, Selector.DATA32, 0x3);
  }
  const tr = sregs.tr;
  tr.selector = Selector.TSS;
  tr.base = 0n;
  tr.limit = 0x67;
  tr.type = 0xb;
  tr.present = 1;
  tr.dpl = 0;
  tr.db = 0;
  tr.s = 0;
  tr.l = 0;
  tr.g = 0;
  tr.avl = 0;
  tr.unusable = 0;
  sregs.gdt.base = BigInt(GDT_ADDRESS);
  sregs.gdt.limit = GDT_DESCRIPTORS.length * 8 - 1;
  sregs.idt.base = 0n;
  sregs.idt.limit = 0;
  sregs.setControl("cr0", long ? 0x80000011 : 0x11); // PE | ET (| PG)
  sregs.setControl("cr3", entry.longModePml4 ?? 0);
  sregs.setControl("cr4", long ? 0x20 : 0); // PAE
  sregs.setControl("efer", long ? 0x500 : 0); // LME | LMA
  const regs = new KvmRegs();
  regs.set("rip", entry.eip);
  regs.set("rsp", entry.esp);
  regs.set("rflags", 2);
  for (const [name, value] of Object.entries(entry.regs ?? {})) {
    regs.set(name as keyof NonNullable<ProtectedModeEntry["regs"]>, value ?? 0);
  }
  return regs;
}

function setFlatSegment(s: KvmSregs["cs"], selector: number, type: number): void {
  s.selector = selector;
  s.base = 0n;
  s.limit = 0xffffffff;
  s.type = type;
  s.present = 1;
  s.dpl = 0;
  s.db = 1;
  s.s = 1;
  s.l = 0;
  s.g = 1;
  s.avl = 0;
  s.unusable = 0;
}
