/**
 * Building a machine from options and an image: accelerator, memory map,
 * loader, entry state.
 *
 * @module
 */

import { KvmVcpu, RunKicker } from "../kvm/host.ts";
import { applyRealModeEntry, LoaderError } from "../loader/entry.ts";
import { loadFlat } from "../loader/flat.ts";
import { type AccelChoice, selectAccelerator } from "./accel.ts";
import { Machine } from "./machine.ts";

/** How the image is started. */
export type BootMode = "flat";

/** Options for {@link createMachine}. */
export interface MachineOptions {
  /** The image: a flat binary. */
  image: Uint8Array;
  /** Accelerator; default `auto`. */
  accel?: AccelChoice;
  /** Boot protocol; default `flat`. */
  boot?: BootMode;
  /** Guest RAM in bytes, a multiple of 4 KiB; default 4 KiB for flat. */
  memory?: number;
  /** Bytes of serial output kept in `machine.serialOutput`. */
  serialLimit?: number;
}

/** A machine and the note about the accelerator choice, if any. */
export interface CreatedMachine {
  machine: Machine;
  note?: string;
}

const PAGE = 4096;
/** Where a PC's conventional memory ends and the VGA/ROM hole starts. */
const HOLE_START = 0xa0000;
const HOLE_END = 0x100000;
/** Most guest RAM picovmm accepts (below the 4 GiB MMIO region). */
export const MAX_MEMORY = 3 * 1024 ** 3;

/** Builds a machine ready to run from its entry state. */
export function createMachine(options: MachineOptions): CreatedMachine {
  const memory = options.memory ?? PAGE;
  if (!Number.isSafeInteger(memory) || memory <= 0 || memory % PAGE !== 0) {
    throw new LoaderError(`memory size ${memory} is not a positive multiple of 4 KiB`);
  }
  if (memory > MAX_MEMORY) {
    throw new LoaderError(`memory size ${memory} is larger than the maximum of 3 GiB`);
  }
  const selection = selectAccelerator(options.accel ?? "auto");
  const vm = selection.accelerator.createVm();
  let machine: Machine | undefined;
  try {
    const vcpu = vm.createVcpu();
    machine = new Machine({
      vm,
      vcpu,
      accelerator: selection.name,
      makeKick: vcpu instanceof KvmVcpu ? () => new RunKicker(vcpu) : undefined,
      serialLimit: options.serialLimit,
    });
    // RAM below the VGA/ROM hole, and the rest above 1 MiB, as on a PC.
    machine.addRam(0, Math.min(memory, HOLE_START));
    if (memory > HOLE_START) machine.addRam(HOLE_END, memory - HOLE_START);
    const entry = loadFlat(machine.memory, options.image);
    const sregs = vcpu.getSregs();
    const regs = applyRealModeEntry(entry, sregs);
    machine.setCpuState(regs, sregs);
    return { machine, note: selection.note };
  } catch (e) {
    if (machine) machine.close();
    else vm.close();
    throw e;
  }
}
