/**
 * Building a machine from options and an image: accelerator, memory map,
 * loader, entry state.
 *
 * @module
 */

import { KvmVcpu, RunKicker } from "../kvm/host.ts";
import { applyRealModeEntry, LoaderError } from "../loader/entry.ts";
import { loadFlat } from "../loader/flat.ts";
import { bootDrive, loadBootSector } from "../loader/bootsector.ts";
import { Disk, type DriveType } from "../loader/disk.ts";
import { openDiskFile } from "../loader/disk-file.ts";
import { type DiskSpec, diskSpecs, numberDrives, openDisk } from "../loader/drives.ts";
import type { RealModeEntry } from "../loader/entry.ts";
import { type AccelChoice, selectAccelerator } from "./accel.ts";
import { Machine } from "./machine.ts";
import { buildPc, MIN_PC_MEMORY, type Pc } from "./pc.ts";

/** How the image is started: `bios` a PC boot disk, `flat` the seed's bare machine. */
export type BootMode = "bios" | "flat";

/** Options for {@link createMachine}. */
export interface MachineOptions {
  /** The image: a boot disk (`bios`) or a flat binary (`flat`). Give this or `imagePath`. */
  image?: Uint8Array;
  /** `bios`: the boot disk's image file, read on demand as the guest reads it. */
  imagePath?: string;
  /** `bios`: more drives after the boot disk, paths or specs (numbered as in lib/loader/drives.ts). */
  disks?: readonly (string | DiskSpec)[];
  /**
   * `bios`: write guest writes through to the boot image (file or bytes) and
   * to each of `disks` without its own `writable`. Default false: writes
   * stay in memory and no image changes.
   */
  diskWrite?: boolean;
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

/** Builds a machine ready to run from its entry state. */
export function createMachine(options: MachineOptions): CreatedMachine {
  const bios = options.boot === "bios";
  const memory = options.memory ?? (bios ? PC_DEFAULT_MEMORY : PAGE);
  if (!Number.isSafeInteger(memory) || memory <= 0 || memory % PAGE !== 0) {
    throw new LoaderError(`memory size ${memory} is not a positive multiple of 4 KiB`);
  }
  if (memory > MAX_MEMORY) {
    throw new LoaderError(`memory size ${memory} is larger than the maximum of 3 GiB`);
  }
  if (bios && memory < MIN_PC_MEMORY) {
    throw new LoaderError(`a BIOS boot needs at least 64 KiB of memory (got ${memory} bytes)`);
  }
  // Open the disks before an accelerator, so a bad image costs nothing.
  const drives = bios ? openDrives(options) : undefined;
  const disk = drives?.get(drives.has(0) ? 0 : 0x80);
  const closeDisks = () => drives?.forEach((d) => d.close());
  if (disk && !options.noSignatureCheck) {
    const s = disk.sector(0);
    if (s[510] !== 0x55 || s[511] !== 0xaa) {
      closeDisks();
      throw new LoaderError(
        "the image has no boot signature (0x55 0xAA at bytes 510-511); " +
          "use --no-signature-check or --boot flat",
      );
    }
  }
  if (!bios && options.image === undefined) {
    throw new LoaderError("a flat boot needs the image's bytes");
  }
  let selection;
  let vm;
  try {
    selection = selectAccelerator(options.accel ?? "auto", undefined, {
      translate: options.translate,
    });
    vm = selection.accelerator.createVm();
  } catch (e) {
    closeDisks();
    throw e;
  }
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
    if (disk && drives) {
      machine.onClose.push(closeDisks);
      pc = buildPc(machine, {
        drives,
        bootDrive: bootDrive(disk),
        memory,
        rtcStart: options.rtcStart,
      });
      entry = loadBootSector(machine.memory, disk, {
        noSignatureCheck: options.noSignatureCheck,
      });
    } else {
      // RAM below the VGA/ROM hole, and the rest above 1 MiB, as on a PC.
      machine.addRam(0, Math.min(memory, HOLE_START));
      if (memory > HOLE_START) machine.addRam(HOLE_END, memory - HOLE_START);
      entry = loadFlat(machine.memory, options.image!);
    }
    const sregs = vcpu.getSregs();
    const regs = applyRealModeEntry(entry, sregs);
    // A BIOS hands over with interrupts enabled.
    if (disk) regs.set("rflags", 0x202);
    machine.setCpuState(regs, sregs);
    return { machine, note: selection.note, pc };
  } catch (e) {
    if (machine) machine.close();
    else {
      vm.close();
      closeDisks();
    }
    throw e;
  }
}

/** The boot disk (from `image` or `imagePath`) and the others, by BIOS drive number. */
function openDrives(options: MachineOptions): Map<number, Disk> {
  const writable = options.diskWrite ?? false;
  const type = options.driveType;
  const opened: Disk[] = [];
  try {
    if (options.imagePath !== undefined) {
      opened.push(openDiskFile(options.imagePath, { type, writable }));
    } else if (options.image !== undefined) {
      opened.push(Disk.fromImage(options.image, { type, writable }));
    } else {
      throw new LoaderError("no boot image given");
    }
    diskSpecs(options.disks ?? []).forEach((spec, i) => {
      opened.push(openDisk(spec, `disk ${i + 1}`, { writable }));
    });
    return numberDrives(opened[0], opened.slice(1));
  } catch (e) {
    for (const d of opened) d.close();
    throw e;
  }
}
