/**
 * The host accelerator: /dev/kvm through libc ioctls. One class per kind of
 * file descriptor (system, VM, vCPU), each ioctl on the class it belongs to.
 *
 * @module
 */

import { Cap, IDENTITY_MAP_ADDRESS, Ioctl, KVM_API_VERSION, MemFlag, TSS_ADDRESS } from "./abi.ts";
import {
  close,
  Errno,
  gettid,
  ioctl,
  ioctlNoThrow,
  ioctlValue,
  MAP_ANONYMOUS,
  MAP_NORESERVE,
  MAP_SHARED,
  type Mapping,
  mmap,
  munmap,
  O_RDWR,
  open,
  PROT_READ,
  PROT_WRITE,
  strerror,
  SyscallError,
  ThreadTimer,
} from "./libc.ts";
import { ExitReason, KvmRegs, KvmRun, KvmSregs, LAYOUT } from "./structs.ts";
import { cpuidBuffer, type CpuidEntry, decodeCpuid2, encodeCpuid2 } from "./cpuid.ts";
import {
  type Accelerator,
  ExitDecoder,
  type MemorySlotOptions,
  type Vcpu,
  type Vm,
} from "../vcpu/contract.ts";
import type { VcpuExit } from "../vcpu/contract.ts";
import { KvmUnavailableError } from "./unavailable.ts";

export { KvmUnavailableError } from "./unavailable.ts";

/** An exit reason KVM never writes: set before each KVM_RUN to see whether KVM wrote one. */
const RUN_NOT_ENTERED = 0xffff_ffff;

const PAGE = 4096;
/** errno: the buffer is too small (KVM_GET_SUPPORTED_CPUID). */
const E2BIG = 7;
// SIGUSR1 would start the V8 inspector in Deno; SIGUSR2 is unused.
const SIGUSR2 = 12;

/** The system handle: /dev/kvm. */
export class Kvm implements Accelerator {
  readonly name = "kvm";
  readonly fd: number;
  readonly vcpuMmapSize: number;

  private constructor(fd: number) {
    this.fd = fd;
    this.vcpuMmapSize = ioctlValue(fd, Ioctl.KVM_GET_VCPU_MMAP_SIZE, 0, "KVM_GET_VCPU_MMAP_SIZE");
  }

  /** Opens /dev/kvm and checks the API version; throws KvmUnavailableError with the reason. */
  static open(path = "/dev/kvm"): Kvm {
    let fd: number;
    try {
      fd = open(path, O_RDWR);
    } catch (e) {
      if (e instanceof SyscallError) {
        throw new KvmUnavailableError(`KVM is not available: cannot open ${path} (${e.message})`);
      }
      throw e;
    }
    const version = ioctlValue(fd, Ioctl.KVM_GET_API_VERSION, 0, "KVM_GET_API_VERSION");
    if (version !== KVM_API_VERSION) {
      close(fd);
      throw new KvmUnavailableError(`KVM API version ${version}, expected ${KVM_API_VERSION}`);
    }
    return new Kvm(fd);
  }

  /** KVM_CHECK_EXTENSION. */
  checkExtension(cap: number): number {
    return ioctlValue(this.fd, Ioctl.KVM_CHECK_EXTENSION, cap, "KVM_CHECK_EXTENSION");
  }

  /** KVM_CREATE_VM. */
  createVm(): KvmVm {
    const fd = ioctlValue(this.fd, Ioctl.KVM_CREATE_VM, 0, "KVM_CREATE_VM");
    return new KvmVm(this, fd);
  }

  /** KVM_GET_SUPPORTED_CPUID: the CPUID leaves this KVM can give a vCPU (grown on E2BIG). */
  supportedCpuid(): CpuidEntry[] {
    for (let capacity = 64;; capacity *= 2) {
      const buffer = cpuidBuffer(capacity);
      try {
        ioctl(this.fd, Ioctl.KVM_GET_SUPPORTED_CPUID, buffer, "KVM_GET_SUPPORTED_CPUID");
        return decodeCpuid2(buffer);
      } catch (e) {
        if (!(e instanceof SyscallError) || e.errno !== E2BIG || capacity >= 4096) throw e;
      }
    }
  }

  /** Closes /dev/kvm. */
  close(): void {
    close(this.fd);
  }
}

/** A VM file descriptor: memory slots and vCPUs. */
export class KvmVm implements Vm {
  readonly #mappings: Mapping[] = [];
  readonly #vcpus: KvmVcpu[] = [];
  #nextSlot = 0;

