/**
 * Multiboot v1 (the GNU Multiboot Specification 0.6.96): the header in the
 * first 8 KiB, an ELF kernel loaded by its segments or any image by the
 * header's address fields (flags bit 16, the "a.out kludge"), the
 * information structure (memory sizes, command line, modules, memory map,
 * ELF sections, loader name, the framebuffer), and the entry state:
 * EAX = 0x2BADB002, EBX = the information's address, flat 32-bit protected
 * mode. A header that asks for a video mode (flags bit 2) gets the linear
 * RGB framebuffer of lib/loader/framebuffer.ts for mode type 0 (graphics),
 * the EGA text screen at 0xB8000 for mode type 1.
 *
 * @example
 * ```ts
 * import { findMultibootHeader } from "./multiboot.ts";
 * const header = findMultibootHeader(await Deno.readFile("guests/kernel-mb1.elf"));
 * console.log(header?.offset, header?.flags); // 4096 7 (for example)
 * ```
 *
 * @module
 */

import type { GuestMemory } from "../machine/memory.ts";
import {
  basicMemory,
  BootInfoWriter,
  checkKernelRange,
  KERNEL_STACK_TOP,
  type KernelBootOptions,
  type LoadedKernel,
  loadSectionTable,
  pcMemoryMap,
  placeModules,
} from "./bootinfo.ts";
import { elfEnd, hex, isElf, loadElfSegments, parseElf } from "./elf.ts";
import { LoaderError } from "./entry.ts";
import {
  chooseFramebufferMode,
  type FramebufferRequest,
  type LinearFramebufferMode,
  XRGB8888,
} from "./framebuffer.ts";

/** The header's magic. */
export const MULTIBOOT_HEADER_MAGIC = 0x1badb002;
/** EAX at the kernel's entry. */
export const MULTIBOOT_BOOT_MAGIC = 0x2badb002;
/** The header lies 4-aligned in this many first bytes. */
const SEARCH_BYTES = 8192;

/** Header flags picovmm honours (bits 0-15 are requirements: others fail the boot). */
export const HeaderFlag = {
  PAGE_ALIGN: 1 << 0,
  MEMORY_INFO: 1 << 1,
  VIDEO_MODE: 1 << 2,
  ADDRESS_FIELDS: 1 << 16,
} as const;

/** Information flags picovmm sets. */
export const InfoFlag = {
  MEMORY: 1 << 0,
  CMDLINE: 1 << 2,
  MODULES: 1 << 3,
  ELF_SECTIONS: 1 << 5,
  MEMORY_MAP: 1 << 6,
  LOADER_NAME: 1 << 9,
  FRAMEBUFFER: 1 << 12,
} as const;

/** The name the kernel sees as its loader. */
export const LOADER_NAME = "picovmm";

/** Where and how an image without ELF loading goes (Multiboot's address fields). */
export interface AddressFields {
  headerAddr: number;
  loadAddr: number;
  /** 0: load to the end of the file. */
  loadEndAddr: number;
  /** 0: no BSS. */
  bssEndAddr: number;
}

/** The video mode fields of a header (flags bit 2); 0 in a size means no preference. */
export interface VideoModeRequest extends FramebufferRequest {
  /** 0: linear graphics (sizes in pixels), 1: EGA text (sizes in characters). */
  modeType: 0 | 1;
}

/** A checked Multiboot v1 header. */
export interface MultibootHeader {
  /** Its offset in the file. */
  offset: number;
  flags: number;
  /** With flags bit 16. */
  address?: AddressFields & { entryAddr: number };
  /** With flags bit 2. */
  video?: VideoModeRequest;
}

/**
 * Finds the Multiboot v1 header: undefined when the image has none; a
 * LoaderError when the magic is there but the header is broken (bad
 * checksum, truncated, requirements picovmm cannot meet).
 */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | undefined {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const limit = Math.min(image.length, SEARCH_BYTES) - 12;
  let badChecksum: number | undefined;
  for (let at = 0; at <= limit; at += 4) {
    if (v.getUint32(at, true) !== MULTIBOOT_HEADER_MAGIC) continue;
    const flags = v.getUint32(at + 4, true);
    const checksum = v.getUint32(at + 8, true);
    if (((MULTIBOOT_HEADER_MAGIC + flags + checksum) >>> 0) !== 0) {
      badChecksum ??= at;
      continue;
    }
    return checkHeader(v, at, flags);
  }
  if (badChecksum !== undefined) {
    throw new LoaderError(`the Multiboot header at offset ${hex(badChecksum)} has a bad checksum`);
  }
  return undefined;
}

