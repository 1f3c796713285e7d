/**
 * Building a machine from options and an image: accelerator, memory map,
 * loader, entry state.
 *
 * @module
 */

import { KvmVcpu, RunKicker } from "../kvm/host.ts";
import { applyRealModeEntry, LoaderError } from "../loader/entry.ts";
import { loadFlat } from "../loader/flat.ts";
import { bootDrive, checkBootSignature, loadBootSector } from "../loader/bootsector.ts";
import { Disk, type DriveType } from "../loader/disk.ts";
import type { RealModeEntry } from "../loader/entry.ts";
import { type AccelChoice, selectAccelerator } from "./accel.ts";
import { Machine } from "./machine.ts";
import { buildPc, MIN_PC_MEMORY, type Pc } from "./pc.ts";

/** How the image is started: `bios` a PC boot disk, `flat` the seed's bare machine. */
export type BootMode = "bios" | "flat";

/** Options for {@link createMachine}. */
export interface MachineOptions {
  /** The image: a boot disk (`bios`) or a flat binary (`flat`). */
  image: Uint8Array;
  /** Accelerator; default `auto`. */
  accel?: AccelChoice;
  /** Boot protocol; default `flat` here (the command line and the API default to `bios`). */
  boot?: BootMode;
  /** Guest RAM in bytes, a multiple of 4 KiB; default 4 KiB for flat, 640 KiB for bios. */
  memory?: number;
  /** Bytes of serial output kept in `machine.serialOutput`. */
  serialLimit?: number;
  /** `bios`: the boot disk's type; by default floppy sizes are floppies, others hard disks. */
  driveType?: DriveType;
  /** `bios`: boot a first sector without the 0x55AA signature. */
  noSignatureCheck?: boolean;
  /** `bios`: the RTC's time at power-on (default: the host's time). */
  rtcStart?: Date | number;
  /** Software CPU: translate hot code to JavaScript (default true); false interprets only. */
  translate?: boolean;
}

/** A machine and the note about the accelerator choice, if any. */
export interface CreatedMachine {
  machine: Machine;
  note?: string;
  /** The PC's devices and BIOS (`bios` boot only). */
  pc?: Pc;
}

/** Default RAM for a BIOS boot: 640 KiB conventional memory. */
export const PC_DEFAULT_MEMORY = 640 * 1024;

const PAGE = 4096;
/** Where a PC's conventional memory ends and the VGA/ROM hole starts. */
const HOLE_START = 0xa0000;
const HOLE_END = 0x100000;
/** Most guest RAM picovmm accepts (below the 4 GiB MMIO region). */
export const MAX_MEMORY = 3 * 1024 ** 3;

/** What a guest RAM size must be, or undefined when `bytes` is one picovmm can give. */
export function memorySizeProblem(bytes: number): string | undefined {
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % PAGE !== 0) {
    return "a positive multiple of 4 KiB (4096 bytes)";
  }
  if (bytes > MAX_MEMORY) return "at most the maximum of 3 GiB";
  return undefined;
}

/** Builds a machine ready to run from its entry state. */
export function createMachine(options: MachineOptions): CreatedMachine {
  const bios = options.boot === "bios";
  const memory = options.memory ?? (bios ? PC_DEFAULT_MEMORY : PAGE);
  const problem = memorySizeProblem(memory);
  if (problem) throw new LoaderError(`memory size ${memory} must be ${problem}`);
  if (bios && memory < MIN_PC_MEMORY) {
    throw new LoaderError(`a BIOS boot needs at least 64 KiB of memory (got ${memory} bytes)`);
  }
  // Check the disk before opening an accelerator, so a bad image costs nothing.
  const disk = bios ? Disk.fromImage(options.image, { type: options.driveType }) : undefined;
  if (disk && !options.noSignatureCheck) checkBootSignature(disk.sector(0));
  const selection = selectAccelerator(options.accel ?? "auto", undefined, {
    translate: options.translate,
  });
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
    let entry: RealModeEntry;
    let pc: Pc | undefined;
    if (disk) {
      const drive = bootDrive(disk);
      pc = buildPc(machine, { disk, bootDrive: drive, memory, rtcStart: options.rtcStart });
      entry = loadBootSector(machine.memory, disk, {
        noSignatureCheck: options.noSignatureCheck,
      });
    } else {
      // RAM below the VGA/ROM hole, and the rest above 1 MiB, as on a PC.
      machine.addRam(0, Math.min(memory, HOLE_START));
      if (memory > HOLE_START) machine.addRam(HOLE_END, memory - HOLE_START);
      entry = loadFlat(machine.memory, options.image);
    }
    const sregs = vcpu.getSregs();
    const regs = applyRealModeEntry(entry, sregs);
    // A BIOS hands over with interrupts enabled.
    if (disk) regs.set("rflags", 0x202);
    machine.setCpuState(regs, sregs);
    return { machine, note: selection.note, pc };
  } catch (e) {
    if (machine) machine.close();
    else vm.close();
    throw e;
  }
}
