/**
 * Decoding .xz data (the XZ file format 1.x, tukaani.org/xz/xz-file-format.txt)
 * whose blocks are LZMA2, optionally behind the x86 branch filter (BCJ): the
 * form Linux's build gives an XZ-compressed kernel (`xz --check=crc32 --x86
 * --lzma2`). The whole result is kept in one buffer, which is also the LZMA
 * dictionary. CRC32 checks are verified; CRC64 and SHA-256 ones are skipped.
 * Other filters (Delta, ARM, ...) are refused with an XzError.
 *
 * @example
 * ```ts
 * import { decodeXz, isXz } from "./xz.ts";
 * // An .xz stream of the 3 bytes "hi\n" (xz --format=xz --check=crc32).
 * const data = Uint8Array.from(atob(
 *   "/Td6WFoAAAFpIt42AgAhARYAAAB0L+WjAQACaGkKAAAAWt5ZUxuG3fsAARsDC2s+/ZBCmQ0BAAAAAAFZWg==",
 * ), (c) => c.charCodeAt(0));
 * if (isXz(data)) console.log(new TextDecoder().decode(decodeXz(data))); // "hi\n"
 * ```
 *
 * @module
 */

/** Thrown for data that is not .xz, is damaged, or uses what this decoder lacks. */
export class XzError extends Error {
  override name = "XzError";
}

const MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const FILTER_X86 = 0x04;
const FILTER_LZMA2 = 0x21;
/** Bytes of a block's check, by check type (the format's table). */
const CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
const CHECK_CRC32 = 1;

/** True when `data` starts with the .xz stream header magic. */
export function isXz(data: Uint8Array): boolean {
  return data.length >= 12 && MAGIC.every((b, i) => data[i] === b);
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected, as .xz and gzip use it) of `data`. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  const table = crcTable;
  let c = ~0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function u32(data: Uint8Array, at: number): number {
  return (data[at] | data[at + 1] << 8 | data[at + 2] << 16 | data[at + 3] << 24) >>> 0;
}

/** A growing output buffer; it is also the LZMA dictionary. */
class Output {
  bytes: Uint8Array;
  length = 0;

  constructor(size: number, readonly limit: number) {
    this.bytes = new Uint8Array(Math.min(Math.max(size, 1 << 16), limit));
  }

  reserve(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    if (this.length + more > this.limit) {
      throw new XzError(`the data decompresses to more than ${this.limit} bytes`);
    }
    const grown = new Uint8Array(
      Math.min(Math.max(this.bytes.length * 2, this.length + more), this.limit),
    );
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}

/** The most bytes {@link decodeXz} gives by default (1 GiB). */
export const XZ_DEFAULT_LIMIT = 2 ** 30;

/**
 * Decodes a whole .xz file (every stream, concatenated as xz does). `sizeHint`
 * (the expected result size) saves regrowing the buffer; more than `limit`
 * bytes of result is an XzError, as is anything wrong with the data.
 */
export function decodeXz(
  data: Uint8Array,
  sizeHint = data.length * 4,
  limit = XZ_DEFAULT_LIMIT,
): Uint8Array {
  const out = new Output(sizeHint, limit);
  let at = 0;
  do {
    at = decodeStream(data, at, out);
    while (at + 4 <= data.length && u32(data, at) === 0) at += 4; // stream padding
  } while (at < data.length && isXz(data.subarray(at)));
  return out.length === out.bytes.length ? out.bytes : out.bytes.slice(0, out.length);
}

/** One stream from `start`: its header, blocks, index and footer; returns where it ends. */
function decodeStream(data: Uint8Array, start: number, out: Output): number {
  if (!isXz(data.subarray(start))) throw new XzError("not .xz data (no stream header magic)");
  const flags = data.subarray(start + 6, start + 8);
  if (crc32(flags) !== u32(data, start + 8)) throw new XzError("the stream header is damaged");
  if (flags[0] !== 0 || flags[1] > 0x0f) throw new XzError("unsupported stream flags");
  const check = flags[1];
  let at = start + 12;
  for (;;) {
    if (at >= data.length) throw new XzError("the data ends inside the stream");
    if (data[at] === 0) break; // the index follows the last block
    at = decodeBlock(data, at, start, check, out);
  }
  return skipIndexAndFooter(data, at);
}

/** The index (its records are not compared with the blocks) and the 12-byte footer. */
function skipIndexAndFooter(data: Uint8Array, at: number): number {
  const reader = new FieldReader(data, at + 1);
  const records = reader.varint();
  for (let i = 0; i < records * 2; i++) reader.varint();
  const footer = at + Math.ceil((reader.at - at) / 4) * 4 + 4; // padding, CRC32
  if (footer + 12 > data.length || crc32(data.subarray(at, footer - 4)) !== u32(data, footer - 4)) {
    throw new XzError("the stream index is damaged");
  }
  const footerCrc = crc32(data.subarray(footer + 4, footer + 10));
  if (footerCrc !== u32(data, footer) || data[footer + 10] !== 0x59 || data[footer + 11] !== 0x5a) {
    throw new XzError("the stream footer is damaged");
  }
  return footer + 12;
}

/** Reads the header's variable-length integers (7 bits a byte, low first). */
class FieldReader {
  constructor(readonly data: Uint8Array, public at: number) {}

