/**
 * Multiboot2 (the Multiboot2 Specification 2.0): the header (8-aligned in
 * the first 32 KiB, architecture 0 = i386 protected mode) and its tags, an
 * ELF32/ELF64 kernel loaded by its segments or any image by the address tag,
 * and the boot information: command line, loader name, modules, basic
 * memory, memory map, the framebuffer, ELF sections. Entry: EAX =
 * 0x36D76289, EBX = the information's address, flat 32-bit protected mode.
 * A kernel with the framebuffer header tag gets the linear RGB framebuffer
 * of lib/loader/framebuffer.ts; others the EGA text screen at 0xB8000.
 *
 * Not given (a kernel that requires one through a non-optional information
 * request fails to load): boot device, VBE, APM, EFI, SMBIOS, ACPI RSDP
 * (a kernel's PC has neither APICs nor ACPI tables: the BIOS boot's MADT
 * would describe an IOAPIC that is not there), network, load base address.
 *
 * @module
 */

import type { GuestMemory } from "../machine/memory.ts";
import {
  basicMemory,
  BootInfoWriter,
  KERNEL_STACK_TOP,
  type KernelBootOptions,
  type LoadedKernel,
  loadSectionTable,
  pcMemoryMap,
  placeModules,
  writeIdentityPageTables,
} from "./bootinfo.ts";
import { hex } from "./elf.ts";
import { LoaderError } from "./entry.ts";
import {
  type AddressFields,
  EGA_TEXT,
  FRAMEBUFFER_TYPE_RGB,
  LOADER_NAME,
  loadMultibootImage,
  rgbColourInfo,
} from "./multiboot.ts";
import {
  chooseFramebufferMode,
  type FramebufferRequest,
  type LinearFramebufferMode,
} from "./framebuffer.ts";

/** The header's magic. */
export const MULTIBOOT2_HEADER_MAGIC = 0xe85250d6;
/** EAX at the kernel's entry. */
export const MULTIBOOT2_BOOT_MAGIC = 0x36d76289;
const SEARCH_BYTES = 32768;
const OPTIONAL = 1;

/** Header tag types. */
export const HeaderTag = {
  END: 0,
  INFORMATION_REQUEST: 1,
  ADDRESS: 2,
  ENTRY_ADDRESS: 3,
  CONSOLE_FLAGS: 4,
  FRAMEBUFFER: 5,
  MODULE_ALIGN: 6,
  EFI_BS: 7,
  ENTRY_ADDRESS_EFI32: 8,
  ENTRY_ADDRESS_EFI64: 9,
  RELOCATABLE: 10,
} as const;

/** Information tag types picovmm writes. */
export const InfoTag = {
  END: 0,
  CMDLINE: 1,
  BOOT_LOADER_NAME: 2,
  MODULE: 3,
  BASIC_MEMINFO: 4,
  MMAP: 6,
  FRAMEBUFFER: 8,
  ELF_SECTIONS: 9,
} as const;

const PROVIDED = new Set<number>(Object.values(InfoTag));

/** A checked Multiboot2 header. */
export interface Multiboot2Header {
  offset: number;
  address?: AddressFields;
  /** From the entry address tag. */
  entryAddr?: number;
  /** From the framebuffer tag: the mode the kernel prefers (0: no preference). */
  framebuffer?: FramebufferRequest;
}

/** The linear framebuffer a Multiboot2 header gets, if it has the framebuffer tag. */
export function multiboot2Framebuffer(header: Multiboot2Header): LinearFramebufferMode | undefined {
  return header.framebuffer && chooseFramebufferMode(header.framebuffer);
}

/**
 * Finds the Multiboot2 header: undefined when there is none; a LoaderError
 * when the magic is there but the header or one of its tags is broken, or
 * asks for what picovmm cannot give.
 */
