/**
 * The flat loader (`--boot flat`), the seed's machine: the image at
 * guest-physical 0, real mode, CS:IP = 0000:0000.
 *
 * @module
 */

import type { GuestMemory } from "../machine/memory.ts";
import { LoaderError, type RealModeEntry } from "./entry.ts";

/** Checks the image, copies it to address 0 and returns the entry state. */
export function loadFlat(memory: GuestMemory, image: Uint8Array): RealModeEntry {
  if (image.length === 0) throw new LoaderError("the image is empty");
  if (!memory.contains(0, image.length)) {
    const ram = memory.regionOf(0)?.bytes.length ?? 0;
    throw new LoaderError(
      `the image (${image.length} bytes) is larger than the RAM at address 0 (${ram} bytes)`,
      { cli: "use --memory", api: "give more memory" },
    );
  }
  memory.write(0, image);
  // The seed puts the stack at the top of the first 64 KiB segment (or of RAM if smaller).
  const ram = memory.regionOf(0)!.bytes.length;
  return { cs: 0, ip: 0, ds: 0, es: 0, ss: 0, sp: Math.min(ram, 0x10000) & 0xfffe };
}
