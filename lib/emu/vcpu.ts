/**
 * `EmuVcpu`: the software CPU behind the vCPU contract. Registers travel in
 * the kvm_regs/kvm_sregs layouts and every exit is written into a kvm_run
 * structure exactly as KVM would, then decoded with the shared decoder.
 *
 * @module
 */

import {
  EMU_BREAKPOINT_EXCEPTION,
  encodeDebugExit,
  encodeInternalError,
  encodeIoExit,
  encodeMmioExit,
  ExitDecoder,
  MAGIC_BREAK_EXCEPTION,
  type PortOutHook,
  type Vcpu,
  type VcpuExit,
} from "../vcpu/contract.ts";
import { ExitReason, KvmRegs, KvmRun, KvmSregs, LAYOUT, type RegName } from "../kvm/structs.ts";
import {
  Cpu,
  type CpuModel,
  CS,
  DS,
  EAX,
  EBP,
  EBX,
  ECX,
  EDI,
  EDX,
  ES,
  ESI,
  ESP,
  FS,
  GS,
  SS,
  Stop,
} from "./cpu.ts";
import { BlockCache, type BlockCacheOptions } from "./blocks.ts";
import { execute } from "./engine.ts";
import { cplFromCaches, flushTranslations, updateMode } from "./mode.ts";
import { loadPdptes } from "./paging.ts";
import { VM } from "./flags.ts";
import type { PhysMemory } from "./memory.ts";

/** Default instructions per `run()` before it returns `{kind: "intr"}`. */
export const DEFAULT_SLICE = 1 << 20;

const GPR: ReadonlyArray<[RegName, number]> = [
  ["rax", EAX],
  ["rbx", EBX],
  ["rcx", ECX],
  ["rdx", EDX],
  ["rsi", ESI],
  ["rdi", EDI],
  ["rsp", ESP],
  ["rbp", EBP],
];
const SEGS: ReadonlyArray<["cs" | "ds" | "es" | "fs" | "gs" | "ss", number]> = [
  ["es", ES],
  ["cs", CS],
  ["ss", SS],
  ["ds", DS],
  ["fs", FS],
  ["gs", GS],
];
/** kvm_segment's attribute bytes (type, present, dpl, db, s, l, g, avl, unusable). */
const ATTR_BYTES = 9;
const SEGMENT_BYTES = LAYOUT.kvm_segment.size;
const SEG = LAYOUT.kvm_segment.fields;
const SREGS = LAYOUT.kvm_sregs.fields;
const REGS = LAYOUT.kvm_regs.fields;
/** r8..r15, kept as given (real mode never sees them). */
const UPPER_BYTES = 64;

/** What the last exit waits for from the caller. */
const Pending = { NONE: 0, IO_IN: 1, MMIO_READ: 2 } as const;

/**
 * A vCPU of the software CPU (real mode; 8086 or 386+ model).
 *
 * @example
 * ```ts
 * import { EmuAccelerator } from "./mod.ts";
 * const vm = new EmuAccelerator().createVm();
 * const ram = vm.addMemory(0, 0x10000);
 * ram.set([0xf4], 0); // HLT
 * const vcpu = vm.createVcpu();
 * console.log(vcpu.run().kind); // "hlt"
 * ```
 */
export class EmuVcpu implements Vcpu {
  /** The run structure: exits are written here as KVM writes them. */
  readonly runState: KvmRun = new KvmRun();
  readonly #exits = new ExitDecoder(this.runState);
  /** Instructions per `run()` call before it returns `{kind: "intr"}`. */
  sliceLimit: number = DEFAULT_SLICE;

  /** OUTs the host completes without an exit (see `PortOutHook`); null: every OUT exits. */
  get portOutHook(): PortOutHook | null {
    return this.cpu.portOutHook;
  }
  set portOutHook(hook: PortOutHook | null) {
    this.cpu.portOutHook = hook;
  }

  /** MMIO writes the host completes without an exit (same contract as `portOutHook`). */
  get mmioWriteHook(): PortOutHook | null {
    return this.cpu.m.mmioWriteHook;
  }
  set mmioWriteHook(hook: PortOutHook | null) {
    this.cpu.m.mmioWriteHook = hook;
  }
  /** The CPU state (for tools and tests; the contract methods are the stable API). */
  readonly cpu: Cpu;
  #pending: number = Pending.NONE;
  #irq = -1;
  /** r8..r15 as the caller last set them (unused in real mode, returned as given). */
  readonly #upper = new Uint8Array(UPPER_BYTES);
  #closed = false;

