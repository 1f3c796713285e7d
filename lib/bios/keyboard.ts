/**
 * The BIOS keyboard: the IRQ 1 handler's work (INT 09h) and the BDA ring
 * buffer that INT 16h reads. Set-1 scan codes from port 0x60 update the
 * shift states in the BDA (0:0417, 0:0418, 0:0496) and become (scan code,
 * character) words in the buffer, as on a US keyboard.
 *
 * @example
 * ```ts
 * import { GuestMemory } from "../machine/memory.ts";
 * import { initKeyboardBuffer, keyboardScancode, popKey } from "./keyboard.ts";
 * const memory = new GuestMemory();
 * memory.addRegion(0, new Uint8Array(0x1000));
 * initKeyboardBuffer(memory);
 * keyboardScancode(memory, 0x1e); // 'a' pressed
 * console.log(popKey(memory)?.toString(16)); // "1e61"
 * ```
 *
 * @module
 */

import type { GuestMemory } from "../machine/memory.ts";
import { BDA } from "./bda.ts";

const RSHIFT = 0x01, LSHIFT = 0x02, CTRL = 0x04, ALT = 0x08;
const SCROLL = 0x10, NUM = 0x20, CAPS = 0x40, INSERT = 0x80;
const E0_FLAG = 0x02, E1_FLAG = 0x01, RCTRL = 0x04, RALT = 0x08;

/** [scan code, unshifted, shifted] for keys that type a character. */
const PRINTABLE: [number, string, string][] = [
  [0x02, "1", "!"],
  [0x03, "2", "@"],
  [0x04, "3", "#"],
  [0x05, "4", "$"],
  [0x06, "5", "%"],
  [0x07, "6", "^"],
  [0x08, "7", "&"],
  [0x09, "8", "*"],
  [0x0a, "9", "("],
  [0x0b, "0", ")"],
  [0x0c, "-", "_"],
  [0x0d, "=", "+"],
  [0x1a, "[", "{"],
  [0x1b, "]", "}"],
  [0x27, ";", ":"],
  [0x28, "'", '"'],
  [0x29, "`", "~"],
  [0x2b, "\\", "|"],
  [0x33, ",", "<"],
  [0x34, ".", ">"],
  [0x35, "/", "?"],
  [0x39, " ", " "],
];
const LETTERS = "qwertyuiop" + "asdfghjkl" + "zxcvbnm";
const LETTER_SCANS = [
  ...Array.from({ length: 10 }, (_, i) => 0x10 + i),
  ...Array.from({ length: 9 }, (_, i) => 0x1e + i),
  ...Array.from({ length: 7 }, (_, i) => 0x2c + i),
];

/** Normal, shift, ctrl and alt words per scan code (0: no key); built on first use, off start-up. */
let table: [number, number, number, number][] | undefined;

function keyTable(): [number, number, number, number][] {
  if (table) return table;
  const TABLE: [number, number, number, number][] = Array.from(
    { length: 0x59 },
    () => [0, 0, 0, 0],
  );
  const key = (scan: number, normal: number, shift: number, ctrl: number, alt: number) => {
    TABLE[scan] = [normal, shift, ctrl, alt];
  };
  for (const [scan, lo, hi] of PRINTABLE) {
    key(scan, (scan << 8) | lo.charCodeAt(0), (scan << 8) | hi.charCodeAt(0), 0, 0);
  }
  LETTERS.split("").forEach((ch, i) => {
    const scan = LETTER_SCANS[i];
    const c = ch.charCodeAt(0);
    key(scan, (scan << 8) | c, (scan << 8) | (c - 0x20), (scan << 8) | (c - 0x60), scan << 8);
  });
  // Alt+digits have their own scan codes (78h-83h).
  for (let s = 0x02; s <= 0x0d; s++) TABLE[s][3] = (s + 0x76) << 8;
  TABLE[0x03][2] = 0x0300; // Ctrl+2 is NUL
  TABLE[0x07][2] = 0x071e; // Ctrl+6
  TABLE[0x0c][2] = 0x0c1f; // Ctrl+-
  TABLE[0x1a][2] = 0x1a1b;
  TABLE[0x1b][2] = 0x1b1d;
  TABLE[0x2b][2] = 0x2b1c;
  TABLE[0x39][2] = 0x3920;
  key(0x01, 0x011b, 0x011b, 0x011b, 0x0100);
  key(0x0e, 0x0e08, 0x0e08, 0x0e7f, 0x0e00);
  key(0x0f, 0x0f09, 0x0f00, 0x9400, 0xa500);
  key(0x1c, 0x1c0d, 0x1c0d, 0x1c0a, 0xa600);
  for (let i = 0; i < 10; i++) {
    key(0x3b + i, (0x3b + i) << 8, (0x54 + i) << 8, (0x5e + i) << 8, (0x68 + i) << 8);
  }
  key(0x57, 0x8500, 0x8700, 0x8900, 0x8b00);
  key(0x58, 0x8600, 0x8800, 0x8a00, 0x8c00);
  key(0x37, 0x372a, 0x372a, 0x9600, 0x3700); // keypad *
  key(0x4a, 0x4a2d, 0x4a2d, 0x8e00, 0x4a00); // keypad -
  key(0x4e, 0x4e2b, 0x4e2b, 0x9000, 0x4e00); // keypad +
  table = TABLE;
  return TABLE;
}

