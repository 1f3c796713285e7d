// Reads ACPI tables as an operating system does (the RSDP scan, then RSDT -> MADT), checking
// every signature, length and checksum on the way; shared by the unit and PC tests.
import { ok, strictEqual } from "@std/assert";

/** What the readers need of guest memory (GuestMemory has it; `contains` only for the scan). */
export interface AcpiMemory {
  read(address: number, length: number): Uint8Array;
  readU32(address: number): number;
  contains?(address: number, length: number): boolean;
}

const text = (b: Uint8Array) => String.fromCharCode(...b);
const sum = (b: Uint8Array) => b.reduce((s, x) => s + x, 0) & 0xff;

/** The RSDP at `at`: its signature and 20-byte checksum checked. */
export function readRsdp(memory: AcpiMemory, at: number) {
  const b = memory.read(at, 20);
  strictEqual(text(b.subarray(0, 8)), "RSD PTR ");
  strictEqual(sum(b), 0, "RSDP checksum");
  return { oemId: text(b.subarray(9, 15)), revision: b[15], rsdt: memory.readU32(at + 16) };
}

/** A system description table at `at`: signature, checksum over its length; RSDT entries. */
export function readSdt(memory: AcpiMemory, at: number, signature: string) {
  const length = memory.readU32(at + 4);
  ok(length >= 36, `${signature} length ${length}`);
  const b = memory.read(at, length);
  strictEqual(text(b.subarray(0, 4)), signature);
  strictEqual(sum(b), 0, `${signature} checksum`);
  const v = new DataView(b.buffer);
  const entries: number[] = [];
  if (signature === "RSDT") {
    strictEqual((length - 36) % 4, 0, "RSDT entries are 32-bit addresses");
    for (let o = 36; o < length; o += 4) entries.push(v.getUint32(o, true));
  }
  return {
    length,
    revision: b[8],
    oemId: text(b.subarray(10, 16)),
    oemTableId: text(b.subarray(16, 24)),
    oemRevision: v.getUint32(24, true),
    creatorId: text(b.subarray(28, 32)),
    entries,
    bytes: b,
  };
}

/** The MADT at `at`: its header fields and its interrupt controller structures, which fill it. */
export function readMadt(memory: AcpiMemory, at: number) {
  const header = readSdt(memory, at, "APIC");
  const b = header.bytes;
  const v = new DataView(b.buffer);
  const entries: { type: number; bytes: Uint8Array }[] = [];
  let o = 44;
  while (o < header.length) {
    const size = b[o + 1];
    ok(size >= 2 && o + size <= header.length, `MADT structure at ${o}: length ${size}`);
    entries.push({ type: b[o], bytes: b.slice(o, o + size) });
    o += size;
  }
  strictEqual(o, header.length, "the structures fill the MADT");
  return { header, localApicAddress: v.getUint32(36, true), flags: v.getUint32(40, true), entries };
}

/**
 * Where an OS finds the RSDP: the first 16-byte boundary, in the EBDA's
 * first KiB and then in 0xE0000-0xFFFFF, holding "RSD PTR " with a valid
 * 20-byte checksum. Addresses with no memory behind them read as nothing.
 */
export function findRsdp(memory: AcpiMemory, ebda: number): number | undefined {
  const has = (a: number) => memory.contains?.(a, 20) ?? true;
  for (const [start, end] of [[ebda, ebda + 1024], [0xe0000, 0x100000]]) {
    for (let a = start; a < end; a += 16) {
      if (!has(a)) continue;
      const b = memory.read(a, 20);
      if (text(b.subarray(0, 8)) === "RSD PTR " && sum(b) === 0) return a;
    }
  }
  return undefined;
}
