import { deepStrictEqual, strictEqual } from "@std/assert";
import {
  cgaPalette,
  dacToRgb8,
  defaultVgaPalette,
  TEXT_COLOURS,
} from "../../lib/display/palette.ts";

/** Entry `i` of a palette as [r, g, b]. */
function entry(rgb: Uint8Array, i: number): number[] {
  return [...rgb.subarray(i * 3, i * 3 + 3)];
}

Deno.test("6-bit DAC values scale to 8 bits end to end", () => {
  strictEqual(dacToRgb8(0), 0);
  strictEqual(dacToRgb8(0x15), 0x55);
  strictEqual(dacToRgb8(0x2a), 0xaa);
  strictEqual(dacToRgb8(0x3f), 0xff);
  strictEqual(dacToRgb8(32), 0x82); // 128 + the top bits (10) repeated
  strictEqual(dacToRgb8(11), 0x2c);
  strictEqual(dacToRgb8(0x40 | 0x3f), 0xff); // only 6 bits count
});

Deno.test("the 16 text colours are the CGA/EGA colours, brown included", () => {
  deepStrictEqual(TEXT_COLOURS.map((c) => [...c]), [
    [0x00, 0x00, 0x00], // black
    [0x00, 0x00, 0xaa], // blue
    [0x00, 0xaa, 0x00], // green
    [0x00, 0xaa, 0xaa], // cyan
    [0xaa, 0x00, 0x00], // red
    [0xaa, 0x00, 0xaa], // magenta
    [0xaa, 0x55, 0x00], // brown
    [0xaa, 0xaa, 0xaa], // light grey
    [0x55, 0x55, 0x55], // dark grey
    [0x55, 0x55, 0xff], // light blue
    [0x55, 0xff, 0x55], // light green
    [0x55, 0xff, 0xff], // light cyan
    [0xff, 0x55, 0x55], // light red
    [0xff, 0x55, 0xff], // light magenta
    [0xff, 0xff, 0x55], // yellow
    [0xff, 0xff, 0xff], // white
  ]);
});

Deno.test("default VGA palette: 256 6-bit entries in the BIOS's layout", () => {
  const { rgb, bits } = defaultVgaPalette();
  strictEqual(bits, 6);
  strictEqual(rgb.length, 768);
  strictEqual(Math.max(...rgb), 63);
  // The 16 CGA colours.
  deepStrictEqual(entry(rgb, 0), [0, 0, 0]);
  deepStrictEqual(entry(rgb, 1), [0, 0, 42]);
  deepStrictEqual(entry(rgb, 6), [42, 21, 0]);
  deepStrictEqual(entry(rgb, 7), [42, 42, 42]);
  deepStrictEqual(entry(rgb, 8), [21, 21, 21]);
  deepStrictEqual(entry(rgb, 15), [63, 63, 63]);
  // Greys from black to white.
  deepStrictEqual(entry(rgb, 16), [0, 0, 0]);
  deepStrictEqual(entry(rgb, 17), [5, 5, 5]);
  deepStrictEqual(entry(rgb, 24), [28, 28, 28]);
  deepStrictEqual(entry(rgb, 31), [63, 63, 63]);
  // High intensity, high saturation: blue, magenta, red, yellow, green, cyan 4 apart.
  deepStrictEqual(entry(rgb, 32), [0, 0, 63]);
  deepStrictEqual(entry(rgb, 33), [16, 0, 63]);
  deepStrictEqual(entry(rgb, 34), [31, 0, 63]);
  deepStrictEqual(entry(rgb, 36), [63, 0, 63]);
  deepStrictEqual(entry(rgb, 40), [63, 0, 0]);
  deepStrictEqual(entry(rgb, 44), [63, 63, 0]);
  deepStrictEqual(entry(rgb, 48), [0, 63, 0]);
  deepStrictEqual(entry(rgb, 52), [0, 63, 63]);
  deepStrictEqual(entry(rgb, 55), [0, 16, 63]);
  // High intensity, medium and low saturation.
  deepStrictEqual(entry(rgb, 56), [31, 31, 63]);
  deepStrictEqual(entry(rgb, 64), [63, 31, 31]);
  deepStrictEqual(entry(rgb, 80), [45, 45, 63]);
  deepStrictEqual(entry(rgb, 82), [54, 45, 63]);
  // Medium intensity (max 28), then low intensity (max 16).
  deepStrictEqual(entry(rgb, 104), [0, 0, 28]);
  deepStrictEqual(entry(rgb, 113), [28, 7, 0]);
  deepStrictEqual(entry(rgb, 128), [14, 14, 28]);
  deepStrictEqual(entry(rgb, 152), [20, 20, 28]);
  deepStrictEqual(entry(rgb, 176), [0, 0, 16]);
  deepStrictEqual(entry(rgb, 200), [8, 8, 16]);
  deepStrictEqual(entry(rgb, 224), [11, 11, 16]);
  deepStrictEqual(entry(rgb, 247), [11, 12, 16]);
  // The last eight are black.
  for (let i = 248; i < 256; i++) deepStrictEqual(entry(rgb, i), [0, 0, 0]);
});

Deno.test("default VGA palette is a fresh copy each time", () => {
  const a = defaultVgaPalette();
  a.rgb[0] = 63;
  strictEqual(defaultVgaPalette().rgb[0], 0);
});

Deno.test("CGA palettes 0, 1 and the mode 5 palette, with intensity and background", () => {
  const hex = (p: { rgb: Uint8Array }) =>
    [0, 1, 2, 3].map((i) => entry(p.rgb, i).map((v) => v.toString(16).padStart(2, "0")).join(""));
  deepStrictEqual(hex(cgaPalette({ palette: 0 })), ["000000", "00aa00", "aa0000", "aa5500"]);
  deepStrictEqual(hex(cgaPalette({ palette: 0, intensity: true })), [
    "000000",
    "55ff55",
    "ff5555",
    "ffff55",
  ]);
  deepStrictEqual(hex(cgaPalette()), ["000000", "00aaaa", "aa00aa", "aaaaaa"]);
  deepStrictEqual(hex(cgaPalette({ palette: 1, intensity: true, background: 1 })), [
    "0000aa",
    "55ffff",
    "ff55ff",
    "ffffff",
  ]);
  deepStrictEqual(hex(cgaPalette({ palette: 2 })), ["000000", "00aaaa", "aa0000", "aaaaaa"]);
  strictEqual(cgaPalette().bits, 8);
});