/** Keypad navigation keys (scan 47h-53h) and the digit each types with Num Lock. */
const KEYPAD: Record<number, [string, number]> = {
  0x47: ["7", 0x7700],
  0x48: ["8", 0x8d00],
  0x49: ["9", 0x8400],
  0x4b: ["4", 0x7300],
  0x4c: ["5", 0x8f00],
  0x4d: ["6", 0x7400],
  0x4f: ["1", 0x7500],
  0x50: ["2", 0x9100],
  0x51: ["3", 0x7600],
  0x52: ["0", 0x9200],
  0x53: [".", 0x9300],
};

/** Sets up an empty keyboard buffer at 0:041E-0:043D. */
export function initKeyboardBuffer(memory: GuestMemory): void {
  const start = BDA.KBD_BUFFER - 0x400;
  memory.writeU16(BDA.KBD_BUFFER_START, start);
  memory.writeU16(BDA.KBD_BUFFER_END, start + 32);
  memory.writeU16(BDA.KBD_HEAD, start);
  memory.writeU16(BDA.KBD_TAIL, start);
  memory.writeU8(BDA.KBD_FLAGS3, 0x10); // enhanced keyboard
}

/**
 * The buffer's bounds (offsets in segment 0x40). A guest may move the
 * buffer; bounds that leave the BDA page or are empty fall back to the default.
 */
function bounds(memory: GuestMemory): { start: number; end: number } {
  const start = memory.readU16(BDA.KBD_BUFFER_START);
  const end = memory.readU16(BDA.KBD_BUFFER_END);
  if (start < end && end - start >= 4 && end <= 0x100 + 0x400 && (start & 1) === 0) {
    return { start, end };
  }
  const s = BDA.KBD_BUFFER - 0x400;
  return { start: s, end: s + 32 };
}

/** The word at the head of the buffer (not removed), or undefined when empty. */
export function peekKey(memory: GuestMemory): number | undefined {
  const { start, end } = bounds(memory);
  const head = memory.readU16(BDA.KBD_HEAD);
  const tail = memory.readU16(BDA.KBD_TAIL);
  if (head === tail || head < start || head >= end || (head & 1) !== 0) return undefined;
  return memory.readU16(0x400 + head);
}

/** Removes and returns the word at the head of the buffer, or undefined when empty. */
export function popKey(memory: GuestMemory): number | undefined {
  const word = peekKey(memory);
  if (word === undefined) return undefined;
  const { start, end } = bounds(memory);
  let head = memory.readU16(BDA.KBD_HEAD) + 2;
  if (head >= end) head = start;
  memory.writeU16(BDA.KBD_HEAD, head);
  return word;
}

/** True when the buffer can take another key. */
export function keyBufferHasRoom(memory: GuestMemory): boolean {
  const { start, end } = bounds(memory);
  let tail = memory.readU16(BDA.KBD_TAIL);
  if (tail < start || tail >= end || (tail & 1) !== 0) tail = start;
  const next = tail + 2 >= end ? start : tail + 2;
  return next !== memory.readU16(BDA.KBD_HEAD);
}

/** Appends a word to the buffer; false when it is full. */
export function pushKey(memory: GuestMemory, word: number): boolean {
  const { start, end } = bounds(memory);
  let tail = memory.readU16(BDA.KBD_TAIL);
  if (tail < start || tail >= end || (tail & 1) !== 0) tail = start;
  let next = tail + 2;
  if (next >= end) next = start;
  if (next === memory.readU16(BDA.KBD_HEAD)) return false;
  memory.writeU16(0x400 + tail, word & 0xffff);
  memory.writeU16(BDA.KBD_TAIL, next);
  return true;
}

/**
 * Handles one scan code from port 0x60, as INT 09h does: shift states,
 * lock toggles, and a buffer entry for keys that produce one. Returns the
 * word put into the buffer, if any.
 */
