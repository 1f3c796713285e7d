import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { I8042, keysToScancodes } from "../../lib/devices/i8042.ts";
import { Pic } from "../../lib/devices/pic.ts";
import { Bus } from "../../lib/machine/bus.ts";
import { portIo } from "../support/ports.ts";

function machine(options: ConstructorParameters<typeof I8042>[0] = {}) {
  const pic = new Pic({ pcDefaults: true });
  const a20: boolean[] = [];
  let resets = 0;
  const kbc = new I8042({
    irq1: (level) => pic.setIrq(1, level),
    irq12: (level) => pic.setIrq(12, level),
    onA20: (on) => a20.push(on),
    onReset: () => resets++,
    ...options,
  });
  const bus = new Bus("io", 0x10000);
  bus.register(0x60, 1, kbc.data, "kbc-data");
  bus.register(0x64, 1, kbc.command, "kbc-cmd");
  bus.register(0x20, 2, pic.master, "pic1");
  bus.register(0xa0, 2, pic.slave, "pic2");
  const { out, inb } = portIo(bus);
  /** Reads every byte the controller has for us, as a polling driver does. */
  const drain = () => {
    const bytes: number[] = [];
    while (inb(0x64) & 0x01) bytes.push(inb(0x60));
    return bytes;
  };
  return { pic, kbc, out, inb, drain, a20, resets: () => resets };
}

Deno.test("i8042: controller self test and interface test", () => {
  const m = machine({ commandByte: 0x00 });
  strictEqual(m.inb(0x64) & 0x04, 0); // system flag clear before the self test
  m.out(0x64, 0xaa);
  strictEqual(m.inb(0x64) & 0x09, 0x09); // OBF, last write was a command
  deepStrictEqual(m.drain(), [0x55]);
  strictEqual(m.inb(0x64) & 0x04, 0x04);
  m.out(0x64, 0xab);
  deepStrictEqual(m.drain(), [0x00]);
  m.out(0x64, 0xa9);
  deepStrictEqual(m.drain(), [0x00]);
});

Deno.test("i8042: read and write the command byte", () => {
  const m = machine();
  m.out(0x64, 0x20);
  deepStrictEqual(m.drain(), [0x45]);
  m.out(0x64, 0x60);
  m.out(0x60, 0x47);
  strictEqual(m.inb(0x64) & 0x08, 0); // last write was data
  m.out(0x64, 0x20);
  deepStrictEqual(m.drain(), [0x47]);
  m.out(0x64, 0xa7); // disable AUX sets bit 5
  m.out(0x64, 0xad); // disable keyboard sets bit 4
  m.out(0x64, 0x20);
  deepStrictEqual(m.drain(), [0x77]);
  m.out(0x64, 0xa8);
  m.out(0x64, 0xae);
  m.out(0x64, 0x20);
  deepStrictEqual(m.drain(), [0x47]);
});

Deno.test("i8042: keyboard reset, identify, LEDs, scan code set, typematic", () => {
  const m = machine();
  m.out(0x60, 0xff);
  deepStrictEqual(m.drain(), [0xfa, 0xaa]);
  m.out(0x60, 0xf2);
  deepStrictEqual(m.drain(), [0xfa, 0xab, 0x41]); // translated ID
  m.out(0x60, 0xed);
  m.out(0x60, 0x04);
  deepStrictEqual(m.drain(), [0xfa, 0xfa]);
  strictEqual(m.kbc.leds, 4);
  m.out(0x60, 0xf0);
  m.out(0x60, 0x00);
  deepStrictEqual(m.drain(), [0xfa, 0xfa, 0x41]); // set 2, translated
  m.out(0x64, 0x60);
  m.out(0x60, 0x05); // translation off
  m.out(0x60, 0xf2);
  deepStrictEqual(m.drain(), [0xfa, 0xab, 0x83]);
  m.out(0x60, 0xf0);
  m.out(0x60, 0x01);
  m.out(0x60, 0xf0);
  m.out(0x60, 0x00);
  deepStrictEqual(m.drain(), [0xfa, 0xfa, 0xfa, 0xfa, 0x01]);
  m.out(0x60, 0xf3);
  m.out(0x60, 0x20);
  m.out(0x60, 0xee);
  m.out(0x60, 0x12); // not a command
  m.out(0x60, 0xfe); // resend
  deepStrictEqual(m.drain(), [0xfa, 0xfa, 0xee, 0xfe, 0xfe]);
});

