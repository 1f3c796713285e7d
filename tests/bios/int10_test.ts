import { deepStrictEqual, strictEqual } from "@std/assert";
import { BDA } from "../../lib/bios/bda.ts";
import { CGA_FONT_8X8, VGA_FONT_8X16 } from "../../lib/display/font.ts";
import { regs, row, testBios } from "./support.ts";

Deno.test("int10: teletype writes, wraps, handles CR/LF/BS and scrolls at the bottom", () => {
  const { bios, vga, memory } = testBios();
  const tty = (text: string) => {
    for (const ch of text) bios.call(0x10, regs({ ax: 0x0e00 | ch.charCodeAt(0), bx: 7 }));
  };
  tty("Hello\r\nWorld\bD");
  strictEqual(row(vga, 0), "Hello");
  strictEqual(row(vga, 1), "WorlD");
  strictEqual(memory.readU16(BDA.CURSOR_POS), 0x0105);
  tty("x".repeat(75) + "yz");
  strictEqual(row(vga, 1), "WorlD" + "x".repeat(75));
  strictEqual(row(vga, 2), "yz");
  // Fill to the last row and one more line: the screen scrolls by one.
  for (let i = 0; i < 23; i++) tty("\r\n");
  tty("bottom");
  strictEqual(row(vga, 0), "WorlD" + "x".repeat(75));
  strictEqual(row(vga, 24), "bottom");
  strictEqual(vga.cursor.row, 24);
  strictEqual(vga.cursor.column, 6);
});

Deno.test("int10: cursor, char+attr, pages, mode and display info", () => {
  const { bios, vga, memory } = testBios();
  bios.call(0x10, regs({ ax: 0x0200, bx: 0, dx: 0x0c28 }));
  const r = regs({ ax: 0x0300, bx: 0 });
  bios.call(0x10, r);
  strictEqual(r.dx, 0x0c28);
  bios.call(0x10, regs({ ax: 0x0941, bx: 0x004e, cx: 3 }));
  deepStrictEqual(vga.cell(12, 42), { char: 0x41, attr: 0x4e });
  strictEqual(vga.cell(12, 43).char, 0x20);
  const read = regs({ ax: 0x0800, bx: 0 });
  bios.call(0x10, read);
  strictEqual(read.ax, 0x4e41);
  // Page 1: its own cursor, shown after AH=05h.
  bios.call(0x10, regs({ ax: 0x0200, bx: 0x0100, dx: 0x0001 }));
  bios.call(0x10, regs({ ax: 0x0a5a, bx: 0x0100, cx: 1 }));
  strictEqual(vga.cell(0, 1).char, 0x20, "page 1 is not shown yet");
  bios.call(0x10, regs({ ax: 0x0501 }));
  strictEqual(vga.cell(0, 1).char, 0x5a);
  strictEqual(memory.readU8(BDA.ACTIVE_PAGE), 1);
  const mode = regs({ ax: 0x0f00 });
  bios.call(0x10, mode);
  strictEqual(mode.ax, 0x5003);
  strictEqual(mode.bh, 1);
});

Deno.test("int10: scroll up and down a window, clearing with the attribute", () => {
  const { bios, vga } = testBios();
  for (let r = 0; r < 5; r++) {
    bios.call(0x10, regs({ ax: 0x0200, dx: r << 8 }));
    bios.call(0x10, regs({ ax: 0x0a30 + r, cx: 10 }));
  }
  bios.call(0x10, regs({ ax: 0x0602, bx: 0x1700, cx: 0x0100, dx: 0x0304 }));
  strictEqual(row(vga, 0), "0000000000");
  strictEqual(row(vga, 1), "3333311111");
  strictEqual(row(vga, 3), "     33333");
  strictEqual(vga.cell(3, 0).attr, 0x17);
  bios.call(0x10, regs({ ax: 0x0701, bx: 0x0700, cx: 0x0000, dx: 0x024f }));
  strictEqual(row(vga, 0), "");
  strictEqual(row(vga, 1), "0000000000");
  // AL=0 clears the window.
  bios.call(0x10, regs({ ax: 0x0600, bx: 0x0700, cx: 0, dx: 0x184f }));
  for (let r = 0; r < 25; r++) strictEqual(row(vga, r), "");
});

Deno.test("int10: out-of-range pages, rows, columns and windows change nothing", () => {
  const { bios, vga, memory } = testBios();
  const before = vga.vram.slice();
  bios.call(0x10, regs({ ax: 0x0200, bx: 0x0900, dx: 0x0101 })); // page 9
  bios.call(0x10, regs({ ax: 0x0941, bx: 0x0907, cx: 5 }));
  bios.call(0x10, regs({ ax: 0x0200, bx: 0, dx: 0xffff })); // row/col 255
  bios.call(0x10, regs({ ax: 0x0941, bx: 0x0007, cx: 0xffff }));
  bios.call(0x10, regs({ ax: 0x0605, bx: 0x0700, cx: 0x1010, dx: 0x0505 })); // top > bottom
  bios.call(0x10, regs({ ax: 0x0605, bx: 0x0700, cx: 0xffff, dx: 0xffff }));
  bios.call(0x10, regs({ ax: 0x0508 })); // page 8
  deepStrictEqual(vga.vram, before);
  strictEqual(memory.readU8(BDA.ACTIVE_PAGE), 0);
  // AH=13h with a string outside RAM is ignored.
  bios.call(0x10, regs({ ax: 0x1301, bx: 7, cx: 0xffff, es: 0xffff, bp: 0xffff }));
  deepStrictEqual(vga.vram, before);
  // A cursor left off-screen by the guest comes back for teletype.
  bios.call(0x10, regs({ ax: 0x0e41, bx: 7 }));
  // It lands in the last cell; the wrap then scrolls it up a row.
  strictEqual(vga.cell(23, 79).char, 0x41);
});

