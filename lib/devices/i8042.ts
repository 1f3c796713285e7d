/**
 * The 8042 keyboard controller at ports 0x60 (data) and 0x64 (status and
 * command), with a PS/2 keyboard behind it and no mouse.
 *
 * Typed input is queued as scan code set 1, which is what a PC sees from a
 * set-2 keyboard through the controller's translation (the default); bytes
 * are delivered one at a time through the output buffer, raising IRQ 1 when
 * the command byte enables it. {@link keysToScancodes} turns text and key
 * names into such sequences.
 *
 * Bytes are served in this order when the output buffer empties: replies to
 * controller commands, replies from the keyboard, then typed input (only
 * while the keyboard scans and its interface is enabled), then AUX bytes.
 * Typed input waits rather than being dropped while the keyboard is disabled
 * or reset, so scripted input is not lost to a BIOS or driver probe.
 *
 * Not modelled: a mouse (bytes sent to AUX with 0xD4 time out and answer
 * 0xFE), scan code sets 2 and 3 on the wire (typed input is set 1 whatever
 * the translation bit says), typematic repeat, the password commands.
 *
 * @example
 * ```ts
 * import { Bus } from "../machine/bus.ts";
 * import { I8042 } from "./i8042.ts";
 * const kbc = new I8042({ irq1: (level) => console.log("IRQ1", level) });
 * const ports = new Bus("io", 0x10000);
 * ports.register(0x60, 1, kbc.data, "keyboard data");
 * ports.register(0x64, 1, kbc.command, "keyboard status/command");
 * kbc.type("dir{Enter}"); // queues d, i, r, Enter as set-1 make/break codes
 * ```
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";

/** Options for {@link I8042}. */
export interface I8042Options {
  /** IRQ 1: keyboard data in the output buffer. */
  irq1?: (level: boolean) => void;
  /** IRQ 12: AUX (mouse) data in the output buffer. */
  irq12?: (level: boolean) => void;
  /** Called when the guest changes the A20 gate (output port bit 1). */
  onA20?: (enabled: boolean) => void;
  /** Called when the guest pulses the CPU reset line (0xFE, or output port bit 0 low). */
  onReset?: () => void;
  /** The A20 gate at power-on (default enabled). */
  a20?: boolean;
  /** The command byte at power-on (default 0x45: IRQ 1 on, system flag, translation). */
  commandByte?: number;
  /** The most typed bytes kept waiting (default {@link I8042_DEFAULT_QUEUE_LIMIT}). */
  queueLimit?: number;
}

/** How many typed bytes wait by default before more are refused. */
export const I8042_DEFAULT_QUEUE_LIMIT = 4096;

/** The keyboard behind the controller, as plain data. */
export interface KeyboardState {
  /** Scanning enabled (0xF4) or disabled (0xF5). */
  scanning: boolean;
  /** A command that waits for its parameter byte (0xED, 0xF0, 0xF3), or -1. */
  pendingCommand: number;
  /** LEDs from 0xED: bit 0 Scroll Lock, 1 Num Lock, 2 Caps Lock. */
  leds: number;
  /** The scan code set the keyboard was told to use (1-3). */
  scanSet: number;
  /** The typematic byte from 0xF3. */
  typematic: number;
  /** The last byte the keyboard sent (for 0xFE resend). */
  lastSent: number;
}

/** The controller's state, as plain data. */
export interface I8042State {
  /** The controller's internal RAM; byte 0 is the command byte. */
  ram: number[];
  /** The output port (bit 0 reset line, bit 1 A20). */
  outputPort: number;
  /** Status bit 3: the last write went to port 0x64. */
  lastWasCommand: boolean;
  /** Status bit 6: the last AUX transfer timed out. */
  timeout: boolean;
  /** A controller command waiting for its data byte, or -1. */
  pendingCommand: number;
  /** The output buffer holds a byte. */
  obf: boolean;
  /** The byte in (or last in) the output buffer. */
  out: number;
  /** The byte in the output buffer came from AUX. */
  outAux: boolean;
  /** Replies to controller commands, waiting. */
  controllerQueue: number[];
  /** Replies from the keyboard, waiting. */
  keyboardQueue: number[];
  /** Typed scan codes, waiting. */
  inputQueue: number[];
  /** AUX bytes, waiting. */
  auxQueue: number[];
  /** The keyboard. */
  keyboard: KeyboardState;
  /** The IRQ 1 level last driven. */
  irq1: boolean;
  /** The IRQ 12 level last driven. */
  irq12: boolean;
}

