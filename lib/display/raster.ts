/**
 * Rasterises the guest's display into RGBA pixels: a text screen drawn with a bitmap font, or an
 * indexed-colour frame (mode 13h, CGA mode 4) through a palette. The result feeds PNG
 * screenshots and the terminal's graphics fallback.
 *
 * Text is drawn at the VGA's own text resolution by default: 9-pixel cells, so 80x25 gives
 * 720x400. The ninth column is background, except for the line-drawing characters 0xC0-0xDF,
 * whose eighth column is repeated so that horizontal lines and blocks join up (the attribute
 * controller's line graphics rule). `cellWidth: 8` gives the 640x400 of an 8-dot clock.
 *
 * @example
 * ```ts
 * import { renderText } from "./raster.ts";
 * const screen = { rows: 1, columns: 2, cell: () => ({ char: 0x41, attr: 0x1f }) };
 * const image = renderText(screen); // 18x16, white "AA" on blue
 * ```
 *
 * @module
 */

import { type BitmapFont, glyphRow, VGA_FONT_8X16 } from "./font.ts";
import { dacToRgb8, type Palette, type Rgb, TEXT_COLOURS } from "./palette.ts";

/** An RGBA image: 4 bytes a pixel, rows top to bottom. */
export interface RgbaImage {
  /** Pixels a row. */
  readonly width: number;
  /** Rows. */
  readonly height: number;
  /** `width * height * 4` bytes: red, green, blue, alpha. */
  readonly rgba: Uint8Array;
}

/** One text cell: a code page 437 byte and its attribute (IRGB foreground, background above). */
export interface TextCell {
  /** The code page 437 byte. */
  char: number;
  /** Bits 0-3 foreground, 4-6 background, 7 blink or bright background. */
  attr: number;
}

/** What the renderers need of a text screen (lib/devices/vga-text.ts `VgaText` is one). */
export interface TextScreen {
  /** Rows of text (25 in mode 3). */
  readonly rows: number;
  /** Columns of text (80 in mode 3). */
  readonly columns: number;
  /** The cell at a zero-based row and column. */
  cell(row: number, column: number): TextCell;
}

/** The hardware cursor: a run of scan lines in the foreground colour of its cell. */
export interface TextCursor {
  /** Zero-based row. */
  row: number;
  /** Zero-based column. */
  column: number;
  /** Hidden when false (CRTC cursor start register bit 5). Default true. */
  visible?: boolean;
  /**
   * First scan line (CRTC cursor start, bits 0-4). Default: the BIOS's underline cursor, lines
   * 13-14 of a 16-line cell, 11-12 of 14, 6-7 of 8.
   */
  start?: number;
  /** Last scan line (CRTC cursor end, bits 0-4). Default: see `start`. */
  end?: number;
}

/** Options for {@link renderText}. */
export interface TextRenderOptions {
  /** 9 (default): 720x400 for 80x25, as the VGA shows it; 8: 640x400. */
  cellWidth?: 8 | 9;
  /** The font; default the IBM VGA 8x16 ROM font. */
  font?: BitmapFont;
  /** Repeat column 8 into column 9 for 0xC0-0xDF (only with 9-pixel cells). Default true. */
  lineGraphics?: boolean;
  /**
   * Attribute bit 7 means blink (default true, the BIOS's setting): the background has only
   * 8 colours and blinking characters vanish in the off phase. When false, bit 7 selects the
   * bright backgrounds 8-15 and nothing blinks.
   */
  blink?: boolean;
  /** Draw the off phase of blinking: blinking characters and the cursor are not shown. */
  blinkOff?: boolean;
  /** The cursor, if any. */
  cursor?: TextCursor;
  /** The 16 colours; default {@link TEXT_COLOURS}. */
  colours?: readonly Rgb[];
}

