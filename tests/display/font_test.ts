import { deepStrictEqual, ok as assert, strictEqual, throws } from "@std/assert";
import { CGA_FONT_8X8, fontFromHex, glyphRow, VGA_FONT_8X16 } from "../../lib/display/font.ts";
import { renderText } from "../../lib/display/raster.ts";

/** A glyph as rows of "#" and "." for readable comparisons. */
function picture(code: number): string[] {
  const rows: string[] = [];
  for (let r = 0; r < 16; r++) {
    const bits = glyphRow(VGA_FONT_8X16, code, r);
    let line = "";
    for (let c = 0; c < 8; c++) line += bits & (0x80 >> c) ? "#" : ".";
    rows.push(line);
  }
  return rows;
}

Deno.test("the VGA font has 256 glyphs of 16 rows", () => {
  strictEqual(VGA_FONT_8X16.height, 16);
  strictEqual(VGA_FONT_8X16.glyphs.length, 4096);
});

Deno.test("blank glyphs: NUL, space and 0xFF", () => {
  for (const code of [0x00, 0x20, 0xff]) {
    deepStrictEqual(picture(code), Array(16).fill("........"), `0x${code.toString(16)}`);
  }
});

Deno.test("every other code point draws something", () => {
  for (let code = 1; code < 255; code++) {
    if (code === 0x20) continue;
    assert(picture(code).some((r) => r.includes("#")), `0x${code.toString(16)} is blank`);
  }
});

Deno.test("'A' has the VGA ROM's shape", () => {
  deepStrictEqual(picture(0x41), [
    "........",
    "........",
    "...#....",
    "..###...",
    ".##.##..",
    "##...##.",
    "##...##.",
    "#######.",
    "##...##.",
    "##...##.",
    "##...##.",
    "##...##.",
    "........",
    "........",
    "........",
    "........",
  ]);
});

Deno.test("block and line-drawing glyphs reach the cell edges", () => {
  deepStrictEqual(picture(0xdb), Array(16).fill("########")); // full block
  // The ROM's half blocks split the cell at row 7 (7 rows above, 9 below) and tile exactly.
  const lower = picture(0xdc);
  const upper = picture(0xdf);
  deepStrictEqual(lower.slice(0, 7), Array(7).fill("........"));
  deepStrictEqual(lower.slice(7), Array(9).fill("########"));
  for (let r = 0; r < 16; r++) {
    deepStrictEqual([upper[r], lower[r]].sort(), ["########", "........"].sort(), `row ${r}`);
  }
  // Horizontal lines run through column 7, which the 9th-column rule copies.
  for (const code of [0xc4, 0xcd, 0xc5, 0xda]) {
    assert(picture(code).some((r) => r.endsWith("#")), `0x${code.toString(16)}`);
  }
  // The vertical line runs top to bottom.
  assert(picture(0xb3).every((r) => r.includes("#")));
});

Deno.test("glyphRow outside the glyph is blank, codes wrap to a byte", () => {
  strictEqual(glyphRow(VGA_FONT_8X16, 0xdb, -1), 0);
  strictEqual(glyphRow(VGA_FONT_8X16, 0xdb, 16), 0);
  strictEqual(glyphRow(VGA_FONT_8X16, 0x1db, 0), 0xff);
});

Deno.test("fontFromHex checks its input", () => {
  const font = fontFromHex(
    Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0")),
    1,
  );
  strictEqual(glyphRow(font, 0xab, 0), 0xab);
  throws(() => fontFromHex(["00"], 1), RangeError);
  throws(() => fontFromHex(Array(256).fill("0"), 1), RangeError);
  throws(() => fontFromHex(Array(256).fill("zz"), 1), RangeError);
});

Deno.test("the CGA 8x8 font: 256 glyphs of 8 rows, the ROM's shapes", () => {
  strictEqual(CGA_FONT_8X8.height, 8);
  strictEqual(CGA_FONT_8X8.glyphs.length, 2048);
  const rows = (code: number) =>
    Array.from({ length: 8 }, (_, r) => {
      const bits = glyphRow(CGA_FONT_8X8, code, r);
      return [...Array(8)].map((_, c) => bits & (0x80 >> c) ? "#" : ".").join("");
    });
  deepStrictEqual(rows(0x41), [
    "..##....",
    ".####...",
    "##..##..",
    "##..##..",
    "######..",
    "##..##..",
    "##..##..",
    "........",
  ]);
  deepStrictEqual(rows(0xdb), Array(8).fill("########"));
  deepStrictEqual(rows(0x20), Array(8).fill("........"));
  for (let code = 1; code < 255; code++) {
    if (code !== 0x20) assert(rows(code).some((r) => r.includes("#")), `0x${code.toString(16)}`);
  }
});

Deno.test("text renders with the 8x8 font at 8 lines a row", () => {
  const screen = { rows: 50, columns: 80, cell: () => ({ char: 0xdb, attr: 0x07 }) };
  const image = renderText(screen, { font: CGA_FONT_8X8, cursor: { row: 0, column: 0 } });
  strictEqual(image.width, 720);
  strictEqual(image.height, 400);
  // The default cursor of an 8-line cell is lines 6-7, drawn in the foreground (grey) over
  // the block, so only a cell with a blank glyph shows it.
  const blank = { rows: 1, columns: 1, cell: () => ({ char: 0x20, attr: 0x07 }) };
  const lit = (y: number) =>
    renderText(blank, { font: CGA_FONT_8X8, cursor: { row: 0, column: 0 } }).rgba[y * 9 * 4];
  deepStrictEqual([5, 6, 7].map(lit), [0, 0xaa, 0xaa]);
});
