/**
 * A PC's drives: the boot disk and any more, opened from files or bytes and
 * numbered as a PC BIOS numbers them. Floppies are 00h, 01h ... and hard
 * disks 80h, 81h ..., each kind in the order given, the boot disk first of
 * its kind (as QEMU's `-fda`/`-hda` put the first drive of each kind first).
 *
 * @example
 * ```ts
 * import { Disk } from "./disk.ts";
 * import { numberDrives } from "./drives.ts";
 * const boot = Disk.fromImage(new Uint8Array(1474560));
 * const data = Disk.fromImage(new Uint8Array(10 << 20));
 * console.log([...numberDrives(boot, [data]).keys()]); // [0, 128]
 * ```
 *
 * @module
 */

import { Disk, type DriveType } from "./disk.ts";
import { openDiskFile } from "./disk-file.ts";
import { LoaderError } from "./entry.ts";

/** One more drive: an image file or bytes, and how it is used. */
export interface DiskSpec {
  /** An image file, read on demand (give this or `bytes`). */
  path?: string;
  /** Image bytes (give this or `path`). */
  bytes?: Uint8Array;
  /**
   * Write guest writes through to the file (or into `bytes`). Default false:
   * they are kept in memory and the image never changes.
   */
  writable?: boolean;
  /** Floppy or hard disk; default a hard disk, whatever the size (as QEMU's `-drive`). */
  type?: DriveType;
}

/** Most floppy drives the equipment word can report. */
export const MAX_FLOPPIES = 4;
/** Most hard disks picovmm attaches (80h-8Fh). */
export const MAX_HARD_DISKS = 16;

/** The API's `disks` option as specs: file names become `{ path }`. Throws LoaderError. */
export function diskSpecs(disks: readonly (string | DiskSpec)[]): DiskSpec[] {
  if (!Array.isArray(disks)) {
    throw new LoaderError("disks must be an array of paths or { path | bytes } objects");
  }
  return disks.map((d, i) => {
    if (typeof d === "string") return { path: d };
    if (typeof d !== "object" || d === null) {
      throw new LoaderError(`disk ${i + 1}: a path or a { path | bytes } object expected`);
    }
    return d;
  });
}

/** Opens a drive; `what` names it in errors (e.g. "disk 2"). Throws LoaderError. */
export function openDisk(
  spec: DiskSpec,
  what: string,
  defaults: { writable?: boolean } = {},
): Disk {
  const writable = spec.writable ?? defaults.writable ?? false;
  const type = spec.type ?? "hdd";
  if (type !== "hdd" && type !== "floppy") {
    throw new LoaderError(`${what}: type must be "floppy" or "hdd"`);
  }
  const hasPath = spec.path !== undefined;
  const hasBytes = spec.bytes !== undefined;
  if (hasPath === hasBytes) throw new LoaderError(`${what}: give either a path or bytes`);
  if (hasPath) {
    if (typeof spec.path !== "string" || spec.path === "") {
      throw new LoaderError(`${what}: the path must be a file name`);
    }
    return openDiskFile(spec.path, { type, writable, role: "disk" });
  }
  if (!(spec.bytes instanceof Uint8Array)) {
    throw new LoaderError(`${what}: bytes must be a Uint8Array`);
  }
  return Disk.fromImage(spec.bytes, { type, writable });
}

/** BIOS drive numbers for the boot disk and the others; throws LoaderError for too many. */
export function numberDrives(boot: Disk, others: readonly Disk[]): Map<number, Disk> {
  const drives = new Map<number, Disk>();
  let floppies = 0, hardDisks = 0;
  for (const disk of [boot, ...others]) {
    if (disk.type === "floppy") {
      if (floppies === MAX_FLOPPIES) throw new LoaderError(`at most ${MAX_FLOPPIES} floppies`);
      drives.set(floppies++, disk);
    } else {
      if (hardDisks === MAX_HARD_DISKS) {
        throw new LoaderError(`at most ${MAX_HARD_DISKS} hard disks`);
      }
      drives.set(0x80 + hardDisks++, disk);
    }
  }
  return drives;
}
