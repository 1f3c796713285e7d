/**
 * The guest's registers as a BIOS service sees them: real-mode registers
 * with 8/16-bit views and the flags a service returns. A service gets one of
 * these, changes it, and the trap writes back only what changed (so on KVM
 * an unchanged CS:IP lets the trapping OUT complete as usual).
 *
 * @example
 * ```ts
 * import { BiosRegs } from "./regs.ts";
 * const r = new BiosRegs();
 * r.ax = 0x0e41;
 * console.log(r.ah.toString(16), r.al.toString(16)); // "e" "41"
 * r.cf = true; // the error return
 * ```
 *
 * @module
 */

import type { KvmRegs, KvmSregs } from "../kvm/structs.ts";

/** The carry flag. */
export const FLAG_CF = 0x0001;
/** The zero flag. */
export const FLAG_ZF = 0x0040;
/** The interrupt flag. */
export const FLAG_IF = 0x0200;
/** The trap flag. */
export const FLAG_TF = 0x0100;

/** Names of the general registers, in `kvm_regs` order. */
const GPRS = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp"] as const;

/** Real-mode registers for one BIOS call. */
export class BiosRegs {
  /** EAX. */
  eax = 0;
  /** EBX. */
  ebx = 0;
  /** ECX. */
  ecx = 0;
  /** EDX. */
  edx = 0;
  /** ESI. */
  esi = 0;
  /** EDI. */
  edi = 0;
  /** EBP. */
  ebp = 0;
  /** ESP. */
  esp = 0;
  /** EIP (IP in real mode). */
  eip = 0;
  /** EFLAGS. */
  eflags = 0x2;
  /** CS selector. */
  cs = 0;
  /** DS selector. */
  ds = 0;
  /** ES selector. */
  es = 0;
  /** SS selector. */
  ss = 0;

  /** Reads the registers of a vCPU (as read with getRegs/getSregs). */
  static fromVcpu(regs: KvmRegs, sregs: KvmSregs): BiosRegs {
    const r = new BiosRegs();
    r.eax = regs.get32("rax");
    r.ebx = regs.get32("rbx");
    r.ecx = regs.get32("rcx");
    r.edx = regs.get32("rdx");
    r.esi = regs.get32("rsi");
    r.edi = regs.get32("rdi");
    r.ebp = regs.get32("rbp");
    r.esp = regs.get32("rsp");
    r.eip = regs.get32("rip");
    r.eflags = regs.get32("rflags");
    r.cs = sregs.cs.selector;
    r.ds = sregs.ds.selector;
    r.es = sregs.es.selector;
    r.ss = sregs.ss.selector;
    return r;
  }

  /** A copy. */
  clone(): BiosRegs {
    return Object.assign(new BiosRegs(), this);
  }

  /**
   * Writes the changes against `before` into `regs`/`sregs`; returns which of
   * the two structs changed. Segments that changed are loaded as real-mode segments.
   */
  applyTo(before: BiosRegs, regs: KvmRegs, sregs: KvmSregs): { regs: boolean; sregs: boolean } {
    let regsChanged = false;
    const values = [this.eax, this.ebx, this.ecx, this.edx, this.esi, this.edi, this.ebp, this.esp];
    const old = [
      before.eax,
      before.ebx,
      before.ecx,
      before.edx,
      before.esi,
      before.edi,
      before.ebp,
      before.esp,
    ];
    GPRS.forEach((name, i) => {
      if (values[i] !== old[i]) {
        // Keep the upper 32 bits: only the low half is the service's business.
        regs.set(name, (regs.get(name) & ~0xffffffffn) | BigInt(values[i] >>> 0));
        regsChanged = true;
      }
    });
    if (this.eip !== before.eip) {
      regs.set("rip", this.eip >>> 0);
      regsChanged = true;
    }
    if (this.eflags !== before.eflags) {
      regs.set("rflags", (this.eflags >>> 0) | 2);
      regsChanged = true;
    }
    let sregsChanged = false;
    for (const seg of ["cs", "ds", "es", "ss"] as const) {
      if (this[seg] !== before[seg]) {
        sregs[seg].setRealMode(this[seg], seg === "cs");
        sregsChanged = true;
      }
    }
    return { regs: regsChanged, sregs: sregsChanged };
  }

