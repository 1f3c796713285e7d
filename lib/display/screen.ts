/**
 * The VGA's current picture as an RGBA image, whatever the mode: text through
 * the VGA font with the adapter's colours, cursor and blink setting; mode 13h
 * and CGA mode 4 through the DAC. Used by screenshots and the live display.
 *
 * @module
 */

import type { Vga } from "../devices/vga.ts";
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

/** The picture on the screen now, in any supported mode. */
export function screenImage(vga: Vga): RgbaImage {
  return graphicsFrame(vga) ?? renderText(vga, textOptions(vga));
}