Deno.test("i8042: typed scan codes arrive one at a time with IRQ 1", () => {
  const m = machine();
  m.kbc.type("Hi");
  deepStrictEqual(keysToScancodes("Hi"), [0x2a, 0x23, 0xa3, 0xaa, 0x17, 0x97]);
  const got: number[] = [];
  for (let i = 0; i < 10 && m.pic.hasInterrupt(); i++) {
    strictEqual(m.pic.acknowledge(), 0x09);
    got.push(m.inb(0x60)); // the interrupt handler reads one byte
    m.out(0x20, 0x20);
  }
  deepStrictEqual(got, [0x2a, 0x23, 0xa3, 0xaa, 0x17, 0x97]);
  strictEqual(m.inb(0x64) & 0x01, 0);
  strictEqual(m.inb(0x60), 0x97); // an empty buffer reads the last byte again
});

Deno.test("i8042: no IRQ 1 when the command byte disables it", () => {
  const m = machine({ commandByte: 0x44 });
  m.kbc.type("a");
  strictEqual(m.pic.hasInterrupt(), false);
  deepStrictEqual(m.drain(), [0x1e, 0x9e]);
});

Deno.test("i8042: disabled scanning or interface holds typed input back", () => {
  const m = machine();
  m.out(0x60, 0xf5);
  deepStrictEqual(m.drain(), [0xfa]);
  m.kbc.type("x");
  deepStrictEqual(m.drain(), []);
  strictEqual(m.kbc.pendingInput, 2);
  m.out(0x60, 0xf4);
  deepStrictEqual(m.drain(), [0xfa, 0x2d, 0xad]);
  m.out(0x64, 0xad);
  m.kbc.type("x");
  deepStrictEqual(m.drain(), []);
  m.out(0x64, 0xae);
  deepStrictEqual(m.drain(), [0x2d, 0xad]);
});

Deno.test("i8042: controller replies come before waiting input", () => {
  const m = machine({ commandByte: 0x44 });
  m.kbc.type("ab");
  strictEqual(m.inb(0x60), 0x1e);
  m.out(0x64, 0x20);
  deepStrictEqual(m.drain(), [0x9e, 0x44, 0x30, 0xb0]); // 0x9e was in the buffer already
});

Deno.test("i8042: the input queue is bounded", () => {
  const m = machine({ queueLimit: 3 });
  strictEqual(m.kbc.sendScancodes([1, 2, 3, 4, 5]), 3);
  m.kbc.clearInput();
  deepStrictEqual(m.drain(), [1]); // already in the output buffer
});

Deno.test("i8042: A20 through the output port and 0xDD/0xDF", () => {
  const m = machine({ a20: false });
  strictEqual(m.kbc.a20, false);
  m.out(0x64, 0xd1);
  m.out(0x60, 0xdf);
  strictEqual(m.kbc.a20, true);
  m.out(0x64, 0xd0);
  strictEqual(m.drain()[0] & 0x03, 0x03);
  m.out(0x64, 0xdd);
  strictEqual(m.kbc.a20, false);
  m.out(0x64, 0xdf);
  deepStrictEqual(m.a20, [true, false, true]);
  strictEqual(m.resets(), 0);
});

Deno.test("i8042: reset by 0xFE and by output port bit 0", () => {
  const m = machine();
  m.out(0x64, 0xff); // pulse nothing
  strictEqual(m.resets(), 0);
  m.out(0x64, 0xfe);
  strictEqual(m.resets(), 1);
  m.out(0x64, 0xd1);
  m.out(0x60, 0xfe);
  strictEqual(m.resets(), 2);
});