/** Replies kept waiting; a guest that never reads cannot grow them further. */
const REPLY_LIMIT = 16;
const ACK = 0xfa;
const RESEND = 0xfe;
const CMD_KBD_INT = 0x01;
const CMD_AUX_INT = 0x02;
const CMD_SYS = 0x04;
const CMD_KBD_DISABLE = 0x10;
const CMD_AUX_DISABLE = 0x20;
const CMD_TRANSLATE = 0x40;
/** What a set-2 keyboard's ID and scan-set bytes become through translation. */
const TRANSLATED: Record<number, number> = { 0x83: 0x41, 1: 0x43, 2: 0x41, 3: 0x3f };

function push(queue: number[], byte: number): void {
  if (queue.length < REPLY_LIMIT) queue.push(byte & 0xff);
}

function keyboardDefaults(k: KeyboardState): void {
  k.pendingCommand = -1;
  k.scanSet = 2;
  k.typematic = 0x2b;
}

/**
 * The keyboard controller. Its two ports are separate bus devices:
 * {@link I8042.data} at 0x60 and {@link I8042.command} at 0x64, each of length 1.
 */
export class I8042 {
  /** The controller's state; plain data. */
  state: I8042State;
  /** Port 0x60: the data port. */
  readonly data: BusDevice;
  /** Port 0x64: status (read) and controller command (write). */
  readonly command: BusDevice;
  readonly #opts: I8042Options;
  readonly #queueLimit: number;

  /** Makes a controller whose keyboard is enabled and scanning. */
  constructor(options: I8042Options = {}) {
    this.#opts = options;
    const limit = options.queueLimit ?? I8042_DEFAULT_QUEUE_LIMIT;
    this.#queueLimit = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
    const ram = new Array<number>(32).fill(0);
    ram[0] = (options.commandByte ?? 0x45) & 0xff;
    const keyboard: KeyboardState = {
      scanning: true,
      pendingCommand: -1,
      leds: 0,
      scanSet: 2,
      typematic: 0x2b,
      lastSent: 0,
    };
    this.state = {
      ram,
      outputPort: (options.a20 ?? true) ? 0xcf : 0xcd,
      lastWasCommand: false,
      timeout: false,
      pendingCommand: -1,
      obf: false,
      out: 0,
      outAux: false,
      controllerQueue: [],
      keyboardQueue: [],
      inputQueue: [],
      auxQueue: [],
      keyboard,
      irq1: false,
      irq12: false,
    };
    this.data = {
      read: (offset, data) => {
        for (let i = 0; i < data.length; i++) data[i] = offset + i === 0 ? this.#readData() : 0xff;
      },
      write: (offset, data) => {
        for (let i = 0; i < data.length; i++) if (offset + i === 0) this.#writeData(data[i]);
      },
    };
    this.command = {
      read: (offset, data) => {
        for (let i = 0; i < data.length; i++) data[i] = offset + i === 0 ? this.status : 0xff;
      },
      write: (offset, data) => {
        for (let i = 0; i < data.length; i++) if (offset + i === 0) this.#writeCommand(data[i]);
      },
    };
  }

  /** The status register as port 0x64 reads it. */
  get status(): number {
    const s = this.state;
    return (s.obf ? 0x01 : 0) | (s.ram[0] & CMD_SYS) | (s.lastWasCommand ? 0x08 : 0) |
      0x10 /* keyboard not inhibited */ | (s.obf && s.outAux ? 0x20 : 0) |
      (s.timeout ? 0x40 : 0);
  }

  /** The A20 gate as the controller's output port sets it. */
  get a20(): boolean {
    return (this.state.outputPort & 0x02) !== 0;
  }

  /** The keyboard LEDs (bit 0 Scroll, 1 Num, 2 Caps Lock). */
  get leds(): number {
    return this.state.keyboard.leds;
  }

