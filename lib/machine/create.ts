/**
 * Building a machine from options and an image: accelerator, memory map,
 * loader, entry state.
 *
 * @module
 */

import {
  applyProtectedModeEntry,
  applyRealModeEntry,
  LoaderError,
  writeFlatGdt,
} from "../loader/entry.ts";
import type { BootModule } from "../loader/bootinfo.ts";
import type { BootChoice, DetectedImage, KernelFormat } from "../loader/kernel.ts";
import { loadFlat } from "../loader/flat.ts";
import { checkRom, RESET_CS_BASE, ROM_TOP, romEntry } from "../loader/rom.ts";
import { bootDrive, checkBootSignature, loadBootSector } from "../loader/bootsector.ts";
import { Disk, type DriveType } from "../loader/disk.ts";
import { openDiskFile } from "../loader/disk-file.ts";
import {
  type DiskSpec,
  diskSpecs,
  MAX_HARD_DISKS,
  numberDrives,
  openDisk,
} from "../loader/drives.ts";
import type { RealModeEntry } from "../loader/entry.ts";
import { type AccelChoice, selectAccelerator } from "./accel.ts";
import { Machine } from "./machine.ts";
import { machineCode } from "./code.ts";
import { MAX_MEMORY } from "./limits.ts";
import type { Pc } from "./pc.ts";

/**
 * How the image is started: `auto` detects it, `bios` a PC boot disk, `flat`
 * the seed's bare machine, `multiboot`, `multiboot2`, `pvh` a kernel.
 */
export type BootMode = BootChoice;
export { MAX_MEMORY };

/** Options for {@link createMachine}. */
export interface MachineOptions {
  /** The image: a boot disk (`bios`) or a flat binary (`flat`). Give this or `imagePath`. */
  image?: Uint8Array;
  /** `bios`: the boot disk's image file, read on demand as the guest reads it. */
  imagePath?: string;
  /**
   * More drives after the boot disk, paths or specs (numbered as in
   * lib/loader/drives.ts); a kernel's are hard disks 80h on. Hard disks
   * 80h-83h are also the IDE drives (see lib/machine/pc.ts `ideDrives`).
   */
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
  /** Kernels: the command line. */
  append?: string;
  /** Kernels: the initrd (the first Multiboot module, the first PVH module). */
  initrd?: Uint8Array;
  /** Kernels: more modules, after the initrd, each with its command line (default "moduleN"). */
  modules?: readonly { data: Uint8Array; cmdline?: string }[];
  /** Multiboot v1: the kernel's name, first word of its command line (default "kernel"). */
  imageName?: string;
  /** A reset request stops the run (`{kind: "reset"}`) instead of rebooting. */
  noReboot?: boolean;
  /** Fit the debug console at port 0xE9 (default true). */
  debugcon?: boolean;
  /**
   * Linux: who decompresses a bzImage's XZ kernel: `host` picovmm before the
   * boot, `guest` the kernel's own decompressor; `auto` (default) the host on
   * the software CPU, the guest on KVM (where it runs at the host's speed).
   */
  linuxDecompress?: "auto" | "host" | "guest";
}

/** A machine and the note about the accelerator choice, if any. */
export interface CreatedMachine {
  machine: Machine;
  note?: string;
  /** Which accelerator runs the guest and why (for `--trace`). */
  accelReason: string;
  /** The PC's devices and BIOS (`bios` boot; kernels get the devices without BIOS). */
  pc?: Pc;
  /** The image's format as loaded. */
  format: "bios" | "flat" | "rom" | KernelFormat;
  /** How a kernel was loaded, for `--trace` (a bzImage: who decompresses it). */
  kernelNote?: string;
}

/** Least RAM a PC needs: the IVT, the BDA, the boot sector at 0x7C00 and a stack. */
export const MIN_PC_MEMORY = 0x10000;
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

/** What a guest RAM size must be, or undefined when `bytes` is one picovmm can give. */
export function memorySizeProblem(bytes: number): string | undefined {
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % PAGE !== 0) {
    return "a positive multiple of 4 KiB (4096 bytes)";
  }
  if (bytes > MAX_MEMORY) return "at most the maximum of 3 GiB";
  return undefined;
}

/**
 * Decompresses a bzImage's kernel on the host unless told not to (into
 * `detected.unpacked`); returns what happened, in words.
 */
function unpackLinuxKernel(
  detected: DetectedImage & { format: "linux" },
  options: MachineOptions,
  accelerator: "kvm" | "emu",
): string {
  const choice = options.linuxDecompress ?? "auto";
  if (choice === "guest") return "linux: the kernel decompresses itself (asked)";
  if (choice === "auto" && accelerator === "kvm") {
    return "linux: the kernel decompresses itself (on KVM its decompressor is the fastest way)";
  }
  const { header } = detected;
  const { unpackLinux, XLF_KERNEL_64 } = machineCode("kernel");
  const payload = { offset: header.payloadOffset, length: header.payloadLength };
  const got = unpackLinux(options.image!, payload, (header.xloadflags & XLF_KERNEL_64) !== 0);
  if (typeof got === "string") return `linux: the kernel decompresses itself: ${got}`;
  detected.unpacked = got;
  return `linux: the XZ payload (${got.payloadBytes} bytes) decompressed on the host in ` +
    `${got.ms.toFixed(0)} ms to a ${got.image.length}-byte ELF${got.elf.class} vmlinux, ` +
    `entered at 0x${got.entry.toString(16)}`;
}

