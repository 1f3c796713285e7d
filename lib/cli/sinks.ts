/**
 * Where the CLI sends a guest's byte streams (COM1, the debug console):
 * stdout, or a file the user named. A new or regular file is written under a
 * temporary name and renamed over the target when the run ends, so an old
 * file is never left half replaced. A character device, a FIFO or a socket
 * is written where it is (renaming over `/dev/null` would replace the device
 * with a file); a symlink is followed and its target handled by the same
 * rules. A directory is refused before the guest runs.
 *
 * @module
 */

import { LoaderError } from "../loader/entry.ts";

/** Where one output stream goes. */
export type OutputTarget = { kind: "stdio" } | { kind: "none" } | { kind: "file"; path: string };

/** Something written in chunks (stdout, an open file). */
export interface ByteWriter {
  writeSync(p: Uint8Array): number;
}

/**
 * A byte stream written in chunks: when a chunk is full, on {@link flush}
 * (the CLI calls it periodically, so output streams while the guest runs)
 * and at the end. A write error (a closed pipe) ends the stream: later bytes
 * are dropped and `onError` hears of it once.
 */
export class BufferedSink {
  #pending: number[] = [];
  #broken = false;
  constructor(
    readonly writer: ByteWriter,
    readonly chunk: number,
    readonly onError: (error: Error) => void = () => {},
  ) {}

  /** Takes one byte (a `serialSinks`/`debugconSinks` entry). */
  write = (byte: number): void => {
    if (this.#broken) return;
    this.#pending.push(byte);
    if (this.#pending.length >= this.chunk) this.flush();
  };

  /** Writes what is pending. */
  flush(): void {
    if (this.#pending.length === 0 || this.#broken) return;
    const bytes = new Uint8Array(this.#pending);
    this.#pending = [];
    try {
      let done = 0;
      while (done < bytes.length) done += this.writer.writeSync(bytes.subarray(done));
    } catch (e) {
      this.#broken = true;
      this.onError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Flushes and releases the target. */
  finish(): void {
    this.flush();
  }

  /** Releases the target after a failed run (what was written stays). */
  abandon(): void {}
}

/** Output to a file, device or FIFO (see the module comment for which is written how). */
export class FileSink extends BufferedSink {
  readonly #file: Deno.FsFile;
  /** The temporary name renamed over `#target` at the end; undefined when written in place. */
  readonly #temp: string | undefined;
  readonly #target: string;

  private constructor(
    file: Deno.FsFile,
    target: string,
    temp: string | undefined,
    onError: ((error: Error) => void) | undefined,
  ) {
    super(file, 65536, onError);
    this.#file = file;
    this.#target = target;
    this.#temp = temp;
  }

  /**
   * Opens `path` for writing. Throws LoaderError (status 2) for a directory
   * or a path that cannot be written. Opening a FIFO waits for its reader.
   */
  static open(path: string, what: string, onError?: (error: Error) => void): FileSink {
    try {
      const target = resolveTarget(path);
      const info = statOrUndefined(target);
      if (info?.isDirectory) throw new Error("it is a directory");
      if (info && !info.isFile) {
        // A device, FIFO or socket: written in place, never created, truncated or renamed.
        return new FileSink(Deno.openSync(target, { write: true }), target, undefined, onError);
      }
      const temp = `${target}.partial-${Deno.pid}`;
      const file = Deno.openSync(temp, { write: true, create: true, truncate: true });
      return new FileSink(file, target, temp, onError);
    } catch (e) {
      const reason = e instanceof Error ? e.message.replace(/\s*\(os error \d+\).*$/, "") : e;
      throw new LoaderError(`cannot write ${what} to '${path}': ${reason}`);
    }
  }

  /** Flushes, closes, and puts a temporary file in place under its name. */
  override finish(): void {
    this.flush();
    this.#file.close();
    if (this.#temp !== undefined) Deno.renameSync(this.#temp, this.#target);
  }

  /** Closes, and removes a temporary file (the target keeps what it had). */
  override abandon(): void {
    this.#file.close();
    if (this.#temp === undefined) return;
    try {
      Deno.removeSync(this.#temp);
    } catch { /* already gone */ }
  }
}

/** The path a symlink chain ends at (the path itself when it is no symlink). */
export function resolveTarget(path: string): string {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(path);
  } catch {
    return path; // does not exist yet
  }
  if (!info.isSymlink) return path;
  try {
    return Deno.realPathSync(path);
  } catch {
    // A dangling link: create its target through it.
    const link = Deno.readLinkSync(path);
    return link.startsWith("/") ? link : `${path.slice(0, path.lastIndexOf("/") + 1)}${link}`;
  }
}

function statOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * Opens where a stream goes, before the guest runs, so a bad path fails
 * first; undefined for `none`. `what` names the stream in errors
 * ("serial output").
 */
export function openSink(
  target: OutputTarget,
  what: string,
  onError: (error: Error) => void,
): BufferedSink | undefined {
  if (target.kind === "none") return undefined;
  if (target.kind === "stdio") return new BufferedSink(Deno.stdout, 4096, onError);
  return FileSink.open(target.path, what, onError);
}
