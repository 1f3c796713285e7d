/**
 * PNG screenshots: encode an RGBA image (from raster.ts) and write it so that a reader never
 * sees a half-written file.
 *
 * @example
 * ```ts
 * import { renderText } from "./raster.ts";
 * import { writePngAtomically } from "./png.ts";
 * const screen = { rows: 1, columns: 1, cell: () => ({ char: 0x41, attr: 0x07 }) };
 * await writePngAtomically("screen.png", renderText(screen));
 * ```
 *
 * @module
 */

// The full specifier, not an import-map name: a script that imports mod.ts from its own folder
// has no access to picovmm's deno.json.
// deno-lint-ignore no-import-prefix
import { encode } from "npm:fast-png@8.0.0";
import type { RgbaImage } from "./raster.ts";

/**
 * The image as a PNG file (8-bit RGBA, no interlace). Throws a `RangeError` when `rgba` does not
 * hold `width * height` pixels.
 */
export function encodePng(image: RgbaImage): Uint8Array {
  const { width, height, rgba } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`bad image size ${width}x${height}`);
  }
  if (rgba.length !== width * height * 4) {
    throw new RangeError(
      `${width}x${height} RGBA needs ${width * height * 4} bytes, got ${rgba.length}`,
    );
  }
  return encode({ width, height, data: rgba, channels: 4, depth: 8 });
}

/** The directory part of a path ("." for a bare name). */
function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}

/**
 * Writes the image as a PNG to `path`: first to a temporary name in the same directory, flushed
 * to disk, then renamed over `path`. A rename within one directory is atomic, so `path` holds
 * either its old contents or the whole new file, never part of it; on failure the temporary file
 * is removed and the error rethrown.
 */
export async function writePngAtomically(path: string, image: RgbaImage): Promise<void> {
  const png = encodePng(image);
  const base = path.slice(path.lastIndexOf("/") + 1);
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  const temp = `${dirname(path)}/.${base}.${Deno.pid}.${random}.tmp`;
  try {
    const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o644 });
    try {
      let written = 0;
      while (written < png.length) written += await file.write(png.subarray(written));
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
