// The linear framebuffer through the loaders: the mode picovmm picks for a request, the
// Multiboot v1 video mode fields and the Multiboot2 framebuffer tag, broken ones, and the
// boot information's framebuffer fields a kernel reads.
import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { LoaderError } from "../../lib/loader/entry.ts";
import {
  chooseFramebufferMode,
  FRAMEBUFFER_BASE,
  framebufferBytes,
  type LinearFramebufferMode,
} from "../../lib/loader/framebuffer.ts";
import { detectImage, kernelFramebuffer } from "../../lib/loader/kernel.ts";
import { findMultibootHeader, InfoFlag, loadMultiboot } from "../../lib/loader/multiboot.ts";
import { findMultiboot2Header, InfoTag, loadMultiboot2 } from "../../lib/loader/multiboot2.ts";
import { concat, elfImage, mb1Header, mb2Header, pcMemory, untouched } from "./fixtures.ts";

const mode = (width: number, height: number): LinearFramebufferMode => ({
  address: FRAMEBUFFER_BASE,
  width,
  height,
  pitch: width * 4,
  bpp: 32,
});

/** A Multiboot v1 ELF kernel whose header asks for a video mode: [type, width, height, depth]. */
function mb1Video(video: number[]): Uint8Array {
  const payload = concat(mb1Header(0x7, [0, 0, 0, 0, 0, ...video]), new Uint8Array([0xf4]));
  return elfImage({ payload, entry: 0x100030 }).bytes;
}

/** A Multiboot2 ELF kernel with the given header tags. */
function mb2Kernel(tags: Parameters<typeof mb2Header>[0]): Uint8Array {
  const header = mb2Header(tags);
  const payload = concat(header, new Uint8Array([0xf4]));
  return elfImage({ payload, entry: 0x100000 + header.length }).bytes;
}

const boot = (bytes: number) => ({ memoryBytes: bytes, cmdline: "", modules: [] });

Deno.test("framebuffer mode: the request when it fits, else 1024x768; always 32 bits", () => {
  deepStrictEqual(chooseFramebufferMode({ width: 800, height: 600, depth: 32 }), mode(800, 600));
  deepStrictEqual(chooseFramebufferMode({ width: 640, height: 480, depth: 8 }), mode(640, 480));
  deepStrictEqual(chooseFramebufferMode({ width: 0, height: 0, depth: 0 }), mode(1024, 768));
  deepStrictEqual(chooseFramebufferMode({ width: 800, height: 0, depth: 24 }), mode(1024, 768));
  deepStrictEqual(
    chooseFramebufferMode({ width: 2560, height: 1600, depth: 32 }),
    mode(2560, 1600),
  );
  // Larger than picovmm's 16 MiB, or wider than 4096: the loader picks its default.
  deepStrictEqual(chooseFramebufferMode({ width: 3840, height: 2160, depth: 32 }), mode(1024, 768));
  deepStrictEqual(chooseFramebufferMode({ width: 8192, height: 1, depth: 32 }), mode(1024, 768));
  deepStrictEqual(
    chooseFramebufferMode({ width: 0xffffffff, height: 0xffffffff, depth: 0xffffffff }),
    mode(1024, 768),
  );
  strictEqual(framebufferBytes(mode(1024, 768)), 3 << 20);
});

Deno.test("multiboot framebuffer: a graphics request gets an RGB framebuffer in the information", () => {
  const image = mb1Video([0, 800, 600, 24]);
  const header = findMultibootHeader(image)!;
  deepStrictEqual(header.video, { modeType: 0, width: 800, height: 600, depth: 24 });
  deepStrictEqual(kernelFramebuffer(detectImage(image, "auto")), mode(800, 600));
  const { memory, bytes } = pcMemory();
  const mbi = loadMultiboot(memory, image, header, boot(bytes)).info;
  strictEqual(memory.readU32(mbi) & InfoFlag.FRAMEBUFFER, InfoFlag.FRAMEBUFFER);
  deepStrictEqual(
    [88, 92, 96, 100, 104].map((o) => memory.readU32(mbi + o)),
    [FRAMEBUFFER_BASE, 0, 3200, 800, 600],
    "address (u64), pitch, width, height",
  );
  deepStrictEqual(
    [...memory.read(mbi + 108, 8)],
    [32, 1, 16, 8, 8, 8, 0, 8],
    "bpp, type RGB, red/green/blue position and size",
  );
});

Deno.test("multiboot framebuffer: no preference gives 1024x768x32", () => {
  const image = mb1Video([0, 0, 0, 0]);
  const { memory, bytes } = pcMemory();
  const mbi = loadMultiboot(memory, image, findMultibootHeader(image)!, boot(bytes)).info;
  deepStrictEqual([96, 100, 104].map((o) => memory.readU32(mbi + o)), [4096, 1024, 768]);
  strictEqual(memory.readU8(mbi + 108), 32);
});

Deno.test("multiboot framebuffer: EGA text is the text screen at 0xB8000, nothing mapped", () => {
  const image = mb1Video([1, 80, 25, 0]);
  strictEqual(kernelFramebuffer(detectImage(image, "auto")), undefined);
  const { memory, bytes } = pcMemory();
  const mbi = loadMultiboot(memory, image, findMultibootHeader(image)!, boot(bytes)).info;
  strictEqual(memory.readU32(mbi) & InfoFlag.FRAMEBUFFER, InfoFlag.FRAMEBUFFER);
  deepStrictEqual(
    [88, 92, 96, 100, 104].map((o) => memory.readU32(mbi + o)),
    [0xb8000, 0, 160, 80, 25],
  );
  deepStrictEqual([...memory.read(mbi + 108, 2)], [16, 2], "16 bits a cell, type EGA text");
});