  constructor(readonly kvm: Kvm, readonly fd: number) {
    // Intel hosts need three pages for a TSS below 4 GiB to run real mode.
    ioctlValue(fd, Ioctl.KVM_SET_TSS_ADDR, TSS_ADDRESS, "KVM_SET_TSS_ADDR");
    // ... and an identity-mapped page table page for unpaged protected mode, set before vCPUs.
    if (kvm.checkExtension(Cap.SET_IDENTITY_MAP_ADDR) > 0) {
      const address = new Uint8Array(8);
      new DataView(address.buffer).setBigUint64(0, IDENTITY_MAP_ADDRESS, true);
      ioctl(fd, Ioctl.KVM_SET_IDENTITY_MAP_ADDR, address, "KVM_SET_IDENTITY_MAP_ADDR");
    }
  }

  /** KVM_SET_USER_MEMORY_REGION over a fresh anonymous mapping. */
  addMemory(guestPhys: number, size: number, options: MemorySlotOptions = {}): Uint8Array {
    if (guestPhys % PAGE !== 0 || size % PAGE !== 0 || size <= 0) {
      throw new RangeError(`memory slot ${guestPhys.toString(16)}+${size} is not page-aligned`);
    }
    if (options.readonly && this.kvm.checkExtension(Cap.READONLY_MEM) === 0) {
      throw new KvmUnavailableError("this KVM cannot map read-only memory");
    }
    const m = mmap(
      size,
      PROT_READ | PROT_WRITE,
      MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE,
      -1,
      "mmap guest memory",
    );
    this.#mappings.push(m);
    const region = new DataView(new ArrayBuffer(LAYOUT.kvm_userspace_memory_region.size));
    const f = LAYOUT.kvm_userspace_memory_region.fields;
    region.setUint32(f.slot, this.#nextSlot++, true);
    region.setUint32(f.flags, options.readonly ? MemFlag.READONLY : 0, true);
    region.setBigUint64(f.guest_phys_addr, BigInt(guestPhys), true);
    region.setBigUint64(f.memory_size, BigInt(size), true);
    region.setBigUint64(f.userspace_addr, m.address, true);
    ioctl(
      this.fd,
      Ioctl.KVM_SET_USER_MEMORY_REGION,
      new Uint8Array(region.buffer),
      "KVM_SET_USER_MEMORY_REGION",
    );
    return m.bytes;
  }

  /** KVM_CREATE_VCPU and the mapping of its run structure. */
  createVcpu(): KvmVcpu {
    const id = this.#vcpus.length;
    const fd = ioctlValue(this.fd, Ioctl.KVM_CREATE_VCPU, id, "KVM_CREATE_VCPU");
    const vcpu = new KvmVcpu(fd, this.kvm.vcpuMmapSize);
    this.#vcpus.push(vcpu);
    return vcpu;
  }

  /** Closes the vCPUs and the VM, and unmaps guest memory. */
  close(): void {
    for (const v of this.#vcpus) v.close();
    close(this.fd);
    for (const m of this.#mappings) munmap(m);
    this.#mappings.length = 0;
  }
}

/** A vCPU file descriptor. */
export class KvmVcpu implements Vcpu {
  readonly runState: KvmRun;
  readonly #mapping: Mapping;
  readonly #exits: ExitDecoder;
  readonly #vector = new Uint8Array(4);
  #closed = false;
  /** The thread that created the vCPU; KVM wants every vCPU ioctl from it. */
  readonly tid: number;

  constructor(readonly fd: number, mmapSize: number) {
    this.#mapping = mmap(mmapSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, "mmap kvm_run");
    this.runState = new KvmRun(this.#mapping.bytes);
    this.#exits = new ExitDecoder(this.runState);
    this.tid = gettid();
  }

  /** KVM_GET_REGS, into `into` when given, else into a new struct. */
  getRegs(into?: KvmRegs): KvmRegs {
    const regs = into ?? new KvmRegs();
    ioctl(this.fd, Ioctl.KVM_GET_REGS, regs.bytes, "KVM_GET_REGS");
    return regs;
  }

  /** KVM_SET_REGS. */
  setRegs(regs: KvmRegs): void {
    ioctl(this.fd, Ioctl.KVM_SET_REGS, regs.bytes, "KVM_SET_REGS");
  }

  /** KVM_GET_SREGS, into `into` when given, else into a new struct. */
  getSregs(into?: KvmSregs): KvmSregs {
    const sregs = into ?? new KvmSregs();
    ioctl(this.fd, Ioctl.KVM_GET_SREGS, sregs.bytes, "KVM_GET_SREGS");
    return sregs;
  }

  /** KVM_SET_SREGS. */
  setSregs(sregs: KvmSregs): void {
    ioctl(this.fd, Ioctl.KVM_SET_SREGS, sregs.bytes, "KVM_SET_SREGS");
  }

  /**
   * KVM_RUN; a run ended by a signal or by `immediate_exit` comes back as
   * `{kind: "intr"}`. errno is read by a second FFI call, and a signal handler
   * that runs between the two can change it (inside nested SVM it did, about
   * one run in thirty: "KVM_RUN: No such file or directory"), so the run
   * structure decides too: KVM writes KVM_EXIT_INTR when a signal ended the
   * run, and the immediate exit is ours.
   */
  run(): VcpuExit {
    const state = this.runState;
    state.exitReason = RUN_NOT_ENTERED;
    const r = ioctlNoThrow(this.fd, Ioctl.KVM_RUN);
    if (r >= 0) return this.#exits.decode();
    const interrupted = r === -Errno.EINTR || r === -Errno.EAGAIN ||
      state.exitReason === ExitReason.INTR || state.immediateExit;
    if (interrupted) {
      state.immediateExit = false;
      return { kind: "intr" };
    }
    throw new SyscallError("KVM_RUN", -r, strerror(-r));
  }

  /** KVM_INTERRUPT: queue an external interrupt vector. */
  interrupt(vector: number): void {
    new DataView(this.#vector.buffer).setUint32(0, vector, true);
    ioctl(this.fd, Ioctl.KVM_INTERRUPT, this.#vector, "KVM_INTERRUPT");
  }

  /** KVM_SET_CPUID2: what CPUID answers in the guest. */
  setCpuid(entries: readonly CpuidEntry[]): void {
    ioctl(this.fd, Ioctl.KVM_SET_CPUID2, encodeCpuid2(entries), "KVM_SET_CPUID2");
  }

  /**
   * KVM_SET_GUEST_DEBUG: `control` of `GuestDebug` flags (abi.ts) and the debug
   * registers DR0-DR7 the guest runs with while debugging (DR0-3 addresses, DR7 enables).
   */
  setGuestDebug(control: number, debugRegs: readonly bigint[] = []): void {
    const bytes = new Uint8Array(LAYOUT.kvm_guest_debug.size);
    const view = new DataView(bytes.buffer);
    view.setUint32(LAYOUT.kvm_guest_debug.fields.control, control, true);
    for (let i = 0; i < 8 && i < debugRegs.length; i++) {
      view.setBigUint64(LAYOUT.kvm_guest_debug.fields.arch + i * 8, debugRegs[i], true);
    }
    ioctl(this.fd, Ioctl.KVM_SET_GUEST_DEBUG, bytes, "KVM_SET_GUEST_DEBUG");
  }

  /**
   * KVM_SET_MSRS: writes model-specific registers as the host (no #GP);
   * throws when KVM takes fewer than all of them.
   */
  setMsrs(msrs: readonly { index: number; data: bigint }[]): void {
    const header = LAYOUT.kvm_msrs;
    const entry = LAYOUT.kvm_msr_entry;
    const bytes = new Uint8Array(header.size + msrs.length * entry.size);
    const view = new DataView(bytes.buffer);
    view.setUint32(header.fields.nmsrs, msrs.length, true);
    msrs.forEach((m, i) => {
      const at = header.fields.entries + i * entry.size;
      view.setUint32(at + entry.fields.index, m.index, true);
      view.setBigUint64(at + entry.fields.data, m.data, true);
    });
    const set = ioctl(this.fd, Ioctl.KVM_SET_MSRS, bytes, "KVM_SET_MSRS");
    if (set !== msrs.length) {
      const failed = msrs[set]?.index ?? 0;
      throw new Error(
        `KVM_SET_MSRS: KVM took ${set} of ${msrs.length} (refused 0x${failed.toString(16)})`,
      );
    }
  }

  /** Unmaps the run structure and closes the vCPU. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    munmap(this.#mapping);
    close(this.fd);
  }
}

/**
 * The no-op SIGUSR2 listener, installed once and kept for the life of the
 * process. A kick that the kernel has already queued when a run ends is
 * delivered after the timer is gone; with no listener Deno's default action
 * for SIGUSR2 would end the process (status 140). An installed listener does
 * not keep the process alive.
 */
let kickListener: (() => void) | undefined;

function installKickListener(): void {
  if (kickListener) return;
  kickListener = () => {};
  Deno.addSignalListener("SIGUSR2", kickListener);
}

/**
 * Interrupts KVM_RUN on the vCPU's thread every `intervalMs`, so the run loop
 * regains control from a guest that never exits (timeouts, timer interrupts,
 * stop requests). Its signal can never end the process: the listener that
 * catches it stays installed after `close()` (see `installKickListener`).
 */
export class RunKicker {
  readonly #timer: ThreadTimer;
  #closed = false;

  constructor(vcpu: KvmVcpu) {
    installKickListener();
    this.#timer = new ThreadTimer(SIGUSR2, vcpu.tid);
  }

  /** Starts periodic kicks (0 stops them). */
  arm(intervalMs: number): void {
    if (this.#closed) throw new Error("the run kicker is closed");
    this.#timer.arm(intervalMs);
  }

  /** Stops the kicks and deletes the timer (the process-wide listener stays). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer.arm(0);
    this.#timer.close();
  }
}
