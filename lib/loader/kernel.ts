/**
 * Which boot protocol an image speaks, found from its bytes, and loading it:
 * Multiboot v1, Multiboot2, an ELF with a PVH entry note, or else a PC disk
 * (boot sector). Detection checks the whole header, so a broken kernel
 * fails here, before a VM exists or anything is written.
 *
 * Order (`auto`): a file with the Linux setup header ("HdrS" at 0x202) is a
 * bzImage (it also carries the boot-sector signature). An ELF file is a kernel: Multiboot v1, then Multiboot2,
 * then PVH, then a plain ELF64 (long mode); a plain ELF32 is refused
 * unless `elf` is forced. Another file is a disk when
 * its first sector ends with 0x55AA; else a Multiboot v1 or v2 header with
 * address fields makes it a kernel; else it is a disk (and the boot-sector
 * loader says what is missing).
 *
 * @example
 * ```ts
 * import { detectImage } from "./kernel.ts";
 * const image = await Deno.readFile("guests/kernel-mb1.elf");
 * const detected = detectImage(image, "auto");
 * console.log(detected.format, detected.needsProtectedMode); // "multiboot" true
 * ```
 *
 * @module
 */

import type { GuestMemory } from "../machine/memory.ts";
import { isElf, parseElf } from "./elf.ts";
import { LoaderError } from "./entry.ts";
import type { KernelBootOptions, LoadedKernel } from "./bootinfo.ts";
import {
  findMultibootHeader,
  loadMultiboot,
  multibootFramebuffer,
  type MultibootHeader,
} from "./multiboot.ts";
import {
  findMultiboot2Header,
  loadMultiboot2,
  multiboot2Framebuffer,
  type Multiboot2Header,
} from "./multiboot2.ts";
import type { LinearFramebufferMode } from "./framebuffer.ts";
import { findPvhEntry, loadPvh } from "./pvh.ts";
import { DISK_HEAD_BYTES, looksLikeDisk } from "./bootsector.ts";

export { DISK_HEAD_BYTES, looksLikeDisk };
import { hasLinuxHeader, type LinuxHeader, loadLinux, parseLinuxHeader } from "./linux.ts";
import type { ElfImage } from "./elf.ts";
import type { UnpackedLinux } from "./linux-unpack.ts";

/**
 * The kernel protocols picovmm loads; `elf` is a plain ELF started at its
 * entry point (ELF32 in 32-bit protected mode, ELF64 in 64-bit long mode
 * over identity page tables), handed the Multiboot2 information; `linux` a
 * bzImage through the Linux boot protocol.
 */
export type KernelFormat = "multiboot" | "multiboot2" | "pvh" | "elf" | "linux";

/** What `--boot` accepts: `auto` detects, the others force one. */
export type BootChoice = "auto" | "bios" | "flat" | "rom" | KernelFormat;

/** A detected image: its format, the checked header, and what CPU mode it starts in. */
export type DetectedImage =
  & {
    /**
     * True when the image starts in 32-bit protected mode (every kernel format),
     * false for boot sectors and flat images (real mode). The accelerator choice
     * uses it: the software CPU runs real mode only so far.
     */
    needsProtectedMode: boolean;
  }
  & (
    | { format: "bios" | "flat" | "rom" }
    | { format: "multiboot"; header: MultibootHeader }
    | { format: "multiboot2"; header: Multiboot2Header }
    | { format: "pvh"; elf: ElfImage; entry: number }
    | { format: "elf"; elf: ElfImage }
    | {
      format: "linux";
      header: LinuxHeader;
      /** The kernel decompressed on the host, when it was (linux-unpack.ts). */
      unpacked?: UnpackedLinux;
    }
  );

/** Human names of the formats, for messages. */
export const FORMAT_NAMES: Record<KernelFormat, string> = {
  multiboot: "Multiboot",
  multiboot2: "Multiboot2",
  pvh: "PVH",
  elf: "plain ELF",
  linux: "Linux bzImage",
};

