// Multiboot v1 on hand-made images: header search and checks, the address
// fields (a.out kludge), and the information structure a kernel reads.
import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { LoaderError } from "../../lib/loader/entry.ts";
import {
  findMultibootHeader,
  InfoFlag,
  loadMultiboot,
  MULTIBOOT_BOOT_MAGIC,
} from "../../lib/loader/multiboot.ts";
import { concat, cString, elfImage, mb1Header, pcMemory, untouched } from "./fixtures.ts";

const options = (memoryBytes: number) => ({
  memoryBytes,
  cmdline: "console=ttyS0 debug",
  modules: [
    { data: new TextEncoder().encode("first module"), cmdline: "initrd.img" },
    { data: new Uint8Array(5000).fill(0x5a), cmdline: "second arg" },
  ],
  imageName: "kernel.elf",
});

/** An ELF32 Multiboot kernel at 1 MiB whose payload starts with the header (and `fields`). */
function mb1Elf(
  flags = 0x3,
  extra: Parameters<typeof elfImage>[0] = {},
  fields: number[] = [],
) {
  const payload = concat(mb1Header(flags, fields), new Uint8Array([0xf4]));
  const entry = 0x10000c + fields.length * 4;
  return elfImage({ payload, entry, bss: 0x3000, sections: true, ...extra }).bytes;
}

/** The header's unused address fields, then EGA text (mode type 1, 80x25). */
const EGA_TEXT_FIELDS = [0, 0, 0, 0, 0, 1, 80, 25, 0];

Deno.test("multiboot: the header is found 4-aligned in the first 8 KiB", () => {
  const image = mb1Elf();
  deepStrictEqual(findMultibootHeader(image), { offset: 0x1000, flags: 3 });
  const late = new Uint8Array(9000);
  late.set(mb1Header(0), 8192);
  strictEqual(findMultibootHeader(late), undefined);
  const unaligned = new Uint8Array(64);
  unaligned.set(mb1Header(0), 2);
  strictEqual(findMultibootHeader(unaligned), undefined);
});

Deno.test("multiboot: broken headers are one-line LoaderErrors", () => {
  const cases: [Uint8Array, RegExp][] = [
    [mb1Header(0, [], 1), /bad checksum/],
    [mb1Header(0x8), /requires features picovmm lacks \(flags 0x8\)/],
    [mb1Header(0x10000, [0x100000]), /header is truncated/],
    [mb1Header(0x10000, [0x100000, 0x100010, 0, 0, 0x100000]), /load address lies above/],
    [mb1Header(0x10000, [0x100100, 0x100000, 0, 0, 0x100100]), /load start before the file/],
    [mb1Header(0x10000, [0x100000, 0x100000, 0xff000, 0, 0x100000]), /end address lies below/],
    [mb1Header(0x10000, [0x100000, 0x100000, 0x200000, 0, 0x100000]), /beyond the end of the file/],
    [mb1Header(0x10000, [0x100000, 0x100000, 0, 0x100010, 0x100000]), /BSS ends before/],
    [mb1Header(0x10000, [0x100000, 0x100000, 0, 0, 0x200000]), /entry address 0x200000 lies/],
  ];
  for (const [image, message] of cases) {
    const { memory, bytes } = pcMemory();
    throws(
      () => {
        const header = findMultibootHeader(image);
        if (!header) throw new Error("no header found");
        loadMultiboot(memory, image, header, options(bytes));
      },
      (e: unknown) => e instanceof LoaderError && message.test(e.message) && !/\n/.test(e.message),
    );
    strictEqual(untouched(memory), true, `${message}: nothing written`);
  }
});

