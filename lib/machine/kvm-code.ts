/**
 * What a machine needs of KVM, in one module that is loaded only for runs on
 * KVM (see code.ts): the host handle, the emulation fallback, the CPUID
 * shaping and the run kick.
 *
 * @module
 */

import { Kvm, KvmVcpu, RunKicker } from "../kvm/host.ts";
import { shapeCpuid } from "../kvm/cpuid.ts";
import type { Accelerator, Vcpu } from "../kvm/vcpu.ts";
import { EmulationFallbackVcpu } from "./emulation-fallback.ts";
import type { RunKick } from "./machine.ts";

export { Kvm } from "../kvm/host.ts";
export { realModeEmulation } from "../kvm/host-kind.ts";
export { EmulationFallbackVcpu, withEmulationFallback } from "./emulation-fallback.ts";

/**
 * Readies a vCPU of a VM made by `withEmulationFallback` on `kvm`: gives it
 * the host's CPUID, shaped as picovmm's guests see it, and returns how to
 * kick it out of a run.
 */
export function prepareKvmVcpu(vcpu: Vcpu, kvm: Accelerator): (() => RunKick) | undefined {
  const kvmVcpu = vcpu instanceof EmulationFallbackVcpu ? vcpu.kvm : vcpu;
  if (!(kvmVcpu instanceof KvmVcpu)) return undefined;
  if (kvm instanceof Kvm) kvmVcpu.setCpuid(shapeCpuid(kvm.supportedCpuid()));
  return () => new RunKicker(kvmVcpu);
}