  /** AX. */
  get ax(): number {
    return this.eax & 0xffff;
  }
  set ax(v: number) {
    this.eax = ((this.eax & 0xffff0000) | (v & 0xffff)) >>> 0;
  }
  /** BX. */
  get bx(): number {
    return this.ebx & 0xffff;
  }
  set bx(v: number) {
    this.ebx = ((this.ebx & 0xffff0000) | (v & 0xffff)) >>> 0;
  }
  /** CX. */
  get cx(): number {
    return this.ecx & 0xffff;
  }
  set cx(v: number) {
    this.ecx = ((this.ecx & 0xffff0000) | (v & 0xffff)) >>> 0;
  }
  /** DX. */
  get dx(): number {
    return this.edx & 0xffff;
  }
  set dx(v: number) {
    this.edx = ((this.edx & 0xffff0000) | (v & 0xffff)) >>> 0;
  }
  /** SI. */
  get si(): number {
    return this.esi & 0xffff;
  }
  set si(v: number) {
    this.esi = ((this.esi & 0xffff0000) | (v & 0xffff)) >>> 0;
  }
  /** DI. */
  get di(): number {
    return this.edi & 0xffff;
  }
  set di(v: number) {
    this.edi = ((this.edi & 0xffff0000) | (v & 0xffff)) >>> 0;
  }
  /** BP. */
  get bp(): number {
    return this.ebp & 0xffff;
  }
  set bp(v: number) {
    this.ebp = ((this.ebp & 0xffff0000) | (v & 0xffff)) >>> 0;
  }
  /** SP. */
  get sp(): number {
    return this.esp & 0xffff;
  }
  set sp(v: number) {
    this.esp = ((this.esp & 0xffff0000) | (v & 0xffff)) >>> 0;
  }
  /** IP. */
  get ip(): number {
    return this.eip & 0xffff;
  }
  set ip(v: number) {
    this.eip = v & 0xffff;
  }
  /** AL. */
  get al(): number {
    return this.eax & 0xff;
  }
  set al(v: number) {
    this.eax = ((this.eax & ~0xff) | (v & 0xff)) >>> 0;
  }
  /** AH. */
  get ah(): number {
    return (this.eax >> 8) & 0xff;
  }
  set ah(v: number) {
    this.eax = ((this.eax & ~0xff00) | ((v & 0xff) << 8)) >>> 0;
  }
  /** BL. */
  get bl(): number {
    return this.ebx & 0xff;
  }
  set bl(v: number) {
    this.ebx = ((this.ebx & ~0xff) | (v & 0xff)) >>> 0;
  }
  /** BH. */
  get bh(): number {
    return (this.ebx >> 8) & 0xff;
  }
  set bh(v: number) {
    this.ebx = ((this.ebx & ~0xff00) | ((v & 0xff) << 8)) >>> 0;
  }
  /** CL. */
  get cl(): number {
    return this.ecx & 0xff;
  }
  set cl(v: number) {
    this.ecx = ((this.ecx & ~0xff) | (v & 0xff)) >>> 0;
  }
  /** CH. */
  get ch(): number {
    return (this.ecx >> 8) & 0xff;
  }
  set ch(v: number) {
    this.ecx = ((this.ecx & ~0xff00) | ((v & 0xff) << 8)) >>> 0;
  }
  /** DL. */
  get dl(): number {
    return this.edx & 0xff;
  }
  set dl(v: number) {
    this.edx = ((this.edx & ~0xff) | (v & 0xff)) >>> 0;
  }
  /** DH. */
  get dh(): number {
    return (this.edx >> 8) & 0xff;
  }
  set dh(v: number) {
    this.edx = ((this.edx & ~0xff00) | ((v & 0xff) << 8)) >>> 0;
  }

  /** The carry flag (the BIOS error flag). */
  get cf(): boolean {
    return (this.eflags & FLAG_CF) !== 0;
  }
  set cf(v: boolean) {
    this.eflags = v ? this.eflags | FLAG_CF : this.eflags & ~FLAG_CF;
  }
  /** The zero flag. */
  get zf(): boolean {
    return (this.eflags & FLAG_ZF) !== 0;
  }
  set zf(v: boolean) {
    this.eflags = v ? this.eflags | FLAG_ZF : this.eflags & ~FLAG_ZF;
  }

  /** Returns an error: CF = 1 and AH = `code`. */
  fail(code: number): void {
    this.ah = code;
    this.cf = true;
  }

  /** Returns success: CF = 0 and AH = 0. */
  ok(): void {
    this.ah = 0;
    this.cf = false;
  }
}

/** The linear address of a real-mode segment:offset. */
export function linear(segment: number, offset: number): number {
  return ((segment & 0xffff) << 4) + (offset & 0xffff);
}