Deno.test("multiboot: a kernel over picovmm's low boot data or outside RAM is refused", () => {
  for (const [paddr, message] of [[0x8000, /over picovmm's boot data/], [0x600000, /not in/]]) {
    const image = mb1Elf(3, { paddr: paddr as number, entry: paddr as number });
    const { memory, bytes } = pcMemory();
    throws(
      () => loadMultiboot(memory, image, findMultibootHeader(image)!, options(bytes)),
      message as RegExp,
    );
    strictEqual(untouched(memory), true);
  }
});

Deno.test("multiboot: the information structure", () => {
  const image = mb1Elf(0x7, {}, EGA_TEXT_FIELDS);
  const { memory, bytes } = pcMemory(4);
  const loaded = loadMultiboot(memory, image, findMultibootHeader(image)!, options(bytes));
  const mbi = loaded.info;
  strictEqual(loaded.entry.eip, 0x100030);
  deepStrictEqual(loaded.entry.regs, { rax: MULTIBOOT_BOOT_MAGIC, rbx: mbi });
  const flags = memory.readU32(mbi);
  const expected = InfoFlag.MEMORY | InfoFlag.CMDLINE | InfoFlag.MODULES | InfoFlag.MEMORY_MAP |
    InfoFlag.LOADER_NAME | InfoFlag.ELF_SECTIONS | InfoFlag.FRAMEBUFFER;
  strictEqual(flags, expected);
  strictEqual(memory.readU32(mbi + 4), 640);
  strictEqual(memory.readU32(mbi + 8), 4096);
  strictEqual(cString(memory, memory.readU32(mbi + 16)), "kernel.elf console=ttyS0 debug");
  // Modules: page-aligned after the kernel's BSS, in order, with their strings.
  strictEqual(memory.readU32(mbi + 20), 2);
  const mods = memory.readU32(mbi + 24);
  const first = memory.readU32(mods);
  strictEqual(first, 0x104000);
  strictEqual(memory.readU32(mods + 4), first + 12);
  strictEqual(new TextDecoder().decode(memory.read(first, 12)), "first module");
  strictEqual(cString(memory, memory.readU32(mods + 8)), "initrd.img");
  strictEqual(memory.readU32(mods + 16), 0x105000);
  strictEqual(memory.readU32(mods + 20), 0x105000 + 5000);
  strictEqual(memory.readU8(0x105000 + 4999), 0x5a);
  strictEqual(cString(memory, memory.readU32(mods + 24)), "second arg");
  // ELF sections: the table copied, the symbol table's contents loaded and pointed to.
  strictEqual(memory.readU32(mbi + 28), 4);
  strictEqual(memory.readU32(mbi + 32), 40);
  strictEqual(memory.readU32(mbi + 40), 3);
  const table = memory.readU32(mbi + 36);
  strictEqual(memory.readU32(table + 40 + 12), 0x100000, ".text keeps its address");
  const symtab = memory.readU32(table + 80 + 12);
  strictEqual(symtab >= 0x105000 + 5000 && symtab % 4096 === 0, true);
  // The memory map: 640 KiB, the hole, RAM from 1 MiB; entries of size 20.
  const length = memory.readU32(mbi + 44);
  const map = memory.readU32(mbi + 48);
  strictEqual(length, 72);
  const entries = [0, 1, 2].map((i) => {
    const at = map + i * 24;
    return [
      memory.readU32(at),
      memory.readU32(at + 4),
      memory.readU32(at + 12),
      memory.readU32(at + 20),
    ];
  });
  deepStrictEqual(entries, [[20, 0, 0xa0000, 1], [20, 0xa0000, 0x60000, 2], [
    20,
    0x100000,
    4 << 20,
    1,
  ]]);
  strictEqual(cString(memory, memory.readU32(mbi + 64)), "picovmm");
  // Framebuffer (header asked for EGA text): the text screen.
  strictEqual(memory.readU32(mbi + 88), 0xb8000);
  strictEqual(memory.readU32(mbi + 96), 160);
  strictEqual(memory.readU32(mbi + 100), 80);
  strictEqual(memory.readU32(mbi + 104), 25);
  strictEqual(memory.readU8(mbi + 109), 2);
  strictEqual(memory.readU8(0x100000 + 48), 0xf4, "the kernel is loaded");
});

Deno.test("multiboot: the address fields load a flat image and its BSS", () => {
  // header at 0x100000 (file 0), loads the whole file, 0x2000 of BSS, entry after the header.
  const code = new Uint8Array([0xfa, 0xf4]);
  const head = mb1Header(0x10002, [0x100000, 0x100000, 0, 0x104000, 0x100020]);
  const image = concat(head, new Uint8Array(0x20 - head.length), code);
  const { memory, bytes } = pcMemory();
  memory.write(0x103000, new Uint8Array(16).fill(9));
  const loaded = loadMultiboot(memory, image, findMultibootHeader(image)!, {
    memoryBytes: bytes,
    cmdline: "",
    modules: [{ data: new Uint8Array([1]), cmdline: "m" }],
  });
  strictEqual(loaded.entry.eip, 0x100020);
  deepStrictEqual([...memory.read(0x100020, 2)], [0xfa, 0xf4]);
  strictEqual(memory.readU8(0x103000), 0, "BSS zeroed");
  strictEqual(loaded.modules[0].start, 0x104000, "modules go after the BSS");
  strictEqual(cString(memory, memory.readU32(loaded.info + 16)), "kernel");
  strictEqual(memory.readU32(loaded.info) & InfoFlag.ELF_SECTIONS, 0);
});

Deno.test("multiboot: modules that do not fit RAM are refused", () => {
  const image = mb1Elf();
  const { memory, bytes } = pcMemory(1);
  throws(
    () =>
      loadMultiboot(memory, image, findMultibootHeader(image)!, {
        memoryBytes: bytes,
        cmdline: "",
        modules: [{ data: new Uint8Array(2 << 20), cmdline: "" }],
      }),
    /module 1 \(2097152 bytes\) does not fit in guest RAM/,
  );
});
