/**
 * What the firmware tables a BIOS leaves for an operating system (the MP
 * tables of lib/bios/mptable.ts, the ACPI tables of lib/bios/acpi.ts) share:
 * the byte-sum checksum and space-padded ASCII fields.
 *
 * @example
 * ```ts
 * import { checksum } from "./tables.ts";
 * const table = Uint8Array.of(0x41, 0x42, 0);
 * table[2] = checksum(table);
 * console.log(table.reduce((s, b) => s + b, 0) & 0xff); // 0
 * ```
 *
 * @module
 */

/**
 * The byte that makes `bytes` sum to 0 modulo 256, computed while that
 * byte is still 0 (the rule of the MP and ACPI checksums alike).
 */
export function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum += b;
  return (256 - (sum & 0xff)) & 0xff;
}

/**
 * `text` as `length` ASCII bytes, padded with spaces or cut. Throws
 * RangeError for a character outside printable ASCII.
 */
export function ascii(text: string, length: number): Uint8Array {
  const field = text.padEnd(length, " ").slice(0, length);
  return Uint8Array.from(field, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) throw new RangeError(`table field "${text}": not ASCII`);
    return code;
  });
}
