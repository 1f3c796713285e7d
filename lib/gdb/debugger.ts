/**
 * A machine under a debugger: registers, memory at linear addresses (through
 * the guest's page tables), breakpoints, watchpoints, single steps and
 * resumes, on either accelerator. The gdb stub and the scripting API both
 * drive a machine through this.
 *
 * - Software CPU: breakpoints are a set of linear addresses the CPU stops in
 *   front of (exact, also inside translated code); a step is a run with an
 *   instruction limit of one. Watchpoints are not supported.
 * - KVM: software breakpoints are 0xCC bytes written at the physical address
 *   of the linear one while the guest runs (removed while it is stopped, so
 *   memory reads show the original bytes); hardware breakpoints and
 *   watchpoints use DR0-DR3/DR7 and single steps the trap flag, both through
 *   KVM_SET_GUEST_DEBUG. Where KVM runs the guest through its instruction
 *   emulator (PVM), a 0xCC is not intercepted there (the guest takes the #BP
 *   itself), so software breakpoints use free debug registers instead.
 *
 * @module
 */

import { GuestDebug } from "../kvm/abi.ts";
import type { KvmVcpu } from "../kvm/host.ts";
import { realModeEmulation } from "../kvm/host-kind.ts";
import type { KvmRegs, KvmSregs } from "../kvm/structs.ts";
import { EMU_BREAKPOINT_EXCEPTION, MAGIC_BREAK_EXCEPTION } from "../vcpu/contract.ts";
import { EmuVcpu } from "../emu/vcpu.ts";
import { EmulationFallbackVcpu } from "../machine/emulation-fallback.ts";
import type { Machine, RunLimits } from "../machine/machine.ts";
import { type PagingState, type Walk, walkPageTables } from "../machine/page-walk.ts";
import type { StopReason } from "../machine/stop.ts";
import type { GdbArch } from "./registers.ts";

/** Breakpoint kinds, numbered as gdb's Z packets number them (0-4). */
export type BreakKind = "software" | "hardware" | "write" | "read" | "access";

/** Z-packet type numbers to kinds. */
export const BREAK_KINDS: readonly BreakKind[] = [
  "software",
  "hardware",
  "write",
  "read",
  "access",
];

/** Why a resumed guest stopped, for the stop reply. */
export type DebugStop =
  | { kind: "breakpoint"; pc: number; hardware: boolean }
  | { kind: "watchpoint"; pc: number; address: number; access: "write" | "read" | "access" }
  | { kind: "step"; pc: number }
  | { kind: "magic"; pc: number }
  | { kind: "interrupted" }
  /** The guest ended (halt, exit port, crash, timeout): the run is over. */
  | { kind: "ended"; reason: StopReason };

interface Watch {
  kind: BreakKind;
  address: number;
  length: number;
}

/** The debug registers hold four addresses. */
const DEBUG_REGISTERS = 4;
const DR6_BS = 1 << 14;
const INT3 = 0xcc;

/** A machine's debugging surface (see the module comment for each accelerator). */
export class MachineDebugger {
  readonly machine: Machine;
  readonly #emu: EmuVcpu | undefined;
  readonly #kvm: KvmVcpu | undefined;
  /** Software breakpoints by linear address (KVM: with the byte the 0xCC replaced while inserted). */
  readonly #software = new Map<number, { physical: number; original: number } | null>();
  /** Hardware breakpoints and watchpoints, in DR0-DR3 order. */
  readonly #watches: Watch[] = [];
  #interrupted = false;
  /** Software breakpoints go into DR0-DR3 (KVM's emulator does not intercept 0xCC). */
  readonly #softwareInDebugRegisters: boolean;

  constructor(machine: Machine) {
    this.machine = machine;
    const vcpu = machine.vcpu;
    if (vcpu instanceof EmuVcpu) this.#emu = vcpu;
    else {
      const kvm = vcpu instanceof EmulationFallbackVcpu ? vcpu.kvm : vcpu;
      if ("setGuestDebug" in kvm) this.#kvm = kvm as KvmVcpu;
    }
    this.#softwareInDebugRegisters = this.#kvm !== undefined && realModeEmulation() !== undefined;
  }

