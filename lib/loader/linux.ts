/**
 * The Linux/x86 boot protocol (Documentation/arch/x86/boot.rst, up to 2.15)
 * for a bzImage, without running its real-mode setup code: the setup header
 * is checked and copied into a zero page (`struct boot_params`) that also
 * gets the e820 map, the command line and the initrd; the protected-mode
 * kernel is loaded at 1 MiB and entered at its 64-bit entry (load address +
 * 0x200, long mode over identity page tables) when the header says it has
 * one (XLF_KERNEL_64), else at its 32-bit entry (flat protected mode).
 * Either way RSI/ESI holds the zero page.
 *
 * Needs protocol 2.10 (Linux 2.6.31) or later: init_size and pref_address
 * tell how much memory the kernel takes once it decompresses itself.
 *
 * @module
 */

import type { GuestMemory } from "../machine/memory.ts";
import {
  BootInfoWriter,
  HIGH_RAM_BASE,
  KERNEL_STACK_TOP,
  type KernelBootOptions,
  type LoadedKernel,
  pcMemoryMap,
  writeIdentityPageTables,
} from "./bootinfo.ts";
import { elfEnd, hex, loadElfSegments } from "./elf.ts";
import type { UnpackedLinux } from "./linux-unpack.ts";
import { LoaderError } from "./entry.ts";
import { hasLinuxHeader, LINUX_HEADER_MAGIC } from "./bootsector.ts";

export { hasLinuxHeader, LINUX_HEADER_MAGIC };

/** Oldest boot protocol picovmm loads (2.10). */
export const MIN_LINUX_PROTOCOL = 0x020a;
/** Where the protected-mode kernel is loaded (code32_start's default). */
export const LINUX_LOAD_ADDRESS = HIGH_RAM_BASE;

/** Offsets in the boot sector / zero page (`struct boot_params`). */
export const BootParams = {
  E820_ENTRIES: 0x1e8,
  SETUP_SECTS: 0x1f1,
  VID_MODE: 0x1fa,
  BOOT_FLAG: 0x1fe,
  JUMP: 0x200,
  HEADER: 0x202,
  VERSION: 0x206,
  TYPE_OF_LOADER: 0x210,
  LOADFLAGS: 0x211,
  CODE32_START: 0x214,
  RAMDISK_IMAGE: 0x218,
  RAMDISK_SIZE: 0x21c,
  HEAP_END_PTR: 0x224,
  CMD_LINE_PTR: 0x228,
  INITRD_ADDR_MAX: 0x22c,
  KERNEL_ALIGNMENT: 0x230,
  RELOCATABLE_KERNEL: 0x234,
  XLOADFLAGS: 0x236,
  CMDLINE_SIZE: 0x238,
  PAYLOAD_OFFSET: 0x248,
  PAYLOAD_LENGTH: 0x24c,
  PREF_ADDRESS: 0x258,
  INIT_SIZE: 0x260,
  E820_TABLE: 0x2d0,
} as const;

/** loadflags bit 0: the protected-mode kernel is loaded at 1 MiB (bzImage). */
export const LOADED_HIGH = 0x01;
/** loadflags bit 7: heap_end_ptr is valid. */
export const CAN_USE_HEAP = 0x80;
/** xloadflags bit 0: the kernel has the 64-bit entry at load address + 0x200. */
export const XLF_KERNEL_64 = 0x01;
/** Entries the zero page's e820 table holds. */
export const E820_MAX_ENTRIES = 128;
/** type_of_loader "undefined", as boot.rst asks of loaders without an assigned ID. */
const LOADER_ID = 0xff;

/** The checked setup header of a bzImage. */
export interface LinuxHeader {
  /** Boot protocol version, e.g. 0x020f. */
  version: number;
  /** Sectors of real-mode setup code after the boot sector. */
  setupSects: number;
  /** File offset of the protected-mode kernel. */
  kernelOffset: number;
  loadflags: number;
  xloadflags: number;
  relocatable: boolean;
  kernelAlignment: number;
  /** Highest address the initrd may end at (inclusive). */
  initrdAddrMax: number;
  /** Longest command line in bytes, without the NUL. */
  cmdlineSize: number;
  /** Where a relocatable kernel prefers to run. */
  prefAddress: number;
  /** Bytes of memory the kernel needs from its run address while it decompresses and starts. */
  initSize: number;
  /** The header bytes copied into the zero page: 0x1F1 up to the end the jump gives. */
  headerEnd: number;
  /**
   * File offset and length of the compressed kernel the setup code carries
   * (payload_offset, payload_length; not checked: only the kernel's own
   * decompressor reads them).
   */
  payloadOffset: number;
  payloadLength: number;
}

