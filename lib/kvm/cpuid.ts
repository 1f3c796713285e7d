/**
 * CPUID for a KVM vCPU: `struct kvm_cpuid2` encoded and decoded, and the
 * table KVM offers shaped to the machine picovmm builds (no local APIC, the
 * hypervisor bit set), so a kernel sees the devices it really has.
 *
 * @example
 * ```ts
 * import { shapeCpuid } from "./cpuid.ts";
 * const leaf1 = { function: 1, index: 0, flags: 0, eax: 0x663, ebx: 0, ecx: 1 << 21, edx: 1 << 9 };
 * const [shaped] = shapeCpuid([leaf1]);
 * console.log(shaped.edx & (1 << 9), (shaped.ecx >>> 31) & 1); // 0 1
 * ```
 *
 * @module
 */

import { LAYOUT } from "./structs.ts";

/** One `struct kvm_cpuid_entry2`. */
export interface CpuidEntry {
  function: number;
  index: number;
  flags: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

const HEADER = LAYOUT.kvm_cpuid2;
const ENTRY = LAYOUT.kvm_cpuid_entry2;

/** A `kvm_cpuid2` buffer with room for `capacity` entries (nent = capacity). */
export function cpuidBuffer(capacity: number): Uint8Array {
  const bytes = new Uint8Array(HEADER.size + capacity * ENTRY.size);
  new DataView(bytes.buffer).setUint32(HEADER.fields.nent, capacity, true);
  return bytes;
}

/** Encodes entries as a `kvm_cpuid2` (header and entries). */
export function encodeCpuid2(entries: readonly CpuidEntry[]): Uint8Array {
  const bytes = cpuidBuffer(entries.length);
  const view = new DataView(bytes.buffer);
  entries.forEach((e, i) => {
    const at = HEADER.fields.entries + i * ENTRY.size;
    const f = ENTRY.fields;
    view.setUint32(at + f.function, e.function >>> 0, true);
    view.setUint32(at + f.index, e.index >>> 0, true);
    view.setUint32(at + f.flags, e.flags >>> 0, true);
    view.setUint32(at + f.eax, e.eax >>> 0, true);
    view.setUint32(at + f.ebx, e.ebx >>> 0, true);
    view.setUint32(at + f.ecx, e.ecx >>> 0, true);
    view.setUint32(at + f.edx, e.edx >>> 0, true);
  });
  return bytes;
}

/** Decodes the `nent` entries of a `kvm_cpuid2` buffer. */
export function decodeCpuid2(bytes: Uint8Array): CpuidEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(HEADER.fields.nent, true);
  if (HEADER.size + count * ENTRY.size > bytes.byteLength) {
    throw new RangeError(`kvm_cpuid2 says ${count} entries, the buffer holds fewer`);
  }
  const entries: CpuidEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = HEADER.fields.entries + i * ENTRY.size;
    const f = ENTRY.fields;
    entries.push({
      function: view.getUint32(at + f.function, true),
      index: view.getUint32(at + f.index, true),
      flags: view.getUint32(at + f.flags, true),
      eax: view.getUint32(at + f.eax, true),
      ebx: view.getUint32(at + f.ebx, true),
      ecx: view.getUint32(at + f.ecx, true),
      edx: view.getUint32(at + f.edx, true),
    });
  }
  return entries;
}

/** CPUID.1 bits picovmm changes. */
export const Leaf1 = {
  /** EDX bit 9: an on-chip local APIC. */
  EDX_APIC: 1 << 9,
  /** ECX bit 21: x2APIC. */
  ECX_X2APIC: 1 << 21,
  /** ECX bit 24: the APIC timer's TSC-deadline mode. */
  ECX_TSC_DEADLINE: 1 << 24,
  /** ECX bit 31: running under a hypervisor. */
  ECX_HYPERVISOR: 1 << 31,
} as const;

/** CPUID leaf 0x40000001 (KVM_CPUID_FEATURES) EAX bits picovmm hides. */
export const KvmFeature = {
  /** Bit 4: asynchronous page faults (delivered through the local APIC since 5.8). */
  ASYNC_PF: 1 << 4,
  /** Bit 6: paravirtual end of interrupt (a local APIC register). */
  PV_EOI: 1 << 6,
  /** Bit 7: paravirtual spinlock kick (an IPI). */
  PV_UNHALT: 1 << 7,
  /** Bit 10: asynchronous page faults in nested guests. */
  ASYNC_PF_VMEXIT: 1 << 10,
  /** Bit 11: IPIs by hypercall. */
  PV_SEND_IPI: 1 << 11,
  /** Bit 13: yield to a vCPU by IPI target. */
  PV_SCHED_YIELD: 1 << 13,
  /** Bit 14: the async page fault interrupt vector (MSR_KVM_ASYNC_PF_INT). */
  ASYNC_PF_INT: 1 << 14,
  /** Bit 15: MSI extended destination IDs (an I/O APIC feature). */
  MSI_EXT_DEST_ID: 1 << 15,
} as const;

/** The KVM paravirtual features that need KVM's in-kernel local APIC, which picovmm does not create. */
const KVM_FEATURES_NEEDING_APIC = Object.values(KvmFeature).reduce((a, b) => a | b, 0);

/** KVM's paravirtual feature leaf. */
export const KVM_CPUID_FEATURES = 0x40000001;

/**
 * The supported table shaped to picovmm's machine: interrupts come from the
 * 8259 PIC in user space, so x2APIC and the TSC-deadline timer are hidden,
 * and the local APIC too unless `machine.apic` (picovmm's own local APIC,
 * lib/devices/lapic.ts, is on the machine), and so are the KVM paravirtual
 * features that go through KVM's in-kernel local APIC (KVM refuses their
 * MSRs without one: Linux then logs an "unchecked MSR access error"); the
 * hypervisor bit is set; the vCPU's initial APIC ID (CPUID.1 EBX[31:24]) is
 * 0. Other leaves are KVM's own (kvm-clock and the no-op port 0x80 delay stay).
 */
export function shapeCpuid(
  entries: readonly CpuidEntry[],
  machine: { apic?: boolean } = {},
): CpuidEntry[] {
  const hidden = machine.apic ? 0 : Leaf1.EDX_APIC;
  return entries.map((e) => {
    if (e.function === KVM_CPUID_FEATURES) {
      return { ...e, eax: (e.eax & ~KVM_FEATURES_NEEDING_APIC) >>> 0 };
    }
    if (e.function !== 1) return { ...e };
    return {
      ...e,
      ebx: (e.ebx & 0x00ffffff) >>> 0,
      ecx: ((e.ecx & ~(Leaf1.ECX_X2APIC | Leaf1.ECX_TSC_DEADLINE)) | Leaf1.ECX_HYPERVISOR) >>> 0,
      edx: (e.edx & ~hidden) >>> 0,
    };
  });
}

/** IA32_APIC_BASE: the local APIC's address and enable bit (bit 11). */
export const MSR_IA32_APIC_BASE = 0x1b;
