/**
 * What a machine needs of KVM, in one module that is loaded only for runs on
 * KVM (see code.ts): the host handle, the emulation fallback, the CPUID
 * shaping and the run kick.
 *
 * @module
 */

import { Kvm, KvmVcpu, RunKicker } from "../kvm/host.ts";
import { MSR_IA32_APIC_BASE, shapeCpuid } from "../kvm/cpuid.ts";
import type { Accelerator, Vcpu } from "../vcpu/contract.ts";
import { EmulationFallbackVcpu } from "./emulation-fallback.ts";
import type { RunKick } from "./machine.ts";

export { Kvm } from "../kvm/host.ts";
export { realModeEmulation } from "../kvm/host-kind.ts";
export { EmulationFallbackVcpu, withEmulationFallback } from "./emulation-fallback.ts";

/**
 * Readies a vCPU of a VM made by `withEmulationFallback` on `kvm`: gives it
 * the host's CPUID, shaped as picovmm's guests see it (`machine.apic`: the
 * machine has picovmm's local APIC), and returns how to kick it out of a run.
 */
export function prepareKvmVcpu(
  vcpu: Vcpu,
  kvm: Accelerator,
  machine: { apic?: boolean } = {},
): (() => RunKick) | undefined {
  const kvmVcpu = vcpu instanceof EmulationFallbackVcpu ? vcpu.kvm : vcpu;
  if (!(kvmVcpu instanceof KvmVcpu)) return undefined;
  if (kvm instanceof Kvm) {
    kvmVcpu.setCpuid(shapeCpuid(kvm.supportedCpuid(), machine));
    // KVM shows CPUID.1:EDX.APIC while IA32_APIC_BASE has the enable bit (its reset
    // value), whatever the table says: without picovmm's local APIC, disabling it makes the
    // hidden bit stick, so Linux keeps to the 8259 instead of polling an APIC that is not there.
    if (!machine.apic) kvmVcpu.setMsrs([{ index: MSR_IA32_APIC_BASE, data: 0n }]);
  }
  return () => new RunKicker(kvmVcpu);
}
