/**
 * Renders the VGA text screen as plain text or with ANSI colours.
 *
 * @module
 */

import type { VgaText } from "../devices/vga-text.ts";
import { CP437 } from "./cp437.ts";

/** VGA colour index (IRGB) to the ANSI colour number (BGR order). */
const ANSI_COLOUR = [0, 4, 2, 6, 1, 5, 3, 7];

/** The screen as text: CP437 mapped to Unicode, trailing spaces and blank rows trimmed. */
export function screenText(vga: VgaText): string {
  const rows: string[] = [];
  for (let r = 0; r < vga.rows; r++) {
    let line = "";
    for (let c = 0; c < vga.columns; c++) line += CP437[vga.cell(r, c).char];
    rows.push(line.trimEnd());
  }
  while (rows.length && rows[rows.length - 1] === "") rows.pop();
  return rows.join("\n");
}

/** True for a cell that shows nothing: a blank glyph on a black background. */
function isEmpty(char: number, attr: number): boolean {
  return (char === 0 || char === 0x20 || char === 0xff) && (attr & 0x70) === 0;
}

/** The screen with ANSI SGR colours (16-colour foreground, 8-colour background). */
export function screenAnsi(vga: VgaText): string {
  let lastRow = -1;
  const widths: number[] = [];
  for (let r = 0; r < vga.rows; r++) {
    let width = 0;
    for (let c = 0; c < vga.columns; c++) {
      const { char, attr } = vga.cell(r, c);
      if (!isEmpty(char, attr)) width = c + 1;
    }
    widths.push(width);
    if (width > 0) lastRow = r;
  }
  const out: string[] = [];
  for (let r = 0; r <= lastRow; r++) {
    let line = "";
    let current = -1;
    for (let c = 0; c < widths[r]; c++) {
      const { char, attr } = vga.cell(r, c);
      if (attr !== current) {
        const fg = ANSI_COLOUR[attr & 7] + (attr & 8 ? 90 : 30);
        const bg = ANSI_COLOUR[(attr >> 4) & 7] + 40;
        line += `\x1b[${fg};${bg}m`;
        current = attr;
      }
      line += CP437[char];
    }
    out.push(line + (current === -1 ? "" : "\x1b[0m"));
  }
  return out.join("\n");
}
