// The ELF parser and segment loader on hand-made files, good and broken: every
// broken field is a one-line LoaderError, and nothing is written to the guest.
import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { loadElfSegments, parseElf } from "../../lib/loader/elf.ts";
import { LoaderError } from "../../lib/loader/entry.ts";
import { elfImage, pcMemory, untouched } from "./fixtures.ts";

Deno.test("elf: ELF32 and ELF64 segments, entry and sections are read", () => {
  for (const cls of [32, 64] as const) {
    const { bytes } = elfImage({
      class: cls,
      paddr: 0x200000,
      entry: 0x200010,
      payload: new Uint8Array(32).fill(7),
      bss: 64,
      sections: true,
    });
    const elf = parseElf(bytes);
    strictEqual(elf.class, cls);
    strictEqual(elf.entry, 0x200010n);
    deepStrictEqual(elf.segments, [{ paddr: 0x200000, offset: 0x1000, fileSize: 32, memSize: 96 }]);
    strictEqual(elf.sections?.count, 4);
    strictEqual(elf.sections?.stringIndex, 3);
    const { memory } = pcMemory();
    memory.write(0x200020, new Uint8Array(64).fill(0xaa)); // stale bytes where the BSS goes
    loadElfSegments(memory, elf, bytes);
    deepStrictEqual([...memory.read(0x200000, 32)], new Array(32).fill(7));
    strictEqual(memory.read(0x200020, 64).every((b) => b === 0), true, "BSS zeroed");
  }
});

/** Breaks one field of a good ELF32 and expects `message`. */
function broken(
  name: string,
  edit: (v: DataView, layout: ReturnType<typeof elfImage>) => Uint8Array | void,
  message: RegExp,
  options: Parameters<typeof elfImage>[0] = {},
) {
  Deno.test(`elf: ${name} is refused in one line`, () => {
    const layout = elfImage({ sections: true, ...options });
    const bytes = edit(new DataView(layout.bytes.buffer), layout) ?? layout.bytes;
    throws(() => parseElf(bytes), (e: unknown) => {
      if (!(e instanceof LoaderError)) return false;
      strictEqual(e.message.includes("\n"), false);
      return message.test(e.message);
    });
  });
}

broken("a bad class", (v) => v.setUint8(4, 3), /unknown ELF class 3/);
broken("big-endian data", (v) => v.setUint8(5, 2), /not little-endian/);
broken("a bad version", (v) => v.setUint8(6, 0), /ELF version/);
broken("a shared object", (v) => v.setUint16(16, 3, true), /not an executable/);
broken("an ARM machine", (v) => v.setUint16(18, 40, true), /machine 40/);
broken("ELF64 claiming i386", (v) => v.setUint16(18, 3, true), /machine 3, not x86-64/, {
  class: 64,
});
broken("a wrong program header size", (v) => v.setUint16(42, 31, true), /program header size/);
broken("no program headers", (v) => v.setUint16(44, 0, true), /no program headers/);
broken("program headers past the end", (v) => v.setUint32(28, 0xfffff0, true), /outside the file/);
broken(
  "a segment past the end of the file",
  (v, l) => v.setUint32(l.phoff + 16, 0x10000, true),
  /segment 0 lies outside the file/,
);
broken(
  "more file bytes than memory bytes",
  (v, l) => v.setUint32(l.phoff + 20, 8, true),
  /more file bytes than memory bytes/,
  { payload: new Uint8Array(16) },
);
broken(
  "a segment above 4 GiB",
  (v, l) => {
    v.setUint32(l.phoff + 12, 0xfffff000, true);
    v.setUint32(l.phoff + 20, 0x2000, true);
  },
  /ends above 4 GiB/,
);
broken("no loadable segment", (v, l) => v.setUint32(l.phoff, 6, true), /no loadable segments/);
broken("a wrong section header size", (v) => v.setUint16(46, 12, true), /section header size/);
broken(
  "section headers past the end",
  (v) => v.setUint16(48, 200, true),
  /section headers lie outside/,
);
broken("a section-name index out of range", (v) => v.setUint16(50, 9, true), /section-name index/);
broken(
  "a section past the end of the file",
  (v, l) => v.setUint32(l.shoff + 2 * 40 + 20, 0x100000, true),
  /section 2 lies outside the file/,
);
broken(
  "a note running past its segment",
  (v, l) => v.setUint32(l.payloadOffset + 1 + 4, 400, true),
  /note in segment 1 runs past/,
  { note: ["Xen", 18, new Uint8Array(4)] },
);
broken("a truncated ELF64 header", (_v, l) => l.bytes.slice(0, 60), /header is truncated/, {
  class: 64,
});
broken("a truncated ELF32 header", (_v, l) => l.bytes.slice(0, 40), /header is truncated/);

Deno.test("elf: a segment outside guest RAM writes nothing", () => {
  const good = elfImage({ paddr: 0x100000, payload: new Uint8Array(16).fill(1) });
  const bad = elfImage({ paddr: 0x100000, payload: new Uint8Array(16).fill(1), bss: 64 << 20 });
  const { memory } = pcMemory();
  throws(() => loadElfSegments(memory, parseElf(bad.bytes), bad.bytes), /not in guest RAM/);
  strictEqual(untouched(memory), true);
  loadElfSegments(memory, parseElf(good.bytes), good.bytes);
  strictEqual(memory.readU8(0x10000f), 1);
});
