import { strictEqual } from "@std/assert";
import { VgaText } from "../../lib/devices/vga-text.ts";
import { screenAnsi, screenText } from "../../lib/display/text.ts";

function put(vga: VgaText, row: number, col: number, text: string, attr = 0x07) {
  for (let i = 0; i < text.length; i++) {
    vga.write((row * 80 + col + i) * 2, new Uint8Array([text.charCodeAt(i), attr]));
  }
}

Deno.test("text screen: trailing spaces and blank rows are trimmed", () => {
  const vga = new VgaText();
  strictEqual(screenText(vga), "");
  put(vga, 0, 2, "top");
  put(vga, 3, 0, "row three   ");
  strictEqual(screenText(vga), "  top\n\n\nrow three");
});

Deno.test("text screen: CP437 graphics map to Unicode", () => {
  const vga = new VgaText();
  vga.write(0, new Uint8Array([0xc9, 7, 0xcd, 7, 0xbb, 7, 0x01, 7, 0xe1, 7]));
  strictEqual(screenText(vga), "╔═╗☺ß");
});

Deno.test("ansi screen: colours become SGR codes and coloured blanks are kept", () => {
  const vga = new VgaText();
  put(vga, 0, 0, "A", 0x1e); // yellow on blue
  put(vga, 0, 1, " ", 0x20); // green background, no glyph
  strictEqual(screenAnsi(vga), "\x1b[93;44mA\x1b[30;42m \x1b[0m");
});

Deno.test("vga: reads and writes past video RAM are ignored, not wrapped", () => {
  const vga = new VgaText();
  vga.write(0x7fff, new Uint8Array([1, 2]));
  strictEqual(vga.vram[0x7fff], 1);
  strictEqual(vga.vram[0], 0);
  const data = new Uint8Array(2);
  vga.read(0x7fff, data);
  strictEqual(data[1], 0xff);
});