/** Builds a machine ready to run from its entry state. */
export function createMachine(options: MachineOptions): CreatedMachine {
  // A disk given by its path is read on demand, so it is a BIOS boot; bytes are detected.
  if (options.image === undefined && !["bios", "auto", undefined].includes(options.boot)) {
    throw new LoaderError(`a ${options.boot} boot needs the image's bytes, not only its path`);
  }
  const choice = options.boot ?? "flat";
  // A BIOS boot or a flat image needs no detection (as detectImage answers for them), so no
  // kernel loaders (machineCode("kernel")).
  const detected: DetectedImage = options.image === undefined
    ? { format: "bios", needsProtectedMode: false }
    : choice === "bios" || choice === "flat" || choice === "rom"
    ? { format: choice, needsProtectedMode: false }
    : machineCode("kernel").detectImage(options.image, choice);
  const kernel = detected.needsProtectedMode;
  if (!kernel && (options.append !== undefined || options.initrd || options.modules?.length)) {
    throw new LoaderError(
      `the image is a ${
        detected.format === "bios" ? "disk" : detected.format === "rom" ? "ROM" : "flat binary"
      }, not a kernel`,
      {
        cli: "--append, --initrd and --module are for kernels",
        api: "append, initrd and modules are for kernels",
      },
    );
  }
  const bios = detected.format === "bios";
  const rom = detected.format === "rom";
  if (rom) checkRom(options.image!);
  const memory = options.memory ??
    (kernel ? KERNEL_DEFAULT_MEMORY : bios || rom ? PC_DEFAULT_MEMORY : PAGE);
  const problem = memorySizeProblem(memory);
  if (problem) throw new LoaderError(`memory size ${memory} must be ${problem}`);
  if (bios && memory < MIN_PC_MEMORY) {
    throw new LoaderError(`a BIOS boot needs at least 64 KiB of memory (got ${memory} bytes)`);
  }
  if (kernel && memory < MIN_KERNEL_MEMORY) {
    throw new LoaderError(`a kernel needs at least 2 MiB of memory (got ${memory} bytes)`);
  }
  // Open the disks before an accelerator, so a bad image costs nothing.
  const drives = bios ? openDrives(options) : kernel ? openKernelDisks(options) : undefined;
  const disk = bios ? drives?.get(drives.has(0) ? 0 : 0x80) : undefined;
  const closeDisks = () => drives?.forEach((d) => d.close());
  if (disk && !options.noSignatureCheck) {
    try {
      checkBootSignature(disk.sector(0));
    } catch (e) {
      closeDisks();
      throw e;
    }
  }
  let selection;
  let vm;
  try {
    // Kernels start in protected mode, boot sectors and flat images in real mode. An ELF64
    // kernel is x86-64 code: a plain one starts in long mode, a Multiboot or PVH one at its
    // 32-bit entry enters it itself; both need KVM as much.
    const linux64 = detected.format === "linux" &&
      (detected.header.xloadflags & machineCode("kernel").XLF_KERNEL_64) !== 0;
    const elf64 = kernel && detected.format !== "linux" &&
      machineCode("kernel").isElf64(options.image!);
    const startsInLongMode = linux64 || (elf64 && detected.format === "elf");
    const longMode = startsInLongMode || elf64;
    selection = selectAccelerator(options.accel ?? "auto", undefined, {
      translate: options.translate,
    }, longMode ? "long" : kernel ? "protected" : "real");
    if (longMode && selection.name === "emu") {
      const name = machineCode("kernel").FORMAT_NAMES[detected.format as KernelFormat];
      const why = selection.note
        ? ` (${selection.note.replace(/; using the software CPU$/, "")})`
        : "";
      const what = startsInLongMode ? "starts in" : "in ELF64 is x86-64 code that enters";
      throw new UnsupportedOnSoftwareCpuError(
        `${/^[aeiou]/i.test(name) ? "an" : "a"} ${name} kernel ${what} 64-bit long mode, which ` +
          `is not supported on the software CPU yet; run it on KVM${why}`,
      );
    }
    // On KVM, instructions its emulator lacks are finished on the software CPU.
    const created = selection.accelerator.createVm();
    // RAM lies below `memory`, or below 1 MiB plus what is left of it past the PC's hole.
    created.reserveMemory?.(memory <= HOLE_START ? memory : HOLE_END + memory - HOLE_START);
    vm = selection.name === "kvm" ? machineCode("kvm").withEmulationFallback(created) : created;
  } catch (e) {
    closeDisks();
    throw e;
  }
  const accelReason = `${selection.name}: ${selection.reason}`;
  const kernelNote = detected.format === "linux"
    ? unpackLinuxKernel(detected, options, selection.name)
    : undefined;
  let machine: Machine | undefined;
  try {
    const vcpu = vm.createVcpu();
    const kvm = selection.name === "kvm" ? machineCode("kvm") : undefined;
    machine = new Machine({
      vm,
      vcpu,
      accelerator: selection.name,
      // A BIOS boot's PC has picovmm's local APIC (lib/machine/pc.ts): CPUID says so.
      makeKick: kvm?.prepareKvmVcpu(vcpu, selection.accelerator, { apic: bios }),
      serialLimit: options.serialLimit,
      noReboot: options.noReboot,
      debugcon: options.debugcon,
    });
    const traced = machine;
    if (kvm && vcpu instanceof kvm.EmulationFallbackVcpu) {
      vcpu.onTakeOver = (line) => traced.trace?.(line);
    }
    let pc: Pc | undefined;
    const sregs = vcpu.getSregs();
    if (kernel) {
      const { kernelFramebuffer, loadKernel } = machineCode("kernel");
      // The PC devices without a BIOS (so a `Pc` whose `bios` is absent).
      machine.onClose.push(closeDisks);
      const { setA20: _, ...devices } = machineCode("pc").buildKernelPc(machine, {
        memory,
        rtcStart: options.rtcStart,
        drives,
        framebuffer: kernelFramebuffer(detected),
      });
      pc = devices;
      const board = machine;
      const image = options.image!; // kernels are detected from their bytes
      const resetSregs = sregs.clone();
      // Loads the kernel and its modules afresh and enters it (at power-on and on a reset,
      // as QEMU's -kernel does: the kernel's image in RAM may have been changed by then).
      const boot = () => {
        const loaded = loadKernel(board.memory, image, detected, {
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
        writeFlatGdt(board.memory);
        const entrySregs = resetSregs.clone();
        board.setCpuState(applyProtectedModeEntry(loaded.entry, entrySregs), entrySregs);
      };
      boot();
      board.onReset = () => {
        devices.reset();
        boot();
      };
      return {
        machine,
        note: selection.note,
        accelReason,
        pc,
        format: detected.format,
        kernelNote,
      };
    }
    let entry: RealModeEntry;
    if (disk && drives) {
      machine.onClose.push(closeDisks);
      pc = machineCode("pc").buildPc(machine, {
        drives,
        bootDrive: bootDrive(disk),
        memory,
        rtcStart: options.rtcStart,
      });
      entry = loadBootSector(machine.memory, disk, {
        noSignatureCheck: options.noSignatureCheck,
      });
    } else if (rom) {
      // The ROM at the top of the first MiB and of 4 GiB, RAM below the VGA hole and above 1 MiB.
      const image = options.image!;
      machine.addRam(0, Math.min(memory, HOLE_START));
      machine.addRam(ROM_TOP - image.length, image.length, true).set(image);
      machine.addRam(0x100000000 - image.length, image.length, true).set(image);
      if (memory > HOLE_START) machine.addRam(HOLE_END, memory - HOLE_START);
      entry = romEntry();
    } else {
      // RAM below the VGA/ROM hole, and the rest above 1 MiB, as on a PC.
      machine.addRam(0, Math.min(memory, HOLE_START));
      if (memory > HOLE_START) machine.addRam(HOLE_END, memory - HOLE_START);
      entry = loadFlat(machine.memory, options.image!);
    }
    const regs = applyRealModeEntry(entry, sregs);
    if (rom) sregs.cs.base = BigInt(RESET_CS_BASE); // the reset state, as a CPU comes out of it
    // A BIOS hands over with interrupts enabled.
    if (disk) regs.set("rflags", 0x202);
    machine.setCpuState(regs, sregs);
    // A reset starts over from this state, RAM kept: a BIOS boot re-runs POST and boots
    // the disk's (possibly rewritten) sector 0 again, as INT 19h does.
    const resetRegs = regs.clone();
    const resetSregs = sregs.clone();
    const board = machine;
    board.onReset = () => {
      if (disk) {
        pc?.reset();
        loadBootSector(board.memory, disk, { noSignatureCheck: true });
      }
      board.setCpuState(resetRegs.clone(), resetSregs.clone());
    };
    return { machine, note: selection.note, accelReason, pc, format: detected.format };
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

/** A kernel's disks (`disks`), hard disks from 80h: it reaches them through the IDE ports. */
function openKernelDisks(options: MachineOptions): Map<number, Disk> {
  const writable = options.diskWrite ?? false;
  const drives = new Map<number, Disk>();
  try {
    diskSpecs(options.disks ?? []).forEach((spec, i) => {
      const disk = openDisk(spec, `disk ${i + 1}`, { writable });
      drives.set(0x80 + drives.size, disk);
    });
    if (drives.size > MAX_HARD_DISKS) throw new LoaderError(`at most ${MAX_HARD_DISKS} hard disks`);
    return drives;
  } catch (e) {
    for (const d of drives.values()) d.close();
    throw e;
  }
}

/**
 * A kernel the software CPU cannot run yet (long mode); the
 * command line exits with status 2, as for an image it cannot boot.
 */
export class UnsupportedOnSoftwareCpuError extends LoaderError {
  /** The error class name. */
  override name = "UnsupportedOnSoftwareCpuError";
}