  /** Typed bytes not yet delivered. */
  get pendingInput(): number {
    return this.state.inputQueue.length;
  }

  /**
   * Queues set-1 scan codes as typed input; returns how many were taken
   * (the rest did not fit in the queue).
   */
  sendScancodes(codes: Iterable<number>): number {
    const q = this.state.inputQueue;
    let n = 0;
    for (const c of codes) {
      if (q.length >= this.#queueLimit) break;
      q.push(c & 0xff);
      n++;
    }
    this.#fill();
    return n;
  }

  /** Types `keys` (see {@link keysToScancodes}); returns the bytes queued. */
  type(keys: string): number {
    return this.sendScancodes(keysToScancodes(keys));
  }

  /** Drops typed input that was not delivered yet. */
  clearInput(): void {
    this.state.inputQueue.length = 0;
  }

  /** A copy of the state. */
  snapshot(): I8042State {
    return structuredClone(this.state);
  }

  /** Replaces the state with a copy of `state`. */
  restore(state: I8042State): void {
    this.state = structuredClone(state);
    this.#irqs();
  }

  #readData(): number {
    const s = this.state;
    if (!s.obf) return s.out;
    s.obf = false;
    const v = s.out;
    // Let the line fall before the next byte raises it, so the PIC sees an edge.
    this.#irqs();
    this.#fill();
    return v;
  }

