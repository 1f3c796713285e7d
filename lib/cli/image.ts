/**
 * Reading the image file with one-line errors for the usual mistakes.
 *
 * @module
 */

import { LoaderError } from "../loader/entry.ts";
import { MAX_MEMORY } from "../machine/limits.ts";
import type { BootModule } from "../loader/bootinfo.ts";
import type { ModuleArg } from "./args.ts";

/**
 * Reads `--initrd` and each `--module` (in that order) as kernel modules; a
 * module's command line is the text after its comma, else its file name.
 */
export async function readModules(
  initrd: string | undefined,
  modules: readonly ModuleArg[],
): Promise<BootModule[]> {
  const all = [...(initrd === undefined ? [] : [{ path: initrd, cmdline: undefined }]), ...modules];
  const loaded: BootModule[] = [];
  for (const m of all) {
    loaded.push({ data: await readImage(m.path, "module"), cmdline: m.cmdline ?? m.path });
  }
  return loaded;
}

/** Reads an image file; every failure is a LoaderError with a one-line message. */
export async function readImage(path: string, what = "image"): Promise<Uint8Array> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw new LoaderError(`cannot read ${what} '${path}': ${reason(e)}`);
  }
  if (info.isDirectory) throw new LoaderError(`${what} '${path}' is a directory`);
  if (!info.isFile) throw new LoaderError(`${what} '${path}' is not a regular file`);
  if (info.size === 0 && what === "image") throw new LoaderError(`image '${path}' is empty`);
  if (info.size > MAX_MEMORY) {
    throw new LoaderError(`${what} '${path}' (${info.size} bytes) is larger than any guest RAM`);
  }
  try {
    return await Deno.readFile(path);
  } catch (e) {
    throw new LoaderError(`cannot read ${what} '${path}': ${reason(e)}`);
  }
}

/** The first `length` bytes of an image file (fewer if it is shorter), for telling its format. */
export async function readImageHead(path: string, length = 512): Promise<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    throw new LoaderError(`cannot read image '${path}': ${reason(e)}`);
  }
  try {
    const head = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = await file.read(head.subarray(got));
      if (n === null) break;
      got += n;
    }
    return head.subarray(0, got);
  } catch (e) {
    throw new LoaderError(`cannot read image '${path}': ${reason(e)}`);
  } finally {
    file.close();
  }
}

function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "it is a directory";
  return e instanceof Error ? e.message.replace(/\s*\(os error \d+\).*$/, "") : String(e);
}
