/**
 * The vCPU contract both accelerators implement: registers in the layouts of
 * `kvm_regs`/`kvm_sregs`, and `run()` returning an exit decoded from a
 * `kvm_run` structure. KVM fills that structure in the kernel; the software
 * CPU fills it with the encoders below. Everything above the vCPU (the run
 * loop, devices, BIOS, loaders) is the same code for both.
 *
 * @module
 */

import {
  ExitReason,
  IoDirection,
  type KvmRegs,
  type KvmRun,
  type KvmSregs,
  PIO_DATA_OFFSET,
  RUN_FIELDS as F,
} from "../kvm/structs.ts";

/** Port I/O. For `in`, fill `data` before the next `run()`; the instruction completes then. */
export interface IoExit {
  kind: "io";
  /** true for OUT/OUTS, false for IN/INS. */
  isWrite: boolean;
  /** Bytes per access: 1, 2 or 4. */
  size: number;
  port: number;
  /** Number of accesses (more than one for REP INS/OUTS). */
  count: number;
  /** `count * size` bytes: a view into the run structure, not a copy. */
  data: Uint8Array;
}

/** A guest access to a physical address that no RAM slot covers. */
export interface MmioExit {
  kind: "mmio";
  address: number;
  isWrite: boolean;
  /** 1 to 8 bytes; for reads fill it before the next `run()`. A view, not a copy. */
  data: Uint8Array;
}

/** A vCPU exit, one variant per `kvm_run` exit reason picovmm handles. */
export type VcpuExit =
  | IoExit
  | MmioExit
  | { kind: "hlt" }
  /** Triple fault (KVM_EXIT_SHUTDOWN). */
  | { kind: "shutdown" }
  /** The run was interrupted (signal, immediate_exit, or the software CPU's time slice). */
  | { kind: "intr" }
  /** The guest can take an interrupt (after request_interrupt_window). */
  | { kind: "irq-window-open" }
  /** The guest state was rejected on entry (KVM_EXIT_FAIL_ENTRY). */
  | { kind: "fail-entry"; hardwareReason: bigint }
  /** KVM or the software CPU could not go on (emulation failure and others). */
  | { kind: "internal-error"; suberror: number; detail: string }
  | { kind: "system-event"; type: number }
  /**
   * A debug stop (KVM_EXIT_DEBUG): a breakpoint or a single step. `pc` is the
   * linear address of the next instruction; `exception` 1 (#DB: step, hardware
   * breakpoint, watchpoint, with `dr6` saying which), 3 (#BP: a 0xCC the
   * debugger placed) or {@link MAGIC_BREAK_EXCEPTION}.
   */
  | DebugExit
  | { kind: "unknown"; reason: number };

/** A debug stop (see {@link VcpuExit}). */
export interface DebugExit {
  kind: "debug";
  exception: number;
  pc: number;
  dr6: number;
  dr7: number;
}

/**
 * `DebugExit.exception` for the software CPU's stops that KVM has no vector
 * for: the Bochs magic breakpoint (`xchg bx, bx`, pc after it) and a
 * breakpoint set in the software CPU (pc at the instruction, not executed).
 */
export const MAGIC_BREAK_EXCEPTION = 0x100;
/** `DebugExit.exception` for a breakpoint the software CPU stopped in front of. */
export const EMU_BREAKPOINT_EXCEPTION = 0x101;

/** One virtual CPU, on KVM or on the software CPU. */
export interface Vcpu {
  /** The shared run structure (inputs: request_interrupt_window, immediate_exit). */
  readonly runState: KvmRun;
  /** Copies the general registers out: into `into` when given (no allocation), else a new struct. */
  getRegs(into?: KvmRegs): KvmRegs;
  /** Loads the general registers. */
  setRegs(regs: KvmRegs): void;
  /** Copies the segment and control registers out: into `into` when given, else a new struct. */
  getSregs(into?: KvmSregs): KvmSregs;
  /** Loads the segment and control registers. */
  setSregs(sregs: KvmSregs): void;
  /**
   * Runs the guest until the next exit. The exit (and its data view) may be
   * reused by the next call: read it, or fill it, before running again.
   */
  run(): VcpuExit;
  /** Queues an external interrupt (KVM_INTERRUPT); only when `readyForInterruptInjection`. */
  interrupt(vector: number): void;
  /** Releases the vCPU. */
  close(): void;
  /** Instructions retired so far, where the accelerator counts them (the software CPU). */
  readonly instructions?: number;
  /** Most instructions one `run()` executes before it returns `intr` (the software CPU). */
  sliceLimit?: number;
  /**
   * The software CPU only: called for each OUT before it becomes an exit.
   * The host may complete the write at once and let the guest go on.
   */
  portOutHook?: PortOutHook | null;
  /**
   * The software CPU only: called for each MMIO write before it becomes an
   * exit, with the same contract as `portOutHook` (address, length, value).
   */
  mmioWriteHook?: PortOutHook | null;
}