function checkHeader(v: DataView, at: number, flags: number): MultibootHeader {
  const known = HeaderFlag.PAGE_ALIGN | HeaderFlag.MEMORY_INFO | HeaderFlag.VIDEO_MODE;
  const unknown = flags & 0xffff & ~known;
  if (unknown !== 0) {
    throw new LoaderError(
      `the Multiboot header requires features picovmm lacks (flags ${hex(unknown)})`,
    );
  }
  const need = flags & HeaderFlag.VIDEO_MODE ? 48 : flags & HeaderFlag.ADDRESS_FIELDS ? 32 : 12;
  if (at + need > v.byteLength) throw new LoaderError("the Multiboot header is truncated");
  const header: MultibootHeader = { offset: at, flags };
  if (flags & HeaderFlag.ADDRESS_FIELDS) {
    header.address = {
      headerAddr: v.getUint32(at + 12, true),
      loadAddr: v.getUint32(at + 16, true),
      loadEndAddr: v.getUint32(at + 20, true),
      bssEndAddr: v.getUint32(at + 24, true),
      entryAddr: v.getUint32(at + 28, true),
    };
  }
  if (flags & HeaderFlag.VIDEO_MODE) {
    const modeType = v.getUint32(at + 32, true);
    // The specification defines 0 and 1 and reserves the rest.
    if (modeType !== 0 && modeType !== 1) {
      throw new LoaderError(
        `the Multiboot header asks for video mode type ${modeType} ` +
          "(0 is linear graphics, 1 EGA text)",
      );
    }
    header.video = {
      modeType,
      width: v.getUint32(at + 36, true),
      height: v.getUint32(at + 40, true),
      depth: v.getUint32(at + 44, true),
    };
  }
  return header;
}

/** The linear framebuffer a Multiboot v1 header gets, if it asks for a graphics mode. */
export function multibootFramebuffer(header: MultibootHeader): LinearFramebufferMode | undefined {
  return header.video?.modeType === 0 ? chooseFramebufferMode(header.video) : undefined;
}

/** The part of the file an address-fields image loads, and where. */
export interface AddressLoad {
  fileOffset: number;
  fileBytes: number;
  start: number;
  /** End of the file bytes in memory. */
  loadEnd: number;
  /** End of the BSS. */
  end: number;
}

/** Checks address fields against the file (the header sits at file offset `headerOffset`). */
export function checkAddressFields(
  image: Uint8Array,
  headerOffset: number,
  a: AddressFields,
  entry: number,
): AddressLoad {
  if (a.loadAddr > a.headerAddr) {
    throw new LoaderError("the Multiboot load address lies above the header address");
  }
  const fileOffset = headerOffset - (a.headerAddr - a.loadAddr);
  if (fileOffset < 0) {
    throw new LoaderError("the Multiboot address fields put the load start before the file");
  }
  const loadEnd = a.loadEndAddr === 0 ? a.loadAddr + (image.length - fileOffset) : a.loadEndAddr;
  if (loadEnd < a.loadAddr) {
    throw new LoaderError("the Multiboot load end address lies below the load address");
  }
  const fileBytes = loadEnd - a.loadAddr;
  if (fileOffset + fileBytes > image.length) {
    throw new LoaderError("the Multiboot load end address lies beyond the end of the file");
  }
  const end = a.bssEndAddr === 0 ? loadEnd : a.bssEndAddr;
  if (end < loadEnd) throw new LoaderError("the Multiboot BSS ends before the loaded image");
  if (entry < a.loadAddr || entry >= end) {
    throw new LoaderError(
      `the Multiboot entry address ${hex(entry)} lies outside the loaded image ` +
        `${hex(a.loadAddr)}-${hex(end)}`,
    );
  }
  return { fileOffset, fileBytes, start: a.loadAddr, loadEnd, end };
}

/** Copies an address-fields image and zeroes its BSS (after checking the range). */
export function loadByAddress(memory: GuestMemory, image: Uint8Array, load: AddressLoad): void {
  checkKernelRange(memory, load.start, load.end);
  const target = memory.view(load.start, load.end - load.start);
  target.set(image.subarray(load.fileOffset, load.fileOffset + load.fileBytes));
  target.fill(0, load.fileBytes);
}

/** The ELF or address-fields part of a Multiboot kernel, loaded; returns its entry and end. */
export function loadMultibootImage(
  memory: GuestMemory,
  image: Uint8Array,
  headerOffset: number,
  address: (AddressFields & { entryAddr: number }) | undefined,
  what: string,
  entryOverride?: number,
): { entry: number; end: number; elf?: ReturnType<typeof parseElf> } {
  if (address) {
    const load = checkAddressFields(image, headerOffset, address, address.entryAddr);
    loadByAddress(memory, image, load);
    return { entry: address.entryAddr, end: load.end };
  }
  if (!isElf(image)) {
    throw new LoaderError(`the ${what} kernel is not ELF and its header has no address fields`);
  }
  const elf = parseElf(image);
  if (entryOverride === undefined && elf.entry >= 2n ** 32n) {
    throw new LoaderError(`the ${what} kernel's entry ${hex(elf.entry)} lies above 4 GiB`);
  }
  for (const s of elf.segments) checkKernelRange(memory, s.paddr, s.paddr + s.memSize);
  loadElfSegments(memory, elf, image);
  return { entry: entryOverride ?? Number(elf.entry), end: elfEnd(elf), elf };
}