/** Finds the image's format (or checks the forced one); throws LoaderError for a bad kernel. */
export function detectImage(image: Uint8Array, choice: BootChoice): DetectedImage {
  switch (choice) {
    case "bios":
    case "flat":
    case "rom":
      return { format: choice, needsProtectedMode: false };
    case "multiboot": {
      const header = findMultibootHeader(image);
      if (!header) throw new LoaderError("the image has no Multiboot header");
      return { format: "multiboot", header, needsProtectedMode: true };
    }
    case "multiboot2": {
      const header = findMultiboot2Header(image);
      if (!header) throw new LoaderError("the image has no Multiboot2 header");
      return { format: "multiboot2", header, needsProtectedMode: true };
    }
    case "pvh": {
      if (!isElf(image)) throw new LoaderError("a PVH kernel must be an ELF file");
      const elf = parseElf(image);
      const entry = findPvhEntry(elf);
      if (entry === undefined) {
        throw new LoaderError("the ELF file has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)");
      }
      return { format: "pvh", elf, entry, needsProtectedMode: true };
    }
    case "elf":
      if (!isElf(image)) throw new LoaderError("the image is not an ELF file");
      return { format: "elf", elf: parseElf(image), needsProtectedMode: true };
    case "linux":
      return { format: "linux", header: parseLinuxHeader(image), needsProtectedMode: true };
    case "auto":
      return detectAuto(image);
  }
}

function detectAuto(image: Uint8Array): DetectedImage {
  // A bzImage ends its first sector with 0x55AA too: its "HdrS" header is looked for first.
  if (hasLinuxHeader(image)) {
    return { format: "linux", header: parseLinuxHeader(image), needsProtectedMode: true };
  }
  const elf = isElf(image);
  if (looksLikeDisk(image)) return { format: "bios", needsProtectedMode: false };
  const mb1 = findMultibootHeader(image);
  if (mb1) return { format: "multiboot", header: mb1, needsProtectedMode: true };
  const mb2 = findMultiboot2Header(image);
  if (mb2) return { format: "multiboot2", header: mb2, needsProtectedMode: true };
  if (!elf) return { format: "bios", needsProtectedMode: false };
  const parsed = parseElf(image);
  const entry = findPvhEntry(parsed);
  // A plain ELF64 can only mean a 64-bit entry; a plain ELF32 is more likely a
  // Multiboot kernel whose header went missing, so it is started only when asked.
  if (entry === undefined && parsed.class === 64) {
    return { format: "elf", elf: parsed, needsProtectedMode: true };
  }
  if (entry === undefined) {
    throw new LoaderError(
      "the ELF image has neither a Multiboot header nor a PVH entry note " +
        "(--boot elf starts it at its entry point)",
    );
  }
  return { format: "pvh", elf: parsed, entry, needsProtectedMode: true };
}

/**
 * The linear framebuffer the kernel asked for and its boot information will
 * describe (the machine maps it before the kernel loads), if any.
 */
export function kernelFramebuffer(detected: DetectedImage): LinearFramebufferMode | undefined {
  if (detected.format === "multiboot") return multibootFramebuffer(detected.header);
  if (detected.format === "multiboot2") return multiboot2Framebuffer(detected.header);
  return undefined;
}

/** Loads a detected kernel through guest memory; returns its entry state. */
export function loadKernel(
  memory: GuestMemory,
  image: Uint8Array,
  detected: DetectedImage,
  options: KernelBootOptions,
): LoadedKernel {
  switch (detected.format) {
    case "multiboot":
      return loadMultiboot(memory, image, detected.header, options);
    case "multiboot2":
      return loadMultiboot2(memory, image, detected.header, options);
    case "pvh":
      return loadPvh(memory, image, detected.elf, detected.entry, options);
    case "elf":
      return loadMultiboot2(memory, image, { offset: 0 }, options, detected.elf.class === 64);
    case "linux":
      return loadLinux(memory, image, detected.header, options, detected.unpacked);
    default:
      throw new LoaderError(`'${detected.format}' is not a kernel format`);
  }
}
