/**
 * The display layer on the PC platform's VGA device: the glue the screenshot and live display
 * use, checked against the device's own state and its `toRgba()` in the graphics modes.
 */
import { deepStrictEqual, strictEqual } from "@std/assert";
import { Vga } from "../../lib/devices/vga.ts";
import type { Rgb } from "../../lib/display/palette.ts";
import {
  cgaToIndexed,
  indexedToRgba,
  renderText,
  type RgbaImage,
} from "../../lib/display/raster.ts";

/** The 16 text colours as the attribute palette and DAC now give them. */
function textColours(vga: Vga): Rgb[] {
  return Array.from(
    { length: 16 },
    (_, i) => vga.registers.paletteRgb(vga.registers.attributeColor(i)),
  );
}

/** The whole screen as the display layer draws it, in whichever mode the VGA is. */
function screenshot(vga: Vga): RgbaImage {
  const kind = vga.modeInfo.kind;
  if (kind === "vga256") {
    const rgb = Uint8Array.from(
      { length: 768 },
      (_, i) => vga.registers.paletteRgb(i / 3 | 0)[i % 3],
    );
    return indexedToRgba(vga.graphics, 320, 200, { rgb, bits: 8 });
  }
  if (kind === "cga4") {
    const colours = vga.cgaColours().map((c) =>
      vga.registers.paletteRgb(vga.registers.attributeColor(c))
    );
    return indexedToRgba(cgaToIndexed(vga.vram), 320, 200, {
      rgb: Uint8Array.from(colours.flat()),
      bits: 8,
    });
  }
  const modeControl = vga.registers.state.attr[0x10];
  const { start, end } = vga.registers.cursor;
  return renderText(vga, {
    colours: textColours(vga),
    blink: (modeControl & 0x08) !== 0,
    lineGraphics: (modeControl & 0x04) !== 0,
    cursor: { ...vga.cursor, start, end },
  });
}

/** A pixel as hex. */
function px(image: RgbaImage, x: number, y: number): string {
  const at = (y * image.width + x) * 4;
  return [...image.rgba.subarray(at, at + 3)].map((v) => v.toString(16).padStart(2, "0")).join("");
}

Deno.test("mode 3: 720x400 with the VGA's colours, cursor and 9th-column rule", () => {
  const vga = new Vga();
  vga.setMode(3);
  vga.write(0x18000, new Uint8Array([0x48, 0x1e, 0xc4, 0x1e])); // "H─" yellow on blue
  vga.cursorOffset = 81; // row 1, column 1
  const image = screenshot(vga);
  strictEqual(image.width, 720);
  strictEqual(image.height, 400);
  strictEqual(px(image, 0, 0), "0000aa");
  strictEqual(px(image, 0, 4), "ffff55"); // the H's left stem
  strictEqual(px(image, 9 + 8, 7), "ffff55"); // ─ reaches into the ninth column
  // The BIOS's cursor: lines 13-14 of the cell, in the cell's foreground (light grey).
  strictEqual(px(image, 9 + 4, 16 + 13), "aaaaaa");
  strictEqual(px(image, 9 + 4, 16 + 12), "000000");
});

Deno.test("mode 3: a guest's change to the attribute palette shows", () => {
  const vga = new Vga();
  vga.setMode(3);
  vga.write(0x18000, new Uint8Array([0xdb, 0x01]));
  vga.registers.state.attr[1] = 0x04; // colour 1 now shows EGA red
  strictEqual(px(screenshot(vga), 0, 0), "aa0000");
});

Deno.test("mode 13h and CGA mode 4 match the device's own pixels", () => {
  const vga = new Vga();
  vga.setMode(0x13);
  for (let i = 0; i < 320 * 200; i++) vga.graphics[i] = (i * 7) & 0xff;
  deepStrictEqual(screenshot(vga).rgba, vga.toRgba().data);
  vga.setMode(4);
  for (let y = 0; y < 200; y++) for (let x = 0; x < 320; x++) vga.setPixel(x, y, (x + y) & 3);
  vga.cgaColourSelect = 0x21; // palette 1, blue background
  const cga = screenshot(vga);
  deepStrictEqual(cga.rgba, vga.toRgba().data);
  strictEqual(px(cga, 0, 0), "0000aa");
});
