/**
 * Minimal ACPI 1.0 tables describing the APICs of a BIOS boot's PC, for an
 * operating system that takes its interrupt topology from ACPI rather than
 * from the MP tables (lib/bios/mptable.ts, which say the same): the Root
 * System Description Pointer (revision 0), an RSDT with one entry, and the
 * Multiple APIC Description Table ("APIC") with the local APIC's address,
 * PCAT_COMPAT (the 8259A pair is there), CPU 0's local APIC, the IOAPIC and
 * the override that sends ISA IRQ 0 to GSI 2. ISA IRQs without an override
 * are identity-mapped onto GSIs, as the IOAPIC's wiring has them.
 *
 * There is no FADT or DSDT: no power management, no AML. An OS reads the
 * MADT for its APICs and finds nothing else to drive.
 *
 * @example
 * ```ts
 * import { buildAcpiTables } from "./acpi.ts";
 * const tables = buildAcpiTables(0xfd000);
 * console.log(String.fromCharCode(...tables.bytes.subarray(0, 8))); // "RSD PTR "
 * console.log(tables.madt.toString(16)); // "fd050"
 * ```
 *
 * @module
 */

import { IOAPIC_BASE, IOAPIC_ID, LAPIC_BASE } from "./mptable.ts";
import { ascii, checksum } from "./tables.ts";

/** The RSDP's signature, found by scanning 16-byte boundaries. */
export const RSDP_SIGNATURE = "RSD PTR ";
/** The OEM ID of the RSDP and of every table header. */
export const ACPI_OEM_ID = "PICOVM";
/** The OEM table ID of every table header. */
export const ACPI_OEM_TABLE_ID = "PC";
/** The creator ID of every table header (the vendor of the tool that made it). */
export const ACPI_CREATOR_ID = "PVMM";
/** Bytes of a revision-0 (ACPI 1.0) RSDP, all of them under its checksum. */
export const RSDP_LENGTH = 20;
/** Bytes of the header every system description table starts with. */
export const SDT_HEADER_LENGTH = 36;
/** MADT flags bit 0: the PC also has dual 8259s, to be masked before using the APICs. */
export const MADT_PCAT_COMPAT = 1;
/** The MADT's interrupt controller structure types used here. */
export const MADT_ENTRY = {
  /** Processor Local APIC (8 bytes). */
  localApic: 0,
  /** I/O APIC (12 bytes). */
  ioApic: 1,
  /** Interrupt Source Override (10 bytes). */
  interruptSourceOverride: 2,
} as const;
/** MPS INTI flags of IRQ 0's override: active high (bits 0-1 = 01), edge (bits 2-3 = 01). */
export const ISO_EDGE_HIGH = 0x0005;

/** Where the tables sit relative to the RSDP (16-byte steps, as a BIOS aligns them). */
const RSDT_OFFSET = 0x20;
const RSDT_LENGTH = SDT_HEADER_LENGTH + 4;
const MADT_OFFSET = 0x50;
/** MADT: local APIC address and flags, then the three structures. */
const MADT_LENGTH = SDT_HEADER_LENGTH + 8 + 8 + 12 + 10;
const TOTAL_LENGTH = MADT_OFFSET + MADT_LENGTH;
const OEM_REVISION = 1;
const CREATOR_REVISION = 1;

/** The built tables and their physical addresses. */
export interface AcpiTables {
  /** The RSDP, the RSDT and the MADT, to be written at `rsdp`. */
  bytes: Uint8Array;
  /** The RSDP's address (the base the tables were built for). */
  rsdp: number;
  /** The RSDT's address. */
  rsdt: number;
  /** The MADT's address. */
  madt: number;
}

