/**
 * Terminal input to key events: decodes the bytes a terminal in raw mode sends (printable
 * ASCII, control characters, the common xterm, VT220, rxvt and Linux console escape sequences)
 * into named keys that the keyboard device turns into PC scan codes.
 *
 * Key names are those of the W3C UI Events `KeyboardEvent.key` values, which the i8042's
 * {@link keysToScancodes} accepts (case-insensitively) in braces: a printable character is
 * itself ("a", "A", "{", " "), and the others are "Enter", "Backspace", "Tab", "Escape",
 * "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown",
 * "Insert", "Delete" and "F1" to "F12". Ctrl+letter is the lower-case letter with `ctrl`.
 *
 * As in QEMU's `-nographic` console, Ctrl-A is an escape prefix: Ctrl-A x quits, Ctrl-A c
 * switches between the guest's screen and its serial console, Ctrl-A Ctrl-A sends one Ctrl-A to
 * the guest, and Ctrl-A followed by anything else is dropped.
 *
 * @example
 * ```ts
 * import { KeyDecoder } from "./keys.ts";
 * const decoder = new KeyDecoder();
 * decoder.feed(new TextEncoder().encode("a\x1b[A\x03"));
 * // [{kind: "key", key: {key: "a"}}, {kind: "key", key: {key: "ArrowUp"}},
 * //  {kind: "key", key: {key: "c", ctrl: true}}]
 * ```
 *
 * @module
 */

import { keysToScancodes } from "../devices/i8042.ts";

/** A key press, named so that a keyboard device can turn it into scan codes. */
export interface KeyEvent {
  /** A printable character ("a", "A", "1", "!", " ") or a key name ("Enter", "F1", ...). */
  key: string;
  /** Ctrl was held. */
  ctrl?: boolean;
  /** Shift was held (said only where `key` does not already show it, as "A" does). */
  shift?: boolean;
  /** Alt (Meta) was held. */
  alt?: boolean;
}

/**
 * What the decoder makes of the input: a key press, the user's request to quit (Ctrl-A x), or to
 * switch between the screen and the serial console (Ctrl-A c).
 */
export type InputEvent = { kind: "key"; key: KeyEvent } | { kind: "quit" } | { kind: "switch" };

/** The escape prefix byte (Ctrl-A). */
const PREFIX = 0x01;

/** Keys of `CSI n ~` by `n` (xterm, VT220, rxvt). */
const TILDE_KEYS: Record<number, string> = {
  1: "Home",
  2: "Insert",
  3: "Delete",
  4: "End",
  5: "PageUp",
  6: "PageDown",
  7: "Home",
  8: "End",
  11: "F1",
  12: "F2",
  13: "F3",
  14: "F4",
  15: "F5",
  17: "F6",
  18: "F7",
  19: "F8",
  20: "F9",
  21: "F10",
  23: "F11",
  24: "F12",
};

/** Keys of `CSI x` and `SS3 x` by the final letter. */
const LETTER_KEYS: Record<string, string> = {
  A: "ArrowUp",
  B: "ArrowDown",
  C: "ArrowRight",
  D: "ArrowLeft",
  H: "Home",
  F: "End",
  P: "F1",
  Q: "F2",
  R: "F3",
  S: "F4",
  M: "Enter", // keypad Enter in application mode
};

/** Keys of the Linux console's `CSI [ x` function keys. */
const LINUX_F_KEYS: Record<string, string> = { A: "F1", B: "F2", C: "F3", D: "F4", E: "F5" };

/** Control characters 0x1C-0x1F as Ctrl with the key that makes them on a US keyboard. */
const CTRL_PUNCTUATION: Record<number, string> = { 0x1c: "\\", 0x1d: "]", 0x1e: "6", 0x1f: "-" };

/** A key with the xterm modifier parameter (1 + bit 0 Shift, bit 1 Alt, bit 2 Ctrl) applied. */
function withModifiers(key: string, param: number | undefined): KeyEvent {
  const event: KeyEvent = { key };
  const bits = (param ?? 1) - 1;
  if (bits & 1) event.shift = true;
  if (bits & 2) event.alt = true;
  if (bits & 4) event.ctrl = true;
  return event;
}

/** The key of one byte outside an escape sequence (ESC and the prefix are handled before). */
function byteKey(byte: number): KeyEvent | undefined {
  if (byte === 0x0d || byte === 0x0a) return { key: "Enter" };
  if (byte === 0x09) return { key: "Tab" };
  // DEL is what Backspace sends in most terminals; some send ^H.
  if (byte === 0x7f || byte === 0x08) return { key: "Backspace" };
  if (byte === 0x1b) return { key: "Escape" };
  if (byte === 0x00) return { key: " ", ctrl: true };
  if (byte < 0x1b) return { key: String.fromCharCode(byte + 0x60), ctrl: true };
  if (byte < 0x20) return { key: CTRL_PUNCTUATION[byte], ctrl: true };
  if (byte < 0x7f) return { key: String.fromCharCode(byte) };
  return undefined;
}

