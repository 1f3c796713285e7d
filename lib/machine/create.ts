/**
 * Building a machine from options and an image: accelerator, memory map,
 * loader, entry state.
 *
 * @module
 */

import { Kvm, KvmVcpu, RunKicker } from "../kvm/host.ts";
import { MSR_IA32_APIC_BASE, shapeCpuid } from "../kvm/cpuid.ts";
import {
  applyProtectedModeEntry,
  applyRealModeEntry,
  LoaderError,
  writeFlatGdt,
} from "../loader/entry.ts";
import type { BootModule } from "../loader/bootinfo.ts";
import {
  type BootChoice,
  detectImage,
  FORMAT_NAMES,
  type KernelFormat,
  loadKernel,
} from "../loader/kernel.ts";
import { loadFlat } from "../loader/flat.ts";
import { XLF_KERNEL_64 } from "../loader/linux.ts";
import { bootDrive, loadBootSector } from "../loader/bootsector.ts";
import { Disk, type DriveType } from "../loader/disk.ts";
import type { RealModeEntry } from "../loader/entry.ts";
import { type AccelChoice, selectAccelerator } from "./accel.ts";
import { Machine } from "./machine.ts";
import { buildKernelPc, buildPc, MIN_PC_MEMORY, type Pc } from "./pc.ts";

/**
 * How the image is started: `auto` detects it, `bios` a PC boot disk, `flat`
 * the seed's bare machine, `multiboot`, `multiboot2`, `pvh` a kernel.
 */
export type BootMode = BootChoice;

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
  /** Kernels: the command line. */
  append?: string;
  /** Kernels: the initrd (the first Multiboot module, the first PVH module). */
  initrd?: Uint8Array;
  /** Kernels: more modules, after the initrd, each with its command line (default "moduleN"). */
  modules?: readonly { data: Uint8Array; cmdline?: string }[];
  /** Multiboot v1: the kernel's name, first word of its command line (default "kernel"). */
  imageName?: string;
}

/** A machine and the note about the accelerator choice, if any. */
export interface CreatedMachine {
  machine: Machine;
  note?: string;
  /** The PC's devices and BIOS (`bios` boot; kernels get the devices without BIOS). */
  pc?: Pc;
  /** The image's format as loaded. */
  format: "bios" | "flat" | KernelFormat;
}

/** Default RAM for a BIOS boot: 640 KiB conventional memory. */
export const PC_DEFAULT_MEMORY = 640 * 1024;
/** Default RAM for a kernel, as QEMU's. */
export const KERNEL_DEFAULT_MEMORY = 128 * 1024 * 1024;
/** Least RAM for a kernel: low memory for the boot data and 1 MiB from 1 MiB. */
export const MIN_KERNEL_MEMORY = 2 * 1024 * 1024;

const PAGE = 4096;
/** Where a PC's conventional memory ends and the VGA/ROM hole starts. */
const HOLE_START = 0xa0000;
const HOLE_END = 0x100000;
/** Most guest RAM picovmm accepts (below the 4 GiB MMIO region). */
export const MAX_MEMORY = 3 * 1024 ** 3;

