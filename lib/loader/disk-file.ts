/**
 * Disk images in files, read on demand: only the sectors the guest reads are
 * read from the file (synchronously, in the BIOS call), so a 4 GiB sparse
 * image boots in the time and memory of its boot sector. The file is opened
 * read-only unless the disk is writable; then guest writes go straight to it.
 *
 * @example
 * ```ts
 * import { openDiskFile } from "./disk-file.ts";
 * const disk = openDiskFile("guests/boot-disk.bin");
 * console.log(disk.type, disk.sectorCount); // "hdd" 4
 * disk.close();
 * ```
 *
 * @module
 */

import { Disk, type DiskOptions, type DiskStore } from "./disk.ts";
import { LoaderError } from "./entry.ts";

/** A store over an open image file. */
export class FileStore implements DiskStore {
  #size: number;
  #file: Deno.FsFile | undefined;

  constructor(file: Deno.FsFile, size: number, readonly path: string) {
    this.#file = file;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  read(offset: number, into: Uint8Array): void {
    const file = this.#open();
    file.seekSync(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < into.length) {
      const n = file.readSync(into.subarray(done));
      if (n === null || n === 0) break; // the end of the file: the rest reads as zeros
      done += n;
    }
    into.fill(0, done);
  }

  write(offset: number, data: Uint8Array): void {
    const file = this.#open();
    file.seekSync(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < data.length) done += file.writeSync(data.subarray(done));
    this.#size = Math.max(this.#size, offset + data.length);
  }

  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  #open(): Deno.FsFile {
    if (!this.#file) throw new Error(`the disk image '${this.path}' was closed`);
    return this.#file;
  }
}

/** Options for {@link openDiskFile}. */
export interface DiskFileOptions extends DiskOptions {
  /** What the file is called in errors: "image" (the default) or "disk". */
  role?: "image" | "disk";
}

/**
 * Opens an image file as a disk. Every failure is a LoaderError with one
 * line naming the file: missing, unreadable (or, when writable, not
 * writable), a directory, not a regular file, empty, too large.
 */
export function openDiskFile(path: string, options: DiskFileOptions = {}): Disk {
  const role = options.role ?? "image";
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    throw new LoaderError(`cannot read ${role} '${path}': ${reason(e)}`);
  }
  if (info.isDirectory) throw new LoaderError(`${role} '${path}' is a directory`);
  if (!info.isFile) throw new LoaderError(`${role} '${path}' is not a regular file`);
  const writable = options.writable ?? false;
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true, write: writable });
  } catch (e) {
    const verb = writable ? "open for writing" : "read";
    throw new LoaderError(`cannot ${verb} ${role} '${path}': ${reason(e)}`);
  }
  try {
    return Disk.fromStore(new FileStore(file, info.size, path), options, `${role} '${path}'`);
  } catch (e) {
    file.close();
    throw e;
  }
}

/** A file system error in a few words. */
function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "it is a directory";
  return e instanceof Error ? e.message.replace(/\s*\(os error \d+\).*$/, "") : String(e);
}