/** Outcome of parsing an escape sequence at some position. */
type Parsed =
  | { done: true; length: number; key?: KeyEvent }
  | { done: false };

/**
 * Parses the escape sequence that starts at `at` (an ESC byte). `done: false` means the bytes
 * so far could be the start of a longer sequence.
 */
function parseEscape(bytes: Uint8Array, at: number): Parsed {
  if (at + 1 >= bytes.length) return { done: false };
  const second = bytes[at + 1];
  if (second === 0x5b /* [ */) return parseCsi(bytes, at);
  if (second === 0x4f /* O */) {
    if (at + 2 >= bytes.length) return { done: false };
    const name = LETTER_KEYS[String.fromCharCode(bytes[at + 2])];
    return { done: true, length: 3, key: name ? { key: name } : undefined };
  }
  if (second === 0x1b) {
    // ESC ESC: Alt+Escape in some terminals; ESC ESC [ A: Alt+arrow in others.
    const inner = parseEscape(bytes, at + 1);
    if (!inner.done) return inner;
    if (inner.key) {
      return { done: true, length: inner.length + 1, key: { ...inner.key, alt: true } };
    }
    return { done: true, length: inner.length + 1 };
  }
  const key = byteKey(second);
  return { done: true, length: 2, key: key ? { ...key, alt: true } : undefined };
}

/** Parses `ESC [ params final` (and the Linux console's `ESC [ [ x`). */
function parseCsi(bytes: Uint8Array, at: number): Parsed {
  let p = at + 2;
  if (p < bytes.length && bytes[p] === 0x5b) {
    if (p + 1 >= bytes.length) return { done: false };
    const name = LINUX_F_KEYS[String.fromCharCode(bytes[p + 1])];
    return { done: true, length: 4, key: name ? { key: name } : undefined };
  }
  // Parameter and intermediate bytes are 0x20-0x3F; the final byte is 0x40-0x7E.
  while (p < bytes.length && bytes[p] >= 0x20 && bytes[p] <= 0x3f) p++;
  if (p >= bytes.length) return { done: false };
  const final = bytes[p];
  const length = p - at + 1;
  if (final < 0x40 || final > 0x7e) return { done: true, length: length - 1 }; // malformed
  const params = new TextDecoder().decode(bytes.subarray(at + 2, p)).split(";").map((s) =>
    s === "" ? undefined : Number(s)
  );
  const letter = String.fromCharCode(final);
  if (letter === "~") {
    const name = TILDE_KEYS[params[0] ?? 0];
    return { done: true, length, key: name ? withModifiers(name, params[1]) : undefined };
  }
  if (letter === "Z") return { done: true, length, key: { key: "Tab", shift: true } };
  const name = LETTER_KEYS[letter];
  return { done: true, length, key: name ? withModifiers(name, params[1]) : undefined };
}

/**
 * Decodes raw terminal input into key events, keeping incomplete escape sequences between
 * calls. A lone ESC may be the Escape key or the start of a sequence cut between two reads:
 * it is held until more input comes or the caller, after a short wait (see
 * {@link KeyDecoder.pending}), calls {@link KeyDecoder.flush}.
 */
export class KeyDecoder {
  #held = new Uint8Array(0);
  #prefix = false;
  readonly #utf8 = new TextDecoder("utf-8", { fatal: false });

  /** True while bytes are held that {@link flush} would resolve (a partial escape sequence). */
  get pending(): boolean {
    return this.#held.length > 0;
  }

