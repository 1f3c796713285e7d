/**
 * The Intel MultiProcessor Specification 1.4 tables a BIOS leaves for an
 * operating system that looks for APICs (xv6, early Linux): the MP floating
 * pointer structure and, right after it, the MP configuration table with one
 * processor (CPU 0, the bootstrap processor), the ISA bus, one IOAPIC, the
 * ISA interrupts' pins on the IOAPIC, and the local APIC's LINT0 (ExtINT,
 * the 8259A in virtual-wire mode) and LINT1 (NMI).
 *
 * ISA IRQ 0 (the PIT) arrives on IOAPIC pin 2 and the others on the pin of
 * their number, as on PCs whose IOAPIC pin 0 carries the 8259A's output;
 * IRQ 2 (the cascade) has no entry.
 *
 * @example
 * ```ts
 * import { buildMpTables } from "./mptable.ts";
 * const bytes = buildMpTables(0x9fc10);
 * console.log(String.fromCharCode(...bytes.subarray(0, 4))); // "_MP_"
 * ```
 *
 * @module
 */

import { ascii, checksum } from "./tables.ts";

/** The local APIC's MMIO address. */
export const LAPIC_BASE = 0xfee00000;
/** The IOAPIC's MMIO address. */
export const IOAPIC_BASE = 0xfec00000;
/** The IOAPIC's ID (CPU 0's local APIC has ID 0). */
export const IOAPIC_ID = 1;
/** The local APIC's version register value (integrated APIC, 6 LVT entries). */
export const LAPIC_VERSION = 0x00050014;
/** The IOAPIC's version (24 pins). */
export const IOAPIC_VERSION = 0x00170011;

const BUS_ISA = 0;
const HEADER_LENGTH = 44;

/** What the processor entry says about CPU 0. */
export interface MpOptions {
  /** CPUID 1 EAX (family, model, stepping); default a family-6 CPU. */
  cpuSignature?: number;
  /** CPUID 1 EDX feature flags; default FPU and APIC. */
  cpuFeatures?: number;
}

/**
 * The floating pointer (16 bytes) followed by the configuration table, for
 * placing at physical address `base` (16-byte aligned, below 1 MiB).
 * Throws RangeError for a misaligned or high `base`.
 */
export function buildMpTables(base: number, options: MpOptions = {}): Uint8Array {
  if (!Number.isInteger(base) || base < 0 || base % 16 !== 0 || base + 16 > 0x100000) {
    throw new RangeError(`MP tables at ${base}: need a 16-byte aligned address below 1 MiB`);
  }
  const entries: Uint8Array[] = [];
  const entry = (bytes: number[]) => entries.push(Uint8Array.from(bytes));
  const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  // Processor: LAPIC ID 0, enabled, bootstrap processor.
  const signature = options.cpuSignature ?? 0x0663;
  const features = options.cpuFeatures ?? 0x201;
  entry([
    0,
    0,
    LAPIC_VERSION & 0xff,
    0x03,
    ...u32(signature),
    ...u32(features),
    ...new Array(8).fill(0),
  ]);
  entry([1, BUS_ISA, ..."ISA   ".split("").map((c) => c.charCodeAt(0))]);
  entry([2, IOAPIC_ID, IOAPIC_VERSION & 0xff, 0x01, ...u32(IOAPIC_BASE)]);
  // The 8259A's output on pin 0 (ExtINT), then the ISA interrupts, edge-triggered high
  // as the ISA bus conforms.
  entry([3, 3, 0, 0, BUS_ISA, 0, IOAPIC_ID, 0]);
  for (let irq = 0; irq < 16; irq++) {
    if (irq === 2) continue;
    entry([3, 0, 0, 0, BUS_ISA, irq, IOAPIC_ID, irq === 0 ? 2 : irq]);
  }
  entry([4, 3, 0, 0, BUS_ISA, 0, 0xff, 0]); // ExtINT -> LINT0 of every local APIC
  entry([4, 1, 0, 0, BUS_ISA, 0, 0xff, 1]); // NMI -> LINT1
  const tableLength = HEADER_LENGTH + entries.reduce((n, e) => n + e.length, 0);
  const out = new Uint8Array(16 + tableLength);
  const view = new DataView(out.buffer);
  // Floating pointer.
  out.set([0x5f, 0x4d, 0x50, 0x5f], 0); // "_MP_"
  view.setUint32(4, base + 16, true);
  out[8] = 1; // length in 16-byte units
  out[9] = 4; // spec revision 1.4
  out[11] = 0; // a configuration table is present
  out[12] = 0; // no IMCR: virtual-wire mode
  out[10] = checksum(out.subarray(0, 16));
  // Configuration table header.
  const t = out.subarray(16);
  const tv = new DataView(t.buffer, t.byteOffset);
  t.set([0x50, 0x43, 0x4d, 0x50], 0); // "PCMP"
  tv.setUint16(4, tableLength, true);
  t[6] = 4;
  t.set(ascii("PICOVMM ", 8), 8);
  t.set(ascii("PC          ", 12), 16);
  tv.setUint16(34, entries.length, true);
  tv.setUint32(36, LAPIC_BASE, true);
  let at = HEADER_LENGTH;
  for (const e of entries) {
    t.set(e, at);
    at += e.length;
  }
  t[7] = checksum(t);
  return out;
}
