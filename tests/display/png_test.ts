import { deepStrictEqual, rejects, strictEqual, throws } from "@std/assert";
import { decode } from "fast-png";
import { encodePng, writePngAtomically } from "../../lib/display/png.ts";
import { renderText } from "../../lib/display/raster.ts";
import { VgaText } from "../../lib/devices/vga-text.ts";

/** A small image with distinct pixels. */
function sample() {
  const width = 3;
  const height = 2;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 37) & 0xff;
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  return { width, height, rgba };
}

Deno.test("encodePng: a PNG that decodes back to the same pixels", () => {
  const image = sample();
  const png = encodePng(image);
  deepStrictEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const back = decode(png);
  strictEqual(back.width, 3);
  strictEqual(back.height, 2);
  strictEqual(back.channels, 4);
  strictEqual(back.depth, 8);
  deepStrictEqual([...back.data], [...image.rgba]);
});

Deno.test("encodePng: a whole 720x400 text screen round-trips", () => {
  const vga = new VgaText();
  const text = new TextEncoder().encode("Hello, PNG");
  text.forEach((c, i) => vga.write(i * 2, new Uint8Array([c, 0x1e])));
  const image = renderText(vga);
  const back = decode(encodePng(image));
  strictEqual(back.width, 720);
  strictEqual(back.height, 400);
  deepStrictEqual(back.data, image.rgba);
});

Deno.test("encodePng rejects a buffer of the wrong size", () => {
  throws(() => encodePng({ width: 2, height: 2, rgba: new Uint8Array(15) }), RangeError);
  throws(() => encodePng({ width: 0, height: 2, rgba: new Uint8Array(0) }), RangeError);
});

Deno.test("writePngAtomically: writes the file, replaces an old one, leaves no temporary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/shot.png`;
    await Deno.writeTextFile(path, "old contents");
    await writePngAtomically(path, sample());
    deepStrictEqual([...decode(await Deno.readFile(path)).data], [...sample().rgba]);
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    deepStrictEqual(names, ["shot.png"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writePngAtomically: a relative name lands in the current directory", async () => {
  const dir = await Deno.makeTempDir();
  const cwd = Deno.cwd();
  try {
    Deno.chdir(dir);
    await writePngAtomically("bare.png", sample());
    strictEqual(decode(await Deno.readFile(`${dir}/bare.png`)).width, 3);
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writePngAtomically: on failure nothing is left behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The target is a non-empty directory, so the final rename fails after the write.
    await Deno.mkdir(`${dir}/taken.png`);
    await Deno.writeTextFile(`${dir}/taken.png/keep`, "x");
    await rejects(writePngAtomically(`${dir}/taken.png`, sample()));
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    deepStrictEqual(names, ["taken.png"]);
    // A missing directory fails before anything is written.
    await rejects(writePngAtomically(`${dir}/missing/shot.png`, sample()), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
