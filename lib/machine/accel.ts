/**
 * Choosing the accelerator: KVM when /dev/kvm works, else the software CPU.
 *
 * @module
 */

import { Kvm, KvmUnavailableError } from "../kvm/host.ts";
import { EmuAccelerator, type EmuOptions } from "../emu/mod.ts";
import type { Accelerator } from "../kvm/vcpu.ts";

/** What `--accel` accepts. */
export type AccelChoice = "auto" | "kvm" | "emu";

/** The chosen accelerator and, for `auto` falling back, a note for the user. */
export interface AcceleratorSelection {
  accelerator: Accelerator;
  name: "kvm" | "emu";
  /** Set when `auto` had to fall back to the software CPU. */
  note?: string;
}

/** The KVM device: /dev/kvm, or $PICOVMM_KVM_DEVICE where set (for tests and odd hosts). */
export function kvmDevicePath(): string {
  try {
    return Deno.env.get("PICOVMM_KVM_DEVICE") || "/dev/kvm";
  } catch {
    return "/dev/kvm"; // no --allow-env: the default
  }
}

/** Opens the accelerator asked for; `kvm` throws KvmUnavailableError when KVM cannot be used. */
export function selectAccelerator(
  choice: AccelChoice,
  kvmPath = kvmDevicePath(),
  emu: EmuOptions = {},
): AcceleratorSelection {
  if (choice !== "emu") {
    try {
      const kvm = Kvm.open(kvmPath);
      return { accelerator: kvm, name: "kvm" };
    } catch (e) {
      if (choice === "kvm" || !(e instanceof KvmUnavailableError)) throw e;
      return {
        accelerator: new EmuAccelerator(emu),
        name: "emu",
        note: `${e.message}; using the software CPU`,
      };
    }
  }
  return { accelerator: new EmuAccelerator(emu), name: "emu" };
}