  varint(): number {
    let value = 0;
    for (let i = 0; i < 9; i++) {
      if (this.at >= this.data.length) throw new XzError("the data ends inside a header");
      const b = this.data[this.at++];
      value += (b & 0x7f) * 2 ** (7 * i);
      if (!(b & 0x80)) return value;
    }
    throw new XzError("a header integer is too long");
  }
}

/** One block at `at`: header, LZMA2 data, x86 filter, padding, check; returns where it ends. */
function decodeBlock(
  data: Uint8Array,
  at: number,
  streamStart: number,
  check: number,
  out: Output,
): number {
  const headerSize = (data[at] + 1) * 4;
  if (at + headerSize > data.length) throw new XzError("the data ends inside a block header");
  const header = data.subarray(at, at + headerSize);
  if (crc32(header.subarray(0, headerSize - 4)) !== u32(header, headerSize - 4)) {
    throw new XzError("a block header is damaged");
  }
  const flags = header[1];
  if (flags & 0x3c) throw new XzError("unsupported block flags");
  const fields = new FieldReader(header, 2);
  if (flags & 0x40) fields.varint(); // compressed size
  const uncompressed = flags & 0x80 ? fields.varint() : undefined;
  let x86Start: number | undefined;
  let dictionaryByte = -1;
  const filters = (flags & 3) + 1;
  for (let i = 0; i < filters; i++) {
    const id = fields.varint();
    const size = fields.varint();
    const props = header.subarray(fields.at, fields.at + size);
    fields.at += size;
    const last = i === filters - 1;
    if (last && id === FILTER_LZMA2 && size === 1) dictionaryByte = props[0];
    else if (!last && id === FILTER_X86 && (size === 0 || size === 4) && x86Start === undefined) {
      x86Start = size === 4 ? u32(props, 0) : 0;
    } else {
      throw new XzError(
        `unsupported filter 0x${id.toString(16)} (only x86 BCJ before LZMA2 is decoded)`,
      );
    }
  }
  if (fields.at > headerSize - 4 || dictionaryByte > 40) {
    throw new XzError("a block header is malformed");
  }
  const first = out.length;
  if (uncompressed !== undefined) out.reserve(uncompressed);
  let end = decodeLzma2(data, at + headerSize, out);
  const block = out.bytes.subarray(first, out.length);
  if (uncompressed !== undefined && block.length !== uncompressed) {
    throw new XzError("a block's size differs from its header's");
  }
  if (x86Start !== undefined) unfilterX86(block, x86Start);
  end = streamStart + Math.ceil((end - streamStart) / 4) * 4;
  const checkSize = CHECK_SIZES[check];
  if (end + checkSize > data.length) throw new XzError("the data ends inside a block");
  if (check === CHECK_CRC32 && crc32(block) !== u32(data, end)) {
    throw new XzError("a block's CRC32 does not match: the data is damaged");
  }
  return end + checkSize;
}

// LZMA's probability models, one Uint16Array; offsets of each group.
const STATES = 12;
const POS_STATES_MAX = 16;
const IS_MATCH = 0;
const IS_REP = IS_MATCH + STATES * POS_STATES_MAX;
const IS_REP_G0 = IS_REP + STATES;
const IS_REP_G1 = IS_REP_G0 + STATES;
const IS_REP_G2 = IS_REP_G1 + STATES;
const IS_REP0_LONG = IS_REP_G2 + STATES;
const DIST_SLOT = IS_REP0_LONG + STATES * POS_STATES_MAX;
const DIST_SPECIAL = DIST_SLOT + 4 * 64;
const DIST_ALIGN = DIST_SPECIAL + 114;
const LEN_SIZE = 2 + 2 * POS_STATES_MAX * 8 + 256;
const MATCH_LEN = DIST_ALIGN + 16;
const REP_LEN = MATCH_LEN + LEN_SIZE;
const LITERAL = REP_LEN + LEN_SIZE;
const PROB_INIT = 1024;

/** The LZMA state that lasts across LZMA2 chunks: models, state number, last distances. */
class Lzma {
  probs = new Uint16Array(LITERAL + (0x300 << 4));
  lc = 0;
  lp = 0;
  pb = 0;
  state = 0;
  rep0 = 0;
  rep1 = 0;
  rep2 = 0;
  rep3 = 0;
  // The range decoder's registers and input position (reset by every LZMA chunk).
  range = 0;
  code = 0;
  at = 0;
  input: Uint8Array = new Uint8Array(0);

