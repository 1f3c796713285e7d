/**
 * What kind of KVM the host has, as far as speed goes: whether KVM runs a
 * real-mode guest in the CPU or steps it through its instruction emulator.
 * PVM (module kvm_pvm, KVM without VMX/SVM) emulates all guest supervisor
 * code, about 1-2 million instructions per second; Intel's kvm_intel with
 * unrestricted_guest=N emulates real mode. On such hosts the software CPU
 * runs a real-mode guest tens of times faster than KVM does.
 *
 * Read through libc (FFI, which KVM needs anyway), so no Deno read
 * permission for /sys is needed.
 *
 * @module
 */

import { exists, readSmallFile } from "./libc.ts";

/** Where the host's kernel modules show their presence and parameters. */
export interface ModuleFiles {
  exists(path: string): boolean;
  read(path: string): string | undefined;
}

const HOST_FILES: ModuleFiles = { exists, read: readSmallFile };

/**
 * Why this host's KVM emulates real-mode code instruction by instruction, or
 * undefined when it runs it in hardware (as far as the modules tell).
 */
export function realModeEmulation(files: ModuleFiles = HOST_FILES): string | undefined {
  if (files.exists("/sys/module/kvm_pvm")) {
    return "KVM here is PVM (module kvm_pvm), which runs real-mode code through " +
      "KVM's instruction emulator";
  }
  const unrestricted = files.read("/sys/module/kvm_intel/parameters/unrestricted_guest");
  if (unrestricted !== undefined && /^[N0]/.test(unrestricted.trim())) {
    return "KVM here is kvm_intel without unrestricted guest, which emulates real-mode code";
  }
  return undefined;
}
