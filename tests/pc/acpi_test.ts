// The ACPI tables of a BIOS PC (software CPU), read as an OS reads them: the RSDP found by its
// scan, RSDT -> MADT followed, and the tables' memory outside the RAM that E820 hands out.
import "../../lib/machine/all-code.ts";
import { deepStrictEqual, ok, strictEqual } from "@std/assert";
import { createMachine } from "../../lib/machine/create.ts";
import { IOAPIC_BASE, LAPIC_BASE } from "../../lib/bios/mptable.ts";
import type { GuestMemory } from "../../lib/machine/memory.ts";
import { findRsdp, readMadt, readRsdp, readSdt } from "../support/acpi.ts";
import { bootSector } from "../support/disks.ts";

/** Copies the E820 map to 0x8000 (24-byte entries), its count to 0x7E00, and halts. */
const E820_GUEST = bootSector(`
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov di, 0x8000
    xor ebx, ebx
    xor bp, bp
  next:
    mov eax, 0xe820
    mov edx, 0x534d4150
    mov ecx, 24
    int 0x15
    jc done
    cmp eax, 0x534d4150
    jne done
    add di, 24
    inc bp
    test ebx, ebx
    jnz next
  done:
    mov [0x7e00], bp
    cli
    hlt`);

function found(at: number | undefined, what: string): number {
  if (at === undefined) throw new Error(`not found: ${what}`);
  return at;
}

/** The RSDP, RSDT and MADT as an OS finds them, each table's range with it. */
function readTables(memory: GuestMemory) {
  const ebda = memory.readU16(0x40e) << 4;
  const rsdpAt = found(
    findRsdp(memory, ebda),
    "an RSDP on a 16-byte boundary of the EBDA or 0xE0000-0xFFFFF",
  );
  const rsdp = readRsdp(memory, rsdpAt);
  const rsdt = readSdt(memory, rsdp.rsdt, "RSDT");
  const madtAt = found(
    rsdt.entries.find((at) => String.fromCharCode(...memory.read(at, 4)) === "APIC"),
    "the RSDT names a MADT",
  );
  const madt = readMadt(memory, madtAt);
  const ranges: [number, number][] = [
    [rsdpAt, 20],
    [rsdp.rsdt, rsdt.length],
    [madtAt, madt.header.length],
  ];
  return { rsdpAt, rsdp, rsdt, madt, ranges };
}

Deno.test("pc acpi: the RSDP is found by the OS scan, and RSDT -> MADT describe the APICs", async () => {
  const { machine, pc } = createMachine({ image: E820_GUEST, boot: "bios", accel: "emu" });
  try {
    strictEqual((await machine.run({ timeoutMs: 10_000 })).kind, "halt");
    const { rsdpAt, rsdp, rsdt, madt, ranges } = readTables(machine.memory);
    ok(rsdpAt >= 0xf0000, `RSDP at ${rsdpAt.toString(16)}: in the BIOS ROM`);
    strictEqual(rsdp.revision, 0);
    strictEqual(rsdp.oemId, "PICOVM");
    strictEqual(rsdt.entries.length, 1);
    strictEqual(madt.localApicAddress, LAPIC_BASE);
    strictEqual(madt.flags & 1, 1, "PCAT_COMPAT: the 8259s are there");
    const fields = madt.entries.map((e) => {
      const v = new DataView(e.bytes.buffer);
      switch (e.type) {
        case 0: // CPU 0's local APIC, enabled
          return ["lapic", e.bytes[2], e.bytes[3], v.getUint32(4, true)];
        case 1: // the IOAPIC: ID, address, GSI base
          return ["ioapic", e.bytes[2], v.getUint32(4, true), v.getUint32(8, true)];
        case 2: // bus, IRQ, GSI, flags
          return ["override", e.bytes[2], e.bytes[3], v.getUint32(4, true), v.getUint16(8, true)];
        default:
          return ["type", e.type];
      }
    });
    const ioapicId = pc!.apics!.ioapic.id; // the device's ID register
    deepStrictEqual(fields, [
      ["lapic", 0, 0, 1],
      ["ioapic", ioapicId, IOAPIC_BASE, 0],
      ["override", 0, 0, 2, 0x0005],
    ]);
    // Every table byte lies in a reserved E820 entry and in no usable RAM.
    const count = machine.memory.readU16(0x7e00);
    ok(count >= 3, `${count} E820 entries`);
    const map = Array.from({ length: count }, (_, i) => {
      const at = 0x8000 + i * 24;
      return {
        base: machine.memory.readU32(at) + machine.memory.readU32(at + 4) * 2 ** 32,
        length: machine.memory.readU32(at + 8) + machine.memory.readU32(at + 12) * 2 ** 32,
        type: machine.memory.readU32(at + 16),
      };
    });
    for (const [at, length] of ranges) {
      const inside = map.filter((e) => at >= e.base && at + length <= e.base + e.length);
      deepStrictEqual(inside.map((e) => e.type), [2], `${at.toString(16)}+${length}: reserved`);
      const usable = map.filter((e) =>
        e.type === 1 && at < e.base + e.length && e.base < at + length
      );
      strictEqual(usable.length, 0, `${at.toString(16)}+${length}: no usable RAM`);
    }
  } finally {
    machine.close();
  }
});

Deno.test("pc acpi: the tables are there again after a reset's POST, and read-only to the guest", async () => {
  const { machine, pc } = createMachine({ image: E820_GUEST, boot: "bios", accel: "emu" });
  try {
    const before = readTables(machine.memory);
    const bytes = machine.memory.read(before.rsdpAt, 0xa0);
    pc!.reset(); // POST rewrites the ROM image
    const after = readTables(machine.memory);
    strictEqual(after.rsdpAt, before.rsdpAt);
    deepStrictEqual(machine.memory.read(after.rsdpAt, 0xa0), bytes);
    const region = machine.memory.regionOf(before.rsdpAt, 0xa0);
    strictEqual(region?.readonly, true, "in the ROM, which guest stores do not change");
    strictEqual((await machine.run({ timeoutMs: 10_000 })).kind, "halt");
  } finally {
    machine.close();
  }
});