  #writeData(v: number): void {
    const s = this.state;
    s.lastWasCommand = false;
    const cmd = s.pendingCommand;
    s.pendingCommand = -1;
    if (cmd < 0) {
      this.#keyboardWrite(v);
    } else if (cmd >= 0x60 && cmd <= 0x7f) {
      s.ram[cmd & 0x1f] = v;
    } else if (cmd === 0xd1) {
      this.#setOutputPort(v);
    } else if (cmd === 0xd2) {
      push(s.keyboardQueue, v);
    } else if (cmd === 0xd3) {
      push(s.auxQueue, v);
    } else if (cmd === 0xd4) {
      // No mouse is attached: the transfer times out.
      s.timeout = true;
      push(s.auxQueue, RESEND);
    }
    this.#fill();
  }

  #writeCommand(v: number): void {
    const s = this.state;
    s.lastWasCommand = true;
    s.pendingCommand = -1;
    s.timeout = false;
    const reply = (b: number) => push(s.controllerQueue, b);
    if (v >= 0x20 && v <= 0x3f) {
      reply(s.ram[v & 0x1f]);
    } else if ((v >= 0x60 && v <= 0x7f) || (v >= 0xd1 && v <= 0xd4)) {
      s.pendingCommand = v;
    } else if (v >= 0xf0) {
      // Pulse output port bits 0-3 that are 0 in the command; bit 0 is the reset line.
      if ((v & 0x01) === 0) this.#opts.onReset?.();
    } else {
      switch (v) {
        case 0xa4: // password installed?
          reply(0xf1);
          break;
        case 0xa7:
          s.ram[0] |= CMD_AUX_DISABLE;
          break;
        case 0xa8:
          s.ram[0] &= ~CMD_AUX_DISABLE;
          break;
        case 0xa9: // AUX interface test: no error
          reply(0x00);
          break;
        case 0xaa: // self test passed; the system flag says so
          s.ram[0] |= CMD_SYS;
          reply(0x55);
          break;
        case 0xab: // keyboard interface test: no error
          reply(0x00);
          break;
        case 0xad:
          s.ram[0] |= CMD_KBD_DISABLE;
          break;
        case 0xae:
          s.ram[0] &= ~CMD_KBD_DISABLE;
          break;
        case 0xc0: // input port: keyboard not inhibited, no jumper
          reply(0xa0);
          break;
        case 0xd0:
          reply(
            (s.outputPort & 0xcf) | (s.obf && !s.outAux ? 0x10 : 0) |
              (s.obf && s.outAux ? 0x20 : 0),
          );
          break;
        case 0xdd:
          this.#setOutputPort(s.outputPort & ~0x02);
          break;
        case 0xdf:
          this.#setOutputPort(s.outputPort | 0x02);
          break;
        case 0xe0: // test inputs
          reply(0x00);
          break;
        default: // unknown commands are ignored
          break;
      }
    }
    this.#fill();
  }

  #setOutputPort(v: number): void {
    const s = this.state;
    const old = s.outputPort;
    s.outputPort = v | 0x01;
    if ((old ^ v) & 0x02) this.#opts.onA20?.((v & 0x02) !== 0);
    if ((v & 0x01) === 0) this.#opts.onReset?.();
  }

  /** A byte the guest sent to the keyboard. */
  #keyboardWrite(v: number): void {
    const s = this.state;
    const k = s.keyboard;
    const send = (...bytes: number[]) => {
      for (const b of bytes) push(s.keyboardQueue, b);
      k.lastSent = bytes[bytes.length - 1];
    };
    const translate = (b: number) => (s.ram[0] & CMD_TRANSLATE) ? (TRANSLATED[b] ?? b) : b;
    const pending = k.pendingCommand;
    k.pendingCommand = -1;
    if (pending === 0xed) {
      k.leds = v & 0x07;
      send(ACK);
      return;
    }
    if (pending === 0xf3) {
      k.typematic = v & 0x7f;
      send(ACK);
      return;
    }
    if (pending === 0xf0) {
      if (v === 0) send(ACK, translate(k.scanSet));
      else if (v <= 3) {
        k.scanSet = v;
        send(ACK);
      } else send(RESEND);
      return;
    }
    switch (v) {
      case 0xed:
      case 0xf0:
      case 0xf3:
        k.pendingCommand = v;
        send(ACK);
        break;
      case 0xee:
        send(0xee);
        break;
      case 0xf2:
        send(ACK, 0xab, translate(0x83));
        break;
      case 0xf4:
        k.scanning = true;
        send(ACK);
        break;
      case 0xf5:
        k.scanning = false;
        keyboardDefaults(k);
        send(ACK);
        break;
      case 0xf6:
        keyboardDefaults(k);
        send(ACK);
        break;
      case 0xfe:
        send(k.lastSent);
        break;
      case 0xff:
        keyboardDefaults(k);
        k.scanning = true;
        k.leds = 0;
        send(ACK, 0xaa);
        break;
      default:
        if (v >= 0xf7 && v <= 0xfd) send(ACK); // key type settings (set 3)
        else send(RESEND);
    }
  }

  /** Moves the next waiting byte into an empty output buffer. */
  #fill(): void {
    const s = this.state;
    if (!s.obf) {
      const kbdOn = (s.ram[0] & CMD_KBD_DISABLE) === 0;
      let aux = false;
      let next: number | undefined;
      if (s.controllerQueue.length) next = s.controllerQueue.shift();
      else if (s.keyboardQueue.length) next = s.keyboardQueue.shift();
      else if (kbdOn && s.keyboard.scanning && s.inputQueue.length) next = s.inputQueue.shift();
      else if (s.auxQueue.length) {
        next = s.auxQueue.shift();
        aux = true;
      }
      if (next !== undefined) {
        s.obf = true;
        s.out = next & 0xff;
        s.outAux = aux;
      }
    }
    this.#irqs();
  }

  #irqs(): void {
    const s = this.state;
    const irq1 = s.obf && !s.outAux && (s.ram[0] & CMD_KBD_INT) !== 0;
    const irq12 = s.obf && s.outAux && (s.ram[0] & CMD_AUX_INT) !== 0;
    if (irq1 !== s.irq1) {
      s.irq1 = irq1;
      this.#opts.irq1?.(irq1);
    }
    if (irq12 !== s.irq12) {
      s.irq12 = irq12;
      this.#opts.irq12?.(irq12);
    }
  }
}

/** A key: its set-1 make code and whether it has the 0xE0 prefix. */
interface Key {
  code: number;
  ext: boolean;
}

