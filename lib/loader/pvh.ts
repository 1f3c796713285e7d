/**
 * The PVH boot protocol (Xen's direct boot of an ELF kernel, as Firecracker
 * and cloud-hypervisor use it): an ELF32/ELF64 whose note
 * `XEN_ELFNOTE_PHYS32_ENTRY` (type 18, owner "Xen") gives a 32-bit physical
 * entry. The kernel's segments load at their physical addresses; EBX points
 * to a `struct hvm_start_info` (version 1: command line, modules, memory
 * map; no ACPI RSDP, a kernel's PC has no ACPI tables), flat 32-bit protected
 * mode, paging off, a 32-bit TSS in TR.
 *
 * @module
 */

import type { GuestMemory } from "../machine/memory.ts";
import {
  BootInfoWriter,
  checkKernelRange,
  KERNEL_STACK_TOP,
  type KernelBootOptions,
  type LoadedKernel,
  pcMemoryMap,
  placeModules,
} from "./bootinfo.ts";
import { elfEnd, type ElfImage, hex, loadElfSegments } from "./elf.ts";
import { LoaderError } from "./entry.ts";

/** The note type of the 32-bit entry. */
export const XEN_ELFNOTE_PHYS32_ENTRY = 18;
/** `hvm_start_info.magic`. */
export const HVM_START_MAGIC = 0x336ec578;
/** Bytes of `hvm_start_info` (version 1). */
export const HVM_START_INFO_SIZE = 56;

/**
 * The PVH entry of a parsed ELF: undefined without the note; a LoaderError
 * when the note is malformed or points above 4 GiB.
 */
export function findPvhEntry(elf: ElfImage): number | undefined {
  const note = elf.notes.find((n) => n.name === "Xen" && n.type === XEN_ELFNOTE_PHYS32_ENTRY);
  if (!note) return undefined;
  const d = new DataView(note.desc.buffer, note.desc.byteOffset, note.desc.byteLength);
  if (note.desc.length !== 4 && note.desc.length !== 8) {
    throw new LoaderError(`the PVH entry note has ${note.desc.length} bytes, not 4 or 8`);
  }
  if (note.desc.length === 8 && d.getUint32(4, true) !== 0) {
    throw new LoaderError("the PVH entry note points above 4 GiB");
  }
  const entry = d.getUint32(0, true);
  const inside = elf.segments.some((s) => entry >= s.paddr && entry < s.paddr + s.memSize);
  if (!inside) {
    throw new LoaderError(`the PVH entry ${hex(entry)} lies outside the kernel's segments`);
  }
  return entry;
}

/** Loads a PVH kernel, its modules and `hvm_start_info`; returns the entry state. */
export function loadPvh(
  memory: GuestMemory,
  image: Uint8Array,
  elf: ElfImage,
  entry: number,
  options: KernelBootOptions,
): LoadedKernel {
  for (const s of elf.segments) checkKernelRange(memory, s.paddr, s.paddr + s.memSize);
  loadElfSegments(memory, elf, image);
  const modules = placeModules(memory, elfEnd(elf), options.modules);
  const info = new BootInfoWriter(memory);
  const start = info.alloc(HVM_START_INFO_SIZE, 8);
  const list = info.alloc(32 * Math.max(1, modules.length), 8);
  modules.forEach((m, i) => {
    const at = list + i * 32;
    info.writeU64(at, m.start);
    info.writeU64(at + 8, m.end - m.start);
    info.writeU64(at + 16, m.cmdline === "" ? 0 : info.string(m.cmdline));
  });
  const map = pcMemoryMap(options.memoryBytes);
  const table = info.alloc(24 * map.length, 8);
  map.forEach((e, i) => {
    info.writeU64(table + i * 24, e.base);
    info.writeU64(table + i * 24 + 8, e.length);
    memory.writeU32(table + i * 24 + 16, e.type);
  });
  memory.writeU32(start, HVM_START_MAGIC);
  memory.writeU32(start + 4, 1); // version
  memory.writeU32(start + 12, modules.length);
  info.writeU64(start + 16, modules.length ? list : 0);
  info.writeU64(start + 24, info.string(options.cmdline));
  info.writeU64(start + 40, table);
  memory.writeU32(start + 48, map.length);
  return {
    entry: { eip: entry, esp: KERNEL_STACK_TOP, regs: { rbx: start } },
    modules,
    info: start,
  };
}
