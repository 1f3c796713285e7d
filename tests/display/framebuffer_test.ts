// The linear framebuffer device: XRGB8888 pixels to RGBA in one pass (the top byte
// ignored, rows by the pitch), and the screen renderer's choice of it over the VGA.
import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { LinearFramebuffer } from "../../lib/devices/framebuffer.ts";
import { Vga } from "../../lib/devices/vga.ts";
import { screenImage } from "../../lib/display/screen.ts";

const mode = (width: number, height: number, pitch = width * 4) =>
  ({ address: 0xfd000000, width, height, pitch, bpp: 32 }) as const;

Deno.test("framebuffer: XRGB8888 pixels become RGBA, the top byte ignored", () => {
  const fb = new LinearFramebuffer(mode(3, 1), new Uint8Array(4096));
  new Uint32Array(fb.bytes.buffer).set([0x00123456, 0xffff0000, 0x7f0000ff]);
  const image = fb.toRgba();
  deepStrictEqual([image.width, image.height], [3, 1]);
  deepStrictEqual([...image.rgba], [0x12, 0x34, 0x56, 255, 255, 0, 0, 255, 0, 0, 255, 255]);
});

Deno.test("framebuffer: rows follow the pitch; unaligned memory still reads", () => {
  // Two pixels a row, rows 12 bytes apart: the third word of each row is not shown.
  const backing = new Uint8Array(4097);
  const bytes = backing.subarray(1);
  const fb = new LinearFramebuffer(mode(2, 2, 12), bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  [0x0000ff00, 0x00ff0000, 0x00ffffff, 0x000000ff, 0x00010203, 0x00ffffff]
    .forEach((p, i) => view.setUint32(i * 4, p, true));
  deepStrictEqual([...fb.toRgba().rgba], [
    ...[0, 255, 0, 255, 255, 0, 0, 255],
    ...[0, 0, 255, 255, 1, 2, 3, 255],
  ]);
});

Deno.test("framebuffer: memory smaller than the mode is refused", () => {
  throws(() => new LinearFramebuffer(mode(1024, 768), new Uint8Array(4096)), RangeError);
});

Deno.test("screen: a framebuffer is the picture instead of the VGA's", () => {
  const vga = new Vga();
  strictEqual(screenImage(vga).width, 720);
  const fb = new LinearFramebuffer(mode(4, 2), new Uint8Array(4096));
  fb.bytes[0] = 0x80;
  const image = screenImage(vga, fb);
  deepStrictEqual([image.width, image.height], [4, 2]);
  deepStrictEqual([...image.rgba.subarray(0, 8)], [0, 0, 0x80, 255, 0, 0, 0, 255]);
});