  setProperties(byte: number): void {
    if (byte >= 9 * 5 * 5) throw new XzError("bad LZMA properties");
    this.lc = byte % 9;
    this.lp = Math.floor(byte / 9) % 5;
    this.pb = Math.floor(byte / 45);
    if (this.lc + this.lp > 4) throw new XzError("bad LZMA2 properties (lc + lp > 4)");
  }

  resetState(): void {
    this.probs.fill(PROB_INIT, 0, LITERAL + (0x300 << (this.lc + this.lp)));
    this.state = 0;
    this.rep0 = 0;
    this.rep1 = 0;
    this.rep2 = 0;
    this.rep3 = 0;
  }

  startRange(input: Uint8Array, at: number): void {
    if (input[at] !== 0) throw new XzError("bad LZMA chunk start");
    this.input = input;
    this.range = 0xffffffff;
    this.code = u32be(input, at + 1);
    this.at = at + 5;
  }

  /** One bit through the model at `p`, which learns from it. */
  bit(p: number): number {
    const probs = this.probs;
    if (this.range < 0x1000000) {
      this.range = this.range * 256 >>> 0;
      this.code = (this.code * 256 + (this.input[this.at++] | 0)) >>> 0;
    }
    const prob = probs[p];
    const bound = (this.range >>> 11) * prob;
    if (this.code < bound) {
      this.range = bound;
      probs[p] = prob + ((2048 - prob) >> 5);
      return 0;
    }
    this.range -= bound;
    this.code -= bound;
    probs[p] = prob - (prob >> 5);
    return 1;
  }

  /** `count` bits of even probability, high first. */
  direct(count: number): number {
    const input = this.input;
    let range = this.range;
    let code = this.code;
    let at = this.at;
    let value = 0;
    for (let i = 0; i < count; i++) {
      if (range < 0x1000000) {
        range = range * 256 >>> 0;
        code = (code * 256 + (input[at++] | 0)) >>> 0;
      }
      range >>>= 1;
      if (code >= range) {
        code -= range;
        value = value * 2 + 1;
      } else {
        value = value * 2;
      }
    }
    this.range = range;
    this.code = code;
    this.at = at;
    return value;
  }

  /**
   * A `bits`-bit value through the binary tree of models at `base` (high bit
   * first). The hot loop of literals and lengths, so the range decoder's
   * registers are kept in locals here rather than in `bit`.
   */
  tree(base: number, bits: number): number {
    const probs = this.probs;
    const input = this.input;
    let range = this.range;
    let code = this.code;
    let at = this.at;
    const top = 1 << bits;
    let node = 1;
    while (node < top) {
      if (range < 0x1000000) {
        range = range * 256 >>> 0;
        code = (code * 256 + (input[at++] | 0)) >>> 0;
      }
      const p = base + node;
      const prob = probs[p];
      const bound = (range >>> 11) * prob;
      if (code < bound) {
        range = bound;
        probs[p] = prob + ((2048 - prob) >> 5);
        node = node * 2;
      } else {
        range -= bound;
        code -= bound;
        probs[p] = prob - (prob >> 5);
        node = node * 2 + 1;
      }
    }
    this.range = range;
    this.code = code;
    this.at = at;
    return node - top;
  }