  /** The architecture gdb should be told about for the CPU's mode now. */
  arch(): GdbArch {
    const s = this.machine.vcpu.getSregs();
    if ((s.getControl("efer") & (1n << 10n)) !== 0n) return "i386:x86-64";
    return (s.getControl("cr0") & 1n) !== 0n ? "i386" : "i8086";
  }

  /** The general registers. */
  getRegs(): KvmRegs {
    return this.machine.vcpu.getRegs();
  }

  /** The segment and control registers. */
  getSregs(): KvmSregs {
    return this.machine.vcpu.getSregs();
  }

  /** Loads both register sets. */
  setRegisters(regs: KvmRegs, sregs: KvmSregs): void {
    this.machine.setCpuState(regs, sregs);
  }

  /** The linear address of CS:IP. */
  pc(): number {
    const regs = this.getRegs(), sregs = this.getSregs();
    const linear = sregs.cs.base + regs.get("rip");
    return Number(this.arch() === "i386:x86-64" ? linear : linear & 0xffffffffn);
  }

  /** Walks the page tables for a linear address (identity with paging off). */
  translate(linear: number): Walk {
    const s = this.getSregs();
    const state: PagingState = {
      cr0: s.getControl("cr0"),
      cr3: s.getControl("cr3"),
      cr4: s.getControl("cr4"),
      efer: s.getControl("efer"),
    };
    const memory = this.machine.memory;
    return walkPageTables(linear, state, (address, bytes) => {
      if (!memory.contains(address, bytes)) return undefined;
      const lo = BigInt(memory.readU32(address));
      return bytes === 4 ? lo : lo | (BigInt(memory.readU32(address + 4)) << 32n);
    });
  }

