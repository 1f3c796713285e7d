// The .xz decoder against streams made by the `xz` command at test time (xz-utils): LZMA2 with
// and without the x86 BCJ filter (and its start offset), other lc/lp/pb, several blocks,
// concatenated streams, stored chunks, every check type; damaged and cut data is refused with
// an XzError, never another exception.
import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { crc32, decodeXz, isXz, unfilterX86, XzError } from "../../lib/loader/xz.ts";
import { xzCompress } from "../support/xz.ts";

/**
 * Bytes like compiled x86 code: runs of text, calls and jumps (E8/E9 rel32), E8/E9 bytes close
 * together, zeros.
 */
function codeLike(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) >>> 0) >>> 16;
  for (let i = 0; i < length;) {
    const kind = next() % 8;
    if (kind < 3 && i + 5 <= length) {
      // A call or jump to somewhere within 64 KiB either way.
      const rel = (next() % 0x20000) - 0x10000;
      out.set([kind === 0 ? 0xe9 : 0xe8, rel & 0xff, (rel >> 8) & 0xff, (rel >> 16) & 0xff], i);
      out[i + 4] = rel < 0 ? 0xff : 0;
      i += 5;
    } else if (kind === 6) {
      // Opcode-like bytes close together, as in data or misread code: the filter's doubtful cases.
      const run = 1 + next() % 8;
      for (let k = 0; k < run && i < length; k++) {
        out[i++] = [0xe8, 0xe9, 0, 0xff, 0x12][next() % 5];
      }
    } else if (kind < 6) {
      const run = 1 + next() % 12;
      for (let k = 0; k < run && i < length; k++) out[i++] = 0x40 + next() % 40;
    } else {
      i += 1 + next() % 6; // zeros (kind 7)
    }
  }
  return out;
}

const code = codeLike(200_000);

Deno.test("xz: LZMA2 with the x86 filter, as Linux compresses a kernel, decodes exactly", async () => {
  const packed = await xzCompress(code, ["--check=crc32", "--x86", "--lzma2"]);
  strictEqual(isXz(packed), true);
  deepStrictEqual(decodeXz(packed), code);
});

Deno.test("xz: other properties, a filter start offset, blocks, and every check type", async () => {
  for (
    const flags of [
      ["--check=crc64", "--lzma2=preset=1,lc=0,lp=2,pb=0"],
      ["--check=sha256", "--x86=start=4096", "--lzma2=preset=6,lc=4,lp=0,pb=4"],
      ["--check=none", "--block-size=30000"],
      ["--check=crc32", "-9e"],
    ]
  ) {
    deepStrictEqual(decodeXz(await xzCompress(code, flags)), code, flags.join(" "));
  }
});

Deno.test("xz: chunks stored uncompressed and streams one after another", async () => {
  const random = crypto.getRandomValues(new Uint8Array(60_000));
  const first = await xzCompress(random, ["--check=crc32"]);
  const second = await xzCompress(code.subarray(0, 5000), ["--check=crc32"]);
  const both = new Uint8Array(first.length + 8 + second.length);
  both.set(first);
  both.set(second, first.length + 8); // 8 bytes of stream padding between them
  const out = decodeXz(both);
  deepStrictEqual(out.subarray(0, random.length), random);
  deepStrictEqual(out.subarray(random.length), code.subarray(0, 5000));
});

Deno.test("xz: a filter the decoder lacks is named in an XzError", async () => {
  const packed = await xzCompress(code.subarray(0, 1000), ["--delta=dist=4", "--lzma2"]);
  throws(() => decodeXz(packed), XzError, "unsupported filter 0x3");
});

Deno.test("xz: damaged or cut data is refused with an XzError, never another error", async () => {
  const packed = await xzCompress(code.subarray(0, 20_000), ["--check=crc32", "--x86", "--lzma2"]);
  let refused = 0;
  let seed = 7;
  for (let i = 0; i < 300; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const damaged = packed.slice();
    damaged[seed % damaged.length] ^= 1 + (seed >>> 24) % 255;
    try {
      decodeXz(damaged);
    } catch (e) {
      if (!(e instanceof XzError)) throw e;
      refused++;
    }
  }
  // CRC32s cover the headers, the block, the index and the footer: every change is caught.
  strictEqual(refused, 300, `${refused} of 300 damaged streams refused`);
  for (let cut = 0; cut < packed.length; cut += 97) {
    throws(() => decodeXz(packed.subarray(0, cut)), XzError);
  }
  throws(() => decodeXz(new Uint8Array(100)), XzError, "not .xz data");
});

Deno.test("xz: the x86 filter's inverse turns absolute call targets back into relative ones", () => {
  // E8 at 0x10 with absolute target 0x1234 + 0x15 (its end): relative 0x1234 comes back.
  const data = new Uint8Array(0x40);
  const absolute = 0x1234 + 0x15;
  data.set([0xe8, absolute & 0xff, absolute >> 8, 0, 0], 0x10);
  unfilterX86(data);
  deepStrictEqual([...data.subarray(0x10, 0x15)], [0xe8, 0x34, 0x12, 0, 0]);
  // A displacement whose top byte is neither 00 nor FF is not a converted one: left alone.
  const odd = Uint8Array.of(0xe8, 1, 2, 3, 0x40, 0, 0, 0, 0);
  unfilterX86(odd);
  deepStrictEqual([...odd], [0xe8, 1, 2, 3, 0x40, 0, 0, 0, 0]);
});

Deno.test("xz: crc32 is the IEEE one", () => {
  strictEqual(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
});

Deno.test("xz: a result larger than the limit is an XzError, whatever size it was said to have", async () => {
  const zeros = await xzCompress(new Uint8Array(1 << 20), ["--check=crc32"]);
  throws(() => decodeXz(zeros, 2 ** 40, 1 << 19), XzError, "more than 524288 bytes");
  strictEqual(decodeXz(zeros, 2 ** 40, 1 << 20).length, 1 << 20);
});