export function findMultiboot2Header(image: Uint8Array): Multiboot2Header | undefined {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const limit = Math.min(image.length, SEARCH_BYTES) - 16;
  let badChecksum: number | undefined;
  for (let at = 0; at <= limit; at += 8) {
    if (v.getUint32(at, true) !== MULTIBOOT2_HEADER_MAGIC) continue;
    const arch = v.getUint32(at + 4, true);
    const length = v.getUint32(at + 8, true);
    const checksum = v.getUint32(at + 12, true);
    if (((MULTIBOOT2_HEADER_MAGIC + arch + length + checksum) >>> 0) !== 0) {
      badChecksum ??= at;
      continue;
    }
    if (arch !== 0) {
      throw new LoaderError(`the Multiboot2 header is for architecture ${arch}, not i386 (0)`);
    }
    if (length < 24 || at + length > image.length) {
      throw new LoaderError(`the Multiboot2 header length ${length} does not fit the file`);
    }
    return checkTags(v, at, length);
  }
  if (badChecksum !== undefined) {
    throw new LoaderError(`the Multiboot2 header at offset ${hex(badChecksum)} has a bad checksum`);
  }
  return undefined;
}

function checkTags(v: DataView, start: number, length: number): Multiboot2Header {
  const header: Multiboot2Header = { offset: start };
  const end = start + length;
  let at = start + 16;
  for (;;) {
    if (at + 8 > end) throw new LoaderError("the Multiboot2 header has no end tag");
    const type = v.getUint16(at, true);
    const optional = (v.getUint16(at + 2, true) & OPTIONAL) !== 0;
    const size = v.getUint32(at + 4, true);
    if (size < 8 || at + size > end) {
      throw new LoaderError(`the Multiboot2 header tag ${type} at ${hex(at)} has size ${size}`);
    }
    const need = (n: number) => {
      if (size < n) throw new LoaderError(`the Multiboot2 header tag ${type} is too short`);
    };
    switch (type) {
      case HeaderTag.END:
        return header;
      case HeaderTag.INFORMATION_REQUEST:
        for (let r = at + 8; r + 4 <= at + size; r += 4) {
          const wanted = v.getUint32(r, true);
          if (!optional && !PROVIDED.has(wanted)) {
            throw new LoaderError(
              `the Multiboot2 kernel requires information tag ${wanted}, which picovmm does not give`,
            );
          }
        }
        break;
      case HeaderTag.ADDRESS:
        need(24);
        header.address = {
          headerAddr: v.getUint32(at + 8, true),
          loadAddr: v.getUint32(at + 12, true),
          loadEndAddr: v.getUint32(at + 16, true),
          bssEndAddr: v.getUint32(at + 20, true),
        };
        break;
      case HeaderTag.ENTRY_ADDRESS:
        need(12);
        header.entryAddr = v.getUint32(at + 8, true);
        break;
      case HeaderTag.FRAMEBUFFER:
        need(20);
        if (header.framebuffer) {
          throw new LoaderError("the Multiboot2 header has more than one framebuffer tag");
        }
        header.framebuffer = {
          width: v.getUint32(at + 8, true),
          height: v.getUint32(at + 12, true),
          depth: v.getUint32(at + 16, true),
        };
        break;
      case HeaderTag.CONSOLE_FLAGS:
      case HeaderTag.MODULE_ALIGN:
      case HeaderTag.RELOCATABLE:
        // Console: EGA text is there. Modules are always page-aligned. Relocatable: loaded
        // at its link address.
        break;
      case HeaderTag.EFI_BS:
      case HeaderTag.ENTRY_ADDRESS_EFI32:
      case HeaderTag.ENTRY_ADDRESS_EFI64:
        // For EFI loaders; picovmm starts the kernel through its i386 entry.
        break;
      default:
        if (!optional) throw new LoaderError(`unknown required Multiboot2 header tag ${type}`);
    }
    at += Math.ceil(size / 8) * 8;
  }
}

/**
 * Loads a Multiboot2 kernel, its modules and information; returns the entry
 * state. `longMode` (plain ELF64 kernels): enter in 64-bit mode over
 * identity page tables instead of the Multiboot2 32-bit entry.
 */
