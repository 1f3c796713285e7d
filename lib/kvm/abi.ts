/**
 * KVM ioctl numbers, computed the way the kernel's _IO/_IOR/_IOW/_IOWR macros
 * compute them, from the sizes in the struct layout table.
 *
 * @module
 */

import { LAYOUT } from "./structs.ts";

/** Ioctl data direction (asm-generic/ioctl.h). */
export const IocDir = { NONE: 0, WRITE: 1, READ: 2, READ_WRITE: 3 } as const;

/** The KVM ioctl type byte. */
export const KVMIO = 0xae;

/**
 * `_IOC(dir, type, nr, size)`: dir in bits 30-31, size 16-29, type 8-15, nr 0-7. Computed
 * on numbers (it fits 32 bits), then made the BigInt FFI wants: BigInt shifts cost start-up.
 */
export function ioc(dir: number, type: number, nr: number, size: number): bigint {
  if (size < 0 || size >= 1 << 14) throw new RangeError(`ioctl size ${size} does not fit 14 bits`);
  return BigInt(((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0);
}

const io = (nr: number) => ioc(IocDir.NONE, KVMIO, nr, 0);
const iow = (nr: number, size: number) => ioc(IocDir.WRITE, KVMIO, nr, size);
const ior = (nr: number, size: number) => ioc(IocDir.READ, KVMIO, nr, size);
const iowr = (nr: number, size: number) => ioc(IocDir.READ_WRITE, KVMIO, nr, size);

/** The ioctls picovmm uses, by their C names. */
export const Ioctl = {
  KVM_GET_API_VERSION: io(0x00),
  KVM_CREATE_VM: io(0x01),
  KVM_CHECK_EXTENSION: io(0x03),
  KVM_GET_VCPU_MMAP_SIZE: io(0x04),
  KVM_GET_SUPPORTED_CPUID: iowr(0x05, LAYOUT.kvm_cpuid2.size),
  KVM_CREATE_VCPU: io(0x41),
  KVM_SET_USER_MEMORY_REGION: iow(0x46, LAYOUT.kvm_userspace_memory_region.size),
  KVM_SET_TSS_ADDR: io(0x47),
  KVM_SET_IDENTITY_MAP_ADDR: iow(0x48, 8),
  KVM_RUN: io(0x80),
  KVM_GET_REGS: ior(0x81, LAYOUT.kvm_regs.size),
  KVM_SET_REGS: iow(0x82, LAYOUT.kvm_regs.size),
  KVM_GET_SREGS: ior(0x83, LAYOUT.kvm_sregs.size),
  KVM_SET_SREGS: iow(0x84, LAYOUT.kvm_sregs.size),
  KVM_INTERRUPT: iow(0x86, LAYOUT.kvm_interrupt.size),
  KVM_SET_MSRS: iow(0x89, LAYOUT.kvm_msrs.size),
  KVM_SET_CPUID2: iow(0x90, LAYOUT.kvm_cpuid2.size),
  KVM_SET_GUEST_DEBUG: iow(0x9b, LAYOUT.kvm_guest_debug.size),
} as const;

/** The KVM API version this code speaks (KVM_GET_API_VERSION). */
export const KVM_API_VERSION = 12;

/** Capabilities for KVM_CHECK_EXTENSION. */
export const Cap = {
  IRQCHIP: 0,
  HLT: 1,
  USER_MEMORY: 3,
  SET_TSS_ADDR: 4,
  EXT_CPUID: 7,
  NR_MEMSLOTS: 10,
  SET_IDENTITY_MAP_ADDR: 37,
  READONLY_MEM: 81,
  IMMEDIATE_EXIT: 136,
} as const;

/** `kvm_userspace_memory_region.flags`. */
export const MemFlag = { LOG_DIRTY_PAGES: 1, READONLY: 2 } as const;

/** `kvm_guest_debug.control` flags (KVM_GUESTDBG_*). */
export const GuestDebug = {
  ENABLE: 0x1,
  SINGLESTEP: 0x2,
  USE_SW_BP: 0x10000,
  USE_HW_BP: 0x20000,
  INJECT_BP: 0x80000,
  BLOCKIRQ: 0x100000,
} as const;

/** `kvm_run.internal.suberror` values. */
export const InternalError = {
  EMULATION: 1,
  SIMUL_EX: 2,
  DELIVERY_EV: 3,
  UNEXPECTED_EXIT_REASON: 4,
} as const;

/** `kvm_run.system_event.type` values. */
export const SystemEvent = { SHUTDOWN: 1, RESET: 2, CRASH: 3 } as const;

/** Where the three TSS pages go on Intel hosts: below 4 GiB, clear of RAM and MMIO. */
export const TSS_ADDRESS = 0xfffbd000;
/** The one-page identity map used for real mode on Intel hosts, just below the TSS. */
export const IDENTITY_MAP_ADDRESS = 0xfffbc000n;
