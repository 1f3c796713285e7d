/**
 * A BIOS-replacement ROM (`--boot rom`, as QEMU's `-bios`): the image sits
 * at the top of the first MiB and again at the top of the 4 GiB address
 * space, and the CPU starts as after reset, at F000:FFF0 with the CS base at
 * 0xFFFF0000, so the first far jump lands in the copy below 1 MiB. CPU test
 * ROMs such as test386.asm run this way.
 *
 * @module
 */

import { LoaderError, type RealModeEntry } from "./entry.ts";

/** Largest ROM: 256 KiB, from 0xC0000 to the end of the first MiB. */
export const MAX_ROM_SIZE = 0x40000;
/** Where the copy below 1 MiB ends. */
export const ROM_TOP = 0x100000;
/** The reset vector's CS base (CS = F000, IP = FFF0: the last 16 bytes below 4 GiB). */
export const RESET_CS_BASE = 0xffff0000;

/** Checks a ROM image's size: whole 4 KiB pages, at most {@link MAX_ROM_SIZE}. */
export function checkRom(image: Uint8Array): void {
  if (image.length === 0 || image.length % 0x1000 !== 0 || image.length > MAX_ROM_SIZE) {
    throw new LoaderError(
      `a ROM image must be a whole number of 4 KiB pages up to 256 KiB (got ${image.length} bytes)`,
    );
  }
}

/** The real-mode entry at the reset vector, F000:FFF0 (the caller sets CS's base). */
export function romEntry(): RealModeEntry {
  return { cs: 0xf000, ip: 0xfff0, ds: 0, es: 0, ss: 0, sp: 0 };
}