Deno.test("int10: mode 13h and CGA mode 4 pixels, the DAC, and the BDA", () => {
  const { bios, vga, memory } = testBios();
  bios.call(0x10, regs({ ax: 0x0013 }));
  strictEqual(memory.readU8(BDA.VIDEO_MODE), 0x13);
  strictEqual(memory.readU16(BDA.VIDEO_COLUMNS), 40);
  bios.call(0x10, regs({ ax: 0x0c07, cx: 319, dx: 199 }));
  strictEqual(vga.graphics[199 * 320 + 319], 7);
  const px = regs({ ax: 0x0d00, cx: 319, dx: 199 });
  bios.call(0x10, px);
  strictEqual(px.al, 7);
  bios.call(0x10, regs({ ax: 0x0c07, cx: 320, dx: 0 })); // off-screen: ignored
  strictEqual(vga.graphics[320], 0);
  bios.call(0x10, regs({ ax: 0x1010, bx: 7, cx: 0x0102, dx: 0x0300 }));
  const dac = regs({ ax: 0x1015, bx: 7 });
  bios.call(0x10, dac);
  strictEqual(dac.dh, 3);
  strictEqual(dac.cx, 0x0102);
  deepStrictEqual([...vga.toRgba().data.subarray((199 * 320 + 319) * 4)], [12, 4, 8, 255]);
  bios.call(0x10, regs({ ax: 0x0004 }));
  bios.call(0x10, regs({ ax: 0x0c02, cx: 2, dx: 3 }));
  strictEqual(vga.vram[0x2000 + 80], 0x02 << 2); // line 3: odd bank, second line
  bios.call(0x10, regs({ ax: 0x0c82, cx: 2, dx: 3 })); // XOR clears it
  strictEqual(vga.vram[0x2000 + 80], 0);
  bios.call(0x10, regs({ ax: 0x0003 }));
  strictEqual(vga.mode, 3);
  strictEqual(memory.readU8(BDA.VIDEO_ROWS), 24);
});

Deno.test("int10: graphics-mode text is drawn with the font INT 43h points at", () => {
  const { bios, vga, memory } = testBios();
  bios.call(0x10, regs({ ax: 0x0013 }));
  bios.call(0x10, regs({ ax: 0x0e41, bx: 0x000e })); // 'A' in yellow
  const glyph = (row: number) => {
    let bits = 0;
    for (let x = 0; x < 8; x++) bits |= (vga.graphics[row * 320 + x] === 0x0e ? 0x80 : 0) >> x;
    return bits;
  };
  const rows = Array.from({ length: 8 }, (_, y) => glyph(y));
  deepStrictEqual(rows, [...CGA_FONT_8X8.glyphs.subarray(0x41 * 8, 0x42 * 8)]);
  strictEqual(vga.cell(0, 0).char, 0x41, "and the text shadow has it");
  // The guest's own font: glyph 'B' all set.
  memory.view(0x600 + 0x42 * 8, 8).fill(0xff);
  memory.writeU16(0x43 * 4, 0x600);
  memory.writeU16(0x43 * 4 + 2, 0);
  bios.call(0x10, regs({ ax: 0x0e42, bx: 0x0003 }));
  for (let y = 0; y < 8; y++) strictEqual(vga.graphics[y * 320 + 8 + 3], 3);
  // A font vector off RAM draws nothing and fails nothing.
  memory.writeU16(0x43 * 4 + 2, 0xb000);
  bios.call(0x10, regs({ ax: 0x0e43, bx: 0x0003 }));
  strictEqual(vga.graphics[16], 0);
  // AH=11h AL=30h: the 8x16 font's address.
  const info = regs({ ax: 0x1130, bx: 0x0600 });
  bios.call(0x10, info);
  strictEqual(info.es, 0xf000);
  strictEqual(
    memory.readU8(0xf0000 + info.bp + 0x41 * 16 + 4),
    VGA_FONT_8X16.glyphs[0x41 * 16 + 4],
  );
});

Deno.test("int10: 40-column text modes 0 and 1: BDA, wrapping, pages of 2 KiB", async () => {
  const { bios, vga, memory } = testBios();
  bios.call(0x10, regs({ ax: 0x0001 }));
  strictEqual(vga.mode, 1);
  strictEqual(vga.columns, 40);
  strictEqual(memory.readU16(BDA.VIDEO_COLUMNS), 40);
  strictEqual(memory.readU16(BDA.VIDEO_PAGE_SIZE), 0x800);
  for (const ch of "x".repeat(41)) bios.call(0x10, regs({ ax: 0x0e00 | ch.charCodeAt(0), bx: 7 }));
  strictEqual(row(vga, 0), "x".repeat(40));
  strictEqual(row(vga, 1), "x");
  deepStrictEqual(vga.cursor, { row: 1, column: 1, visible: true });
  // Page 1 starts 2 KiB into text memory.
  bios.call(0x10, regs({ ax: 0x0501 }));
  strictEqual(vga.startAddress, 0x400);
  // The screenshot shows 40 wide characters across the 720-pixel screen.
  const { screenImage } = await import("../../lib/display/screen.ts");
  const image = screenImage(vga);
  deepStrictEqual([image.width, image.height], [720, 400]);
  bios.call(0x10, regs({ ax: 0x0003 }));
  strictEqual(vga.columns, 80);
});