export function loadMultiboot2(
  memory: GuestMemory,
  image: Uint8Array,
  header: Multiboot2Header,
  options: KernelBootOptions,
  longMode = false,
): LoadedKernel {
  if (header.address && header.entryAddr === undefined) {
    throw new LoaderError("the Multiboot2 header has an address tag but no entry address tag");
  }
  const address = header.address && { ...header.address, entryAddr: header.entryAddr! };
  const kernel = loadMultibootImage(
    memory,
    image,
    header.offset,
    address,
    "Multiboot2",
    header.entryAddr,
  );
  const entry = kernel.entry;
  const modules = placeModules(memory, kernel.end, options.modules);
  const after = modules.length ? modules[modules.length - 1].end : kernel.end;
  const info = new BootInfoWriter(memory);
  const sections = kernel.elf
    ? loadSectionTable(memory, info, image, kernel.elf, after)
    : undefined;

  // The information: a u32 total size and a reserved u32, then 8-aligned tags.
  const tags: { type: number; body: Uint8Array }[] = [];
  const u32s = (...values: number[]) => {
    const b = new Uint8Array(values.length * 4);
    const d = new DataView(b.buffer);
    values.forEach((x, i) => d.setUint32(i * 4, x >>> 0, true));
    return b;
  };
  const cstring = (text: string) => {
    const t = new TextEncoder().encode(text);
    const b = new Uint8Array(t.length + 1);
    b.set(t);
    return b;
  };
  const concat = (...parts: Uint8Array[]) => {
    const b = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      b.set(p, o);
      o += p.length;
    }
    return b;
  };
  tags.push({ type: InfoTag.CMDLINE, body: cstring(options.cmdline) });
  tags.push({ type: InfoTag.BOOT_LOADER_NAME, body: cstring(LOADER_NAME) });
  for (const m of modules) {
    tags.push({ type: InfoTag.MODULE, body: concat(u32s(m.start, m.end), cstring(m.cmdline)) });
  }
  const { lowerKb, upperKb } = basicMemory(options.memoryBytes);
  tags.push({ type: InfoTag.BASIC_MEMINFO, body: u32s(lowerKb, upperKb) });
  const map = pcMemoryMap(options.memoryBytes);
  tags.push({
    type: InfoTag.MMAP,
    body: concat(u32s(24, 0), ...map.map((e) => u32s(e.base, 0, e.length, 0, e.type, 0))),
  });
  // The framebuffer: its address, pitch, width, height, bpp, type, a reserved u16, colours.
  const rgb = multiboot2Framebuffer(header);
  const fbInfo = rgb ?? EGA_TEXT;
  const fb = new Uint8Array(rgb ? 30 : 24);
  const fv = new DataView(fb.buffer);
  fv.setUint32(0, fbInfo.address, true);
  fv.setUint32(8, fbInfo.pitch, true);
  fv.setUint32(12, fbInfo.width, true);
  fv.setUint32(16, fbInfo.height, true);
  fb[20] = fbInfo.bpp;
  fb[21] = rgb ? FRAMEBUFFER_TYPE_RGB : EGA_TEXT.type;
  if (rgb) fb.set(rgbColourInfo(), 24);
  tags.push({ type: InfoTag.FRAMEBUFFER, body: fb });
  if (sections) {
    const table = memory.read(sections.address, sections.count * sections.entrySize);
    tags.push({
      type: InfoTag.ELF_SECTIONS,
      body: concat(u32s(sections.count, sections.entrySize, sections.stringIndex), table),
    });
  }
  tags.push({ type: InfoTag.END, body: new Uint8Array(0) });

  const total = 8 + tags.reduce((n, t) => n + Math.ceil((8 + t.body.length) / 8) * 8, 0);
  const mbi = info.alloc(total, 8);
  memory.writeU32(mbi, total);
  let at = mbi + 8;
  for (const t of tags) {
    memory.writeU32(at, t.type);
    memory.writeU32(at + 4, 8 + t.body.length);
    memory.write(at + 8, t.body);
    at += Math.ceil((8 + t.body.length) / 8) * 8;
  }
  const longModePml4 = longMode ? writeIdentityPageTables(info) : undefined;
  return {
    entry: {
      eip: entry,
      esp: KERNEL_STACK_TOP,
      regs: { rax: MULTIBOOT2_BOOT_MAGIC, rbx: mbi },
      longModePml4,
    },
    modules,
    info: mbi,
  };
}
