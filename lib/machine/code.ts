/**
 * The large parts of a machine, loaded only when a run needs them: each
 * accelerator's code and the PC platform (devices and BIOS). V8 compiles
 * every module loaded, so start-up grows with the code loaded: a run on the
 * software CPU needs none of KVM's, a flat image none of the PC's.
 *
 * `createMachine` is synchronous and takes the parts from here. The command
 * line awaits {@link loadMachineCode} for the parts its run needs; the
 * scripting API and other callers import `all-code.ts`, which loads them all.
 *
 * @module
 */

import type * as EmuCode from "../emu/mod.ts";
import type * as KvmCode from "./kvm-code.ts";
import type * as PcCode from "./pc.ts";
import type * as KernelCode from "./kernel-code.ts";
import type { AccelChoice } from "./accel.ts";

/** The loaded parts, by name. */
export interface MachineCode {
  /** The software CPU (lib/emu/mod.ts). */
  emu?: typeof EmuCode;
  /** KVM (kvm-code.ts; KVM runs need `emu` too, for the emulation fallback). */
  kvm?: typeof KvmCode;
  /** The PC's devices and BIOS (pc.ts), for BIOS boots and kernels. */
  pc?: typeof PcCode;
  /** The kernel loaders and image detection (kernel-code.ts), for any boot but bios and flat. */
  kernel?: typeof KernelCode;
}

const loaded: MachineCode = {};

/** Makes parts available to `createMachine`. */
export function provideMachineCode(code: MachineCode): void {
  if (code.emu) loaded.emu = code.emu;
  if (code.kvm) loaded.kvm = code.kvm;
  if (code.pc) loaded.pc = code.pc;
  if (code.kernel) loaded.kernel = code.kernel;
}

/** A loaded part; throws when it was not loaded (a bug in the caller, not the user's error). */
export function machineCode<K extends keyof MachineCode>(part: K): NonNullable<MachineCode[K]> {
  const code = loaded[part];
  if (!code) {
    throw new Error(`the ${part} code is not loaded (import all-code.ts or await loadMachineCode)`);
  }
  return code as NonNullable<MachineCode[K]>;
}

/**
 * Loads what a run needs: for `accel` "emu" the software CPU only; for "kvm"
 * and "auto" KVM's code and the software CPU (auto may fall back to it, and
 * KVM finishes on it the instructions its emulator lacks); the PC unless the
 * image is a flat binary; the kernel loaders when the image is to be
 * detected or is a kernel (any boot but `bios` and `flat`).
 */
export async function loadMachineCode(
  needs: { accel: AccelChoice; pc: boolean; kernel: boolean },
): Promise<void> {
  const [emu, kvm, pc, kernel] = await Promise.all([
    import("../emu/mod.ts"),
    needs.accel === "emu" ? undefined : import("./kvm-code.ts"),
    needs.pc ? import("./pc.ts") : undefined,
    needs.kernel ? import("./kernel-code.ts") : undefined,
  ]);
  provideMachineCode({ emu, kvm, pc, kernel });
}
