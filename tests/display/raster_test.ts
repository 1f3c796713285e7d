import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import {
  cgaToIndexed,
  indexedToRgba,
  renderText,
  type RgbaImage,
  type TextCell,
  type TextScreen,
} from "../../lib/display/raster.ts";
import { cgaPalette, defaultVgaPalette } from "../../lib/display/palette.ts";
import { VgaText } from "../../lib/devices/vga-text.ts";

/** A screen from an array of rows of cells. */
function screenOf(cells: TextCell[][]): TextScreen {
  return { rows: cells.length, columns: cells[0].length, cell: (r, c) => cells[r][c] };
}

/** The pixel at (x, y) as a hex colour. */
function px(image: RgbaImage, x: number, y: number): string {
  const at = (y * image.width + x) * 4;
  const [r, g, b, a] = image.rgba.subarray(at, at + 4);
  strictEqual(a, 255);
  return [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("");
}

/** One pixel row of a cell as "#" for `on` and "." otherwise. */
function line(image: RgbaImage, x0: number, y: number, width: number, on: string): string {
  let s = "";
  for (let x = x0; x < x0 + width; x++) s += px(image, x, y) === on ? "#" : ".";
  return s;
}

const WHITE = "ffffff";
const GREY = "aaaaaa";
const BLUE = "0000aa";
const BLACK = "000000";

Deno.test("80x25 renders at 720x400 with 9-pixel cells, 640x400 with 8", () => {
  const vga = new VgaText();
  const wide = renderText(vga);
  strictEqual(wide.width, 720);
  strictEqual(wide.height, 400);
  strictEqual(wide.rgba.length, 720 * 400 * 4);
  const narrow = renderText(vga, { cellWidth: 8 });
  strictEqual(narrow.width, 640);
  strictEqual(narrow.height, 400);
});

Deno.test("a glyph in its foreground and background colours", () => {
  const image = renderText(screenOf([[{ char: 0x41, attr: 0x1f }]])); // white A on blue
  strictEqual(line(image, 0, 2, 9, WHITE), "...#.....");
  strictEqual(line(image, 0, 7, 9, WHITE), "#######..");
  strictEqual(px(image, 0, 0), BLUE);
  strictEqual(px(image, 8, 7), BLUE); // the ninth column is background for letters
});

Deno.test("line graphics 0xC0-0xDF repeat column 8 into column 9; others do not", () => {
  const image = renderText(screenOf([[
    { char: 0xc4, attr: 0x07 }, // ─
    { char: 0xdb, attr: 0x07 }, // █
    { char: 0xb0, attr: 0x07 }, // ░ (outside the range)
    { char: 0xe0, attr: 0x07 }, // α (outside the range)
  ]]));
  strictEqual(line(image, 0, 7, 9, GREY), "#########");
  strictEqual(line(image, 9, 0, 9, GREY), "#########");
  strictEqual(px(image, 26, 1), BLACK);
  const off = renderText(screenOf([[{ char: 0xc4, attr: 0x07 }]]), { lineGraphics: false });
  strictEqual(line(off, 0, 7, 9, GREY), "########.");
  const narrow = renderText(screenOf([[{ char: 0xc4, attr: 0x07 }]]), { cellWidth: 8 });
  strictEqual(line(narrow, 0, 7, 8, GREY), "########");
});

Deno.test("attribute bit 7: blink with dark background, or bright background", () => {
  const cell = { char: 0x20, attr: 0xc7 }; // bit 7 set, background 4 (red) or 12 (light red)
  strictEqual(px(renderText(screenOf([[cell]])), 0, 0), "aa0000");
  strictEqual(px(renderText(screenOf([[cell]]), { blink: false }), 0, 0), "ff5555");
});

Deno.test("blinking characters vanish in the off phase, others stay", () => {
  const cells = [[{ char: 0xdb, attr: 0x87 }, { char: 0xdb, attr: 0x07 }]];
  const on = renderText(screenOf(cells));
  const off = renderText(screenOf(cells), { blinkOff: true });
  strictEqual(px(on, 4, 4), GREY);
  strictEqual(px(off, 4, 4), BLACK);
  strictEqual(px(off, 13, 4), GREY);
  // With blink disabled nothing blinks, even in the off phase.
  strictEqual(px(renderText(screenOf(cells), { blink: false, blinkOff: true }), 4, 4), GREY);
});

Deno.test("the cursor: scan lines in the cell's foreground colour, across the whole cell", () => {
  const cells = [[{ char: 0x20, attr: 0x1e }, { char: 0x20, attr: 0x1e }]];
  const yellow = "ffff55";
  const image = renderText(screenOf(cells), { cursor: { row: 0, column: 1 } });
  // Default: lines 13 and 14 of a 16-line cell, as the BIOS sets for mode 3.
  for (let y = 0; y < 16; y++) {
    strictEqual(
      line(image, 9, y, 9, yellow),
      y === 13 || y === 14 ? "#########" : ".........",
      `${y}`,
    );
  }
  strictEqual(line(image, 0, 13, 9, yellow), "........."); // only its own cell
  const block = renderText(screenOf(cells), { cursor: { row: 0, column: 0, start: 0, end: 15 } });
  strictEqual(line(block, 0, 0, 9, yellow), "#########");
  const hidden = renderText(screenOf(cells), { cursor: { row: 0, column: 0, visible: false } });
  strictEqual(line(hidden, 0, 13, 9, yellow), ".........");
  const blinkedOff = renderText(screenOf(cells), { cursor: { row: 0, column: 0 }, blinkOff: true });
  strictEqual(line(blinkedOff, 0, 13, 9, yellow), ".........");
  const none = renderText(screenOf(cells), { cursor: { row: 0, column: 0, start: 14, end: 13 } });
  strictEqual(line(none, 0, 13, 9, yellow), ".........");
  // Off screen: ignored.
  renderText(screenOf(cells), { cursor: { row: 5, column: 0 } });
});

Deno.test("renders what the guest wrote to VGA text memory", () => {
  const vga = new VgaText();
  vga.write(0, new Uint8Array([0x48, 0x1e])); // "H", yellow on blue at row 0, column 0
  vga.write(2 * 80 * 3 + 2 * 5, new Uint8Array([0xdb, 0x0c])); // a light red block at (3, 5)
  const image = renderText(vga);
  strictEqual(px(image, 0, 0), BLUE);
  strictEqual(line(image, 0, 4, 9, "ffff55"), "##...##..");
  strictEqual(px(image, 5 * 9 + 4, 3 * 16 + 8), "ff5555");
});

Deno.test("indexedToRgba: mode 13h through the default 6-bit palette", () => {
  const pixels = new Uint8Array(320 * 200);
  pixels[0] = 40; // bright red
  pixels[1] = 15; // white
  pixels[320] = 6; // brown
  pixels[320 * 200 - 1] = 104; // dark blue ramp
  const image = indexedToRgba(pixels, 320, 200, defaultVgaPalette());
  strictEqual(image.width, 320);
  strictEqual(image.height, 200);
  strictEqual(px(image, 0, 0), "ff0000");
  strictEqual(px(image, 1, 0), WHITE);
  strictEqual(px(image, 0, 1), "aa5500");
  strictEqual(px(image, 319, 199), "000071");
  strictEqual(px(image, 2, 0), BLACK);
});

Deno.test("indexedToRgba: 8-bit palettes, short palettes, short input", () => {
  const palette = { rgb: new Uint8Array([1, 2, 3, 250, 251, 252]), bits: 8 as const };
  const image = indexedToRgba(new Uint8Array([1, 0, 7]), 3, 1, palette);
  deepStrictEqual([...image.rgba], [250, 251, 252, 255, 1, 2, 3, 255, 0, 0, 0, 255]);
  throws(() => indexedToRgba(new Uint8Array(5), 3, 2, palette), RangeError);
});

Deno.test("CGA mode 4: interleaved 2-bit pixels through palette 1 and palette 0", () => {
  const vram = new Uint8Array(0x4000);
  vram[0] = 0b00_01_10_11; // line 0: pixels 0-3 = 0, 1, 2, 3
  vram[0x2000] = 0b11_00_00_00; // line 1: pixel 0 = 3
  vram[80] = 0b01_00_00_00; // line 2: pixel 0 = 1
  vram[0x2000 + 99 * 80 + 79] = 0b00_00_00_10; // line 199: pixel 319 = 2
  const indexed = cgaToIndexed(vram);
  deepStrictEqual([...indexed.subarray(0, 4)], [0, 1, 2, 3]);
  strictEqual(indexed[320], 3);
  strictEqual(indexed[640], 1);
  strictEqual(indexed[320 * 200 - 1], 2);
  const image = indexedToRgba(indexed, 320, 200, cgaPalette({ palette: 1, intensity: true }));
  deepStrictEqual([0, 1, 2, 3].map((x) => px(image, x, 0)), [BLACK, "55ffff", "ff55ff", WHITE]);
  const p0 = indexedToRgba(indexed, 320, 200, cgaPalette({ palette: 0, background: 1 }));
  deepStrictEqual([0, 1, 2, 3].map((x) => px(p0, x, 0)), [BLUE, "00aa00", "aa0000", "aa5500"]);
  throws(() => cgaToIndexed(new Uint8Array(100)), RangeError);
});
