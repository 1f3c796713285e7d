import { deepStrictEqual, strictEqual } from "@std/assert";
import { ManualClock } from "../../lib/devices/clock.ts";
import { VgaPorts } from "../../lib/devices/vga-ports.ts";
import { Bus } from "../../lib/machine/bus.ts";
import { portIo } from "../support/ports.ts";

function machine() {
  const clock = new ManualClock();
  let changes = 0;
  const vga = new VgaPorts({ clock, onChange: () => changes++ });
  const bus = new Bus("io", 0x10000);
  bus.register(0x3c0, 0x20, vga, "vga");
  const { out, outw, inb } = portIo(bus);
  return { clock, vga, out, outw, inb, changes: () => changes };
}

Deno.test("vga-ports: cursor position through the CRTC, as a BIOS sets it", () => {
  const m = machine();
  strictEqual(m.vga.cursor.start, 0x0d);
  strictEqual(m.vga.cursor.end, 0x0e);
  const pos = 5 * 80 + 17;
  m.out(0x3d4, 0x0e);
  m.out(0x3d5, pos >> 8);
  m.out(0x3d4, 0x0f);
  m.out(0x3d5, pos & 0xff);
  deepStrictEqual(m.vga.cursorPosition(), { row: 5, column: 17 });
  m.outw(0x3d4, 0x200a); // out dx, ax: cursor start with bit 5 = hidden
  strictEqual(m.vga.cursor.visible, false);
  m.out(0x3d4, 0x0a);
  strictEqual(m.inb(0x3d5), 0x20);
  m.outw(0x3d4, 0x010c); // start address 0x100
  m.outw(0x3d4, 0x000d);
  strictEqual(m.vga.startAddress, 0x100);
  deepStrictEqual(m.vga.cursorPosition(), {
    row: (pos - 0x100) / 80 | 0,
    column: (pos - 0x100) % 80,
  });
  strictEqual(m.changes() > 0, true);
});

Deno.test("vga-ports: CR11 bit 7 write-protects CR0-CR7", () => {
  const m = machine();
  m.outw(0x3d4, 0x0011 | (0x8e << 8));
  m.outw(0x3d4, 0x1200 | 0x00); // CR0 <- 0x12: ignored
  m.out(0x3d4, 0x00);
  strictEqual(m.inb(0x3d5), 0x5f);
  m.outw(0x3d4, 0x0e11);
  m.outw(0x3d4, 0x1200);
  m.out(0x3d4, 0x00);
  strictEqual(m.inb(0x3d5), 0x12);
});

Deno.test("vga-ports: DAC palette write and read with auto-increment", () => {
  const m = machine();
  deepStrictEqual(m.vga.paletteRgb(m.vga.attributeColor(1)), [0, 0, 0xaa]); // blue
  deepStrictEqual(m.vga.paletteRgb(m.vga.attributeColor(6)), [0xaa, 0x55, 0]); // brown
  deepStrictEqual(m.vga.paletteRgb(m.vga.attributeColor(15)), [0xff, 0xff, 0xff]);
  m.out(0x3c8, 0xff);
  for (const v of [0x3f, 0x20, 0x00, 0x01, 0x02, 0x03]) m.out(0x3c9, v); // 255, then 0
  strictEqual(m.inb(0x3c8), 0x01);
  deepStrictEqual(m.vga.paletteRgb(255), [0xff, 0x82, 0x00]);
  deepStrictEqual(m.vga.paletteRgb(0), [0x04, 0x08, 0x0c]);
  m.out(0x3c7, 0xff);
  strictEqual(m.inb(0x3c7), 0x03);
  deepStrictEqual([0, 1, 2, 3, 4, 5].map(() => m.inb(0x3c9)), [0x3f, 0x20, 0x00, 0x01, 0x02, 0x03]);
  m.out(0x3c9, 0xff); // masked to 6 bits
  strictEqual(m.vga.state.dac[3], 0x3f);
});

Deno.test("vga-ports: attribute controller flip-flop is reset by reading 0x3DA", () => {
  const m = machine();
  m.out(0x3c0, 0x01); // index 1
  m.inb(0x3da); // flip-flop back to index
  m.out(0x3c0, 0x02); // index 2
  m.out(0x3c0, 0x3a); // data
  m.out(0x3c0, 0x22); // index 2 with PAS (the screen on)
  strictEqual(m.inb(0x3c0), 0x22);
  strictEqual(m.inb(0x3c1), 0x3a);
  m.out(0x3c0, 0x07); // this is data now: register 2 <- 7
  strictEqual(m.inb(0x3c1), 0x07);
  m.out(0x3c0, 0x3a); // index again (flip-flop)
  m.out(0x3c0, 0x3a); // nothing happens for index 0x1a (undefined register)
  m.inb(0x3da);
  m.out(0x3c0, 0x02);
  m.out(0x3c0, 0x3a);
  strictEqual(m.vga.attributeColor(1), 0x01);
  strictEqual(m.vga.attributeColor(2), 0x3a);
});

Deno.test("vga-ports: input status 1 follows the 70 Hz frame", () => {
  const m = machine();
  const frame = 1e9 / 70;
  const line = frame / 449;
  m.clock.set(Math.ceil(10 * line));
  strictEqual(m.inb(0x3da) & 0x09, 0x00); // drawing a line
  m.clock.set(Math.ceil(10 * line + 0.9 * line));
  strictEqual(m.inb(0x3da) & 0x09, 0x01); // horizontal blanking
  m.clock.set(Math.ceil(412.5 * line));
  strictEqual(m.inb(0x3da) & 0x09, 0x09); // vertical retrace
  m.clock.set(Math.ceil(frame + 412.5 * line));
  strictEqual(m.inb(0x3da) & 0x09, 0x09);
});

Deno.test("vga-ports: a guest waiting for retrace gets on when the clock stands still", () => {
  const m = machine();
  let sawRetrace = false;
  let sawDisplay = false;
  for (let i = 0; i < 20; i++) {
    const v = m.inb(0x3da);
    if (v & 0x08) sawRetrace = true;
    else sawDisplay = true;
  }
  strictEqual(sawRetrace && sawDisplay, true);
});

Deno.test("vga-ports: sequencer, graphics, misc and odd accesses", () => {
  const m = machine();
  m.outw(0x3c4, 0x0f02);
  m.out(0x3c4, 0x02);
  strictEqual(m.inb(0x3c5), 0x0f);
  m.outw(0x3ce, 0x0506);
  m.out(0x3ce, 0x06);
  strictEqual(m.inb(0x3cf), 0x05);
  m.out(0x3c2, 0x63);
  strictEqual(m.inb(0x3cc), 0x63);
  for (let p = 0x3c0; p < 0x3e0; p++) {
    for (const v of [0x00, 0x7f, 0xff]) {
      m.out(p, v);
      m.inb(p);
    }
  }
  const d = new Uint8Array(4);
  m.vga.read(0x1e, d);
  m.vga.write(0x1f, d);
  m.vga.paletteRgb(-5);
  m.vga.cursorPosition(0);
});