export function keyboardScancode(memory: GuestMemory, code: number): number | undefined {
  let f3 = memory.readU8(BDA.KBD_FLAGS3);
  if (code === 0xe0) {
    memory.writeU8(BDA.KBD_FLAGS3, f3 | E0_FLAG);
    return undefined;
  }
  if (code === 0xe1) {
    memory.writeU8(BDA.KBD_FLAGS3, f3 | E1_FLAG);
    return undefined;
  }
  const extended = (f3 & E0_FLAG) !== 0;
  if (f3 & E1_FLAG) {
    // Pause: E1 1D 45 E1 9D C5; the BIOS only swallows it here.
    if ((code & 0x7f) === 0x45) f3 &= ~E1_FLAG;
    memory.writeU8(BDA.KBD_FLAGS3, f3 & ~E0_FLAG);
    return undefined;
  }
  memory.writeU8(BDA.KBD_FLAGS3, f3 & ~E0_FLAG);
  const release = (code & 0x80) !== 0;
  const scan = code & 0x7f;
  let f1 = memory.readU8(BDA.KBD_FLAGS1);
  let f2 = memory.readU8(BDA.KBD_FLAGS2);
  f3 = memory.readU8(BDA.KBD_FLAGS3);
  const setState = () => {
    memory.writeU8(BDA.KBD_FLAGS1, f1);
    memory.writeU8(BDA.KBD_FLAGS2, f2);
    memory.writeU8(BDA.KBD_FLAGS3, f3);
  };
  const modifier = (bit: number, on: boolean) => (on ? f1 | bit : f1 & ~bit);
  switch (scan) {
    case 0x2a:
      if (!extended) f1 = modifier(LSHIFT, !release); // E0 2A is a fake shift
      setState();
      return undefined;
    case 0x36:
      if (!extended) f1 = modifier(RSHIFT, !release);
      setState();
      return undefined;
    case 0x1d:
      if (extended) f3 = release ? f3 & ~RCTRL : f3 | RCTRL;
      else f2 = release ? f2 & ~0x01 : f2 | 0x01;
      f1 = modifier(CTRL, (f2 & 0x01) !== 0 || (f3 & RCTRL) !== 0);
      setState();
      return undefined;
    case 0x38:
      if (extended) f3 = release ? f3 & ~RALT : f3 | RALT;
      else f2 = release ? f2 & ~0x02 : f2 | 0x02;
      f1 = modifier(ALT, (f2 & 0x02) !== 0 || (f3 & RALT) !== 0);
      setState();
      return undefined;
  }
  const locks: Record<number, [number, number]> = {
    0x3a: [CAPS, 0x40],
    0x45: [NUM, 0x20],
    0x46: [SCROLL, 0x10],
  };
  const lock = locks[scan];
  if (lock && !extended) {
    const [toggle, held] = lock;
    if (release) {
      f2 &= ~held;
    } else if (!(f2 & held)) {
      f2 |= held;
      f1 ^= toggle; // toggles once per press, not per typematic repeat
    }
    memory.writeU8(BDA.KBD_LEDS, (memory.readU8(BDA.KBD_LEDS) & ~7) | ((f1 >> 4) & 7));
    setState();
    return undefined;
  }
  if (release) {
    if (scan === 0x52) f2 &= ~0x80;
    setState();
    return undefined;
  }
  if (scan === 0x52 && !(f2 & 0x80)) {
    f2 |= 0x80;
    f1 ^= INSERT;
  }
  setState();
  const word = translate(scan, extended, f1);
  if (word === undefined) return undefined;
  pushKey(memory, word);
  return word;
}

/** The buffer word for a pressed key under the shift states `f1`. */
function translate(scan: number, extended: boolean, f1: number): number | undefined {
  const shift = (f1 & (LSHIFT | RSHIFT)) !== 0;
  const ctrl = (f1 & CTRL) !== 0;
  const alt = (f1 & ALT) !== 0;
  const pad = KEYPAD[scan];
  if (pad) {
    const [digit, ctrlWord] = pad;
    if (extended) {
      // The grey navigation keys: character E0h marks them for AH=10h.
      if (alt) return (scan + 0x50) << 8;
      return ctrl ? ctrlWord : (scan << 8) | 0xe0;
    }
    if (alt || ctrl) return ctrl ? ctrlWord : undefined;
    const numeric = ((f1 & NUM) !== 0) !== shift;
    return numeric ? (scan << 8) | digit.charCodeAt(0) : scan << 8;
  }
  if (extended) {
    if (scan === 0x1c) return ctrl ? 0xe00a : alt ? 0xa600 : 0xe00d; // keypad Enter
    if (scan === 0x35) return ctrl ? 0x9500 : alt ? 0xa400 : 0xe02f; // keypad /
    return undefined;
  }
  const rows = keyTable();
  if (scan >= rows.length) return undefined;
  const row = rows[scan];
  let word: number;
  if (alt) word = row[3];
  else if (ctrl) word = row[2];
  else {
    const isLetter = LETTER_SCANS.includes(scan);
    const shifted = isLetter ? shift !== ((f1 & CAPS) !== 0) : shift;
    word = shifted ? row[1] : row[0];
  }
  return word === 0 ? undefined : word;
}
