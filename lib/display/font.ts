/**
 * Bitmap fonts for the text-mode rasteriser: the IBM VGA 8x16 ROM font by default, the IBM CGA
 * 8x8 font (200-line graphics modes, 80x50 text), and the shape a guest-loaded font (INT 10h
 * AH=11h) would take.
 *
 * @example
 * ```ts
 * import { glyphRow, VGA_FONT_8X16 } from "./font.ts";
 * glyphRow(VGA_FONT_8X16, 0xdb, 0); // 0xff: the full block's top row
 * ```
 *
 * @module
 */

import { CGA_FONT_8X8_HEX, VGA_FONT_8X16_HEX } from "./font-data.ts";

/** An 8-pixel-wide font of 256 glyphs in code page 437 order. */
export interface BitmapFont {
  /** Scan lines per glyph (16 for VGA, 14 for EGA, 8 for CGA). */
  readonly height: number;
  /** `256 * height` bytes: glyph `c`, row `r` at `c * height + r`; bit 7 is the leftmost pixel. */
  readonly glyphs: Uint8Array;
}

/**
 * A font from one hex string per glyph (two digits a row, top row first).
 * Throws a `RangeError` when there are not 256 glyphs of `height` rows.
 */
export function fontFromHex(rows: readonly string[], height: number): BitmapFont {
  if (rows.length !== 256) throw new RangeError(`a font needs 256 glyphs, got ${rows.length}`);
  const bad = (code: number) =>
    new RangeError(`glyph 0x${code.toString(16)}: expected ${height * 2} hex digits`);
  for (let code = 0; code < 256; code++) if (rows[code].length !== height * 2) throw bad(code);
  // Every bios boot decodes both fonts for its ROM: one native decode keeps that off start-up.
  try {
    return { height, glyphs: Uint8Array.fromHex(rows.join("")) };
  } catch {
    throw bad(rows.findIndex((hex) => !/^[0-9a-f]*$/i.test(hex)));
  }
}

/** The IBM VGA 8x16 ROM font (see font-data.ts for its source and licence). */
export const VGA_FONT_8X16: BitmapFont = fontFromHex(VGA_FONT_8X16_HEX, 16);

/** The IBM CGA 8x8 ROM font, for text in 200-line modes (see font-data.ts for its source). */
export const CGA_FONT_8X8: BitmapFont = fontFromHex(CGA_FONT_8X8_HEX, 8);

/** One row of a glyph as 8 bits (bit 7 leftmost); rows past the glyph's height are blank. */
export function glyphRow(font: BitmapFont, code: number, row: number): number {
  if (row < 0 || row >= font.height) return 0;
  return font.glyphs[(code & 0xff) * font.height + row];
}