function version(v: number): string {
  return `${v >> 8}.${(v & 0xff).toString().padStart(2, "0")}`;
}

/** Reads and checks the setup header; a LoaderError says what is wrong. */
export function parseLinuxHeader(image: Uint8Array): LinuxHeader {
  if (!hasLinuxHeader(image)) {
    throw new LoaderError('the image is not a Linux bzImage (no "HdrS" setup header at 0x202)');
  }
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const headerEnd = BootParams.HEADER + image[BootParams.JUMP + 1];
  if (headerEnd > image.length || headerEnd < BootParams.INIT_SIZE + 4) {
    throw new LoaderError(
      `the bzImage's setup header ends at ${hex(headerEnd)}, before its init_size field`,
    );
  }
  const ver = v.getUint16(BootParams.VERSION, true);
  if (ver < MIN_LINUX_PROTOCOL) {
    throw new LoaderError(
      `the bzImage speaks boot protocol ${version(ver)}; picovmm needs 2.10 or later ` +
        "(init_size and pref_address, Linux 2.6.31)",
    );
  }
  if (v.getUint16(BootParams.BOOT_FLAG, true) !== 0xaa55) {
    throw new LoaderError("the bzImage's boot sector lacks its 0xAA55 boot flag");
  }
  const loadflags = image[BootParams.LOADFLAGS];
  if (!(loadflags & LOADED_HIGH)) {
    throw new LoaderError("the image is a zImage (loaded below 1 MiB), not a bzImage");
  }
  const setupSects = image[BootParams.SETUP_SECTS] || 4;
  const kernelOffset = (setupSects + 1) * 512;
  if (kernelOffset >= image.length) {
    throw new LoaderError(
      `the bzImage's setup code (${setupSects} sectors) runs past the end of the file ` +
        `(${image.length} bytes): no protected-mode kernel`,
    );
  }
  const relocatable = image[BootParams.RELOCATABLE_KERNEL] !== 0;
  const kernelAlignment = v.getUint32(BootParams.KERNEL_ALIGNMENT, true);
  if (relocatable && (kernelAlignment === 0 || (kernelAlignment & (kernelAlignment - 1)) !== 0)) {
    throw new LoaderError(
      `the bzImage's kernel_alignment ${hex(kernelAlignment)} is not a power of two`,
    );
  }
  const initSize = v.getUint32(BootParams.INIT_SIZE, true);
  if (initSize < image.length - kernelOffset) {
    throw new LoaderError(
      `the bzImage's init_size ${hex(initSize)} is smaller than its protected-mode kernel ` +
        `(${hex(image.length - kernelOffset)} bytes)`,
    );
  }
  const prefAddress = Number(v.getBigUint64(BootParams.PREF_ADDRESS, true));
  if (prefAddress >= 2 ** 32) {
    throw new LoaderError(`the bzImage prefers to run at ${hex(prefAddress)}, above 4 GiB`);
  }
  return {
    version: ver,
    setupSects,
    kernelOffset,
    loadflags,
    xloadflags: ver >= 0x020c ? v.getUint16(BootParams.XLOADFLAGS, true) : 0,
    relocatable,
    kernelAlignment,
    initrdAddrMax: v.getUint32(BootParams.INITRD_ADDR_MAX, true),
    cmdlineSize: v.getUint32(BootParams.CMDLINE_SIZE, true),
    prefAddress,
    initSize,
    headerEnd,
    payloadOffset: kernelOffset + v.getUint32(BootParams.PAYLOAD_OFFSET, true),
    payloadLength: v.getUint32(BootParams.PAYLOAD_LENGTH, true),
  };
}

/**
 * Where the kernel runs once it has decompressed itself: a relocatable
 * kernel at its load address rounded up to kernel_alignment, but not below
 * pref_address (its link address); a fixed one at pref_address.
 */
export function linuxRunAddress(header: LinuxHeader, loadAddress = LINUX_LOAD_ADDRESS): number {
  if (!header.relocatable) return Math.max(header.prefAddress, loadAddress);
  const a = header.kernelAlignment;
  return Math.max(header.prefAddress, Math.ceil(loadAddress / a) * a);
}

/**
 * Loads a bzImage: the protected-mode kernel at 1 MiB, the initrd (the first
 * module) page-aligned as high as RAM and initrd_addr_max allow, the zero
 * page, the command line, and for the 64-bit entry the identity page tables.
 * More modules than one are refused (Linux takes one initrd). With `unpacked`
 * (the kernel decompressed on the host, linux-unpack.ts) the vmlinux's
 * segments are loaded instead of the bzImage's protected-mode code, and the
 * kernel is entered at the vmlinux's entry; RAM must still reach as far as
 * init_size asks, as the kernel's own decompressor would need.
 */