/** Memory slot flags: a read-only slot turns guest writes into MMIO exits. */
export interface MemorySlotOptions {
  readonly?: boolean;
}

/** A virtual machine: memory slots and vCPUs. */
export interface Vm {
  /**
   * Adds guest RAM at a page-aligned guest-physical address and returns it as
   * bytes (zero-copy: the guest sees writes at once).
   */
  addMemory(guestPhys: number, size: number, options?: MemorySlotOptions): Uint8Array;
  /** Creates the vCPU (picovmm runs one). */
  createVcpu(): Vcpu;
  /**
   * Told before the first `addMemory` that RAM will lie below `top` bytes
   * (the software CPU keeps it in one buffer; KVM omits this).
   */
  reserveMemory?(top: number): void;
  /**
   * Told when the host wrote guest RAM behind the vCPU's back (the software
   * CPU drops translations of those bytes; KVM needs nothing).
   */
  memoryWritten?(guestPhys: number, length: number): void;
  /**
   * Told when the PC's A20 gate opens or closes (the software CPU then masks
   * address bit 20 or stops masking it; KVM has no such gate and omits this).
   */
  setA20?(enabled: boolean): void;
  /** Releases the VM, its memory and vCPUs. */
  close(): void;
}

/**
 * Completes an OUT (or an MMIO write) inside the software CPU: returns 0 when the write must
 * leave as an exit (nothing was done), 1 when it was done, 2 when it was
 * done and the run should end after the instruction (an interrupt may be
 * pending). It runs in the middle of a translated block: it must not read
 * or change CPU state.
 */
export type PortOutHook = (port: number, size: number, value: number) => number;

/** An accelerator: KVM or the software CPU. */
export interface Accelerator {
  readonly name: "kvm" | "emu";
  createVm(): Vm;
}

const IO_DATA_LIMIT = PIO_DATA_OFFSET;

/** Decodes the exit recorded in a run structure. */
export function decodeExit(run: KvmRun): VcpuExit {
  switch (run.exitReason) {
    case ExitReason.IO: {
      const size = run.u8(F["io.size"]);
      const count = run.u32(F["io.count"]);
      const offset = run.u64n(F["io.data_offset"]);
      const length = size * count;
      // The kernel sets these, but a bad value must not index past the mapping.
      if (offset + length > run.bytes.byteLength || length > IO_DATA_LIMIT) {
        return {
          kind: "internal-error",
          suberror: 0,
          detail: `port I/O data (${length} bytes at ${offset}) outside the run structure`,
        };
      }
      return {
        kind: "io",
        isWrite: run.u8(F["io.direction"]) === IoDirection.OUT,
        size,
        port: run.u16(F["io.port"]),
        count,
        data: run.bytes.subarray(offset, offset + length),
      };
    }
    case ExitReason.MMIO: {
      const length = Math.min(run.u32(F["mmio.len"]), 8);
      const at = F["mmio.data"];
      return {
        kind: "mmio",
        address: run.u64n(F["mmio.phys_addr"]),
        isWrite: run.u8(F["mmio.is_write"]) !== 0,
        data: run.bytes.subarray(at, at + length),
      };
    }
    case ExitReason.HLT:
      return { kind: "hlt" };
    case ExitReason.SHUTDOWN:
      return { kind: "shutdown" };
    case ExitReason.INTR:
      return { kind: "intr" };
    case ExitReason.IRQ_WINDOW_OPEN:
      return { kind: "irq-window-open" };
    case ExitReason.FAIL_ENTRY:
      return {
        kind: "fail-entry",
        hardwareReason: run.u64(F["fail_entry.hardware_entry_failure_reason"]),
      };
    case ExitReason.INTERNAL_ERROR:
      return {
        kind: "internal-error",
        suberror: run.u32(F["internal.suberror"]),
        detail: internalErrorDetail(run),
      };
    case ExitReason.SYSTEM_EVENT:
      return { kind: "system-event", type: run.u32(F["system_event.type"]) };
    case ExitReason.DEBUG:
      return {
        kind: "debug",
        exception: run.u32(F["debug.arch.exception"]),
        pc: run.u64n(F["debug.arch.pc"]),
        dr6: run.u32(F["debug.arch.dr6"]),
        dr7: run.u32(F["debug.arch.dr7"]),
      };
    default:
      return { kind: "unknown", reason: run.exitReason };
  }
}

/**
 * Decodes the exits of one run structure without allocating on the hot
 * paths: port I/O and MMIO exits come back as the same two objects, updated in
 * place, with their data views reused while their shape stays the same. An
 * exit is therefore valid until the next `run()` of its vCPU.
 */
export class ExitDecoder {
  readonly #run: KvmRun;
  readonly #io: IoExit;
  readonly #mmio: MmioExit;
  readonly #mmioData: Uint8Array[] = [];
  #ioOffset = -1;
  #ioLength = -1;

