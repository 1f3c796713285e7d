// Multiboot2 on hand-made images: the header and its tags, and the boot
// information tags a kernel walks.
import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { LoaderError } from "../../lib/loader/entry.ts";
import {
  findMultiboot2Header,
  InfoTag,
  loadMultiboot2,
  MULTIBOOT2_BOOT_MAGIC,
} from "../../lib/loader/multiboot2.ts";
import { concat, cString, elfImage, mb2Header, pcMemory, untouched } from "./fixtures.ts";

Deno.test("multiboot2: broken headers and unmet requirements are one-line LoaderErrors", () => {
  const cases: [Uint8Array, RegExp][] = [
    [mb2Header([], { checksumDelta: 1 }), /bad checksum/],
    [mb2Header([], { arch: 4 }), /architecture 4, not i386/],
    [mb2Header([], { length: 4000 }), /length 4000 does not fit/],
    [mb2Header([], { length: 16 }), /length 16 does not fit/],
    [mb2Header([[1, 0, 1, 14]]), /requires information tag 14/],
    [mb2Header([[42, 0]]), /unknown required Multiboot2 header tag 42/],
    [mb2Header([[2, 0, 0x100000]]), /tag 2 is too short/],
    [mb2Header([[3, 0]]), /tag 3 is too short/],
    [mb2Header([[2, 0, 0x100000, 0x100000, 0, 0]]), /address tag but no entry address tag/],
  ];
  for (const [header, message] of cases) {
    const image = concat(header, new Uint8Array(64));
    const { memory, bytes } = pcMemory();
    throws(
      () => {
        const h = findMultiboot2Header(image);
        if (!h) throw new Error("no header");
        loadMultiboot2(memory, image, h, { memoryBytes: bytes, cmdline: "", modules: [] });
      },
      (e: unknown) => e instanceof LoaderError && message.test(e.message) && !/\n/.test(e.message),
    );
    strictEqual(untouched(memory), true);
  }
  // A tag whose size runs past the header, and a header without an end tag.
  const overrun = mb2Header([[4, 0, 2]]);
  new DataView(overrun.buffer).setUint32(16 + 4, 200, true);
  throws(() => findMultiboot2Header(overrun), /tag 4 at 0x10 has size 200/);
  const endless = mb2Header([[4, 0, 2]]);
  endless.fill(0xff, 32, 40);
  throws(() => findMultiboot2Header(endless), /tag 65535 at 0x20 has size 4294967295/);
});

Deno.test("multiboot2: optional requests and tags picovmm lacks are fine", () => {
  const image = concat(
    mb2Header([[1, 1, 14, 15], [42, 1], [5, 1, 1024, 768, 32]]),
    new Uint8Array(8),
  );
  strictEqual(findMultiboot2Header(image)?.offset, 0);
});

Deno.test("multiboot2: the information tags", () => {
  const payload = concat(mb2Header([[1, 0, 1, 3, 4, 6, 8, 9]]), new Uint8Array([0xf4]));
  const image = elfImage({ payload, entry: 0x100030, sections: true }).bytes;
  const { memory, bytes } = pcMemory(8);
  const loaded = loadMultiboot2(memory, image, findMultiboot2Header(image)!, {
    memoryBytes: bytes,
    cmdline: "root=/dev/ram0",
    modules: [{ data: new TextEncoder().encode("MOD"), cmdline: "mod args" }],
  });
  const info = loaded.info;
  strictEqual(info % 8, 0);
  deepStrictEqual(loaded.entry.regs, { rax: MULTIBOOT2_BOOT_MAGIC, rbx: info });
  strictEqual(loaded.entry.eip, 0x100030);
  const total = memory.readU32(info);
  const tags = new Map<number, number>();
  for (let at = info + 8; at < info + total;) {
    const type = memory.readU32(at);
    tags.set(type, at);
    if (type === InfoTag.END) break;
    at += Math.ceil(memory.readU32(at + 4) / 8) * 8;
  }
  deepStrictEqual([...tags.keys()], [1, 2, 3, 4, 6, 8, 9, 0]);
  strictEqual(tags.get(0)! + 8, info + total, "the end tag closes total_size");
  strictEqual(cString(memory, tags.get(1)! + 8), "root=/dev/ram0");
  strictEqual(cString(memory, tags.get(2)! + 8), "picovmm");
  const mod = tags.get(3)!;
  strictEqual(memory.readU32(mod + 8) % 4096, 0);
  strictEqual(memory.readU32(mod + 12) - memory.readU32(mod + 8), 3);
  strictEqual(cString(memory, mod + 16), "mod args");
  deepStrictEqual([memory.readU32(tags.get(4)! + 8), memory.readU32(tags.get(4)! + 12)], [
    640,
    8192,
  ]);
  const mmap = tags.get(6)!;
  strictEqual(memory.readU32(mmap + 8), 24);
  strictEqual(memory.readU32(mmap + 4), 16 + 3 * 24);
  strictEqual(memory.readU32(mmap + 16 + 48), 0x100000);
  strictEqual(memory.readU32(mmap + 16 + 48 + 8), 8 << 20);
  strictEqual(memory.readU32(mmap + 16 + 48 + 16), 1);
  const fb = tags.get(8)!;
  strictEqual(memory.readU32(fb + 8), 0xb8000);
  strictEqual(memory.readU8(fb + 8 + 21), 2, "EGA text");
  const elf = tags.get(9)!;
  deepStrictEqual([memory.readU32(elf + 8), memory.readU32(elf + 12), memory.readU32(elf + 16)], [
    4,
    40,
    3,
  ]);
});

