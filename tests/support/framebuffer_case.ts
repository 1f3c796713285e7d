// The framebuffer test kernel (guests/kernels/fb.c): what it prints, how it exits, and
// the pixels of the pattern it draws into its 1024x768x32 framebuffer, shared by the
// software CPU's and KVM's tests so both are held to the same picture.
import { deepStrictEqual, strictEqual } from "@std/assert";
import { decode } from "fast-png";
import type { RgbaImage } from "../../mod.ts";
import { picovmm } from "./cli.ts";

const root = new URL("../../", import.meta.url);

/** The kernel's path (built by `deno task guests`). */
export const FB_KERNEL = new URL("guests/kernel-fb.elf", root).pathname;

/** Its COM1 output; the VGA text screen shows the same lines. */
export const FB_SERIAL = [
  "framebuffer kernel",
  "magic: ok",
  "framebuffer flag: ok",
  "mode: ok",
  "address: ok",
  "colours: ok",
  "framebuffer at 0xfd000000",
  "pattern drawn",
  "",
].join("\n");

/** Debug-exit value 0x25: every check passed. */
export const FB_EXIT_STATUS = (0x25 << 1) | 1;

/** The mode the kernel asks for and gets. */
export const FB_MODE = {
  address: 0xfd000000,
  width: 1024,
  height: 768,
  pitch: 4096,
  bpp: 32,
} as const;

const BLACK = [0, 0, 0, 255];

/** Points of the pattern: [x, y, RGBA]. */
export const FB_PIXELS: [number, number, number[]][] = [
  // The eight bars across the top, 128 pixels wide and 96 rows tall: each one's corners.
  ...[
    [255, 255, 255],
    [255, 255, 0],
    [0, 255, 255],
    [0, 255, 0],
    [255, 0, 255],
    [255, 0, 0],
    [0, 0, 255],
    [128, 128, 128],
  ].flatMap((rgb, i): [number, number, number[]][] => [
    [i * 128, 0, [...rgb, 255]],
    [i * 128 + 127, 95, [...rgb, 255]],
  ]),
  [0, 96, BLACK],
  [1023, 96, BLACK],
  // The rectangle 384-639 x 320-447 in 0x123456 (its stores' top byte 0xAA must not show).
  [384, 320, [0x12, 0x34, 0x56, 255]],
  [639, 447, [0x12, 0x34, 0x56, 255]],
  [512, 384, [0x12, 0x34, 0x56, 255]],
  [383, 320, BLACK],
  [640, 447, BLACK],
  [384, 319, BLACK],
  [639, 448, BLACK],
  // The bottom row in grey, its last pixel orange.
  [0, 767, [0xc0, 0xc0, 0xc0, 255]],
  [1022, 767, [0xc0, 0xc0, 0xc0, 255]],
  [1023, 767, [0xff, 0x80, 0x00, 255]],
  [1023, 766, BLACK],
];

/** Asserts the image is the kernel's 1024x768 picture with the pattern's pixels. */
export function assertFbPattern(image: RgbaImage): void {
  strictEqual(image.width, 1024);
  strictEqual(image.height, 768);
  strictEqual(image.rgba.length, 1024 * 768 * 4);
  for (const [x, y, rgba] of FB_PIXELS) {
    const at = (y * image.width + x) * 4;
    deepStrictEqual([...image.rgba.subarray(at, at + 4)], rgba, `pixel (${x}, ${y})`);
  }
  // Everything else black: count the pixels of each colour over the whole picture.
  const words = new Uint32Array(image.rgba.buffer, image.rgba.byteOffset, 1024 * 768);
  let black = 0;
  for (const w of words) if (w === 0xff000000) black++;
  const drawn = 8 * 128 * 96 + 256 * 128 + 1024;
  strictEqual(black, 1024 * 768 - drawn, "pixels outside the pattern are black");
}

/** Runs the kernel through the command line with `--screenshot` on `accel` and checks the PNG. */
export async function checkFbScreenshot(accel: "kvm" | "emu"): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    const r = await picovmm([
      "--accel",
      accel,
      "--display",
      "none",
      "--screenshot",
      `${dir}/fb.png`,
      FB_KERNEL,
    ]);
    strictEqual(r.code, FB_EXIT_STATUS, r.stderr);
    strictEqual(r.stdout, FB_SERIAL);
    const png = decode(await Deno.readFile(`${dir}/fb.png`));
    assertFbPattern({
      width: png.width,
      height: png.height,
      rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length),
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
