import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { buildMpTables, IOAPIC_BASE, IOAPIC_ID, LAPIC_BASE } from "../../lib/bios/mptable.ts";

const sum = (b: Uint8Array) => b.reduce((s, x) => s + x, 0) & 0xff;

/** Reads the tables as an MP-spec OS does: the pointer, then the table it names. */
function parse(memory: Uint8Array, base: number) {
  const fp = memory.subarray(base, base + 16);
  strictEqual(String.fromCharCode(...fp.subarray(0, 4)), "_MP_");
  strictEqual(sum(fp), 0, "floating pointer checksum");
  const fv = new DataView(fp.buffer, fp.byteOffset);
  const tableAt = fv.getUint32(4, true);
  strictEqual(fp[8], 1);
  strictEqual(fp[9], 4);
  const tv = new DataView(memory.buffer, tableAt);
  const length = tv.getUint16(4, true);
  const table = memory.subarray(tableAt, tableAt + length);
  strictEqual(String.fromCharCode(...table.subarray(0, 4)), "PCMP");
  strictEqual(sum(table), 0, "configuration table checksum");
  const entries: number[][] = [];
  let at = 44;
  for (let i = 0; i < tv.getUint16(34, true); i++) {
    const size = table[at] === 0 ? 20 : 8;
    entries.push([...table.subarray(at, at + size)]);
    at += size;
  }
  strictEqual(at, length, "the entries fill the table");
  return { lapic: tv.getUint32(36, true), entries };
}

Deno.test("mptable: checksummed pointer and table with CPU 0, ISA, the IOAPIC and its pins", () => {
  const memory = new Uint8Array(0x100000);
  const base = 0x9fc10;
  memory.set(buildMpTables(base), base);
  const { lapic, entries } = parse(memory, base);
  strictEqual(lapic, LAPIC_BASE);
  const cpus = entries.filter((e) => e[0] === 0);
  strictEqual(cpus.length, 1);
  strictEqual(cpus[0][1], 0, "LAPIC ID 0");
  strictEqual(cpus[0][3], 3, "enabled, bootstrap processor");
  deepStrictEqual(
    entries.filter((e) => e[0] === 1).map((e) => String.fromCharCode(...e.slice(2))),
    [
      "ISA   ",
    ],
  );
  const ioapic = entries.find((e) => e[0] === 2)!;
  strictEqual(ioapic[1], IOAPIC_ID);
  strictEqual(new DataView(Uint8Array.from(ioapic).buffer).getUint32(4, true), IOAPIC_BASE);
  // ISA IRQ -> IOAPIC pin for the normal interrupts.
  const pins = new Map(entries.filter((e) => e[0] === 3 && e[1] === 0).map((e) => [e[5], e[7]]));
  strictEqual(pins.get(0), 2, "the PIT on pin 2");
  strictEqual(pins.get(1), 1);
  strictEqual(pins.get(14), 14);
  strictEqual(pins.has(2), false);
  strictEqual(pins.size, 15);
  const lint = entries.filter((e) => e[0] === 4).map((e) => [e[1], e[7]]);
  deepStrictEqual(lint, [[3, 0], [1, 1]], "ExtINT on LINT0, NMI on LINT1");
});

Deno.test("mptable: a misaligned or high base is refused", () => {
  throws(() => buildMpTables(0x9fc11), RangeError);
  throws(() => buildMpTables(0x100000), RangeError);
});
