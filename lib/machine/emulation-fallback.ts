/**
 * Finishing on the software CPU an instruction KVM could not emulate.
 *
 * KVM emulates some guest code instead of running it: all of it on PVM, real
 * mode on Intel hosts without unrestricted guest, MMIO everywhere. Its
 * emulator lacks instructions (PVM's has no DAA) and reports
 * KVM_EXIT_INTERNAL_ERROR with suberror EMULATION. Both accelerators keep the
 * vCPU in the same kvm_regs/kvm_sregs layouts over the same guest RAM, so
 * here the software CPU takes the registers, runs that one instruction over
 * the very same memory, and hands the registers back; KVM goes on from the
 * next instruction.
 *
 * The instruction's port I/O and MMIO leave as ordinary exits of this vCPU,
 * so the run loop hands them to the machine's buses as it does KVM's; an IN
 * or an MMIO read completes on the next `run()`, as on KVM. The software CPU
 * runs real and 32-bit protected mode: in long mode, or for an instruction it
 * does not know either (#UD), or one it cannot fetch, the exit stays an
 * emulation failure, and its detail names the instruction at CS:IP.
 *
 * Not carried over: the interrupt shadow of an emulated STI or MOV SS (KVM
 * may take an interrupt one instruction early after one), and FPU state (so
 * x87 instructions are not taken over: they stay emulation failures).
 *
 * @module
 */

import { InternalError } from "../kvm/abi.ts";
import { KvmRegs, type KvmRun, KvmSregs, type RegName } from "../kvm/structs.ts";
import type { MemorySlotOptions, Vcpu, VcpuExit, Vm } from "../vcpu/contract.ts";
import { type EmuVcpu, EmuVm } from "../emu/mod.ts";
import { describeInstruction, instructionName } from "./instruction-name.ts";

const GPRS: RegName[] = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp"];
const INVALID_OPCODE = 6;
/** The software CPU's address space ends at 4 GiB (real mode reaches 1 MiB + 64 KiB). */
const EMU_LIMIT = 2 ** 32;
const INTR: VcpuExit = Object.freeze({ kind: "intr" });

/** A memory slot of the KVM VM. */
interface Slot {
  base: number;
  size: number;
  bytes: Uint8Array;
  readonly: boolean;
}

/** A KVM VM whose vCPU finishes instructions KVM cannot emulate on the software CPU. */
export class EmulationFallbackVm implements Vm {
  readonly #kvm: Vm;
  /** The software CPU's VM, made when KVM first gives up on an instruction (start-up time). */
  #emu: EmuVm | undefined;
  readonly #slots: Slot[] = [];
  #vcpu: EmulationFallbackVcpu | undefined;

  /** Wraps a KVM VM (its vCPUs must be created through this wrapper). */
  constructor(kvm: Vm) {
    this.#kvm = kvm;
  }

  /** Adds KVM memory and shows the same bytes to the software CPU. */
  addMemory(guestPhys: number, size: number, options: MemorySlotOptions = {}): Uint8Array {
    const bytes = this.#kvm.addMemory(guestPhys, size, options);
    const slot = { base: guestPhys, size, bytes, readonly: options.readonly === true };
    this.#slots.push(slot);
    if (this.#emu) addEmuSlot(this.#emu, slot);
    return bytes;
  }

  /** The software CPU's VM over the same memory, made on first use. */
  #software(): EmuVm {
    if (!this.#emu) {
      const emu = new EmuVm("386", null);
      for (const slot of this.#slots) addEmuSlot(emu, slot);
      this.#emu = emu;
    }
    return this.#emu;
  }

  /** Creates the KVM vCPU and the software CPU that stands in for it. */
  createVcpu(): EmulationFallbackVcpu {
    this.#vcpu = new EmulationFallbackVcpu(
      this.#kvm.createVcpu(),
      () => this.#software().createVcpu(),
      (at, n) => this.#read(at, n),
    );
    return this.#vcpu;
  }