/** Loads a Multiboot v1 kernel, its modules and information; returns the entry state. */
export function loadMultiboot(
  memory: GuestMemory,
  image: Uint8Array,
  header: MultibootHeader,
  options: KernelBootOptions,
): LoadedKernel {
  const kernel = loadMultibootImage(memory, image, header.offset, header.address, "Multiboot");
  const info = new BootInfoWriter(memory);
  const mbi = info.alloc(116, 8);
  let flags = InfoFlag.MEMORY | InfoFlag.CMDLINE | InfoFlag.MODULES | InfoFlag.MEMORY_MAP |
    InfoFlag.LOADER_NAME;
  const { lowerKb, upperKb } = basicMemory(options.memoryBytes);
  memory.writeU32(mbi + 4, lowerKb);
  memory.writeU32(mbi + 8, upperKb);
  const name = options.imageName ?? "kernel";
  const cmdline = options.cmdline === "" ? name : `${name} ${options.cmdline}`;
  memory.writeU32(mbi + 16, info.string(cmdline));

  const modules = placeModules(memory, kernel.end, options.modules);
  const list = info.alloc(16 * Math.max(1, modules.length), 4);
  modules.forEach((m, i) => {
    memory.writeU32(list + i * 16, m.start);
    memory.writeU32(list + i * 16 + 4, m.end);
    memory.writeU32(list + i * 16 + 8, info.string(m.cmdline));
  });
  memory.writeU32(mbi + 20, modules.length);
  memory.writeU32(mbi + 24, list);

  const after = modules.length ? modules[modules.length - 1].end : kernel.end;
  const sections = kernel.elf
    ? loadSectionTable(memory, info, image, kernel.elf, after)
    : undefined;
  if (sections) {
    flags |= InfoFlag.ELF_SECTIONS;
    memory.writeU32(mbi + 28, sections.count);
    memory.writeU32(mbi + 32, sections.entrySize);
    memory.writeU32(mbi + 36, sections.address);
    memory.writeU32(mbi + 40, sections.stringIndex);
  }

  const map = pcMemoryMap(options.memoryBytes);
  const mmap = info.alloc(24 * map.length, 4);
  map.forEach((e, i) => {
    const at = mmap + i * 24;
    memory.writeU32(at, 20);
    info.writeU64(at + 4, e.base);
    info.writeU64(at + 12, e.length);
    memory.writeU32(at + 20, e.type);
  });
  memory.writeU32(mbi + 44, 24 * map.length);
  memory.writeU32(mbi + 48, mmap);
  memory.writeU32(mbi + 64, info.string(LOADER_NAME));

  if (header.video) {
    // Graphics: the linear framebuffer the machine maps; text: the EGA screen it shows.
    flags |= InfoFlag.FRAMEBUFFER;
    const rgb = multibootFramebuffer(header);
    const fb = rgb ?? EGA_TEXT;
    info.writeU64(mbi + 88, fb.address);
    memory.writeU32(mbi + 96, fb.pitch);
    memory.writeU32(mbi + 100, fb.width);
    memory.writeU32(mbi + 104, fb.height);
    memory.writeU8(mbi + 108, fb.bpp);
    memory.writeU8(mbi + 109, rgb ? FRAMEBUFFER_TYPE_RGB : EGA_TEXT.type);
    if (rgb) memory.write(mbi + 110, rgbColourInfo());
  }
  memory.writeU32(mbi, flags);
  return {
    entry: {
      eip: kernel.entry,
      esp: KERNEL_STACK_TOP,
      regs: { rax: MULTIBOOT_BOOT_MAGIC, rbx: mbi },
    },
    modules,
    info: mbi,
  };
}

/** Multiboot's framebuffer type of a direct-colour (RGB) framebuffer. */
export const FRAMEBUFFER_TYPE_RGB = 1;

/**
 * The colour information of an RGB framebuffer, as both Multiboot versions
 * lay it out: red position and size, green position and size, blue position
 * and size, one byte each.
 */
export function rgbColourInfo(): Uint8Array {
  const { red, green, blue } = XRGB8888;
  return Uint8Array.of(
    red.position,
    red.size,
    green.position,
    green.size,
    blue.position,
    blue.size,
  );
}

/** The EGA text framebuffer (Multiboot framebuffer type 2): 80x25 cells of 2 bytes at 0xB8000. */
export const EGA_TEXT = {
  address: 0xb8000,
  pitch: 160,
  width: 80,
  height: 25,
  bpp: 16,
  type: 2,
} as const;
