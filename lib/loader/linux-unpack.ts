/**
 * A bzImage's kernel decompressed on the host. A bzImage carries its kernel
 * (an ELF vmlinux) compressed, behind a decompressor that runs in the guest
 * first; in the software CPU, Debian's XZ one takes seconds. When the
 * payload (payload_offset, payload_length) is XZ, picovmm decodes it here
 * and loads the vmlinux's segments at their physical addresses, where the
 * decompressor would have put them, and the kernel is entered at its own
 * entry (startup_32, or startup_64 for a 64-bit kernel), with the zero page
 * in ESI/RSI as the decompressor leaves it. The kernel then runs at its link
 * address: there is no KASLR, as with `nokaslr`.
 *
 * Anything else (gzip, zstd, LZ4 payloads, an ELF of the wrong class, a
 * payload this decoder cannot read) is left to the kernel's own decompressor:
 * {@link unpackLinux} says why.
 *
 * @module
 */

import { isElf, parseElf } from "./elf.ts";
import type { ElfImage } from "./elf.ts";
import { LoaderError } from "./entry.ts";
import { decodeXz, isXz, XzError } from "./xz.ts";
import { HIGH_RAM_BASE } from "./bootinfo.ts";

/** The kernel a bzImage carries, decompressed. */
export interface UnpackedLinux {
  /** The vmlinux file (its relocation table, if any, follows the ELF data). */
  image: Uint8Array;
  /** Its parsed headers. */
  elf: ElfImage;
  /** The physical entry point (e_entry). */
  entry: number;
  /** Bytes of the compressed payload. */
  payloadBytes: number;
  /** Milliseconds the decompression took. */
  ms: number;
}

/** Why a payload is left to the kernel's decompressor, by its magic bytes. */
const OTHER_FORMATS: [number[], string][] = [
  [[0x1f, 0x8b], "gzip"],
  [[0x28, 0xb5, 0x2f, 0xfd], "zstd"],
  [[0x02, 0x21, 0x4c, 0x18], "LZ4"],
  [[0x42, 0x5a, 0x68], "bzip2"],
  [[0x89, 0x4c, 0x5a, 0x4f], "LZO"],
  [[0x5d, 0x00], "LZMA"],
];

/**
 * Decompresses a bzImage's XZ payload into its vmlinux; a string says why it
 * is left to the guest instead. `is64` is whether the kernel has the 64-bit
 * entry (XLF_KERNEL_64): the vmlinux must then be an ELF64, else an ELF32.
 */
export function unpackLinux(
  image: Uint8Array,
  payload: { offset: number; length: number },
  is64: boolean,
): UnpackedLinux | string {
  const { offset, length } = payload;
  // The build appends the decompressed size (4 bytes) to the compressed data.
  if (length < 16 || offset + length > image.length) {
    return "the setup header's payload fields do not describe a payload in the file";
  }
  const data = image.subarray(offset, offset + length - 4);
  if (!isXz(data)) {
    const other = OTHER_FORMATS.find(([magic]) => magic.every((b, i) => data[i] === b));
    return `the payload is ${other ? other[1] : "not XZ"}, which picovmm does not decompress`;
  }
  const size = new DataView(image.buffer, image.byteOffset + offset + length - 4, 4)
    .getUint32(0, true);
  const started = performance.now();
  let vmlinux;
  try {
    vmlinux = decodeXz(data, size);
  } catch (e) {
    if (e instanceof XzError) return `its XZ payload could not be decoded here (${e.message})`;
    throw e;
  }
  const ms = performance.now() - started;
  if (!isElf(vmlinux)) return "the decompressed payload is not an ELF file";
  let elf;
  try {
    elf = parseElf(vmlinux);
  } catch (e) {
    if (e instanceof LoaderError) return `the decompressed vmlinux is not usable (${e.message})`;
    throw e;
  }
  if (elf.class !== (is64 ? 64 : 32)) {
    return `the decompressed vmlinux is an ELF${elf.class}, not what the header's entry needs`;
  }
  const entry = Number(elf.entry);
  const inside = elf.segments.some((s) => entry >= s.paddr && entry < s.paddr + s.fileSize);
  if (!inside || elf.segments.some((s) => s.paddr < HIGH_RAM_BASE)) {
    return "the decompressed vmlinux's entry or segments are not where a kernel runs";
  }
  return { image: vmlinux, elf, entry, payloadBytes: length, ms };
}