  /** Releases both VMs. */
  close(): void {
    this.#emu?.close();
    this.#kvm.close();
  }

  /** Up to `length` bytes of guest RAM at `address` (fewer at a slot's end, none outside RAM). */
  #read(address: number, length: number): Uint8Array {
    for (const s of this.#slots) {
      const at = address - s.base;
      if (at >= 0 && at < s.bytes.length) return s.bytes.slice(at, at + length);
    }
    return new Uint8Array(0);
  }
}

/** The vCPU: KVM's, with the software CPU stepping in for single instructions. */
export class EmulationFallbackVcpu implements Vcpu {
  /** KVM's vCPU (its thread is the one to kick). */
  readonly kvm: Vcpu;
  /** The software CPU's vCPU, made when KVM first gives up on an instruction. */
  #emu: EmuVcpu | undefined;
  readonly #makeEmu: () => EmuVcpu;
  readonly #read: (address: number, length: number) => Uint8Array;
  /** An instruction is under way on the software CPU (it waits for IN or MMIO data). */
  #stepping = false;
  #exception = -1;
  #kvmRegs = new KvmRegs();
  #kvmSregs = new KvmSregs();
  /** How many instructions the software CPU finished for KVM, by mnemonic. */
  readonly finished = new Map<string, number>();
  /** Told of each instruction the software CPU takes over (a trace line). */
  onTakeOver: ((line: string) => void) | undefined;

  /**
   * Wraps KVM's vCPU; `makeEmu` makes the software CPU's (over the same
   * memory) the first time KVM gives up on an instruction.
   */
  constructor(
    kvm: Vcpu,
    makeEmu: () => EmuVcpu,
    read: (address: number, length: number) => Uint8Array,
  ) {
    this.kvm = kvm;
    this.#makeEmu = makeEmu;
    this.#read = read;
  }

