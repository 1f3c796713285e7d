/**
 * The live display's serial console: a guest's serial output laid out as a
 * dumb terminal would show it (carriage return, line feed with scrolling,
 * backspace, tab stops every 8 columns), as a {@link TextScreen} the live
 * display's renderer draws like the VGA text screen. Escape sequences are
 * taken out, not interpreted: the console shows text, not a full terminal.
 *
 * @example
 * ```ts
 * import { SerialConsole } from "./serial-console.ts";
 * const console80 = new SerialConsole(80, 25);
 * for (const b of new TextEncoder().encode("login: ")) console80.write(b);
 * console80.cursor; // { row: 0, column: 7 }
 * ```
 *
 * @module
 */

import type { TextCell, TextScreen } from "./raster.ts";

/** Light grey on black, as the VGA shows text by default. */
const ATTR = 0x07;
const BLANK = 0x20;

/** Where an escape sequence being taken out stands. */
type Escape = "none" | "esc" | "csi";

/** Serial output as a scrolling text screen. */
export class SerialConsole implements TextScreen {
  readonly #chars: Uint8Array;
  #row = 0;
  #column = 0;
  #escape: Escape = "none";
  /** Bumped on every change, so a painter can tell whether to draw. */
  version = 0;

  /** An empty console of `columns` x `rows` cells. */
  constructor(readonly columns = 80, readonly rows = 25) {
    this.#chars = new Uint8Array(columns * rows).fill(BLANK);
  }

  /** The cell at (row, column): the byte shown there (CP437) in light grey. */
  cell(row: number, column: number): TextCell {
    return { char: this.#chars[row * this.columns + column], attr: ATTR };
  }

  /** Where the next character goes. */
  get cursor(): { row: number; column: number } {
    return { row: this.#row, column: Math.min(this.#column, this.columns - 1) };
  }

  /** The text of a row, trailing blanks trimmed (for tests and logs). */
  rowText(row: number): string {
    const start = row * this.columns;
    return String.fromCharCode(...this.#chars.subarray(start, start + this.columns)).trimEnd();
  }

  /** Takes one byte of serial output. */
  write(byte: number): void {
    this.version++;
    if (this.#escape !== "none") {
      this.#takeEscape(byte);
      return;
    }
    switch (byte) {
      case 0x0d:
        this.#column = 0;
        return;
      case 0x0a:
        this.#lineFeed();
        return;
      case 0x08:
        if (this.#column > 0) this.#column--;
        return;
      case 0x09:
        this.#column = Math.min(this.columns - 1, (this.#column & ~7) + 8);
        return;
      case 0x1b:
        this.#escape = "esc";
        return;
    }
    if (byte < 0x20 || byte === 0x7f) return; // other control characters show nothing
    if (this.#column >= this.columns) {
      this.#column = 0;
      this.#lineFeed();
    }
    this.#chars[this.#row * this.columns + this.#column++] = byte;
  }

  /** ESC x is two bytes; ESC [ runs to its final byte (0x40-0x7E). */
  #takeEscape(byte: number): void {
    if (this.#escape === "esc") this.#escape = byte === 0x5b ? "csi" : "none";
    else if (byte >= 0x40 && byte <= 0x7e) this.#escape = "none";
  }

  #lineFeed(): void {
    if (this.#row < this.rows - 1) {
      this.#row++;
      return;
    }
    this.#chars.copyWithin(0, this.columns);
    this.#chars.fill(BLANK, (this.rows - 1) * this.columns);
  }
}
