/**
 * A disk image as the BIOS sees it: a floppy or a hard disk with a CHS
 * geometry, read and written in 512-byte sectors. Writes go to an in-memory
 * copy; the image file is never changed.
 *
 * @example
 * ```ts
 * import { Disk } from "./disk.ts";
 * const disk = Disk.fromImage(new Uint8Array(1474560)); // a 1.44 MB floppy
 * console.log(disk.type, disk.geometry); // "floppy" { cylinders: 80, heads: 2, sectors: 18 }
 * console.log(disk.chsToLba(0, 1, 1)); // 18
 * ```
 *
 * @module
 */

import { LoaderError } from "./entry.ts";

/** Bytes per sector. */
export const SECTOR_SIZE = 512;

/** Floppy or hard disk. */
export type DriveType = "floppy" | "hdd";

/** Cylinders, heads and sectors per track. */
export interface Geometry {
  /** Cylinders (tracks per side). */
  cylinders: number;
  /** Heads (sides). */
  heads: number;
  /** Sectors per track. */
  sectors: number;
}

/** A floppy format: its size, geometry and the CMOS/INT 13h drive type. */
export interface FloppyFormat extends Geometry {
  /** The image size that means this format. */
  bytes: number;
  /** INT 13h AH=08h BL drive type: 1 360K, 2 1.2M, 3 720K, 4 1.44M, 6 2.88M. */
  driveType: number;
}

/** The floppy sizes recognised by their image size. */
export const FLOPPY_FORMATS: readonly FloppyFormat[] = [
  { bytes: 163840, cylinders: 40, heads: 1, sectors: 8, driveType: 1 },
  { bytes: 184320, cylinders: 40, heads: 1, sectors: 9, driveType: 1 },
  { bytes: 327680, cylinders: 40, heads: 2, sectors: 8, driveType: 1 },
  { bytes: 368640, cylinders: 40, heads: 2, sectors: 9, driveType: 1 },
  { bytes: 737280, cylinders: 80, heads: 2, sectors: 9, driveType: 3 },
  { bytes: 1228800, cylinders: 80, heads: 2, sectors: 15, driveType: 2 },
  { bytes: 1474560, cylinders: 80, heads: 2, sectors: 18, driveType: 4 },
  { bytes: 2949120, cylinders: 80, heads: 2, sectors: 36, driveType: 6 },
];

/** Hard disks of any size get 16 heads and 63 sectors per track, up to 1024 cylinders. */
const HDD_HEADS = 16;
const HDD_SECTORS = 63;
const HDD_MAX_CYLINDERS = 1024;
/** Largest image accepted as a disk (an LBA-28 disk of 128 GiB would not fit in memory anyway). */
const MAX_DISK_BYTES = 2 ** 31;

/** Options for {@link Disk.fromImage}. */
export interface DiskOptions {
  /** Force the drive type; by default floppy sizes are floppies, the rest hard disks. */
  type?: DriveType;
}

/** One drive's contents and geometry. */
export class Disk {
  /** Bytes per sector. */
  /** Bytes per sector. */
  readonly sectorSize: number = SECTOR_SIZE;

  private constructor(
    /** The in-memory copy (whole sectors; the image padded with zeros). */
    readonly data: Uint8Array,
    readonly type: DriveType,
    readonly geometry: Geometry,
    /** INT 13h AH=08h drive type for floppies (0 for hard disks). */
    readonly floppyType: number,
  ) {}

  /** Makes a disk from image bytes (copied). Throws LoaderError for an empty or huge image. */
  static fromImage(image: Uint8Array, options: DiskOptions = {}): Disk {
    if (image.length === 0) throw new LoaderError("the disk image is empty");
    if (image.length > MAX_DISK_BYTES) {
      throw new LoaderError(`the disk image (${image.length} bytes) is larger than 2 GiB`);
    }
    const format = FLOPPY_FORMATS.find((f) => f.bytes === image.length);
    const type = options.type ?? (format ? "floppy" : "hdd");
    if (type === "floppy") {
      // A forced floppy that is no standard size gets the smallest format that holds it.
      const f = format ?? FLOPPY_FORMATS.find((f) => f.bytes >= image.length);
      if (!f) {
        throw new LoaderError(
          `the image (${image.length} bytes) is larger than any floppy (2.88 MB); ` +
            `use --drive-type hdd`,
        );
      }
      const data = new Uint8Array(f.bytes);
      data.set(image);
      return new Disk(data, "floppy", {
        cylinders: f.cylinders,
        heads: f.heads,
        sectors: f.sectors,
      }, f.driveType);
    }
    const sectors = Math.ceil(image.length / SECTOR_SIZE);
    const cylinders = Math.min(
      HDD_MAX_CYLINDERS,
      Math.max(1, Math.ceil(sectors / (HDD_HEADS * HDD_SECTORS))),
    );
    const data = new Uint8Array(sectors * SECTOR_SIZE);
    data.set(image);
    return new Disk(data, "hdd", { cylinders, heads: HDD_HEADS, sectors: HDD_SECTORS }, 0);
  }

  /** Number of sectors on the disk. */
  get sectorCount(): number {
    return this.data.length / SECTOR_SIZE;
  }

  /** The LBA of a CHS address (sector from 1), or -1 when it is outside the geometry. */
  chsToLba(cylinder: number, head: number, sector: number): number {
    const g = this.geometry;
    if (cylinder < 0 || cylinder >= g.cylinders || head < 0 || head >= g.heads) return -1;
    if (sector < 1 || sector > g.sectors) return -1;
    return (cylinder * g.heads + head) * g.sectors + sector - 1;
  }

  /** True when `count` sectors from `lba` are all on the disk. */
  has(lba: number, count = 1): boolean {
    return Number.isSafeInteger(lba) && Number.isSafeInteger(count) && lba >= 0 && count >= 0 &&
      lba + count <= this.sectorCount;
  }

  /** A view of sector `lba` (throws RangeError outside the disk). */
  sector(lba: number): Uint8Array {
    if (!this.has(lba)) throw new RangeError(`sector ${lba} is outside the disk`);
    return this.data.subarray(lba * SECTOR_SIZE, (lba + 1) * SECTOR_SIZE);
  }
}