/** Printable ASCII on a US keyboard: unshifted and shifted characters per make code. */
const US_LAYOUT: [number, string][] = [
  [0x02, "1!"],
  [0x03, "2@"],
  [0x04, "3#"],
  [0x05, "4$"],
  [0x06, "5%"],
  [0x07, "6^"],
  [0x08, "7&"],
  [0x09, "8*"],
  [0x0a, "9("],
  [0x0b, "0)"],
  [0x0c, "-_"],
  [0x0d, "=+"],
  [0x10, "qQ"],
  [0x11, "wW"],
  [0x12, "eE"],
  [0x13, "rR"],
  [0x14, "tT"],
  [0x15, "yY"],
  [0x16, "uU"],
  [0x17, "iI"],
  [0x18, "oO"],
  [0x19, "pP"],
  [0x1a, "[{"],
  [0x1b, "]}"],
  [0x1e, "aA"],
  [0x1f, "sS"],
  [0x20, "dD"],
  [0x21, "fF"],
  [0x22, "gG"],
  [0x23, "hH"],
  [0x24, "jJ"],
  [0x25, "kK"],
  [0x26, "lL"],
  [0x27, ";:"],
  [0x28, "'\""],
  [0x29, "`~"],
  [0x2b, "\\|"],
  [0x2c, "zZ"],
  [0x2d, "xX"],
  [0x2e, "cC"],
  [0x2f, "vV"],
  [0x30, "bB"],
  [0x31, "nN"],
  [0x32, "mM"],
  [0x33, ",<"],
  [0x34, ".>"],
  [0x35, "/?"],
  [0x39, "  "],
];

const SHIFT: Key = { code: 0x2a, ext: false };

/** The key maps, built on first use (typing), off start-up. */
let keyMaps:
  | {
    /** Character -> make code and whether Shift is needed. */
    chars: Map<string, { code: number; shift: boolean }>;
    /** Named keys (lower case). */
    named: Map<string, Key>;
  }
  | undefined;

function maps(): NonNullable<typeof keyMaps> {
  if (keyMaps) return keyMaps;
  const chars = new Map<string, { code: number; shift: boolean }>();
  for (const [code, pair] of US_LAYOUT) {
    chars.set(pair[1], { code, shift: pair[0] !== pair[1] });
    chars.set(pair[0], { code, shift: false });
  }
  const named = new Map<string, Key>();
  const name = (code: number, ext: boolean, ...names: string[]) => {
    for (const n of names) named.set(n, { code, ext });
  };
  name(0x01, false, "escape", "esc");
  name(0x0e, false, "backspace", "bs");
  name(0x0f, false, "tab");
  name(0x1c, false, "enter", "return");
  name(0x1d, false, "ctrl", "control", "lctrl");
  name(0x2a, false, "shift", "lshift");
  name(0x36, false, "rshift");
  name(0x38, false, "alt", "lalt");
  name(0x39, false, "space");
  name(0x3a, false, "capslock", "caps");
  name(0x45, false, "numlock");
  name(0x46, false, "scrolllock");
  for (let i = 0; i < 10; i++) name(0x3b + i, false, `f${i + 1}`);
  name(0x57, false, "f11");
  name(0x58, false, "f12");
  name(0x37, false, "kp*", "kpmultiply");
  name(0x4a, false, "kp-", "kpminus");
  name(0x4e, false, "kp+", "kpplus");
  name(0x53, false, "kp.", "kpdecimal");
  const KEYPAD_DIGITS = [0x52, 0x4f, 0x50, 0x51, 0x4b, 0x4c, 0x4d, 0x47, 0x48, 0x49];
  KEYPAD_DIGITS.forEach((code, digit) => name(code, false, `kp${digit}`));
  name(0x1c, true, "kpenter");
  name(0x35, true, "kp/", "kpdivide");
  name(0x1d, true, "rctrl");
  name(0x38, true, "ralt", "altgr");
  name(0x48, true, "up", "arrowup");
  name(0x50, true, "down", "arrowdown");
  name(0x4b, true, "left", "arrowleft");
  name(0x4d, true, "right", "arrowright");
  name(0x47, true, "home");
  name(0x4f, true, "end");
  name(0x49, true, "pageup", "pgup");
  name(0x51, true, "pagedown", "pgdn");
  name(0x52, true, "insert", "ins");
  name(0x53, true, "delete", "del");
  name(0x5b, true, "win", "lwin", "meta", "super");
  name(0x5c, true, "rwin");
  name(0x5d, true, "menu", "apps");
  keyMaps = { chars, named };
  return keyMaps;
}

