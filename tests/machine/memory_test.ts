import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { GuestMemory, GuestMemoryError } from "../../lib/machine/memory.ts";

function memory(): GuestMemory {
  const m = new GuestMemory();
  m.addRegion(0, new Uint8Array(0x1000));
  m.addRegion(0x100000, new Uint8Array(0x1000));
  return m;
}

Deno.test("memory: reads and writes inside regions, little-endian", () => {
  const m = memory();
  m.writeU32(0xffc, 0x11223344);
  strictEqual(m.readU32(0xffc), 0x11223344);
  strictEqual(m.readU16(0xffe), 0x1122);
  strictEqual(m.readU8(0xffc), 0x44);
  m.write(0x100010, new Uint8Array([1, 2, 3]));
  deepStrictEqual([...m.read(0x100010, 3)], [1, 2, 3]);
});

Deno.test("memory: every access outside RAM or across a gap is refused", () => {
  const m = memory();
  for (
    const [address, length] of [
      [0xfff, 2],
      [0x1000, 1],
      [-1, 1],
      [0xfffff, 2],
      [0x101000, 1],
      [2 ** 53, 1],
      [Number.NaN, 1],
      [0, -1],
      [0, 0x1001],
      [1.5, 1],
    ]
  ) {
    throws(() => m.view(address, length), GuestMemoryError, `${address}+${length}`);
  }
  throws(() => m.writeU32(0xffe, 1), GuestMemoryError);
});

Deno.test("memory: overlapping regions are rejected", () => {
  const m = memory();
  throws(() => m.addRegion(0x800, new Uint8Array(0x1000)), GuestMemoryError);
  throws(() => m.addRegion(0x2000, new Uint8Array(0)), GuestMemoryError);
});
