/**
 * A linear framebuffer for kernel boots: guest memory at a fixed address
 * above RAM (lib/loader/framebuffer.ts), mapped like RAM so that the
 * guest's pixel stores cost no exits on KVM, and read by the renderers for
 * screenshots and the live display. Pixels are XRGB8888: one little-endian
 * u32 each, red in bits 16-23, green 8-15, blue 0-7, bits 24-31 ignored.
 *
 * @example
 * ```ts
 * import { LinearFramebuffer } from "./framebuffer.ts";
 * const mode = { address: 0xfd000000, width: 2, height: 1, pitch: 8, bpp: 32 } as const;
 * const fb = new LinearFramebuffer(mode, new Uint8Array(4096));
 * new Uint32Array(fb.bytes.buffer)[1] = 0x00ff8000; // pixel (1, 0): orange
 * console.log(fb.toRgba().rgba); // [0, 0, 0, 255, 255, 128, 0, 255]
 * ```
 *
 * @module
 */

import { framebufferBytes, type LinearFramebufferMode } from "../loader/framebuffer.ts";
import type { RgbaImage } from "../display/raster.ts";

/** A kernel's linear framebuffer: its mode and the guest memory that holds its pixels. */
export class LinearFramebuffer {
  /** The pixels as u32s (the bytes' own buffer when 4-aligned, else a copy per frame). */
  readonly #words: Uint32Array | undefined;

  /**
   * Wraps guest memory `bytes` (at least the mode's `pitch * height` bytes,
   * the mapping from `mode.address`) as the framebuffer of `mode`.
   */
  constructor(readonly mode: LinearFramebufferMode, readonly bytes: Uint8Array) {
    const size = framebufferBytes(mode);
    if (bytes.length < size) {
      throw new RangeError(`a ${mode.width}x${mode.height} framebuffer needs ${size} bytes`);
    }
    if (bytes.byteOffset % 4 === 0) {
      this.#words = new Uint32Array(bytes.buffer, bytes.byteOffset, size / 4);
    }
  }

  /**
   * The picture as RGBA bytes, in one pass over the pixels as u32s (a
   * little-endian host: XRGB's bytes are B, G, R, X and RGBA's R, G, B, A).
   */
  toRgba(): RgbaImage {
    const { width, height, pitch } = this.mode;
    const src = this.#words ??
      new Uint32Array(this.bytes.slice(0, framebufferBytes(this.mode)).buffer);
    const rgba = new Uint8Array(width * height * 4);
    const dst = new Uint32Array(rgba.buffer);
    const stride = pitch >> 2;
    let out = 0;
    for (let y = 0; y < height; y++) {
      const row = y * stride;
      for (let x = 0; x < width; x++) {
        const p = src[row + x];
        // Swap red and blue, keep green, make alpha opaque.
        dst[out++] = 0xff000000 | ((p & 0xff) << 16) | (p & 0xff00) | ((p >>> 16) & 0xff);
      }
    }
    return { width, height, rgba };
  }
}