  /**
   * Creates a vCPU on `memory` (use `EmuVm.createVcpu`); hot code is
   * translated to JavaScript unless `translation` is null.
   */
  constructor(model: CpuModel, memory: PhysMemory, translation: BlockCacheOptions | null = {}) {
    this.cpu = new Cpu(model, memory);
    if (translation !== null) this.cpu.blocks = new BlockCache(this.cpu, translation);
  }

  /** Retired instructions so far (each REP iteration and each exception counts one). */
  get instructions(): number {
    return this.cpu.instructions;
  }
  set instructions(v: number) {
    this.cpu.instructions = v;
  }

  /** Copies the general registers out (kvm_regs layout), into `into` when given. */
  getRegs(into?: KvmRegs): KvmRegs {
    const regs = into ?? new KvmRegs();
    const c = this.cpu;
    for (const [name, i] of GPR) regs.set32(name, c.r32[i]);
    regs.bytes.set(this.#upper, REGS.r8);
    regs.set32("rip", c.ip);
    regs.set32("rflags", c.readFlags());
    return regs;
  }

  /** Loads the general registers (the upper 32 bits of each are ignored in real mode). */
  setRegs(regs: KvmRegs): void {
    const c = this.cpu;
    for (const [name, i] of GPR) c.r32[i] = regs.get32(name);
    this.#upper.set(regs.bytes.subarray(REGS.r8, REGS.r8 + UPPER_BYTES));
    c.ip = c.def32 ? regs.get32("rip") : regs.get32("rip") & 0xffff;
    const rflags = regs.get32("rflags");
    c.writeFlags(rflags, true);
    if (((c.rawFlags ^ rflags) & VM) !== 0) {
      // Only here may VM change outside IRET, interrupts and task switches.
      c.rawFlags ^= VM;
      updateMode(c);
    }
  }

  /** Copies the segment and control registers out (kvm_sregs layout), into `into` when given. */
  getSregs(into?: KvmSregs): KvmSregs {
    const s = into ?? new KvmSregs();
    const c = this.cpu;
    const b = s.bytes;
    if (into !== undefined) b.fill(0); // fields the software CPU does not keep read as 0
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (const [name, i] of SEGS) {
      const at = SREGS[name];
      v.setUint32(at + SEG.base, c.base[i], true); // the upper half stays 0
      v.setUint32(at + SEG.limit, c.limit[i], true);
      v.setUint16(at + SEG.selector, c.sel[i], true);
      // type..unusable are 9 consecutive bytes, in the order `attrs` keeps them.
      for (let k = 0; k < ATTR_BYTES; k++) b[at + SEG.type + k] = c.attrs[i * ATTR_BYTES + k];
    }
    for (let k = 0; k < SEGMENT_BYTES; k++) {
      b[SREGS.tr + k] = c.trLdt[k];
      b[SREGS.ldt + k] = c.trLdt[SEGMENT_BYTES + k];
    }
    v.setUint32(SREGS.gdt, c.gdtBase, true);
    v.setUint16(SREGS.gdt + 8, c.gdtLimit, true);
    v.setUint32(SREGS.idt, c.idtBase, true);
    v.setUint16(SREGS.idt + 8, c.idtLimit, true);
    v.setUint32(SREGS.cr0, c.cr0 >>> 0, true);
    v.setUint32(SREGS.cr2, c.cr2 >>> 0, true);
    v.setUint32(SREGS.cr3, c.cr3 >>> 0, true);
    v.setUint32(SREGS.cr4, c.cr4 >>> 0, true);
    v.setUint32(SREGS.efer, c.efer >>> 0, true);
    v.setUint32(SREGS.apic_base, c.apicBase >>> 0, true);
    if (this.#irq >= 0) s.interruptBitmap[this.#irq >> 3] |= 1 << (this.#irq & 7);
    return s;
  }

  /**
   * Loads the segment and control registers. A segment's base and limit come
   * from the struct (the hidden cache), so "unreal" states behave as on hardware.
   */
  setSregs(sregs: KvmSregs): void {
    const c = this.cpu;
    const b = sregs.bytes;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (const [name, i] of SEGS) {
      const at = SREGS[name];
      c.sel[i] = v.getUint16(at + SEG.selector, true);
      c.base[i] = v.getUint32(at + SEG.base, true);
      c.limit[i] = c.is8086 ? 0xffff : v.getUint32(at + SEG.limit, true);
      for (let k = 0; k < ATTR_BYTES; k++) c.attrs[i * ATTR_BYTES + k] = b[at + SEG.type + k];
    }
    for (let k = 0; k < SEGMENT_BYTES; k++) {
      c.trLdt[k] = b[SREGS.tr + k];
      c.trLdt[SEGMENT_BYTES + k] = b[SREGS.ldt + k];
    }
    c.gdtBase = v.getUint32(SREGS.gdt, true);
    c.gdtLimit = v.getUint16(SREGS.gdt + 8, true);
    c.idtBase = v.getUint32(SREGS.idt, true);
    c.idtLimit = v.getUint16(SREGS.idt + 8, true);
    c.cr0 = v.getUint32(SREGS.cr0, true);
    c.cr2 = v.getUint32(SREGS.cr2, true);
    c.cr3 = v.getUint32(SREGS.cr3, true);
    c.cr4 = v.getUint32(SREGS.cr4, true);
    c.efer = v.getUint32(SREGS.efer, true);
    c.apicBase = v.getUint32(SREGS.apic_base, true);
    c.cpl = cplFromCaches(c);
    flushTranslations(c);
    updateMode(c);
    // KVM loads the PDPTEs of a PAE state too (from RAM only: a read of MMIO here could not exit).
    if (c.pg && (c.cr4 & 0x20) !== 0 && c.m.isRam((c.cr3 & 0xffffffe0) >>> 0)) {
      loadPdptes(c, c.cr3);
    }
  }

  /** Queues an external interrupt, delivered through the IVT when the guest can take it. */
  interrupt(vector: number): void {
    this.#irq = vector & 0xff;
  }

  /** Runs the guest until the next exit (or `sliceLimit` instructions: `{kind: "intr"}`). */
  run(): VcpuExit {
    return this.#run(this.sliceLimit, false);
  }

  /**
   * Executes exactly one whole instruction (a REP string instruction to its
   * end) unless an exit comes first. Returns that exit, or `{kind: "intr"}`
   * when the instruction completed without one. After an exit that needs
   * data (IN, MMIO read), fill it and call `step()` again to complete it.
   */
  step(): VcpuExit {
    return this.#run(1, true);
  }

  /** Releases the vCPU. */
  close(): void {
    this.#closed = true;
  }

  #run(limit: number, whole: boolean): VcpuExit {
    if (this.#closed) throw new Error("vCPU is closed");
    const rs = this.runState;
    const c = this.cpu;
    const m = c.m;
    this.#collectInput();
    try {
      if (rs.immediateExit) return this.#simple(ExitReason.INTR);
      if (m.writes.length !== 0) return this.#mmioWriteExit();
      if (m.fillAddr.length !== 0 || c.ioFillPos < c.ioFillEnd) {
        // Complete the instruction that waited for IN or MMIO data before anything
        // else (an interrupt handler must not see that data), as KVM does on entry. A
        // REP INS takes every element its exit read before an interrupt can come: KVM's
        // emulator also runs the iterations its read-ahead covers without a window.
        let s = execute(c, 1);
        limit--;
        while (s === Stop.SLICE && c.repPending && c.ioFillPos < c.ioFillEnd) {
          s = execute(c, 1);
          limit--;
        }
        if (s !== Stop.SLICE) return this.#exitFor(s);
        if (limit <= 0 && !whole) return this.#simple(ExitReason.INTR);
        if (whole && !c.repPending) return this.#simple(ExitReason.INTR);
      }
      if (rs.requestInterruptWindow && this.#irq < 0) {
        return this.#untilInterruptible(limit) ?? this.#simple(ExitReason.IRQ_WINDOW_OPEN);
      }
      if (this.#irq >= 0) {
        const exit = this.#untilInterruptible(limit);
        if (exit !== null) return exit;
        const v = this.#irq;
        this.#irq = -1;
        c.stop = Stop.NONE;
        c.external(v);
        if (c.stop !== Stop.NONE) return this.#exitFor(c.stop);
      }
      let s = execute(c, limit);
      while (whole && s === Stop.SLICE && c.repPending) s = execute(c, 1);
      return this.#exitFor(s);
    } catch (e) {
      // Only a bug in the software CPU gets here; report it instead of crashing the host.
      encodeInternalError(rs, 0);
      this.#setReady();
      return { kind: "internal-error", suberror: 0, detail: `software CPU error: ${e}` };
    }
  }

  /**
   * Runs until the guest can take an interrupt (IF set, no shadow): null
   * then, else the exit that came first. Runs at full speed while IF is
   * clear; instructions that set IF end the batch so the shadow is stepped.
   */
  #untilInterruptible(limit: number): VcpuExit | null {
    const c = this.cpu;
    const end = c.instructions + limit;
    c.watchIf = true;
    try {
      while (!c.interruptible()) {
        const left = end - c.instructions;
        if (left <= 0) return this.#simple(ExitReason.INTR);
        const s = execute(c, (c.rawFlags & 0x200) !== 0 ? 1 : left);
        if (s !== Stop.IF_ON && s !== Stop.SLICE) return this.#exitFor(s);
      }
      return null;
    } finally {
      c.watchIf = false;
    }
  }

  #setReady(): void {
    const rs = this.runState;
    const c = this.cpu;
    rs.ifFlag = (c.rawFlags & 0x200) !== 0;
    rs.readyForInterruptInjection = c.interruptible() && this.#irq < 0;
  }

