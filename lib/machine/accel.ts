/**
 * Choosing the accelerator. `kvm` and `emu` are taken as asked; `auto` takes
 * the faster one for the guest: KVM where it runs the guest's code in
 * hardware, the software CPU where /dev/kvm does not work, or where KVM would
 * step a real-mode guest through its instruction emulator (PVM, Intel without
 * unrestricted guest: tens of times slower than the software CPU). On PVM
 * that holds for 32-bit protected-mode guests too (PVM emulates guest kernel
 * code); a guest that starts in long mode goes to KVM whatever its kind,
 * since the software CPU does not run long mode. The policy is
 * {@link chooseAccelerator}, a pure function tested without KVM.
 *
 * @module
 */

import { KvmUnavailableError } from "../kvm/unavailable.ts";
import type { Kvm } from "../kvm/host.ts";
import type { EmuOptions } from "../emu/mod.ts";
import type { Accelerator } from "../vcpu/contract.ts";
import { machineCode } from "./code.ts";

/** What `--accel` accepts. */
export type AccelChoice = "auto" | "kvm" | "emu";

/** The CPU mode a guest starts in (boot sectors and flat images: real mode; ELF64 kernels: long). */
export type GuestMode = "real" | "protected" | "long";

/** What is known about the host's KVM when choosing. */
export type KvmState =
  | { usable: false; reason: string }
  /** `emulatesRealMode`: why KVM would emulate real-mode code, if it would. */
  | { usable: true; emulatesRealMode?: string };

/** The outcome of the policy. */
export interface AcceleratorDecision {
  name: "kvm" | "emu";
  /** Why, in one sentence (shown by `--trace`). */
  reason: string;
  /** Set when the user should hear about the choice without asking (auto not taking KVM). */
  note?: string;
}

/** The chosen accelerator, why, and for `auto` not taking KVM, a note for the user. */
export interface AcceleratorSelection {
  accelerator: Accelerator;
  name: "kvm" | "emu";
  /** Why this accelerator (always set). */
  reason: string;
  /** Set when `auto` did not take KVM. */
  note?: string;
}

/**
 * The accelerator policy. `kvm` with an unusable KVM is the caller's error to
 * raise; this returns the KVM decision for it.
 */
export function chooseAccelerator(
  choice: AccelChoice,
  kvm: KvmState,
  guest: GuestMode,
): AcceleratorDecision {
  if (choice === "emu") return { name: "emu", reason: "the software CPU was asked for" };
  if (choice === "kvm") return { name: "kvm", reason: "KVM was asked for" };
  if (!kvm.usable) {
    const reason = `${kvm.reason}; using the software CPU`;
    return { name: "emu", reason, note: reason };
  }
  if (kvm.emulatesRealMode === undefined) {
    return { name: "kvm", reason: "auto: using KVM: it works and runs the guest in hardware" };
  }
  if (guest === "long") {
    return {
      name: "kvm",
      reason: `auto: using KVM: ${kvm.emulatesRealMode}, but the guest starts in ` +
        "long mode, which the software CPU does not run",
    };
  }
  const reason = `auto: using the software CPU: ${kvm.emulatesRealMode}, far slower ` +
    `for a ${guest === "real" ? "real" : "protected"}-mode guest (accel "kvm" forces KVM)`;
  return { name: "emu", reason, note: reason };
}

/** The KVM device: /dev/kvm, or $PICOVMM_KVM_DEVICE where set (for tests and odd hosts). */
export function kvmDevicePath(): string {
  try {
    return Deno.env.get("PICOVMM_KVM_DEVICE") || "/dev/kvm";
  } catch {
    return "/dev/kvm"; // no --allow-env: the default
  }
}

/** The message for KVM without Deno's FFI permission. */
export const FFI_PERMISSION_MESSAGE =
  "KVM needs Deno's FFI permission: run deno with --allow-ffi (the software CPU needs none)";

/**
 * Opens the accelerator the policy picks. Throws KvmUnavailableError when
 * `kvm` was asked for and cannot be used, and, for `kvm` and `auto`, when
 * Deno's FFI permission is missing (a usage error, not a host without KVM).
 */
export function selectAccelerator(
  choice: AccelChoice,
  kvmPath = kvmDevicePath(),
  emu: EmuOptions = {},
  guest: GuestMode = "real",
): AcceleratorSelection {
  // The accelerators' code, as loaded (code.ts): KVM's only when it may be used.
  const { EmuAccelerator } = machineCode("emu");
  if (choice === "emu") {
    const d = chooseAccelerator(choice, { usable: false, reason: "not asked" }, guest);
    return { accelerator: new EmuAccelerator(emu), ...d };
  }
  const { Kvm, realModeEmulation } = machineCode("kvm");
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    throw new KvmUnavailableError(FFI_PERMISSION_MESSAGE);
  }
  let kvm: Kvm | undefined;
  let state: KvmState;
  try {
    kvm = Kvm.open(kvmPath);
    state = { usable: true, emulatesRealMode: choice === "auto" ? realModeEmulation() : undefined };
  } catch (e) {
    if (choice === "kvm" || !(e instanceof KvmUnavailableError)) throw e;
    state = { usable: false, reason: e.message };
  }
  const d = chooseAccelerator(choice, state, guest);
  if (d.name === "kvm" && kvm) return { accelerator: kvm, ...d };
  kvm?.close();
  return { accelerator: new EmuAccelerator(emu), ...d };
}