/** Little-endian stores at a moving position, refusing to run past the end of its bytes. */
class Writer {
  at = 0;
  readonly #view: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(value: number): this {
    this.#room(1);
    this.#view.setUint8(this.at++, value);
    return this;
  }
  u16(value: number): this {
    this.#room(2);
    this.#view.setUint16(this.at, value, true);
    this.at += 2;
    return this;
  }
  u32(value: number): this {
    this.#room(4);
    this.#view.setUint32(this.at, value >>> 0, true);
    this.at += 4;
    return this;
  }
  text(value: string, length: number): this {
    this.#room(length);
    this.bytes.set(ascii(value, length), this.at);
    this.at += length;
    return this;
  }
  #room(n: number): void {
    if (this.at + n > this.bytes.length) {
      throw new RangeError(`ACPI table: ${n} bytes at ${this.at} overrun its ${this.bytes.length}`);
    }
  }
}

/**
 * A system description table of `length` bytes at the start of `bytes`:
 * writes the header, lets `body` write the rest, checks that it filled the
 * table exactly, and sets the checksum.
 */
function table(
  bytes: Uint8Array,
  signature: string,
  revision: number,
  length: number,
  body: (w: Writer) => void,
): void {
  const w = new Writer(bytes.subarray(0, length));
  w.text(signature, 4).u32(length).u8(revision).u8(0); // checksum, set last
  w.text(ACPI_OEM_ID, 6).text(ACPI_OEM_TABLE_ID, 8).u32(OEM_REVISION);
  w.text(ACPI_CREATOR_ID, 4).u32(CREATOR_REVISION);
  body(w);
  if (w.at !== length) throw new Error(`ACPI ${signature}: ${w.at} bytes written of ${length}`);
  w.bytes[9] = checksum(w.bytes);
}

/**
 * The RSDP, RSDT and MADT for placing at physical address `base`, the
 * RSDP's (16-byte aligned; an OS finds it on a 16-byte boundary of the
 * EBDA's first KiB or of 0xE0000-0xFFFFF). The RSDT and MADT follow it
 * within 160 bytes. Throws RangeError for a misaligned base or one whose
 * tables would not all lie below 4 GiB (the RSDT's 32-bit addresses).
 */
export function buildAcpiTables(base: number): AcpiTables {
  if (!Number.isInteger(base) || base < 0 || base % 16 !== 0 || base + TOTAL_LENGTH > 2 ** 32) {
    throw new RangeError(`ACPI tables at ${base}: need a 16-byte aligned address below 4 GiB`);
  }
  const rsdt = base + RSDT_OFFSET;
  const madt = base + MADT_OFFSET;
  const bytes = new Uint8Array(TOTAL_LENGTH);

  // RSDP, ACPI 1.0: signature, checksum, OEM ID, revision 0, the RSDT's address.
  const p = new Writer(bytes.subarray(0, RSDP_LENGTH));
  p.text(RSDP_SIGNATURE, 8).u8(0).text(ACPI_OEM_ID, 6).u8(0).u32(rsdt);
  p.bytes[8] = checksum(p.bytes);

  table(bytes.subarray(RSDT_OFFSET), "RSDT", 1, RSDT_LENGTH, (w) => w.u32(madt));

  table(bytes.subarray(MADT_OFFSET), "APIC", 1, MADT_LENGTH, (w) => {
    w.u32(LAPIC_BASE).u32(MADT_PCAT_COMPAT);
    // CPU 0: ACPI processor ID 0, APIC ID 0, enabled.
    w.u8(MADT_ENTRY.localApic).u8(8).u8(0).u8(0).u32(1);
    // The IOAPIC with the MP table's ID; its 24 pins are GSIs 0-23.
    w.u8(MADT_ENTRY.ioApic).u8(12).u8(IOAPIC_ID).u8(0).u32(IOAPIC_BASE).u32(0);
    // ISA (bus 0) IRQ 0, the PIT, is wired to pin 2, as the MP table routes it.
    w.u8(MADT_ENTRY.interruptSourceOverride).u8(10).u8(0).u8(0).u32(2).u16(ISO_EDGE_HIGH);
  });

  return { bytes, rsdp: base, rsdt, madt };
}