  /** The software CPU's vCPU, made and readied on first use. */
  #software(): EmuVcpu {
    if (this.#emu) return this.#emu;
    const emu = this.#makeEmu();
    // Which exception the stepped instruction raised: #UD means the software CPU
    // does not know the instruction either.
    const cpu = emu.cpu;
    // The FPU state is KVM's: without an FPU of its own the software CPU reports x87
    // instructions (#UD) rather than run them against other registers.
    cpu.fpu = null;
    const deliver = cpu.exception.bind(cpu);
    cpu.exception = (vector: number) => {
      if (this.#exception < 0) this.#exception = vector;
      deliver(vector);
    };
    this.#emu = emu;
    return emu;
  }

  /** KVM's run structure (the software CPU's exits reflect IF and readiness here). */
  get runState(): KvmRun {
    return this.kvm.runState;
  }

  /** KVM's general registers. */
  getRegs(into?: KvmRegs): KvmRegs {
    return this.kvm.getRegs(into);
  }

  /** Loads KVM's general registers. */
  setRegs(regs: KvmRegs): void {
    this.kvm.setRegs(regs);
  }

  /** KVM's segment and control registers. */
  getSregs(into?: KvmSregs): KvmSregs {
    return this.kvm.getSregs(into);
  }

  /** Loads KVM's segment and control registers. */
  setSregs(sregs: KvmSregs): void {
    this.kvm.setSregs(sregs);
  }

  /** KVM_INTERRUPT. */
  interrupt(vector: number): void {
    this.kvm.interrupt(vector);
  }

  /** Closes KVM's vCPU. */
  close(): void {
    this.kvm.close();
  }

  /** KVM_RUN, or the rest of an instruction the software CPU is finishing. */
  run(): VcpuExit {
    if (this.#stepping) return this.#after(this.#software().step());
    const exit = this.kvm.run();
    if (exit.kind !== "internal-error" || exit.suberror !== InternalError.EMULATION) return exit;
    return this.#takeOver(exit);
  }

  /** Loads KVM's state into the software CPU and steps the instruction KVM gave up on. */
  #takeOver(failure: VcpuExit & { kind: "internal-error" }): VcpuExit {
    const regs = this.kvm.getRegs(this.#kvmRegs);
    const sregs = this.kvm.getSregs(this.#kvmSregs);
    const at = Number((sregs.cs.base + regs.get("rip")) & 0xffffffffn);
    const where = `${hex(sregs.cs.selector, 4)}:${hex(Number(regs.get("rip")), 4)}`;
    const what = describeInstruction(this.#read(at, 8));
    const report = (why: string): VcpuExit => ({
      kind: "internal-error",
      suberror: failure.suberror,
      detail: `KVM could not emulate the instruction at ${where} (${what}); ${why}` +
        (failure.detail ? ` [KVM data ${failure.detail}]` : ""),
    });
    if ((sregs.getControl("efer") & 0x400n) !== 0n) {
      return report("the software CPU, which does not run long mode, cannot finish it");
    }
    const emu = this.#software();
    emu.setSregs(sregs);
    emu.setRegs(regs);
    this.#exception = -1;
    const exit = this.#after(emu.step());
    if (exit.kind === "internal-error") {
      return report(`the software CPU cannot either: ${exit.detail}`);
    }
    if (this.#exception === INVALID_OPCODE) {
      this.#stepping = false;
      return report("the software CPU does not know it either");
    }
    const name = instructionName(this.#read(at, 8)) ?? "?";
    this.finished.set(name, (this.finished.get(name) ?? 0) + 1);
    this.onTakeOver?.(`kvm could not emulate ${what} at ${where}: the software CPU ran it`);
    return exit;
  }

  /**
   * Acts on the software CPU's exit: an instruction that is complete hands
   * its registers back to KVM; one that waits for data (or has more exits to
   * make) stays on the software CPU for the next `run()`.
   */
  #after(exit: VcpuExit): VcpuExit {
    const emu = this.#software();
    const run = this.kvm.runState;
    if (exit.kind === "internal-error" || this.#exception === INVALID_OPCODE) {
      this.#stepping = false;
      return exit;
    }
    const waiting = ((exit.kind === "io" || exit.kind === "mmio") && !exit.isWrite) ||
      emu.cpu.repPending || emu.cpu.m.writes.length !== 0;
    run.ifFlag = emu.runState.ifFlag;
    if (waiting) {
      this.#stepping = true;
      run.readyForInterruptInjection = false; // not between two instructions
      return exit;
    }
    this.#stepping = false;
    this.#handBack();
    run.readyForInterruptInjection = emu.runState.readyForInterruptInjection;
    return exit.kind === "intr" ? INTR : exit;
  }

  /** Loads the software CPU's registers into KVM, keeping what it does not model. */
  #handBack(): void {
    const before = this.#kvmRegs;
    const emu = this.#software();
    const regs = emu.getRegs();
    // Real mode leaves the upper halves of the 64-bit registers alone.
    for (const name of GPRS) {
      regs.set(name, (before.get(name) & ~0xffffffffn) | BigInt(regs.get32(name) >>> 0));
    }
    const sregs = emu.getSregs();
    const kept = this.#kvmSregs;
    sregs.setControl("cr8", kept.getControl("cr8"));
    sregs.setControl("apic_base", kept.getControl("apic_base"));
    sregs.interruptBitmap.set(kept.interruptBitmap);
    this.kvm.setSregs(sregs);
    this.kvm.setRegs(regs);
  }
}

/** Wraps a KVM VM so that emulation failures are finished on the software CPU. */
export function withEmulationFallback(vm: Vm): EmulationFallbackVm {
  return new EmulationFallbackVm(vm);
}

/** Shows a KVM memory slot to the software CPU (it addresses only the first 4 GiB). */
function addEmuSlot(
  emu: EmuVm,
  slot: { base: number; bytes: Uint8Array; readonly: boolean },
): void {
  if (slot.base + slot.bytes.length <= EMU_LIMIT) {
    emu.memory.addSlot(slot.base, slot.bytes.length, slot.readonly, slot.bytes);
  }
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}