  #simple(reason: number): VcpuExit {
    this.runState.exitReason = reason;
    this.#setReady();
    return this.#exits.decode();
  }

  #fetchOutsideRamExit(): VcpuExit {
    const at = this.cpu.fetchAddress;
    encodeInternalError(this.runState, 1, [BigInt(at)]);
    this.#setReady();
    return {
      kind: "internal-error",
      suberror: 1,
      detail: `instruction fetch from 0x${at.toString(16)}, which is not RAM`,
    };
  }

  #mmioWriteExit(): VcpuExit {
    const w = this.cpu.m.writes.shift()!;
    const data = encodeMmioExit(this.runState, w.address, true, w.length);
    let v = w.value;
    for (let i = 0; i < w.length; i++) {
      data[i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    this.#setReady();
    return this.#exits.decode();
  }

  #exitFor(s: number): VcpuExit {
    const c = this.cpu;
    const rs = this.runState;
    switch (s) {
      case Stop.IO: {
        const data = encodeIoExit(rs, c.ioWrite, c.ioSize, c.ioPort, c.ioCount);
        if (c.ioWrite) {
          data.set(c.ioBuf.subarray(0, c.ioSize * c.ioCount));
          c.ioCount = 0;
          c.ioWrite = false;
        } else {
          data.fill(0);
          c.ioCount = 0;
          this.#pending = Pending.IO_IN;
        }
        this.#setReady();
        return this.#exits.decode();
      }
      case Stop.MMIO_READ:
        encodeMmioExit(rs, c.m.readAddr, false, c.m.readLen).fill(0);
        c.m.readPending = false;
        this.#pending = Pending.MMIO_READ;
        this.#setReady();
        return this.#exits.decode();
      case Stop.MMIO_WRITE:
        return this.#mmioWriteExit();
      case Stop.HLT:
        return this.#simple(ExitReason.HLT);
      case Stop.SHUTDOWN:
        return this.#simple(ExitReason.SHUTDOWN);
      case Stop.FETCH_OUTSIDE_RAM:
        return this.#fetchOutsideRamExit();
      case Stop.BREAKPOINT:
      case Stop.MAGIC:
        encodeDebugExit(
          rs,
          s === Stop.MAGIC ? MAGIC_BREAK_EXCEPTION : EMU_BREAKPOINT_EXCEPTION,
          c.csBase + c.ip,
        );
        this.#setReady();
        return this.#exits.decode();
      default:
        return this.#simple(ExitReason.INTR);
    }
  }

  /** Takes the data the caller put into the last IN or MMIO-read exit. */
  #collectInput(): void {
    const p = this.#pending;
    if (p === Pending.NONE) return;
    this.#pending = Pending.NONE;
    const c = this.cpu;
    const exit = this.#exits.decode();
    if (p === Pending.IO_IN && exit.kind === "io") {
      const n = exit.size * exit.count;
      c.ioBuf.set(exit.data.subarray(0, n));
      c.ioFillPos = 0;
      c.ioFillEnd = n;
      c.ioFillPort = exit.port;
      c.ioFillSize = exit.size;
    } else if (p === Pending.MMIO_READ && exit.kind === "mmio") {
      let v = 0;
      for (let i = exit.data.length - 1; i >= 0; i--) v = v * 256 + exit.data[i];
      c.m.addFill(exit.address, exit.data.length, v);
    }
  }
}