  /** Decodes `input`; bytes of an unfinished escape sequence are held for the next call. */
  feed(input: Uint8Array): InputEvent[] {
    const bytes = new Uint8Array(this.#held.length + input.length);
    bytes.set(this.#held);
    bytes.set(input, this.#held.length);
    this.#held = new Uint8Array(0);
    return this.#decode(bytes, false);
  }

  /** Resolves held bytes as they stand: a lone ESC becomes Escape, ESC x becomes Alt+x. */
  flush(): InputEvent[] {
    const bytes = this.#held;
    this.#held = new Uint8Array(0);
    return this.#decode(bytes, true);
  }

  #decode(bytes: Uint8Array, final: boolean): InputEvent[] {
    const out: InputEvent[] = [];
    const key = (k: KeyEvent) => out.push({ kind: "key", key: k });
    let i = 0;
    while (i < bytes.length) {
      const byte = bytes[i];
      if (this.#prefix) {
        this.#prefix = false;
        i++;
        if (byte === 0x78 || byte === 0x58 /* x, X */) out.push({ kind: "quit" });
        else if (byte === 0x63 || byte === 0x43 /* c, C */) out.push({ kind: "switch" });
        else if (byte === PREFIX) key({ key: "a", ctrl: true });
        continue;
      }
      if (byte === PREFIX) {
        this.#prefix = true;
        i++;
        continue;
      }
      if (byte === 0x1b) {
        const parsed = parseEscape(bytes, i);
        if (parsed.done) {
          if (parsed.key) key(parsed.key);
          i += parsed.length;
          continue;
        }
        if (!final) {
          this.#held = bytes.slice(i);
          break;
        }
        // Flushing an unfinished sequence: ESC alone is Escape, then the rest as typed.
        key({ key: "Escape" });
        i++;
        if (i < bytes.length) {
          const next = byteKey(bytes[i]);
          if (next) {
            out.pop();
            key({ ...next, alt: true });
          }
          i++;
        }
        continue;
      }
      if (byte >= 0x80) {
        // A UTF-8 character: whole if its bytes are here, else held for the next read.
        const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
        if (i + need > bytes.length && !final) {
          this.#held = bytes.slice(i);
          break;
        }
        const char = this.#utf8.decode(bytes.subarray(i, Math.min(i + need, bytes.length)));
        if (char !== "\ufffd") key({ key: char });
        i += need;
        continue;
      }
      const k = byteKey(byte);
      if (k) key(k);
      i++;
    }
    return out;
  }
}

/** Names i8042's `keysToScancodes` knows in braces but which are not W3C names (or clash). */
const CHORD_CHARS: Record<string, string> = { " ": "Space", "{": "Shift+[", "}": "Shift+]" };

/**
 * The event as text for the i8042's `keysToScancodes`: a printable character without modifiers
 * is itself ("{" doubled); anything else is a braced name or chord such as `{Enter}` or
 * `{Ctrl+Alt+Delete}`.
 */
export function keyEventToKeys(event: KeyEvent): string {
  // In a chord i8042 reads a letter as its key, so an upper-case letter needs Shift named.
  const shift = event.shift || (/^[A-Z]$/.test(event.key) && (event.ctrl || event.alt));
  const mods = (event.ctrl ? "Ctrl+" : "") + (event.alt ? "Alt+" : "") + (shift ? "Shift+" : "");
  if (event.key.length === 1 && !mods) return event.key === "{" ? "{{" : event.key;
  let name = CHORD_CHARS[event.key] ?? event.key;
  // "Shift+[" already names Shift: do not name it twice.
  if (shift && name.startsWith("Shift+")) name = name.slice(6);
  return `{${mods}${name}}`;
}

/**
 * The set-1 scan codes (make and break) for the event on a US keyboard, or `undefined` for a
 * character no PC key types (for example "é").
 */
export function keyEventToScancodes(event: KeyEvent): number[] | undefined {
  try {
    return keysToScancodes(keyEventToKeys(event));
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

/** What a terminal sends for the keys that are not one character (xterm's sequences). */
const KEY_SEQUENCES: Record<string, string> = {
  Enter: "\r",
  Tab: "\t",
  Backspace: "\x7f",
  Escape: "\x1b",
  ArrowUp: "\x1b[A",
  ArrowDown: "\x1b[B",
  ArrowRight: "\x1b[C",
  ArrowLeft: "\x1b[D",
  Home: "\x1b[H",
  End: "\x1b[F",
  Insert: "\x1b[2~",
  Delete: "\x1b[3~",
  PageUp: "\x1b[5~",
  PageDown: "\x1b[6~",
  F1: "\x1bOP",
  F2: "\x1bOQ",
  F3: "\x1bOR",
  F4: "\x1bOS",
  F5: "\x1b[15~",
  F6: "\x1b[17~",
  F7: "\x1b[18~",
  F8: "\x1b[19~",
  F9: "\x1b[20~",
  F10: "\x1b[21~",
  F11: "\x1b[23~",
  F12: "\x1b[24~",
};

/**
 * The bytes a terminal sends for the event, for a guest that reads a serial line: characters in
 * UTF-8, Ctrl+letter as its control character, named keys as xterm sends them, Alt as an ESC
 * before the key. Undefined for a combination no terminal sends as bytes (Ctrl+F1).
 */
export function keyEventToBytes(event: KeyEvent): Uint8Array | undefined {
  let text: string | undefined;
  if (event.ctrl) {
    const code = event.key.length === 1 ? event.key.toLowerCase().charCodeAt(0) : -1;
    if (code >= 0x61 && code <= 0x7a) text = String.fromCharCode(code - 0x60);
    else if (event.key === " ") text = "\x00";
    else if (CTRL_BYTES[event.key] !== undefined) text = String.fromCharCode(CTRL_BYTES[event.key]);
  } else if ([...event.key].length === 1) {
    text = event.key;
  } else {
    text = event.shift && event.key === "Tab" ? "\x1b[Z" : KEY_SEQUENCES[event.key];
  }
  if (text === undefined) return undefined;
  return new TextEncoder().encode(event.alt ? `\x1b${text}` : text);
}

/** Ctrl with the punctuation keys that make the control characters 0x1C-0x1F. */
const CTRL_BYTES: Record<string, number> = Object.fromEntries(
  Object.entries(CTRL_PUNCTUATION).map(([byte, key]) => [key, Number(byte)]),
);
