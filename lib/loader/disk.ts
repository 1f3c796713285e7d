/**
 * A disk as the BIOS sees it: a floppy or a hard disk with a CHS geometry,
 * read and written in 512-byte sectors. The contents come from a store (the
 * caller's bytes, or an image file read on demand, so a large sparse image
 * costs nothing until the guest reads it). Guest writes go to an overlay in
 * memory by default, and the store is never changed; a writable disk writes
 * them through to its store instead.
 *
 * @example
 * ```ts
 * import { Disk } from "./disk.ts";
 * const disk = Disk.fromImage(new Uint8Array(1474560)); // a 1.44 MB floppy
 * console.log(disk.type, disk.geometry); // "floppy" { cylinders: 80, heads: 2, sectors: 18 }
 * console.log(disk.chsToLba(0, 1, 1)); // 18
 * disk.write(18, new Uint8Array(512).fill(7)); // into the overlay: the bytes stay zero
 * console.log(disk.sector(18)[0]); // 7
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
/**
 * Largest disk: EDD addresses 64-bit LBAs, and picovmm counts bytes in
 * JavaScript numbers, exact up to 2^53 (8 PiB); no image file comes near it.
 */
export const MAX_DISK_BYTES = Number.MAX_SAFE_INTEGER - (Number.MAX_SAFE_INTEGER % SECTOR_SIZE);

/** Where a disk's contents live. Offsets and lengths are checked by the disk. */
export interface DiskStore {
  /** Bytes in the store (the disk may be longer: the rest reads as zeros). */
  readonly size: number;
  /** Fills `into` from `offset`; bytes past the end of the store read as zeros. */
  read(offset: number, into: Uint8Array): void;
  /** Writes `data` at `offset` (only called for a writable disk). */
  write(offset: number, data: Uint8Array): void;
  /** Releases the store (closes a file). */
  close(): void;
}

/** A store over bytes in memory (the caller's array: it is read, and written when writable). */
export class BytesStore implements DiskStore {
  constructor(readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.length;
  }
  read(offset: number, into: Uint8Array): void {
    const end = Math.min(offset + into.length, this.bytes.length);
    const n = Math.max(0, end - offset);
    if (n > 0) into.set(this.bytes.subarray(offset, end));
    into.fill(0, n);
  }
  write(offset: number, data: Uint8Array): void {
    // A write past the end of the caller's array is kept only as far as the array goes.
    const n = Math.max(0, Math.min(data.length, this.bytes.length - offset));
    this.bytes.set(data.subarray(0, n), offset);
  }
  close(): void {}
}

/** Options for making a {@link Disk}. */
export interface DiskOptions {
  /** Force the drive type; by default floppy sizes are floppies, the rest hard disks. */
  type?: DriveType;
  /**
   * Write guest writes through to the store (the caller's bytes, or the
   * image file). Default false: they stay in an overlay in memory.
   */
  writable?: boolean;
}

/** One drive's contents and geometry. */
export class Disk {
  /** Bytes per sector. */
  readonly sectorSize: number = SECTOR_SIZE;
  /** Sectors the guest wrote, by LBA, when writes do not go through to the store. */
  readonly #overlay = new Map<number, Uint8Array>();

  private constructor(
    readonly store: DiskStore,
    readonly type: DriveType,
    readonly geometry: Geometry,
    /** INT 13h AH=08h drive type for floppies (0 for hard disks). */
    readonly floppyType: number,
    /** Number of sectors on the disk. */
    readonly sectorCount: number,
    /** Whether guest writes reach the store. */
    readonly writable: boolean,
  ) {}

  /**
   * Makes a disk from image bytes (read where they are, not copied; written
   * only when `writable`). Throws LoaderError for an empty or unusable image.
   */
  static fromImage(image: Uint8Array, options: DiskOptions = {}): Disk {
    return Disk.fromStore(new BytesStore(image), options, "the disk image");
  }

  /**
   * Makes a disk over a store; `what` names it in errors ("image 'x.img'").
   * Floppy-sized stores are floppies unless `options.type` says otherwise.
   */
  static fromStore(store: DiskStore, options: DiskOptions = {}, what = "the disk image"): Disk {
    const size = store.size;
    if (size === 0) throw new LoaderError(`${what} is empty`);
    if (size > MAX_DISK_BYTES) {
      throw new LoaderError(`${what} (${size} bytes) is larger than a disk can be`);
    }
    const writable = options.writable ?? false;
    const format = FLOPPY_FORMATS.find((f) => f.bytes === size);
    const type = options.type ?? (format ? "floppy" : "hdd");
    if (type === "floppy") {
      // A forced floppy that is no standard size gets the smallest format that holds it.
      const f = format ?? FLOPPY_FORMATS.find((f) => f.bytes >= size);
      if (!f) {
        throw new LoaderError(
          `${what} (${size} bytes) is larger than any floppy (2.88 MB); use a hard disk`,
        );
      }
      const geometry = { cylinders: f.cylinders, heads: f.heads, sectors: f.sectors };
      return new Disk(store, "floppy", geometry, f.driveType, f.bytes / SECTOR_SIZE, writable);
    }
    const sectors = Math.ceil(size / SECTOR_SIZE);
    const cylinders = Math.min(
      HDD_MAX_CYLINDERS,
      Math.max(1, Math.ceil(sectors / (HDD_HEADS * HDD_SECTORS))),
    );
    const geometry = { cylinders, heads: HDD_HEADS, sectors: HDD_SECTORS };
    return new Disk(store, "hdd", geometry, 0, sectors, writable);
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

  /**
   * Reads whole sectors from `lba` into `into` (a multiple of 512 bytes);
   * throws RangeError when they are not all on the disk.
   */
  read(lba: number, into: Uint8Array): void {
    const count = this.#count(lba, into);
    this.store.read(lba * SECTOR_SIZE, into);
    if (this.#overlay.size === 0) return;
    for (let i = 0; i < count; i++) {
      const written = this.#overlay.get(lba + i);
      if (written) into.set(written, i * SECTOR_SIZE);
    }
  }

  /** A copy of sector `lba` (throws RangeError outside the disk). */
  sector(lba: number): Uint8Array {
    const s = new Uint8Array(SECTOR_SIZE);
    this.read(lba, s);
    return s;
  }

  /**
   * Writes whole sectors from `lba` (`data` a multiple of 512 bytes): to the
   * store when writable, else to the overlay. Throws RangeError off the disk.
   */
  write(lba: number, data: Uint8Array): void {
    const count = this.#count(lba, data);
    if (this.writable) {
      this.store.write(lba * SECTOR_SIZE, data);
      return;
    }
    for (let i = 0; i < count; i++) {
      this.#overlay.set(lba + i, data.slice(i * SECTOR_SIZE, (i + 1) * SECTOR_SIZE));
    }
  }

  /** Sectors held in the overlay (written by the guest, not in the store). */
  get overlaySectors(): number {
    return this.#overlay.size;
  }

  /** Releases the store (an image file is closed). */
  close(): void {
    this.store.close();
  }

  #count(lba: number, buffer: Uint8Array): number {
    const count = buffer.length / SECTOR_SIZE;
    if (!Number.isInteger(count) || !this.has(lba, count)) {
      throw new RangeError(`sectors ${lba}+${buffer.length}/512 are not on the disk`);
    }
    return count;
  }
}
