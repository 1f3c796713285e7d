import { deepStrictEqual, ok, strictEqual } from "@std/assert";
import {
  type InputEvent,
  KeyDecoder,
  type KeyEvent,
  keyEventToBytes,
  keyEventToKeys,
  keyEventToScancodes,
} from "../../lib/display/keys.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

/** The key events of one feed (quit and switch shown as the strings "quit" and "switch"). */
function decode(input: string, decoder = new KeyDecoder()): (KeyEvent | "quit" | "switch")[] {
  return decoder.feed(bytes(input)).map((e: InputEvent) => e.kind === "key" ? e.key : e.kind);
}

Deno.test("printable ASCII is itself", () => {
  deepStrictEqual(decode("aZ1 ~{"), [
    { key: "a" },
    { key: "Z" },
    { key: "1" },
    { key: " " },
    { key: "~" },
    { key: "{" },
  ]);
});

Deno.test("control characters: Enter, Tab, Backspace, Ctrl+letter", () => {
  deepStrictEqual(decode("\r\n\t\x7f\x08"), [
    { key: "Enter" },
    { key: "Enter" },
    { key: "Tab" },
    { key: "Backspace" },
    { key: "Backspace" },
  ]);
  deepStrictEqual(decode("\x03\x1a\x02\x00\x1c\x1d"), [
    { key: "c", ctrl: true },
    { key: "z", ctrl: true },
    { key: "b", ctrl: true },
    { key: " ", ctrl: true },
    { key: "\\", ctrl: true },
    { key: "]", ctrl: true },
  ]);
});

Deno.test("arrows, editing keys and function keys in xterm, VT220, rxvt and Linux forms", () => {
  const cases: [string, string][] = [
    ["\x1b[A", "ArrowUp"],
    ["\x1b[B", "ArrowDown"],
    ["\x1b[C", "ArrowRight"],
    ["\x1b[D", "ArrowLeft"],
    ["\x1bOA", "ArrowUp"], // application cursor mode
    ["\x1b[H", "Home"],
    ["\x1b[F", "End"],
    ["\x1bOH", "Home"],
    ["\x1b[1~", "Home"],
    ["\x1b[4~", "End"],
    ["\x1b[7~", "Home"],
    ["\x1b[8~", "End"],
    ["\x1b[2~", "Insert"],
    ["\x1b[3~", "Delete"],
    ["\x1b[5~", "PageUp"],
    ["\x1b[6~", "PageDown"],
    ["\x1bOP", "F1"],
    ["\x1bOQ", "F2"],
    ["\x1bOR", "F3"],
    ["\x1bOS", "F4"],
    ["\x1b[11~", "F1"],
    ["\x1b[15~", "F5"],
    ["\x1b[17~", "F6"],
    ["\x1b[18~", "F7"],
    ["\x1b[19~", "F8"],
    ["\x1b[20~", "F9"],
    ["\x1b[21~", "F10"],
    ["\x1b[23~", "F11"],
    ["\x1b[24~", "F12"],
    ["\x1b[[A", "F1"], // Linux console
    ["\x1b[[E", "F5"],
    ["\x1bOM", "Enter"], // keypad Enter
  ];
  for (const [seq, key] of cases) deepStrictEqual(decode(seq), [{ key }], JSON.stringify(seq));
});

Deno.test("xterm modifier parameters: Shift, Alt, Ctrl", () => {
  deepStrictEqual(decode("\x1b[1;5A"), [{ key: "ArrowUp", ctrl: true }]);
  deepStrictEqual(decode("\x1b[1;2D"), [{ key: "ArrowLeft", shift: true }]);
  deepStrictEqual(decode("\x1b[3;3~"), [{ key: "Delete", alt: true }]);
  deepStrictEqual(decode("\x1b[1;6P"), [{ key: "F1", shift: true, ctrl: true }]);
  deepStrictEqual(decode("\x1b[24;5~"), [{ key: "F12", ctrl: true }]);
  deepStrictEqual(decode("\x1b[Z"), [{ key: "Tab", shift: true }]);
});