Deno.test("multiboot2: an optional request for the ACPI RSDPs gets no ACPI tag (no tables)", () => {
  const payload = concat(mb2Header([[1, 1, 14, 15]]), new Uint8Array([0xf4]));
  const image = elfImage({ payload, entry: 0x100028 }).bytes; // the HLT after the header
  const { memory, bytes } = pcMemory();
  const { info } = loadMultiboot2(memory, image, findMultiboot2Header(image)!, {
    memoryBytes: bytes,
    cmdline: "",
    modules: [],
  });
  const types: number[] = [];
  for (let at = info + 8; at < info + memory.readU32(info);) {
    types.push(memory.readU32(at));
    at += Math.ceil(memory.readU32(at + 4) / 8) * 8;
  }
  strictEqual(types.at(-1), 0, "the end tag");
  strictEqual(types.includes(14) || types.includes(15), false, `tags ${types}`);
});

Deno.test("multiboot2: an address tag loads a flat image at its address with the entry tag", () => {
  const header = mb2Header([[2, 0, 0x100000, 0x100000, 0, 0x103000], [3, 0, 0x100040]]);
  const image = concat(header, new Uint8Array(0x40 - header.length), new Uint8Array([0xf4]));
  const { memory, bytes } = pcMemory();
  const loaded = loadMultiboot2(memory, image, findMultiboot2Header(image)!, {
    memoryBytes: bytes,
    cmdline: "",
    modules: [],
  });
  strictEqual(loaded.entry.eip, 0x100040);
  strictEqual(memory.readU8(0x100040), 0xf4);
});

Deno.test("multiboot2: an ELF64 kernel loads by its segments and starts at its 32-bit entry", () => {
  const payload = concat(mb2Header([]), new Uint8Array([0xf4]));
  const image = elfImage({ class: 64, payload, paddr: 0x200000, entry: 0x200018 }).bytes;
  const { memory, bytes } = pcMemory();
  const loaded = loadMultiboot2(memory, image, findMultiboot2Header(image)!, {
    memoryBytes: bytes,
    cmdline: "",
    modules: [],
  });
  strictEqual(loaded.entry.eip, 0x200018);
  strictEqual(loaded.entry.longModePml4, undefined, "Multiboot2 enters in 32-bit mode");
  strictEqual(memory.readU8(0x200018), 0xf4);
  // An entry above 4 GiB (a higher-half e_entry) needs the entry address tag.
  const high = elfImage({ class: 64, payload, entry: 0x100000 });
  new DataView(high.bytes.buffer).setBigUint64(24, 0xffffffff80100000n, true);
  throws(
    () =>
      loadMultiboot2(memory, high.bytes, findMultiboot2Header(high.bytes)!, {
        memoryBytes: bytes,
        cmdline: "",
        modules: [],
      }),
    /entry 0xffffffff80100000 lies above 4 GiB/,
  );
});