  /**
   * Reads `length` bytes at a linear address; stops at the first byte that
   * has no translation or is not RAM (so the result may be shorter).
   */
  readLinear(linear: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const at = linear + done;
      const physical = this.translate(at).physical;
      const chunk = Math.min(length - done, 0x1000 - (at & 0xfff));
      if (physical === undefined || !this.machine.memory.contains(physical, chunk)) {
        // Byte by byte near the end of RAM.
        if (physical === undefined || !this.machine.memory.contains(physical, 1)) break;
        out[done++] = this.machine.memory.readU8(physical);
        continue;
      }
      out.set(this.machine.memory.read(physical, chunk), done);
      done += chunk;
    }
    return out.subarray(0, done);
  }

  /** Writes bytes at a linear address; false (nothing written) when any byte is not RAM. */
  writeLinear(linear: number, data: Uint8Array): boolean {
    const targets: number[] = [];
    for (let i = 0; i < data.length; i++) {
      const physical = this.translate(linear + i).physical;
      if (physical === undefined || !this.machine.memory.contains(physical, 1)) return false;
      targets.push(physical);
    }
    for (let i = 0; i < data.length; i++) {
      this.machine.memory.write(targets[i], data.subarray(i, i + 1));
    }
    return true;
  }

  /** Whether this accelerator supports a kind of breakpoint. */
  supports(kind: BreakKind): boolean {
    if (kind === "software" || kind === "hardware") return true;
    return this.#kvm !== undefined;
  }

  /**
   * Adds a breakpoint or watchpoint at a linear address. Returns false when
   * the accelerator cannot (a watchpoint on the software CPU, a fifth debug
   * register, a length other than 1, 2, 4 or 8).
   */
  addBreakpoint(kind: BreakKind, address: number, length = 1): boolean {
    if (!this.supports(kind)) return false;
    if (kind === "software" || (kind === "hardware" && this.#emu !== undefined)) {
      // The software CPU's breakpoints are exact whatever gdb calls them.
      if (this.#softwareInDebugRegisters && !this.#software.has(address)) {
        if (this.#software.size + this.#watches.length >= DEBUG_REGISTERS) return false;
      }
      this.#software.set(address, null);
      this.#syncEmu();
      return true;
    }
    if (
      this.#software.size * (this.#softwareInDebugRegisters ? 1 : 0) + this.#watches.length >=
        DEBUG_REGISTERS
    ) {
      return false;
    }
    if (this.#watches.some((w) => w.kind === kind && w.address === address)) return true;
    if (this.#watches.length >= DEBUG_REGISTERS) return false;
    if (kind !== "hardware" && ![1, 2, 4, 8].includes(length)) return false;
    this.#watches.push({ kind, address, length: kind === "hardware" ? 1 : length });
    return true;
  }

  /** Removes a breakpoint or watchpoint; false when there was none. */
  removeBreakpoint(kind: BreakKind, address: number): boolean {
    if (kind === "software" || (kind === "hardware" && this.#emu !== undefined)) {
      const had = this.#software.delete(address);
      this.#syncEmu();
      return had;
    }
    const i = this.#watches.findIndex((w) => w.kind === kind && w.address === address);
    if (i < 0) return false;
    this.#watches.splice(i, 1);
    return true;
  }

  /** Removes every breakpoint and watchpoint (gdb detached). */
  clearBreakpoints(): void {
    this.#software.clear();
    this.#watches.length = 0;
    this.#syncEmu();
  }

  /** The software breakpoints' linear addresses. */
  get breakpoints(): number[] {
    return [...this.#software.keys()];
  }

  /** Stops a running guest at its next exit (gdb's ^C). */
  interrupt(): void {
    this.#interrupted = true;
    this.machine.requestStop();
  }

  /** Enables the Bochs magic breakpoint (software CPU only; returns false on KVM). */
  enableMagicBreak(): boolean {
    if (this.#emu === undefined) return false;
    this.#emu.cpu.magicBreak = true;
    this.#emu.cpu.blocks?.flush();
    return true;
  }

  /**
   * Runs the guest: one instruction when `step`, else until a breakpoint,
   * an interrupt or the guest's end. A breakpoint at the current address
   * does not stop it again (it resumes past it).
   */
  async resume(step: boolean, limits: RunLimits = {}): Promise<DebugStop> {
    this.#interrupted = false;
    return this.#emu !== undefined
      ? await this.#held(step, () => this.#resumeEmu(this.#emu!, step, limits))
      : await this.#resumeKvm(step, limits);
  }

  /** Runs `body` with interrupt injection held when `hold` (a step stays in the code stepped). */
  async #held<T>(hold: boolean, body: () => Promise<T>): Promise<T> {
    this.machine.interruptsHeld = hold;
    try {
      return await body();
    } finally {
      this.machine.interruptsHeld = false;
    }
  }

  async #resumeEmu(emu: EmuVcpu, step: boolean, limits: RunLimits): Promise<DebugStop> {
    const cpu = emu.cpu;
    cpu.breakpointResume = { linear: this.pc(), instructions: cpu.instructions };
    const runLimits = step ? { ...limits, instructions: cpu.instructions + 1 } : limits;
    const stop = await this.machine.run(runLimits);
    if (step && stop.kind === "instruction-limit") return { kind: "step", pc: this.pc() };
    return this.#classify(stop, step);
  }

  async #resumeKvm(step: boolean, limits: RunLimits): Promise<DebugStop> {
    // A step stops after one instruction anyway: it runs without breakpoints, so one
    // at the current address (0xCC or DR0-3, which would fire again) does not stop it.
    if (step) return await this.#runKvm(true, false, limits);
    const pc = this.pc();
    if (this.#software.has(pc) || this.#watches.some((w) => w.address === pc)) {
      const first = await this.#runKvm(true, false, limits);
      if (first.kind !== "step") return first;
    }
    return await this.#runKvm(false, true, limits);
  }

  async #runKvm(step: boolean, insert: boolean, limits: RunLimits): Promise<DebugStop> {
    return await this.#held(step, () => this.#runKvmOnce(step, insert, limits));
  }

  async #runKvmOnce(step: boolean, insert: boolean, limits: RunLimits): Promise<DebugStop> {
    const kvm = this.#kvm!;
    const viaDr = this.#softwareInDebugRegisters;
    if (insert && !viaDr) this.#insertSoftware();
    try {
      let control = GuestDebug.ENABLE;
      if (step) control |= GuestDebug.SINGLESTEP;
      if (insert && !viaDr && this.#software.size > 0) control |= GuestDebug.USE_SW_BP;
      const dr = insert ? this.#debugRegisters() : [];
      if (insert && this.#slots().length > 0) control |= GuestDebug.USE_HW_BP;
      kvm.setGuestDebug(control, dr);
      for (;;) {
        const stop = await this.machine.run(limits);
        if (stop.kind === "debug" && stop.exception === 3 && !this.#software.has(stop.pc)) {
          // The guest's own INT3: deliver it to the guest.
          kvm.setGuestDebug(control | GuestDebug.INJECT_BP, dr);
          kvm.setGuestDebug(control, dr);
          continue;
        }
        return this.#classify(stop, step);
      }
    } finally {
      this.#removeSoftware();
      this.#kvm!.setGuestDebug(0);
    }
  }

  /** What DR0-DR3 hold: software breakpoints first where they live there, then the rest. */
  #slots(): Watch[] {
    const software: Watch[] = this.#softwareInDebugRegisters
      ? this.breakpoints.map((address) => ({ kind: "software", address, length: 1 }))
      : [];
    return [...software, ...this.#watches].slice(0, DEBUG_REGISTERS);
  }

  /** DR0-DR3 and DR7 for the hardware breakpoints and watchpoints (global enables). */
  #debugRegisters(): bigint[] {
    const dr = [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n];
    let dr7 = 0x600n;
    this.#slots().forEach((w, i) => {
      dr[i] = BigInt(w.address);
      const rw = w.kind === "hardware" || w.kind === "software" ? 0n : w.kind === "write" ? 1n : 3n;
      const len = w.length === 1 ? 0n : w.length === 2 ? 1n : w.length === 8 ? 2n : 3n;
      dr7 |= (2n << BigInt(2 * i)) | (rw << BigInt(16 + 4 * i)) | (len << BigInt(18 + 4 * i));
    });
    dr[7] = dr7;
    return dr;
  }

  #insertSoftware(): void {
    for (const linear of this.#software.keys()) {
      const physical = this.translate(linear).physical;
      if (physical === undefined || !this.machine.memory.contains(physical, 1)) continue;
      const original = this.machine.memory.readU8(physical);
      this.machine.memory.writeU8(physical, INT3);
      this.#software.set(linear, { physical, original });
    }
  }

  #removeSoftware(): void {
    for (const [linear, placed] of this.#software) {
      if (placed === null) continue;
      this.machine.memory.writeU8(placed.physical, placed.original);
      this.#software.set(linear, null);
    }
  }

  /** Points the software CPU at the breakpoint set (null when empty: no cost per instruction). */
  #syncEmu(): void {
    const emu = this.#emu;
    if (emu === undefined) return;
    emu.cpu.breakpoints = this.#software.size > 0 ? new Set(this.#software.keys()) : null;
    emu.cpu.blocks?.flush();
  }

  #classify(stop: StopReason, step: boolean): DebugStop {
    if (stop.kind === "stopped" && this.#interrupted) return { kind: "interrupted" };
    if (stop.kind !== "debug") return { kind: "ended", reason: stop };
    const pc = this.pc();
    switch (stop.exception) {
      case MAGIC_BREAK_EXCEPTION:
        return { kind: "magic", pc };
      case EMU_BREAKPOINT_EXCEPTION:
      case 3:
        return { kind: "breakpoint", pc, hardware: false };
    }
    const slots = this.#slots();
    const hit = slots.findIndex((_, i) => (stop.dr6 & (1 << i)) !== 0);
    if (hit >= 0) {
      const w = slots[hit];
      if (w.kind === "software") return { kind: "breakpoint", pc, hardware: false };
      if (w.kind === "hardware") return { kind: "breakpoint", pc, hardware: true };
      return { kind: "watchpoint", pc, address: w.address, access: w.kind as "write" };
    }
    if (step || (stop.dr6 & DR6_BS) !== 0) return { kind: "step", pc };
    return { kind: "breakpoint", pc, hardware: true };
  }
}
