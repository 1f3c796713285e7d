/**
 * ANSI terminal renderers for the live display: each frame is written as the difference from
 * the one before, so a mostly unchanged screen costs a few bytes.
 *
 * - {@link AnsiTextRenderer}: a text screen with cursor moves and SGR colours, code page 437
 *   shown as Unicode, the guest's cursor as the terminal's cursor.
 * - {@link HalfBlockRenderer}: a graphics frame (an RGBA image, e.g. mode 13h's 320x200) scaled
 *   into the terminal with "▀" cells, two pixels a cell.
 *
 * @example
 * ```ts
 * import { AnsiTextRenderer } from "./ansi.ts";
 * const screen = { rows: 1, columns: 2, cell: () => ({ char: 0x41, attr: 0x1e }) };
 * const renderer = new AnsiTextRenderer("ansi16");
 * renderer.render(screen, { columns: 80, rows: 24 }); // clears, then "AA" in yellow on blue
 * renderer.render(screen, { columns: 80, rows: 24 }); // "": nothing changed
 * ```
 *
 * @module
 */

import { CP437 } from "./cp437.ts";
import type { RgbaImage, TextCursor, TextScreen } from "./raster.ts";
import { type Rgb, TEXT_COLOURS } from "./palette.ts";

/** How colours are written: exact 24-bit RGB, or the terminal's own 16 ANSI colours. */
export type ColourMode = "truecolor" | "ansi16";

/** A terminal size in character cells. */
export interface TerminalSize {
  /** Character cells a row. */
  columns: number;
  /** Rows of cells. */
  rows: number;
}

/** VGA colour index (IRGB) to the ANSI colour number (BGR order). */
const ANSI_ORDER = [0, 4, 2, 6, 1, 5, 3, 7];

/** The escape sequence that moves the terminal cursor to a zero-based row and column. */
export function moveTo(row: number, column: number): string {
  return `\x1b[${row + 1};${column + 1}H`;
}

/** SGR parameters that select a VGA colour index as foreground or background. */
function indexColour(index: number, background: boolean, mode: ColourMode): string {
  if (mode === "ansi16") {
    const base = background ? (index & 8 ? 100 : 40) : (index & 8 ? 90 : 30);
    return String(base + ANSI_ORDER[index & 7]);
  }
  return rgbColour(TEXT_COLOURS[index & 15], background);
}

/** SGR parameters for an exact colour. */
function rgbColour([r, g, b]: Rgb, background: boolean): string {
  return `${background ? 48 : 38};2;${r};${g};${b}`;
}

/** Options for one text frame. */
export interface TextFrameOptions {
  /** The guest's cursor; shown as the terminal's cursor when visible. */
  cursor?: TextCursor;
  /**
   * Attribute bit 7 is blink (default true): backgrounds have 8 colours and such cells get SGR
   * 5 (blink). When false, bit 7 selects the bright backgrounds.
   */
  blink?: boolean;
}

/**
 * Renders text screens as ANSI output, each frame as the difference from the previous one. It
 * assumes it owns the terminal: call {@link invalidate} when something else may have drawn (a
 * resize, another renderer) and the next frame redraws everything.
 */
export class AnsiTextRenderer {
  /** Last drawn cell per position (`char | attr << 8 | blink << 16`), -1 when unknown. */
  #cells = new Int32Array(0);
  #columns = 0;
  #rows = 0;
  #full = true;
  /** The cursor as last shown: "row,column,shape" or "" when hidden. */
  #cursor = "";

  /** A renderer writing colours as `colours` says. */
  constructor(readonly colours: ColourMode = "truecolor") {}

  /** Forgets what the terminal shows, so the next frame is drawn whole. */
  invalidate(): void {
    this.#full = true;
  }

  /** Forgets where the cursor is shown, so the next frame places it again. */
  invalidateCursor(): void {
    this.#cursor = "?";
  }

  /**
   * The output that brings the terminal to `screen`, clipped to `size`; "" when nothing
   * changed. The terminal cursor is left hidden unless the guest's cursor is visible.
   */
  render(screen: TextScreen, size: TerminalSize, options: TextFrameOptions = {}): string {
    const blink = options.blink ?? true;
    const columns = Math.min(screen.columns, size.columns);
    const rows = Math.min(screen.rows, size.rows);
    let out = "";
    if (this.#full || columns !== this.#columns || rows !== this.#rows) {
      this.#cells = new Int32Array(columns * rows).fill(-1);
      this.#columns = columns;
      this.#rows = rows;
      this.#cursor = "";
      out += "\x1b[0m\x1b[2J";
      this.#full = false;
    }
    // A terminal shorter than the screen shows the top rows, or scrolls down to the cursor.
    const c = options.cursor;
    // As on the VGA, a start line below the end line shows no cursor.
    const cursorOn = c !== undefined && (c.visible ?? true) && (c.start ?? 13) <= (c.end ?? 14);
    const top = cursorOn && c.row >= rows && c.row < screen.rows ? c.row - rows + 1 : 0;
    let sgr = -1; // the attribute the terminal's SGR state is set for, -1 unknown
    let atRow = -1;
    let atColumn = -1;
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        const { char, attr } = screen.cell(row + top, column);
        const key = (char & 0xff) | (attr & 0xff) << 8 | (blink ? 1 << 16 : 0);
        const at = row * columns + column;
        if (this.#cells[at] === key) continue;
        this.#cells[at] = key;
        if (atRow !== row || atColumn !== column) out += moveTo(row, column);
        if (sgr !== (key >> 8)) {
          const fg = indexColour(attr & 15, false, this.colours);
          const bg = indexColour(blink ? (attr >> 4) & 7 : (attr >> 4) & 15, true, this.colours);
          out += `\x1b[0;${blink && attr & 0x80 ? "5;" : ""}${fg};${bg}m`;
          sgr = key >> 8;
        }
        out += CP437[char & 0xff];
        atRow = row;
        atColumn = column + 1;
      }
    }
    const cursorRow = cursorOn ? c.row - top : -1;
    const shown = cursorOn && cursorRow >= 0 && cursorRow < rows && c.column >= 0 &&
        c.column < columns
      ? `${cursorRow},${c.column},${cursorShape(c)}`
      : "";
    if (out === "" && shown === this.#cursor) return "";
    // Hide the cursor while drawing so it does not flicker across the screen.
    out = "\x1b[?25l" + out;
    if (shown && c) out += `${moveTo(cursorRow, c.column)}\x1b[${cursorShape(c)} q\x1b[?25h`;
    this.#cursor = shown;
    return out;
  }
}