/** Draws a text screen into an RGBA image. */
export function renderText(screen: TextScreen, options: TextRenderOptions = {}): RgbaImage {
  const cellWidth = options.cellWidth ?? 9;
  const font = options.font ?? VGA_FONT_8X16;
  const lineGraphics = options.lineGraphics ?? true;
  const blink = options.blink ?? true;
  const blinkOff = options.blinkOff ?? false;
  const colours = options.colours ?? TEXT_COLOURS;
  const cellHeight = font.height;
  const width = screen.columns * cellWidth;
  const height = screen.rows * cellHeight;
  const rgba = new Uint8Array(width * height * 4);

  const cursor = options.cursor;
  const showCursor = cursor !== undefined && (cursor.visible ?? true) && !blinkOff &&
    cursor.row >= 0 && cursor.row < screen.rows && cursor.column >= 0 &&
    cursor.column < screen.columns;
  // The BIOS leaves a blank line under the cursor in cells taller than 8 lines.
  const underlineEnd = cellHeight > 8 ? cellHeight - 2 : cellHeight - 1;
  const cursorStart = cursor?.start ?? Math.max(0, underlineEnd - 1);
  const cursorEnd = cursor?.end ?? Math.max(0, underlineEnd);

  for (let row = 0; row < screen.rows; row++) {
    for (let col = 0; col < screen.columns; col++) {
      const { char, attr } = screen.cell(row, col);
      const fg = colours[attr & 15];
      const bg = colours[blink ? (attr >> 4) & 7 : (attr >> 4) & 15];
      const hidden = blink && blinkOff && (attr & 0x80) !== 0;
      const ninth = cellWidth === 9 && lineGraphics && char >= 0xc0 && char <= 0xdf;
      const hasCursor = showCursor && cursor.row === row && cursor.column === col;
      for (let y = 0; y < cellHeight; y++) {
        const bits = hidden ? 0 : glyphRow(font, char, y);
        // Nine bits, leftmost pixel in bit 8: the glyph, then the ninth column.
        let wide = bits << 1;
        if (ninth) wide |= bits & 1;
        // The cursor covers the whole cell width on its scan lines; start > end shows none.
        if (hasCursor && y >= cursorStart && y <= cursorEnd) wide = 0x1ff;
        let at = ((row * cellHeight + y) * width + col * cellWidth) * 4;
        for (let x = 0; x < cellWidth; x++) {
          const c = wide & (0x100 >> x) ? fg : bg;
          rgba[at] = c[0];
          rgba[at + 1] = c[1];
          rgba[at + 2] = c[2];
          rgba[at + 3] = 255;
          at += 4;
        }
      }
    }
  }
  return { width, height, rgba };
}

/**
 * Colours an indexed frame: each byte of `pixels` is a palette index (mode 13h: 320x200, one
 * byte a pixel). Indexes past the palette's end are black. Throws a `RangeError` when `pixels`
 * is shorter than `width * height`.
 */
export function indexedToRgba(
  pixels: Uint8Array,
  width: number,
  height: number,
  palette: Palette,
): RgbaImage {
  const count = width * height;
  if (pixels.length < count) {
    throw new RangeError(`${width}x${height} needs ${count} pixels, got ${pixels.length}`);
  }
  // Convert the palette once, not per pixel.
  const entries = Math.floor(palette.rgb.length / 3);
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < Math.min(entries, 256) * 3; i++) {
    lut[i] = palette.bits === 6 ? dacToRgb8(palette.rgb[i]) : palette.rgb[i];
  }
  const rgba = new Uint8Array(count * 4);
  for (let i = 0; i < count; i++) {
    const p = pixels[i] * 3;
    rgba[i * 4] = lut[p];
    rgba[i * 4 + 1] = lut[p + 1];
    rgba[i * 4 + 2] = lut[p + 2];
    rgba[i * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

/** CGA mode 4/5 geometry: 320x200, 2 bits a pixel. */
export const CGA_WIDTH = 320;
/** CGA mode 4/5 geometry: 320x200, 2 bits a pixel. */
export const CGA_HEIGHT = 200;

/**
 * Unpacks CGA mode 4/5 video memory (from 0xB8000) into one palette index (0-3) a pixel.
 * Even scan lines are at offset 0 and odd ones at 0x2000, 80 bytes a line, four pixels a byte
 * with the leftmost in bits 7-6. Throws a `RangeError` when `vram` is shorter than 0x2000 + 8000.
 */
export function cgaToIndexed(vram: Uint8Array): Uint8Array {
  const bytesPerLine = CGA_WIDTH / 4;
  const need = 0x2000 + bytesPerLine * (CGA_HEIGHT / 2);
  if (vram.length < need) {
    throw new RangeError(`CGA memory needs ${need} bytes, got ${vram.length}`);
  }
  const out = new Uint8Array(CGA_WIDTH * CGA_HEIGHT);
  for (let y = 0; y < CGA_HEIGHT; y++) {
    const line = (y & 1) * 0x2000 + (y >> 1) * bytesPerLine;
    for (let x = 0; x < CGA_WIDTH; x++) {
      const byte = vram[line + (x >> 2)];
      out[y * CGA_WIDTH + x] = (byte >> (6 - (x & 3) * 2)) & 3;
    }
  }
  return out;
}
