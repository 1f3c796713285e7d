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

/**
 * The supported table shaped to picovmm's machine: interrupts come from the
 * 8259 PIC in user space, so x2APIC and the TSC-deadline timer are hidden,
 * and the local APIC too unless `machine.apic` (picovmm's own local APIC,
 * lib/devices/lapic.ts, is on the machine); the hypervisor bit is set; the
 * vCPU's initial APIC ID (CPUID.1 EBX[31:24]) is 0. Other leaves are KVM's own.
 */
export function shapeCpuid(
  entries: readonly CpuidEntry[],
  machine: { apic?: boolean } = {},
): CpuidEntry[] {
  const hidden = machine.apic ? 0 : Leaf1.EDX_APIC;
  return entries.map((e) => {
    if (e.function !== 1) return { ...e };
    return {
      ...e,
      ebx: (e.ebx & 0x00ffffff) >>> 0,
      ecx: ((e.ecx & ~(Leaf1.ECX_X2APIC | Leaf1.ECX_TSC_DEADLINE)) | Leaf1.ECX_HYPERVISOR) >>> 0,
      edx: (e.edx & ~hidden) >>> 0,
    };
  });
}