/**
 * The DECSCUSR shape closest to the guest's cursor, blinking as the VGA's does: a block when
 * it starts in the upper half of a 16-line cell, else an underline.
 */
function cursorShape(cursor: TextCursor): number {
  return (cursor.start ?? 13) <= 7 ? 1 : 3;
}

/** Options for {@link HalfBlockRenderer.render}. */
export interface ImageFrameOptions {
  /**
   * The width/height ratio the image is shown at (default 4/3, as a 320x200 or 640x400 mode
   * fills a 4:3 monitor). Terminal cells are taken to be twice as tall as wide.
   */
  aspect?: number;
}

/**
 * Renders an RGBA image into the terminal with the upper half block "▀": its foreground is the
 * upper pixel, its background the lower, so an 80x25 terminal shows up to 80x50 pixels. The
 * image is scaled down by averaging, keeps its aspect and is centred. Only changed cells are
 * written.
 */
export class HalfBlockRenderer {
  #cells = new Int32Array(0);
  #key = "";
  #full = true;

  /** A renderer writing colours as `colours` says. */
  constructor(readonly colours: ColourMode = "truecolor") {}

  /** Forgets what the terminal shows, so the next frame is drawn whole. */
  invalidate(): void {
    this.#full = true;
  }

  /** The output that brings the terminal to `image`; "" when nothing changed. */
  render(image: RgbaImage, size: TerminalSize, options: ImageFrameOptions = {}): string {
    const aspect = options.aspect ?? 4 / 3;
    // Target size in half-block pixels, which are about square.
    let height = Math.min(size.rows * 2, image.height);
    let width = Math.round(height * aspect);
    if (width > size.columns) {
      width = size.columns;
      height = Math.min(image.height, Math.round(width / aspect));
    }
    height = Math.max(2, height - (height & 1));
    width = Math.max(1, width);
    const rows = height / 2;
    const left = Math.floor((size.columns - width) / 2);
    const top = Math.floor((size.rows - rows) / 2);
    const key = `${width}x${height}@${left},${top}`;
    let out = "";
    if (this.#full || key !== this.#key) {
      this.#cells = new Int32Array(width * rows * 2).fill(-1);
      this.#key = key;
      out += "\x1b[0m\x1b[2J";
      this.#full = false;
    }
    const pixels = scale(image, width, height);
    let atRow = -1;
    let atColumn = -1;
    let sgr = "";
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < width; column++) {
        const upper = pixels[(row * 2) * width + column];
        const lower = pixels[(row * 2 + 1) * width + column];
        const at = (row * width + column) * 2;
        if (this.#cells[at] === upper && this.#cells[at + 1] === lower) continue;
        this.#cells[at] = upper;
        this.#cells[at + 1] = lower;
        if (atRow !== row || atColumn !== column) out += moveTo(top + row, left + column);
        const colours = `${this.#colour(upper, false)};${this.#colour(lower, true)}`;
        if (colours !== sgr) {
          out += `\x1b[0;${colours}m`;
          sgr = colours;
        }
        out += "▀";
        atRow = row;
        atColumn = column + 1;
      }
    }
    return out === "" ? "" : "\x1b[?25l" + out;
  }

  #colour(rgb: number, background: boolean): string {
    const c: Rgb = [rgb >> 16 & 0xff, rgb >> 8 & 0xff, rgb & 0xff];
    if (this.colours === "truecolor") return rgbColour(c, background);
    return indexColour(nearestTextColour(c), background, "ansi16");
  }
}

/** The text colour index closest to an RGB colour. */
function nearestTextColour([r, g, b]: Rgb): number {
  let best = 0;
  let bestDistance = Infinity;
  TEXT_COLOURS.forEach(([tr, tg, tb], i) => {
    const d = (r - tr) ** 2 + (g - tg) ** 2 + (b - tb) ** 2;
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  });
  return best;
}

/** The image scaled to `width` x `height` by averaging each target pixel's source box, as 0xRRGGBB. */
function scale(image: RgbaImage, width: number, height: number): Int32Array {
  const out = new Int32Array(width * height);
  const sx = image.width / width;
  const sy = image.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y * sy);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x * sx);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx));
      let r = 0, g = 0, b = 0;
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0; xx < x1; xx++) {
          const at = (yy * image.width + xx) * 4;
          r += image.rgba[at];
          g += image.rgba[at + 1];
          b += image.rgba[at + 2];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      out[y * width + x] = Math.round(r / n) << 16 | Math.round(g / n) << 8 | Math.round(b / n);
    }
  }
  return out;
}