Deno.test("ESC then a key is Alt+key", () => {
  deepStrictEqual(decode("\x1bx\x1bX\x1b\x7f"), [
    { key: "x", alt: true },
    { key: "X", alt: true },
    { key: "Backspace", alt: true },
  ]);
  deepStrictEqual(decode("\x1b\x1b[A"), [{ key: "ArrowUp", alt: true }]);
});

Deno.test("a lone ESC is held until flush, then it is Escape", () => {
  const d = new KeyDecoder();
  deepStrictEqual(d.feed(bytes("a\x1b")), [{ kind: "key", key: { key: "a" } }]);
  ok(d.pending);
  deepStrictEqual(d.flush(), [{ kind: "key", key: { key: "Escape" } }]);
  strictEqual(d.pending, false);
  deepStrictEqual(d.flush(), []);
  // ESC ESC flushed is Alt+Escape.
  d.feed(bytes("\x1b\x1b"));
  deepStrictEqual(d.flush(), [{ kind: "key", key: { key: "Escape", alt: true } }]);
});

Deno.test("an escape sequence split across reads is joined", () => {
  const d = new KeyDecoder();
  deepStrictEqual(d.feed(bytes("\x1b")), []);
  deepStrictEqual(d.feed(bytes("[")), []);
  deepStrictEqual(d.feed(bytes("2")), []);
  deepStrictEqual(d.feed(bytes("4~b")), [
    { kind: "key", key: { key: "F12" } },
    { kind: "key", key: { key: "b" } },
  ]);
  strictEqual(d.pending, false);
  // Flushing a cut-off "ESC [" gives Alt+[ rather than losing the bytes.
  d.feed(bytes("\x1b["));
  deepStrictEqual(d.flush(), [{ kind: "key", key: { key: "[", alt: true } }]);
});

Deno.test("unknown sequences are skipped whole", () => {
  deepStrictEqual(decode("\x1b[99~a\x1b[1;5Xb\x1bOzc"), [{ key: "a" }, { key: "b" }, {
    key: "c",
  }]);
});

Deno.test("UTF-8 characters are whole keys, even when split", () => {
  const d = new KeyDecoder();
  const e = bytes("é");
  deepStrictEqual(d.feed(e.subarray(0, 1)), []);
  deepStrictEqual(d.feed(e.subarray(1)), [{ kind: "key", key: { key: "é" } }]);
});

Deno.test("QEMU escape: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A, others are dropped", () => {
  deepStrictEqual(decode("\x01x"), ["quit"]);
  deepStrictEqual(decode("\x01X"), ["quit"]);
  deepStrictEqual(decode("\x01\x01"), [{ key: "a", ctrl: true }]);
  deepStrictEqual(decode("\x01c\x01C"), ["switch", "switch"]);
  deepStrictEqual(decode("\x01qz"), [{ key: "z" }]);
  // The prefix waits across reads.
  const d = new KeyDecoder();
  deepStrictEqual(d.feed(bytes("\x01")), []);
  strictEqual(d.pending, false);
  deepStrictEqual(d.feed(bytes("x")), [{ kind: "quit" }]);
});

Deno.test("keyEventToKeys speaks i8042's key syntax", () => {
  strictEqual(keyEventToKeys({ key: "a" }), "a");
  strictEqual(keyEventToKeys({ key: "A" }), "A");
  strictEqual(keyEventToKeys({ key: "{" }), "{{");
  strictEqual(keyEventToKeys({ key: "Enter" }), "{Enter}");
  strictEqual(keyEventToKeys({ key: "c", ctrl: true }), "{Ctrl+c}");
  strictEqual(keyEventToKeys({ key: "X", alt: true }), "{Alt+Shift+X}");
  strictEqual(keyEventToKeys({ key: "ArrowUp", ctrl: true, shift: true }), "{Ctrl+Shift+ArrowUp}");
  strictEqual(keyEventToKeys({ key: " ", ctrl: true }), "{Ctrl+Space}");
  strictEqual(keyEventToKeys({ key: "}", alt: true }), "{Alt+Shift+]}");
});

