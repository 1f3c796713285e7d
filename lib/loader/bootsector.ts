/**
 * The boot-sector loader (`--boot bios`): checks sector 0 of the boot disk,
 * copies it to 0000:7C00 and returns the entry state a PC BIOS hands over
 * (DL = boot drive, a stack below the boot sector; the caller sets IF = 1).
 *
 * @example
 * ```ts
 * import { GuestMemory } from "../machine/memory.ts";
 * import { Disk } from "./disk.ts";
 * import { loadBootSector } from "./bootsector.ts";
 * const memory = new GuestMemory();
 * memory.addRegion(0, new Uint8Array(0x10000));
 * const image = new Uint8Array(512);
 * image[510] = 0x55;
 * image[511] = 0xaa;
 * const entry = loadBootSector(memory, Disk.fromImage(image));
 * console.log(entry.ip.toString(16), entry.regs?.rdx); // "7c00" 128
 * ```
 *
 * @module
 */

import type { GuestMemory } from "../machine/memory.ts";
import type { Disk } from "./disk.ts";
import { LoaderError, type RealModeEntry } from "./entry.ts";
import { isElf } from "./elf.ts";

/** Where a PC loads the boot sector. */
export const BOOT_ADDRESS = 0x7c00;

/** Options for {@link loadBootSector}. */
export interface BootSectorOptions {
  /** Accept a sector 0 without the 0x55AA signature. */
  noSignatureCheck?: boolean;
}

/** The BIOS drive number of a disk: 0x00 for the first floppy, 0x80 for the first hard disk. */
export function bootDrive(disk: Disk): number {
  return disk.type === "floppy" ? 0x00 : 0x80;
}

/** Throws LoaderError unless the first sector ends in the 0x55 0xAA boot signature. */
export function checkBootSignature(sector: Uint8Array): void {
  if (sector[510] === 0x55 && sector[511] === 0xaa) return;
  throw new LoaderError("the image has no boot signature (0x55 0xAA at bytes 510-511)", {
    cli: "use --no-signature-check or --boot flat",
    api: 'use noSignatureCheck: true or boot: "flat"',
  });
}

/** Checks the boot sector, copies it to 0000:7C00 and returns the entry state. */
export function loadBootSector(
  memory: GuestMemory,
  disk: Disk,
  options: BootSectorOptions = {},
): RealModeEntry {
  const sector = disk.sector(0);
  if (!options.noSignatureCheck) checkBootSignature(sector);
  if (!memory.contains(BOOT_ADDRESS, sector.length)) {
    throw new LoaderError("guest RAM does not reach 0x7E00, where the boot sector ends");
  }
  memory.write(BOOT_ADDRESS, sector);
  return {
    cs: 0,
    ip: BOOT_ADDRESS,
    ds: 0,
    es: 0,
    ss: 0,
    sp: BOOT_ADDRESS,
    regs: { rdx: bootDrive(disk) },
  };
}

/** "HdrS", the Linux setup header's magic, and where a bzImage carries it. */
export const LINUX_HEADER_MAGIC = 0x53726448;
const LINUX_HEADER_AT = 0x202;

/** True when the image carries the bzImage setup header magic "HdrS" at 0x202. */
export function hasLinuxHeader(image: Uint8Array): boolean {
  if (image.length < LINUX_HEADER_AT + 4) return false;
  return new DataView(image.buffer, image.byteOffset, image.byteLength)
    .getUint32(LINUX_HEADER_AT, true) === LINUX_HEADER_MAGIC;
}

/** Bytes of an image's start that {@link looksLikeDisk} needs: past the Linux setup header's magic. */
export const DISK_HEAD_BYTES = 1024;

/**
 * Whether an image is a disk by its first bytes alone: the 0x55AA boot
 * signature, no ELF header and no Linux setup header (a bzImage carries the
 * signature too). A disk can then be read on demand; anything else is
 * detected from the whole file.
 */
export function looksLikeDisk(head: Uint8Array): boolean {
  return !isElf(head) && !hasLinuxHeader(head) && head.length >= 512 && head[510] === 0x55 &&
    head[511] === 0xaa;
}