export function loadLinux(
  memory: GuestMemory,
  image: Uint8Array,
  header: LinuxHeader,
  options: KernelBootOptions,
  unpacked?: UnpackedLinux,
): LoadedKernel {
  const ram = options.memoryBytes - 0xa0000 + HIGH_RAM_BASE; // end of RAM from 1 MiB
  const kernelSize = image.length - header.kernelOffset;
  const runAt = linuxRunAddress(header);
  const kernelEnd = Math.max(
    LINUX_LOAD_ADDRESS + kernelSize,
    runAt + header.initSize,
    unpacked ? elfEnd(unpacked.elf) : 0,
  );
  if (kernelEnd > ram || !memory.contains(LINUX_LOAD_ADDRESS, kernelEnd - LINUX_LOAD_ADDRESS)) {
    const need = Math.ceil((kernelEnd - HIGH_RAM_BASE + 0xa0000) / 2 ** 20);
    throw new LoaderError(
      `the kernel needs RAM up to ${hex(kernelEnd)} (init_size ${hex(header.initSize)} from ` +
        `${hex(runAt)}): give it at least ${need} MiB with --memory`,
    );
  }
  const cmdline = new TextEncoder().encode(options.cmdline);
  if (cmdline.length > header.cmdlineSize) {
    throw new LoaderError(
      `the command line has ${cmdline.length} bytes; this kernel takes at most ${header.cmdlineSize}`,
    );
  }
  if (options.modules.length > 1) {
    throw new LoaderError("a Linux kernel takes one initrd; --module is for Multiboot kernels");
  }

  if (unpacked) loadElfSegments(memory, unpacked.elf, unpacked.image);
  else memory.write(LINUX_LOAD_ADDRESS, image.subarray(header.kernelOffset));
  const info = new BootInfoWriter(memory);
  const zeroPage = info.alloc(4096, 4096);
  memory.write(
    zeroPage + BootParams.SETUP_SECTS,
    image.subarray(BootParams.SETUP_SECTS, header.headerEnd),
  );
  const put8 = (at: number, value: number) => memory.write(zeroPage + at, Uint8Array.of(value));
  const put16 = (at: number, value: number) =>
    memory.write(zeroPage + at, Uint8Array.of(value & 0xff, value >> 8));
  put16(BootParams.VID_MODE, 0xffff); // "normal": no mode change
  put8(BootParams.TYPE_OF_LOADER, LOADER_ID);
  put8(BootParams.LOADFLAGS, header.loadflags | CAN_USE_HEAP);
  put16(BootParams.HEAP_END_PTR, 0xfe00);
  memory.writeU32(zeroPage + BootParams.CODE32_START, LINUX_LOAD_ADDRESS);
  memory.writeU32(zeroPage + BootParams.CMD_LINE_PTR, info.string(options.cmdline));

  const map = pcMemoryMap(options.memoryBytes);
  put8(BootParams.E820_ENTRIES, map.length);
  map.forEach((e, i) => {
    const at = zeroPage + BootParams.E820_TABLE + i * 20;
    info.writeU64(at, e.base);
    info.writeU64(at + 8, e.length);
    memory.writeU32(at + 16, e.type);
  });

  const modules = [];
  const initrd = options.modules[0];
  if (initrd) {
    const top = Math.min(ram, header.initrdAddrMax + 1);
    const start = Math.floor((top - initrd.data.length) / 4096) * 4096;
    if (start < kernelEnd) {
      throw new LoaderError(
        `the initrd (${initrd.data.length} bytes) does not fit between the kernel's end ` +
          `${hex(kernelEnd)} and ${hex(top)}; use --memory`,
      );
    }
    memory.write(start, initrd.data);
    memory.writeU32(zeroPage + BootParams.RAMDISK_IMAGE, start);
    memory.writeU32(zeroPage + BootParams.RAMDISK_SIZE, initrd.data.length);
    modules.push({ start, end: start + initrd.data.length, cmdline: initrd.cmdline });
  }

  const long = (header.xloadflags & XLF_KERNEL_64) !== 0;
  return {
    entry: {
      eip: unpacked ? unpacked.entry : long ? LINUX_LOAD_ADDRESS + 0x200 : LINUX_LOAD_ADDRESS,
      esp: KERNEL_STACK_TOP,
      longModePml4: long ? writeIdentityPageTables(info) : undefined,
      regs: { rsi: zeroPage },
    },
    modules,
    info: zeroPage,
  };
}
