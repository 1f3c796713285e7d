import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import {
  ACPI_CREATOR_ID,
  ACPI_OEM_ID,
  buildAcpiTables,
  MADT_ENTRY,
  MADT_PCAT_COMPAT,
  RSDP_LENGTH,
  SDT_HEADER_LENGTH,
} from "../../lib/bios/acpi.ts";
import { IOAPIC_BASE, IOAPIC_ID, LAPIC_BASE } from "../../lib/bios/mptable.ts";
import { type AcpiMemory, readMadt, readRsdp, readSdt } from "../support/acpi.ts";

/** A 1 MiB buffer with the tables written at `base`, read through the helpers' interface. */
function memoryWith(base: number): AcpiMemory {
  const bytes = new Uint8Array(0x100000);
  bytes.set(buildAcpiTables(base).bytes, base);
  return {
    read: (address, length) => bytes.slice(address, address + length),
    readU32: (address) => new DataView(bytes.buffer).getUint32(address, true),
  };
}

Deno.test("acpi: a revision-0 RSDP with its checksum names the RSDT", () => {
  const base = 0xfd000;
  const tables = buildAcpiTables(base);
  const rsdp = readRsdp(memoryWith(base), base);
  strictEqual(rsdp.oemId, ACPI_OEM_ID);
  strictEqual(rsdp.revision, 0);
  strictEqual(rsdp.rsdt, tables.rsdt);
  strictEqual(tables.rsdp, base);
  strictEqual(tables.bytes.length <= 160, true, "the three fit in 160 bytes");
  // A revision-0 RSDP is 20 bytes: the checksum covers exactly them.
  const sum = tables.bytes.subarray(0, RSDP_LENGTH).reduce((s, b) => s + b, 0);
  strictEqual(sum & 0xff, 0);
});

Deno.test("acpi: the RSDT's header and its one entry, the MADT", () => {
  const base = 0xfd000;
  const memory = memoryWith(base);
  const { rsdt, madt } = buildAcpiTables(base);
  const header = readSdt(memory, rsdt, "RSDT");
  strictEqual(header.length, SDT_HEADER_LENGTH + 4);
  strictEqual(header.revision, 1);
  strictEqual(header.oemId, ACPI_OEM_ID);
  strictEqual(header.oemTableId, "PC      ");
  strictEqual(header.creatorId, ACPI_CREATOR_ID);
  deepStrictEqual(header.entries, [madt]);
});

Deno.test("acpi: the MADT has the local APIC, PCAT_COMPAT, CPU 0, the IOAPIC and IRQ 0 -> GSI 2", () => {
  const base = 0xe0010;
  const memory = memoryWith(base);
  const { madt } = buildAcpiTables(base);
  const t = readMadt(memory, madt);
  strictEqual(t.header.length, SDT_HEADER_LENGTH + 8 + 8 + 12 + 10);
  strictEqual(t.header.revision, 1);
  strictEqual(t.localApicAddress, LAPIC_BASE);
  strictEqual(t.flags, MADT_PCAT_COMPAT);
  deepStrictEqual(t.entries.map((e) => [e.type, e.bytes.length]), [
    [MADT_ENTRY.localApic, 8],
    [MADT_ENTRY.ioApic, 12],
    [MADT_ENTRY.interruptSourceOverride, 10],
  ]);
  const [cpu, ioapic, iso] = t.entries.map((e) => new DataView(e.bytes.buffer));
  strictEqual(cpu.getUint8(2), 0, "ACPI processor ID 0");
  strictEqual(cpu.getUint8(3), 0, "APIC ID 0");
  strictEqual(cpu.getUint32(4, true), 1, "enabled");
  strictEqual(ioapic.getUint8(2), IOAPIC_ID, "the MP table's IOAPIC ID");
  strictEqual(ioapic.getUint8(3), 0);
  strictEqual(ioapic.getUint32(4, true), IOAPIC_BASE);
  strictEqual(ioapic.getUint32(8, true), 0, "GSI base 0");
  strictEqual(iso.getUint8(2), 0, "bus ISA");
  strictEqual(iso.getUint8(3), 0, "IRQ 0");
  strictEqual(iso.getUint32(4, true), 2, "GSI 2");
  strictEqual(iso.getUint16(8, true), 0x0005, "edge, active high");
});

Deno.test("acpi: a misaligned base, or tables that would reach past 4 GiB, are refused", () => {
  throws(() => buildAcpiTables(0xfd008), RangeError);
  throws(() => buildAcpiTables(-16), RangeError);
  throws(() => buildAcpiTables(2 ** 32 - 0x40), RangeError);
  strictEqual(buildAcpiTables(2 ** 32 - 0x100).madt, 2 ** 32 - 0x100 + 0x50);
});
