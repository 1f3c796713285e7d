// PVH: the Xen entry note and struct hvm_start_info.
import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { parseElf } from "../../lib/loader/elf.ts";
import { findPvhEntry, HVM_START_MAGIC, loadPvh } from "../../lib/loader/pvh.ts";
import { cString, elfImage, pcMemory, u32s } from "./fixtures.ts";

const note = (desc: Uint8Array): Parameters<typeof elfImage>[0] => ({
  note: ["Xen", 18, desc],
  payload: new Uint8Array(32),
});

Deno.test("pvh: the entry note (4 or 8 bytes) is found; broken ones are refused", () => {
  strictEqual(findPvhEntry(parseElf(elfImage(note(u32s(0x100010))).bytes)), 0x100010);
  strictEqual(
    findPvhEntry(parseElf(elfImage({ ...note(u32s(0x100004, 0)), class: 64 }).bytes)),
    0x100004,
  );
  strictEqual(findPvhEntry(parseElf(elfImage({ note: ["Xen", 17, u32s(1)] }).bytes)), undefined);
  strictEqual(findPvhEntry(parseElf(elfImage({ note: ["GNU", 18, u32s(1)] }).bytes)), undefined);
  throws(() => findPvhEntry(parseElf(elfImage(note(new Uint8Array(2))).bytes)), /2 bytes/);
  throws(() => findPvhEntry(parseElf(elfImage(note(u32s(0x100000, 1))).bytes)), /above 4 GiB/);
  throws(() => findPvhEntry(parseElf(elfImage(note(u32s(0x300000))).bytes)), /outside the kernel/);
});

Deno.test("pvh: hvm_start_info with command line, modules and memory map", () => {
  const image = elfImage(note(u32s(0x100000))).bytes;
  const elf = parseElf(image);
  const { memory, bytes } = pcMemory(2);
  const loaded = loadPvh(memory, image, elf, findPvhEntry(elf)!, {
    memoryBytes: bytes,
    cmdline: "console=hvc0",
    modules: [{ data: new Uint8Array([1, 2, 3]), cmdline: "initrd" }],
  });
  const s = loaded.info;
  deepStrictEqual(loaded.entry, { eip: 0x100000, esp: 0x8000, regs: { rbx: s } });
  strictEqual(memory.readU32(s), HVM_START_MAGIC);
  strictEqual(memory.readU32(s + 4), 1);
  strictEqual(memory.readU32(s + 12), 1);
  const list = memory.readU32(s + 16);
  strictEqual(memory.readU32(list), 0x101000);
  strictEqual(memory.readU32(list + 8), 3);
  strictEqual(cString(memory, memory.readU32(list + 16)), "initrd");
  strictEqual(cString(memory, memory.readU32(s + 24)), "console=hvc0");
  strictEqual(memory.readU32(s + 32), 0, "no ACPI RSDP");
  const map = memory.readU32(s + 40);
  strictEqual(memory.readU32(s + 48), 3);
  deepStrictEqual(
    [0, 1, 2].map((
      i,
    ) => [
      memory.readU32(map + i * 24),
      memory.readU32(map + i * 24 + 8),
      memory.readU32(map + i * 24 + 16),
    ]),
    [[0, 0xa0000, 1], [0xa0000, 0x60000, 2], [0x100000, 2 << 20, 1]],
  );
});
