/**
 * The software accelerator ("--accel emu"): an x86 CPU in TypeScript that
 * implements the same vCPU contract as KVM. Real mode only: the 8086 model
 * reproduces an Intel 8086 instruction for instruction; the 386 model is what
 * boot code sees on a modern PC in real mode (with 386-P6 additions). Hot
 * code is translated to JavaScript functions that V8 compiles (translate.ts,
 * blocks.ts); the rest is interpreted, with the same results.
 *
 * @example
 * ```ts
 * import { EmuAccelerator } from "./mod.ts";
 * const vm = new EmuAccelerator({ model: "386" }).createVm();
 * const ram = vm.addMemory(0, 0x10000);
 * ram.set([0xb0, 0x41, 0xe6, 0xe9, 0xf4], 0); // mov al,'A'; out 0xe9,al; hlt
 * const vcpu = vm.createVcpu();
 * const exit = vcpu.run(); // {kind: "io", isWrite: true, port: 0xe9, ...}
 * ```
 *
 * @module
 */

import type { Accelerator } from "../vcpu/contract.ts";
import type { CpuModel } from "./cpu.ts";
import { EmuVm } from "./vm.ts";

export { EmuVm } from "./vm.ts";
export { DEFAULT_SLICE, EmuVcpu } from "./vcpu.ts";
export type { CpuModel } from "./cpu.ts";
export type { BlockCacheOptions } from "./blocks.ts";

/** Options of the software accelerator. */
export interface EmuOptions {
  /** "8086" (exact 8086) or "386" (default: a 386+ in real mode, as boot code sees a PC). */
  model?: CpuModel;
  /**
   * Translate hot code to JavaScript (default true); false interprets every
   * instruction. Both give the same results; the translator is faster.
   */
  translate?: boolean;
}

/** The software CPU as an {@link Accelerator}. */
export class EmuAccelerator implements Accelerator {
  /** Always "emu". */
  readonly name = "emu" as const;
  /** The CPU model of the VMs it creates. */
  readonly model: CpuModel;
  /** Whether its vCPUs translate hot code. */
  readonly translate: boolean;

  /** Creates the accelerator; `options.model` picks the CPU model (default "386"). */
  constructor(options: EmuOptions = {}) {
    this.model = options.model ?? "386";
    this.translate = options.translate ?? true;
  }

  /** Creates a VM with no memory; add slots with `addMemory`. */
  createVm(): EmuVm {
    return new EmuVm(this.model, this.translate ? {} : null);
  }
}