Deno.test("i8042: 0xD2 echoes as keyboard data, 0xD3 as AUX data with IRQ 12", () => {
  const m = machine({ commandByte: 0x47 });
  m.out(0x64, 0xd2);
  m.out(0x60, 0x42);
  strictEqual(m.inb(0x64) & 0x21, 0x01);
  strictEqual(m.inb(0x60), 0x42);
  m.out(0x64, 0xd3);
  m.out(0x60, 0x5a);
  strictEqual(m.inb(0x64) & 0x21, 0x21);
  strictEqual(m.pic.hasInterrupt(), true);
  // IRQ 1 for 0xD2's byte was withdrawn when the byte was read.
  strictEqual(m.pic.acknowledge(), 0x74);
  strictEqual(m.inb(0x60), 0x5a);
  // No mouse: a byte for it times out.
  m.out(0x64, 0xd4);
  m.out(0x60, 0xf4);
  strictEqual(m.inb(0x64) & 0x40, 0x40);
  deepStrictEqual(m.drain(), [0xfe]);
});

Deno.test("keysToScancodes: named keys, chords and control characters", () => {
  deepStrictEqual(keysToScancodes("dir\n"), [0x20, 0xa0, 0x17, 0x97, 0x13, 0x93, 0x1c, 0x9c]);
  deepStrictEqual(keysToScancodes("\r\n"), [0x1c, 0x9c]);
  deepStrictEqual(keysToScancodes("{Enter}"), [0x1c, 0x9c]);
  deepStrictEqual(keysToScancodes("{esc}\t\b"), [0x01, 0x81, 0x0f, 0x8f, 0x0e, 0x8e]);
  deepStrictEqual(keysToScancodes("{Up}"), [0xe0, 0x48, 0xe0, 0xc8]);
  deepStrictEqual(keysToScancodes("{F1}{F10}{F11}{F12}"), [
    0x3b,
    0xbb,
    0x44,
    0xc4,
    0x57,
    0xd7,
    0x58,
    0xd8,
  ]);
  deepStrictEqual(keysToScancodes("{Ctrl+C}"), [0x1d, 0x2e, 0xae, 0x9d]);
  deepStrictEqual(keysToScancodes("{Ctrl+Alt+Delete}"), [
    0x1d,
    0x38,
    0xe0,
    0x53,
    0xe0,
    0xd3,
    0xb8,
    0x9d,
  ]);
  deepStrictEqual(keysToScancodes("{Shift+Tab}"), [0x2a, 0x0f, 0x8f, 0xaa]);
  deepStrictEqual(keysToScancodes("{Alt+!}"), [0x38, 0x2a, 0x02, 0x82, 0xaa, 0xb8]);
  deepStrictEqual(keysToScancodes("{{"), [0x2a, 0x1a, 0x9a, 0xaa]);
  deepStrictEqual(keysToScancodes("{}}"), [0x2a, 0x1b, 0x9b, 0xaa]);
  deepStrictEqual(keysToScancodes("{Ctrl++}"), [0x1d, 0x2a, 0x0d, 0x8d, 0xaa, 0x9d]);
  deepStrictEqual(keysToScancodes("{Pause}"), [0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5]);
  deepStrictEqual(keysToScancodes("{KP5}"), [0x4c, 0xcc]);
  throws(() => keysToScancodes("{Nope}"), RangeError);
  throws(() => keysToScancodes("{Enter"), RangeError);
  throws(() => keysToScancodes("é"), RangeError);
});

Deno.test("keysToScancodes: every printable ASCII character types", () => {
  const shifted = '~!@#$%^&*()_+{}|:"<>?ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (let c = 0x20; c < 0x7f; c++) {
    const ch = String.fromCharCode(c);
    const codes = keysToScancodes(ch === "{" ? "{{" : ch);
    if (shifted.includes(ch)) {
      strictEqual(codes.length, 4, ch);
      strictEqual(codes[0], 0x2a);
      strictEqual(codes[3], 0xaa);
    } else {
      strictEqual(codes.length, 2, ch);
      strictEqual(codes[1], codes[0] | 0x80);
    }
  }
});

Deno.test("i8042: odd accesses never throw", () => {
  const m = machine();
  for (let v = 0; v < 256; v++) {
    m.out(0x64, v);
    m.out(0x60, v);
    m.out(0x60, 255 - v);
    m.inb(0x60);
    m.inb(0x64);
  }
  const d = new Uint8Array(4);
  m.kbc.data.read(0, d);
  m.kbc.command.write(2, d);
});