/** Builds a machine ready to run from its entry state. */
export function createMachine(options: MachineOptions): CreatedMachine {
  const detected = detectImage(options.image, options.boot ?? "flat");
  const kernel = detected.needsProtectedMode;
  if (!kernel && (options.append !== undefined || options.initrd || options.modules?.length)) {
    throw new LoaderError(
      "--append, --initrd and --module are for kernels; the image is a " +
        (detected.format === "bios" ? "disk" : "flat binary"),
    );
  }
  const bios = detected.format === "bios";
  const memory = options.memory ??
    (kernel ? KERNEL_DEFAULT_MEMORY : bios ? PC_DEFAULT_MEMORY : PAGE);
  if (!Number.isSafeInteger(memory) || memory <= 0 || memory % PAGE !== 0) {
    throw new LoaderError(`memory size ${memory} is not a positive multiple of 4 KiB`);
  }
  if (memory > MAX_MEMORY) {
    throw new LoaderError(`memory size ${memory} is larger than the maximum of 3 GiB`);
  }
  if (bios && memory < MIN_PC_MEMORY) {
    throw new LoaderError(`a BIOS boot needs at least 64 KiB of memory (got ${memory} bytes)`);
  }
  if (kernel && memory < MIN_KERNEL_MEMORY) {
    throw new LoaderError(`a kernel needs at least 2 MiB of memory (got ${memory} bytes)`);
  }
  // Check the disk before opening an accelerator, so a bad image costs nothing.
  const disk = bios ? Disk.fromImage(options.image, { type: options.driveType }) : undefined;
  if (disk && !options.noSignatureCheck) {
    const s = disk.sector(0);
    if (s[510] !== 0x55 || s[511] !== 0xaa) {
      throw new LoaderError(
        "the image has no boot signature (0x55 0xAA at bytes 510-511); " +
          "use --no-signature-check or --boot flat",
      );
    }
  }
  const selection = selectAccelerator(options.accel ?? "auto", undefined, {
    translate: options.translate,
  });
  if (kernel && selection.name === "emu") {
    const name = FORMAT_NAMES[detected.format as KernelFormat];
    const why = selection.note
      ? ` (${selection.note.replace(/; using the software CPU$/, "")})`
      : "";
    const long = (detected.format === "elf" && detected.elf.class === 64) ||
      (detected.format === "linux" && (detected.header.xloadflags & XLF_KERNEL_64) !== 0);
    const mode = long ? "64-bit long mode" : "32-bit protected mode";
    throw new UnsupportedOnSoftwareCpuError(
      `${/^[aeiou]/i.test(name) ? "an" : "a"} ${name} kernel starts in ${mode}, which is not ` +
        `supported on the software CPU yet; run it on KVM${why}`,
    );
  }
  const vm = selection.accelerator.createVm();
  let machine: Machine | undefined;
  try {
    const vcpu = vm.createVcpu();
    if (vcpu instanceof KvmVcpu && selection.accelerator instanceof Kvm) {
      vcpu.setCpuid(shapeCpuid(selection.accelerator.supportedCpuid()));
      // KVM shows CPUID.1:EDX.APIC while IA32_APIC_BASE has the enable bit (its reset
      // value), whatever the table says: disabling the APIC makes the hidden bit stick,
      // so Linux keeps to the 8259 instead of polling an APIC that is not there.
      vcpu.setMsrs([{ index: MSR_IA32_APIC_BASE, data: 0n }]);
    }
    machine = new Machine({
      vm,
      vcpu,
      accelerator: selection.name,
      makeKick: vcpu instanceof KvmVcpu ? () => new RunKicker(vcpu) : undefined,
      serialLimit: options.serialLimit,
    });
    let pc: Pc | undefined;
    const sregs = vcpu.getSregs();
    if (kernel) {
      // The PC devices without a BIOS (so a `Pc` whose `bios` is absent).
      const { setA20: _, ...devices } = buildKernelPc(machine, {
        memory,
        rtcStart: options.rtcStart,
      });
      pc = devices;
      const loaded = loadKernel(machine.memory, options.image, detected, {
        memoryBytes: memory,
        cmdline: options.append ?? "",
        modules: [
          ...(options.initrd ? [{ data: options.initrd, cmdline: "initrd" }] : []),
          ...(options.modules ?? []).map((m, i): BootModule => ({
            data: m.data,
            cmdline: m.cmdline ?? `module${i + 1}`,
          })),
        ],
        imageName: options.imageName,
      });
      writeFlatGdt(machine.memory);
      machine.setCpuState(applyProtectedModeEntry(loaded.entry, sregs), sregs);
      return { machine, note: selection.note, pc, format: detected.format };
    }
    let entry: RealModeEntry;
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
    const regs = applyRealModeEntry(entry, sregs);
    // A BIOS hands over with interrupts enabled.
    if (disk) regs.set("rflags", 0x202);
    machine.setCpuState(regs, sregs);
    return { machine, note: selection.note, pc, format: detected.format };
  } catch (e) {
    if (machine) machine.close();
    else vm.close();
    throw e;
  }
}

/**
 * A kernel the software CPU cannot run yet (it runs real mode only); the
 * command line exits with status 2, as for an image it cannot boot.
 */
export class UnsupportedOnSoftwareCpuError extends LoaderError {
  /** The error class name. */
  override name = "UnsupportedOnSoftwareCpuError";
}