Deno.test("keyEventToScancodes: set-1 codes for what the decoder produces", () => {
  deepStrictEqual(keyEventToScancodes({ key: "a" }), [0x1e, 0x9e]);
  deepStrictEqual(keyEventToScancodes({ key: "A" }), [0x2a, 0x1e, 0x9e, 0xaa]);
  deepStrictEqual(keyEventToScancodes({ key: "c", ctrl: true }), [0x1d, 0x2e, 0xae, 0x9d]);
  deepStrictEqual(keyEventToScancodes({ key: "Enter" }), [0x1c, 0x9c]);
  deepStrictEqual(keyEventToScancodes({ key: "ArrowUp" }), [0xe0, 0x48, 0xe0, 0xc8]);
  deepStrictEqual(keyEventToScancodes({ key: "F12" }), [0x58, 0xd8]);
  deepStrictEqual(keyEventToScancodes({ key: "{" }), [0x2a, 0x1a, 0x9a, 0xaa]);
  deepStrictEqual(keyEventToScancodes({ key: "x", alt: true }), [0x38, 0x2d, 0xad, 0xb8]);
  strictEqual(keyEventToScancodes({ key: "é" }), undefined);
  // Every key the decoder can name maps to scan codes.
  const all = new KeyDecoder().feed(bytes(
    "\x1b[A\x1b[B\x1b[C\x1b[D\x1b[H\x1b[F\x1b[2~\x1b[3~\x1b[5~\x1b[6~\x1bOP\x1bOQ\x1bOR\x1bOS" +
      "\x1b[15~\x1b[17~\x1b[18~\x1b[19~\x1b[20~\x1b[21~\x1b[23~\x1b[24~\r\t\x7f\x1b[Z" +
      "\x00\x1c\x1d\x1e\x1f\x02\x1a\x1b[1;8A\x1bx\x1b{\x1b}",
  ));
  for (let c = 0x20; c < 0x7f; c++) all.push({ kind: "key", key: { key: String.fromCharCode(c) } });
  all.push(...new KeyDecoder().flush());
  for (const e of all) {
    if (e.kind !== "key") continue;
    const codes = keyEventToScancodes(e.key);
    ok(codes && codes.length >= 2, `no scan codes for ${JSON.stringify(e.key)}`);
  }
});

Deno.test("keyEventToBytes: what a terminal sends, for the serial console", () => {
  const text = (e: KeyEvent) => {
    const b = keyEventToBytes(e);
    return b && new TextDecoder().decode(b);
  };
  strictEqual(text({ key: "a" }), "a");
  strictEqual(text({ key: "é" }), "é");
  strictEqual(text({ key: "Enter" }), "\r");
  strictEqual(text({ key: "Backspace" }), "\x7f");
  strictEqual(text({ key: "c", ctrl: true }), "\x03");
  strictEqual(text({ key: "a", ctrl: true }), "\x01");
  strictEqual(text({ key: "\\", ctrl: true }), "\x1c");
  strictEqual(text({ key: "ArrowUp" }), "\x1b[A");
  strictEqual(text({ key: "Tab", shift: true }), "\x1b[Z");
  strictEqual(text({ key: "x", alt: true }), "\x1bx");
  strictEqual(text({ key: "F1", ctrl: true }), undefined);
  // Decoding what it sends gives the event back.
  for (const e of [{ key: "q" }, { key: "Delete" }, { key: "F5" }, { key: "b", ctrl: true }]) {
    deepStrictEqual(decode(text(e)!), [e]);
  }
});