  /** As `tree`, but the value's bits come low first. */
  reverseTree(base: number, bits: number): number {
    let node = 1;
    let value = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(base + node);
      node = node * 2 + b;
      value |= b << i;
    }
    return value;
  }

  /** A match length less 2 (0-271) through the length models at `base`. */
  length(base: number, posState: number): number {
    if (!this.bit(base)) return this.tree(base + 2 + posState * 8, 3);
    if (!this.bit(base + 1)) return 8 + this.tree(base + 2 + POS_STATES_MAX * 8 + posState * 8, 3);
    return 16 + this.tree(base + 2 + 2 * POS_STATES_MAX * 8, 8);
  }

  /** A match distance less 1, for a match of length `len` + 2. */
  distance(len: number): number {
    const slot = this.tree(DIST_SLOT + Math.min(len, 3) * 64, 6);
    if (slot < 4) return slot;
    const bits = (slot >> 1) - 1;
    const base = (2 | (slot & 1)) * 2 ** bits;
    if (slot < 14) return base + this.reverseTree(DIST_SPECIAL + base - slot - 1, bits);
    return base + this.direct(bits - 4) * 16 + this.reverseTree(DIST_ALIGN, 4);
  }

  /**
   * Decodes symbols until `out` holds `end` bytes; `dictStart` is where the
   * dictionary begins (no distance may reach before it).
   */
  decode(bytes: Uint8Array, pos: number, end: number, dictStart: number): number {
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    const lc = this.lc;
    while (pos < end) {
      const posState = pos & pbMask;
      const state = this.state;
      if (!this.bit(IS_MATCH + state * POS_STATES_MAX + posState)) {
        const previous = pos > dictStart ? bytes[pos - 1] : 0;
        const base = LITERAL + 0x300 * (((pos & lpMask) << lc) + (previous >> (8 - lc)));
        let symbol = 1;
        if (state >= 7) {
          let match = bytes[pos - this.rep0 - 1];
          do {
            const matchBit = (match >> 7) & 1;
            match <<= 1;
            const b = this.bit(base + 0x100 + (matchBit << 8) + symbol);
            symbol = symbol * 2 + b;
            if (b !== matchBit) break;
          } while (symbol < 0x100);
        }
        if (symbol === 1) symbol = this.tree(base, 8);
        else while (symbol < 0x100) symbol = symbol * 2 + this.bit(base + symbol);
        bytes[pos++] = symbol & 0xff;
        this.state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let len;
      if (this.bit(IS_REP + state)) {
        if (pos === dictStart) throw new XzError("LZMA data repeats before its start");
        if (!this.bit(IS_REP_G0 + state)) {
          if (!this.bit(IS_REP0_LONG + state * POS_STATES_MAX + posState)) {
            this.state = state < 7 ? 9 : 11;
            bytes[pos] = bytes[pos - this.rep0 - 1];
            pos++;
            continue;
          }
        } else {
          let distance;
          if (!this.bit(IS_REP_G1 + state)) {
            distance = this.rep1;
          } else {
            if (!this.bit(IS_REP_G2 + state)) {
              distance = this.rep2;
            } else {
              distance = this.rep3;
              this.rep3 = this.rep2;
            }
            this.rep2 = this.rep1;
          }
          this.rep1 = this.rep0;
          this.rep0 = distance;
        }
        len = this.length(REP_LEN, posState);
        this.state = state < 7 ? 8 : 11;
      } else {
        this.rep3 = this.rep2;
        this.rep2 = this.rep1;
        this.rep1 = this.rep0;
        len = this.length(MATCH_LEN, posState);
        this.state = state < 7 ? 7 : 10;
        this.rep0 = this.distance(len);
      }
      const from = pos - this.rep0 - 1;
      const count = len + 2;
      if (from < dictStart || pos + count > end) {
        throw new XzError("LZMA data is damaged (a match reaches outside the data)");
      }
      if (count <= this.rep0 + 1) {
        bytes.copyWithin(pos, from, from + count);
      } else {
        for (let i = 0; i < count; i++) bytes[pos + i] = bytes[from + i];
      }
      pos += count;
    }
    return pos;
  }
}

function u32be(data: Uint8Array, at: number): number {
  return (data[at] << 24 | data[at + 1] << 16 | data[at + 2] << 8 | data[at + 3]) >>> 0;
}

/** LZMA2 chunks from `at` into `out` until the end marker; returns the position after it. */
function decodeLzma2(data: Uint8Array, at: number, out: Output): number {
  const lzma = new Lzma();
  let dictStart = -1; // the first chunk must reset the dictionary
  let haveProperties = false;
  for (;;) {
    if (at >= data.length) throw new XzError("the data ends inside LZMA2 data");
    const control = data[at];
    if (control === 0) return at + 1;
    if (control === 1 || control === 2) {
      const size = (data[at + 1] << 8 | data[at + 2]) + 1;
      if (control === 1) dictStart = out.length;
      if (dictStart < 0) throw new XzError("LZMA2 data does not start with a dictionary reset");
      if (at + 3 + size > data.length) throw new XzError("the data ends inside an LZMA2 chunk");
      out.reserve(size);
      out.bytes.set(data.subarray(at + 3, at + 3 + size), out.length);
      out.length += size;
      at += 3 + size;
      continue;
    }
    if (control < 0x80) throw new XzError("bad LZMA2 chunk");
    const size = ((control & 0x1f) << 16 | data[at + 1] << 8 | data[at + 2]) + 1;
    const packed = (data[at + 3] << 8 | data[at + 4]) + 1;
    const reset = (control >> 5) & 3;
    let start = at + 5;
    if (reset === 3) dictStart = out.length;
    if (reset >= 2) {
      lzma.setProperties(data[start++]);
      haveProperties = true;
    }
    if (dictStart < 0 || !haveProperties) {
      throw new XzError("LZMA2 data does not start with a dictionary reset and properties");
    }
    if (reset >= 1) lzma.resetState();
    const end = start + packed;
    if (end > data.length) throw new XzError("the data ends inside an LZMA2 chunk");
    out.reserve(size);
    lzma.startRange(data, start);
    out.length = lzma.decode(out.bytes, out.length, out.length + size, dictStart);
    if (lzma.at > end) throw new XzError("LZMA data is damaged (a chunk reads past its end)");
    at = end;
  }
}

/**
 * Undoes the x86 BCJ filter in place: the filter turned the relative targets
 * of E8 (CALL) and E9 (JMP) rel32 instructions into absolute ones, where the
 * displacement's top byte is 00 or FF, unless a preceding E8/E9 byte within
 * the last 3 bytes makes the match doubtful. `start` is the stream position of
 * `data[0]` (the filter's start offset).
 */
export function unfilterX86(data: Uint8Array, start = 0): void {
  const topByteOk = (b: number) => b === 0 || b === 0xff;
  // Bits 1-3: an E8/E9 byte 1-3 bytes back that was left as it is; bits 5-7: that one's
  // fourth byte after it was 00/FF. Only a clean history, or one left byte whose fourth byte
  // was not 00/FF, allows a change.
  let history = 0;
  let lastOpcode = -5;
  let i = 0;
  while (i <= data.length - 5) {
    const b = data[i];
    if (b !== 0xe8 && b !== 0xe9) {
      i++;
      continue;
    }
    const gap = i - lastOpcode;
    lastOpcode = i;
    history = gap > 5 ? 0 : ageHistory(history, gap);
    const top = data[i + 4];
    const recent = history >> 1; // bit 0-2: a left E8/E9 1-3 bytes back; bit 4-6: its 00/FF
    if (
      topByteOk(top) &&
      (recent === 0 || recent === 1 || recent === 2 || recent === 4)
    ) {
      let value = u32(data, i + 1);
      let target;
      for (;;) {
        target = (value - (start + i + 5)) >>> 0;
        if (recent === 0) break;
        // A doubtful byte of the decoded target: decode again with it flipped.
        const shift = recent === 1 ? 16 : recent === 2 ? 8 : 0;
        if (!topByteOk((target >>> shift) & 0xff)) break;
        value = (target ^ (2 ** (shift + 8) - 1)) >>> 0;
      }
      data[i + 1] = target & 0xff;
      data[i + 2] = (target >>> 8) & 0xff;
      data[i + 3] = (target >>> 16) & 0xff;
      data[i + 4] = target & 0x1000000 ? 0xff : 0;
      i += 5;
      history = 0;
    } else {
      i++;
      history |= topByteOk(top) ? 0x11 : 0x01;
    }
  }
}

function ageHistory(history: number, by: number): number {
  for (let k = 0; k < by; k++) history = (history & 0x77) << 1;
  return history;
}