/** Keys whose sequences are not make | 0x80 with an optional 0xE0. */
const SPECIAL: Record<string, number[]> = {
  printscreen: [0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa],
  prtsc: [0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa],
  pause: [0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5],
};

function make(k: Key, out: number[]): void {
  if (k.ext) out.push(0xe0);
  out.push(k.code);
}

function brk(k: Key, out: number[]): void {
  if (k.ext) out.push(0xe0);
  out.push(k.code | 0x80);
}

/** Presses and releases `key` with `mods` held, in order. */
function chord(mods: Key[], key: Key, out: number[]): void {
  for (const m of mods) make(m, out);
  make(key, out);
  brk(key, out);
  for (let i = mods.length - 1; i >= 0; i--) brk(mods[i], out);
}

/** One `{...}` name: a key, or modifiers and a key joined by `+`. */
function namedKey(spec: string, out: number[]): void {
  // Split on "+" but keep a trailing "+" as the key itself ("Ctrl++").
  const parts = spec.endsWith("++")
    ? [...spec.slice(0, -2).split("+"), "+"]
    : spec === "+"
    ? ["+"]
    : spec.split("+");
  const keyName = parts.pop() ?? "";
  const mods: Key[] = [];
  for (const p of parts) {
    const m = maps().named.get(p.trim().toLowerCase());
    if (!m) throw new RangeError(`unknown modifier "${p}" in {${spec}}`);
    mods.push(m);
  }
  const lower = keyName.toLowerCase();
  const special = SPECIAL[lower];
  if (special && mods.length === 0) {
    out.push(...special);
    return;
  }
  const named = maps().named.get(lower);
  if (named) {
    chord(mods, named, out);
    return;
  }
  if (keyName.length === 1) {
    const c = maps().chars.get(keyName);
    if (c) {
      // In a chord a letter names its key; shifted punctuation still needs Shift.
      const isLetter = /[a-z]/i.test(keyName);
      const needShift = c.shift && !isLetter &&
        !mods.some((m) => m.code === 0x2a || m.code === 0x36);
      chord(needShift ? [...mods, SHIFT] : mods, { code: c.code, ext: false }, out);
      return;
    }
  }
  throw new RangeError(`unknown key "{${spec}}"`);
}

/**
 * Turns text into set-1 make/break sequences for a US keyboard.
 *
 * Printable ASCII types as itself (with Shift where needed); `\n` (or
 * `\r\n`) is Enter, `\t` Tab, `\b` Backspace, `\x1b` Escape. A name in braces
 * is a key or a chord: `{Enter}`, `{Esc}`, `{F1}`, `{Up}`, `{PageDown}`,
 * `{Ctrl+C}`, `{Ctrl+Alt+Delete}`, `{Shift+Tab}`, `{Alt+F4}`, `{KP5}`; names
 * are case-insensitive. `{{` types a `{`. Unknown names or characters throw a
 * `RangeError`.
 *
 * @example
 * ```ts
 * import { keysToScancodes } from "./i8042.ts";
 * keysToScancodes("A"); // [0x2a, 0x1e, 0x9e, 0xaa]
 * keysToScancodes("dir\n"); // d, i, r, Enter
 * ```
 */
export function keysToScancodes(keys: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    const ch = keys[i];
    if (ch === "{") {
      if (keys[i + 1] === "{") {
        namedKey("{", out);
        i++;
        continue;
      }
      const end = keys.indexOf("}", i + 2);
      if (end < 0) throw new RangeError(`unclosed "{" at ${i}`);
      namedKey(keys.slice(i + 1, end), out);
      i = end;
      continue;
    }
    if (ch === "\r" && keys[i + 1] === "\n") continue;
    const control = ch === "\n" || ch === "\r"
      ? "enter"
      : ch === "\t"
      ? "tab"
      : ch === "\b"
      ? "backspace"
      : ch === "\x1b"
      ? "escape"
      : undefined;
    if (control) {
      chord([], maps().named.get(control)!, out);
      continue;
    }
    const c = maps().chars.get(ch);
    if (!c) throw new RangeError(`no key types ${JSON.stringify(ch)}`);
    chord(c.shift ? [SHIFT] : [], { code: c.code, ext: false }, out);
  }
  return out;
}