  constructor(run: KvmRun) {
    this.#run = run;
    this.#io = {
      kind: "io",
      isWrite: false,
      size: 1,
      port: 0,
      count: 0,
      data: run.bytes.subarray(0, 0),
    };
    const at = F["mmio.data"];
    for (let n = 0; n <= 8; n++) this.#mmioData.push(run.bytes.subarray(at, at + n));
    this.#mmio = { kind: "mmio", address: 0, isWrite: false, data: this.#mmioData[0] };
  }

  /** The exit now recorded in the run structure. */
  decode(): VcpuExit {
    const run = this.#run;
    const reason = run.exitReason;
    if (reason === ExitReason.IO) {
      const size = run.u8(F["io.size"]);
      const count = run.u32(F["io.count"]);
      const offset = run.u64n(F["io.data_offset"]);
      const length = size * count;
      if (offset + length > run.bytes.byteLength || length > IO_DATA_LIMIT) return decodeExit(run);
      const io = this.#io;
      if (offset !== this.#ioOffset || length !== this.#ioLength) {
        io.data = run.bytes.subarray(offset, offset + length);
        this.#ioOffset = offset;
        this.#ioLength = length;
      }
      io.isWrite = run.u8(F["io.direction"]) === IoDirection.OUT;
      io.size = size;
      io.port = run.u16(F["io.port"]);
      io.count = count;
      return io;
    }
    if (reason === ExitReason.MMIO) {
      const mmio = this.#mmio;
      mmio.address = run.u64n(F["mmio.phys_addr"]);
      mmio.isWrite = run.u8(F["mmio.is_write"]) !== 0;
      mmio.data = this.#mmioData[Math.min(run.u32(F["mmio.len"]), 8)];
      return mmio;
    }
    if (reason === ExitReason.HLT) return HLT;
    if (reason === ExitReason.INTR) return INTR;
    return decodeExit(run);
  }
}

const HLT: VcpuExit = Object.freeze({ kind: "hlt" });
const INTR: VcpuExit = Object.freeze({ kind: "intr" });

function internalErrorDetail(run: KvmRun): string {
  const n = Math.min(run.u32(F["internal.ndata"]), 16);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push("0x" + run.u64(F["internal.data"] + i * 8).toString(16));
  return words.join(" ");
}

/**
 * Records a port-I/O exit (for the software CPU). Returns the data area,
 * `size * count` bytes, for OUT data to be written into or IN data to be read from.
 */
export function encodeIoExit(
  run: KvmRun,
  isWrite: boolean,
  size: number,
  port: number,
  count: number,
): Uint8Array {
  const length = size * count;
  if (length > IO_DATA_LIMIT) throw new RangeError(`I/O exit of ${length} bytes exceeds a page`);
  run.exitReason = ExitReason.IO;
  run.setU8(F["io.direction"], isWrite ? IoDirection.OUT : IoDirection.IN);
  run.setU8(F["io.size"], size);
  run.setU16(F["io.port"], port);
  run.setU32(F["io.count"], count);
  run.setU32(F["io.data_offset"], PIO_DATA_OFFSET);
  run.setU32(F["io.data_offset"] + 4, 0);
  return run.bytes.subarray(PIO_DATA_OFFSET, PIO_DATA_OFFSET + length);
}

/** Records an MMIO exit and returns its 8-byte data area (for the software CPU). */
export function encodeMmioExit(
  run: KvmRun,
  address: number,
  isWrite: boolean,
  length: number,
): Uint8Array {
  run.exitReason = ExitReason.MMIO;
  run.setU32(F["mmio.phys_addr"], address % 0x100000000);
  run.setU32(F["mmio.phys_addr"] + 4, Math.floor(address / 0x100000000));
  run.setU32(F["mmio.len"], length);
  run.setU8(F["mmio.is_write"], isWrite ? 1 : 0);
  const at = F["mmio.data"];
  return run.bytes.subarray(at, at + length);
}

/** Records a debug exit (for the software CPU). */
export function encodeDebugExit(run: KvmRun, exception: number, pc: number): void {
  run.exitReason = ExitReason.DEBUG;
  run.setU32(F["debug.arch.exception"], exception);
  run.setU32(F["debug.arch.pc"], pc % 0x100000000);
  run.setU32(F["debug.arch.pc"] + 4, Math.floor(pc / 0x100000000));
  for (const f of [F["debug.arch.dr6"], F["debug.arch.dr7"]]) {
    run.setU32(f, 0);
    run.setU32(f + 4, 0);
  }
}

/** Records an internal error, with up to 16 data words (for the software CPU). */
export function encodeInternalError(run: KvmRun, suberror: number, data: bigint[] = []): void {
  run.exitReason = ExitReason.INTERNAL_ERROR;
  run.setU32(F["internal.suberror"], suberror);
  const n = Math.min(data.length, 16);
  run.setU32(F["internal.ndata"], n);
  for (let i = 0; i < n; i++) run.setU64(F["internal.data"] + i * 8, data[i]);
}