Deno.test("multiboot framebuffer: without the video flag there is none", () => {
  const payload = concat(mb1Header(0x3), new Uint8Array([0xf4]));
  const image = elfImage({ payload, entry: 0x10000c }).bytes;
  strictEqual(findMultibootHeader(image)!.video, undefined);
  strictEqual(kernelFramebuffer(detectImage(image, "auto")), undefined);
  const { memory, bytes } = pcMemory();
  const mbi = loadMultiboot(memory, image, findMultibootHeader(image)!, boot(bytes)).info;
  strictEqual(memory.readU32(mbi) & InfoFlag.FRAMEBUFFER, 0);
});

Deno.test("multiboot framebuffer: broken video fields are one-line LoaderErrors", () => {
  const cases: [Uint8Array, RegExp][] = [
    [mb1Video([2, 1024, 768, 32]), /asks for video mode type 2 \(0 is linear graphics/],
    [mb1Video([0xffffffff, 0, 0, 0]), /video mode type 4294967295/],
    // The flag without the fields: the header ends before them.
    [mb1Header(0x7, [0, 0, 0, 0, 0, 0, 1024]), /header is truncated/],
  ];
  for (const [image, message] of cases) {
    const { memory, bytes } = pcMemory();
    throws(
      () => loadMultiboot(memory, image, findMultibootHeader(image)!, boot(bytes)),
      (e: unknown) => e instanceof LoaderError && message.test(e.message) && !/\n/.test(e.message),
    );
    throws(() => detectImage(image, "auto"), message, "refused before a VM exists");
    strictEqual(untouched(memory), true);
  }
});

/** The Multiboot2 information's framebuffer tag: its address and size. */
function mb2FramebufferTag(
  image: Uint8Array,
): { memory: ReturnType<typeof pcMemory>["memory"]; at: number } {
  const { memory, bytes } = pcMemory();
  const info = loadMultiboot2(memory, image, findMultiboot2Header(image)!, boot(bytes)).info;
  for (let at = info + 8; at < info + memory.readU32(info);) {
    const type = memory.readU32(at);
    if (type === InfoTag.FRAMEBUFFER) return { memory, at };
    if (type === InfoTag.END) break;
    at += Math.ceil(memory.readU32(at + 4) / 8) * 8;
  }
  throw new Error("no framebuffer tag");
}

Deno.test("multiboot2 framebuffer: the framebuffer tag gets an RGB framebuffer info tag", () => {
  const image = mb2Kernel([[5, 0, 1280, 1024, 32]]);
  deepStrictEqual(findMultiboot2Header(image)!.framebuffer, {
    width: 1280,
    height: 1024,
    depth: 32,
  });
  deepStrictEqual(kernelFramebuffer(detectImage(image, "auto")), mode(1280, 1024));
  const { memory, at } = mb2FramebufferTag(image);
  strictEqual(memory.readU32(at + 4), 38, "tag size: common part and RGB colour fields");
  deepStrictEqual(
    [8, 12, 16, 20, 24].map((o) => memory.readU32(at + o)),
    [FRAMEBUFFER_BASE, 0, 5120, 1280, 1024],
    "address (u64), pitch, width, height",
  );
  deepStrictEqual(
    [...memory.read(at + 28, 10)],
    [32, 1, 0, 0, 16, 8, 8, 8, 0, 8],
    "bpp, type RGB, reserved u16, red/green/blue position and size",
  );
});

Deno.test("multiboot2 framebuffer: an optional tag with no preference gets 1024x768x32", () => {
  const image = mb2Kernel([[5, 1, 0, 0, 0]]);
  const { memory, at } = mb2FramebufferTag(image);
  deepStrictEqual([16, 20, 24].map((o) => memory.readU32(at + o)), [4096, 1024, 768]);
  strictEqual(memory.readU8(at + 28), 32);
});

Deno.test("multiboot2 framebuffer: without the tag the info describes EGA text", () => {
  const image = mb2Kernel([[4, 0, 2]]);
  strictEqual(kernelFramebuffer(detectImage(image, "auto")), undefined);
  const { memory, at } = mb2FramebufferTag(image);
  strictEqual(memory.readU32(at + 4), 32);
  deepStrictEqual([8, 16, 20, 24].map((o) => memory.readU32(at + o)), [0xb8000, 160, 80, 25]);
  deepStrictEqual([...memory.read(at + 28, 2)], [16, 2]);
});

Deno.test("multiboot2 framebuffer: broken framebuffer tags are one-line LoaderErrors", () => {
  const cases: [Uint8Array, RegExp][] = [
    [mb2Kernel([[5, 0, 1024, 768]]), /tag 5 is too short/],
    [mb2Kernel([[5, 1]]), /tag 5 is too short/],
    [mb2Kernel([[5, 0, 1024, 768, 32], [5, 0, 800, 600, 32]]), /more than one framebuffer tag/],
  ];
  for (const [image, message] of cases) {
    throws(
      () => findMultiboot2Header(image),
      (e: unknown) => e instanceof LoaderError && message.test(e.message) && !/\n/.test(e.message),
    );
    throws(() => detectImage(image, "auto"), message);
  }
});
