/**
 * The VGA's current picture as an RGBA image, whatever the mode: text through
 * the VGA font with the adapter's colours, cursor and blink setting; mode 13h
 * and CGA mode 4 through the DAC. A kernel's linear framebuffer, where there
 * is one, is the screen instead. Used by screenshots and the live display.
 *
 * @module
 */

import type { Vga } from "../devices/vga.ts";
import type { LinearFramebuffer } from "../devices/framebuffer.ts";
import type { Rgb } from "./palette.ts";
import {
  cgaToIndexed,
  indexedToRgba,
  renderText,
  type RgbaImage,
  type TextRenderOptions,
} from "./raster.ts";

/** The 16 text colours as the attribute palette and the DAC give them now. */
export function textColours(vga: Vga): Rgb[] {
  const r = vga.registers;
  return Array.from({ length: 16 }, (_, i) => r.paletteRgb(r.attributeColor(i)));
}

/** A graphics-mode frame through the palette, or undefined in text modes. */
export function graphicsFrame(vga: Vga): RgbaImage | undefined {
  const r = vga.registers;
  if (vga.modeInfo.kind === "vga256") {
    const rgb = Uint8Array.from({ length: 768 }, (_, i) => r.paletteRgb((i / 3) | 0)[i % 3]);
    return indexedToRgba(vga.graphics, 320, 200, { rgb, bits: 8 });
  }
  if (vga.modeInfo.kind === "cga4") {
    const rgb = Uint8Array.from(
      vga.cgaColours().flatMap((c) => r.paletteRgb(r.attributeColor(c))),
    );
    return indexedToRgba(cgaToIndexed(vga.vram), 320, 200, { rgb, bits: 8 });
  }
  return undefined;
}

/** Text-mode render options from the registers: colours, blink, line graphics, cursor. */
export function textOptions(vga: Vga): TextRenderOptions {
  const modeControl = vga.registers.state.attr[0x10];
  const { start, end } = vga.registers.cursor;
  return {
    colours: textColours(vga),
    blink: (modeControl & 0x08) !== 0,
    lineGraphics: (modeControl & 0x04) !== 0,
    cursor: { ...vga.cursor, start, end },
  };
}

/**
 * The picture on the screen now, in any supported mode: the kernel's linear
 * framebuffer when `framebuffer` is given, else the VGA's.
 */
export function screenImage(vga: Vga, framebuffer?: LinearFramebuffer): RgbaImage {
  if (framebuffer) return framebuffer.toRgba();
  const frame = graphicsFrame(vga);
  if (frame) return frame;
  const text = renderText(vga, textOptions(vga));
  // 40-column modes show their characters twice as wide, on the same 720x400 screen.
  return vga.columns === 40 ? doubleWidth(text) : text;
}

/** The image with every pixel repeated across. */
function doubleWidth(image: RgbaImage): RgbaImage {
  const { width, height, rgba } = image;
  const wide = new Uint8Array(width * 2 * height * 4);
  const src = new Uint32Array(rgba.buffer, rgba.byteOffset, width * height);
  const dst = new Uint32Array(wide.buffer);
  for (let i = 0; i < src.length; i++) {
    dst[i * 2] = src[i];
    dst[i * 2 + 1] = src[i];
  }
  return { width: width * 2, height, rgba: wide };
}
