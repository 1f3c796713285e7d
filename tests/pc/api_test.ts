// The scripting API on the PC: typing, waiting for the screen and the serial
// output, running in steps, the picture, and the memory map a guest sees.
import { deepStrictEqual, match, ok, rejects, strictEqual, throws } from "@std/assert";
import { Guest } from "../../mod.ts";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { guestImage } from "../support/guest_cases.ts";

/** A boot sector from machine code. */
function bootSector(code: number[]): Uint8Array {
  const image = new Uint8Array(512);
  image.set(code);
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

Deno.test("api: waitForScreen and waitForSerial follow a running guest", async () => {
  using guest = Guest.create(guestImage("boot-services"), { accel: "emu" });
  strictEqual(guest.running, false);
  const done = guest.run({ timeoutMs: 20_000 });
  strictEqual(guest.running, true);
  const serial = await guest.waitForSerial("COM1 through", { timeoutMs: 10_000 });
  match(serial, /COM1 through INT 14h/);
  const screen = await guest.waitForScreen(/services OK/, { timeoutMs: 10_000 });
  match(screen, /AH=13h string/);
  strictEqual((await done).stop.kind, "halt");
  strictEqual(guest.running, false);
  // After the run: a match is still found, a miss fails at once.
  await guest.waitForScreen("services OK");
  await rejects(() => guest.waitForScreen(/never/), /not running/);
});

Deno.test("api: waitForScreen times out with the screen in the message", async () => {
  using guest = Guest.create(guestImage("boot-keys"), { accel: "emu" });
  const done = guest.run({ timeoutMs: 20_000 });
  await rejects(() => guest.waitForScreen(/You typed/, { timeoutMs: 200 }), /Type a line/);
  guest.keyboard.type("x\n");
  await guest.waitForScreen(/keys OK/, { timeoutMs: 10_000 });
  strictEqual((await done).exitStatus, 0);
});

Deno.test("api: run in steps of instructions, then to the end", async () => {
  using guest = Guest.create(guestImage("boot-hello"), { accel: "emu" });
  const first = await guest.run({ instructions: 5 });
  strictEqual(first.stop.kind, "instruction-limit");
  strictEqual(guest.screenText(), "");
  const rest = await guest.run({ timeoutMs: 10_000 });
  strictEqual(rest.stop.kind, "halt");
  strictEqual(guest.screenText(), "Hello from the BIOS! Boot drive: 80");
  deepStrictEqual(guest.cursor(), { row: 1, column: 0, visible: true }, "after the CR LF");
  await rejects(async () => {
    const a = guest.run({ instructions: 10 });
    try {
      await guest.run({ instructions: 10 });
    } finally {
      await a;
    }
  }, /already running/);
});

Deno.test("api: a flat guest has no keyboard; Guest.create defaults to the BIOS boot", () => {
  using flat = Guest.create(guestImage("hello"), { accel: "emu", boot: "flat" });
  throws(() => flat.keyboard, /no keyboard/);
  throws(() => Guest.create(guestImage("hello"), { accel: "emu" }), /boot signature/);
  using keys = Guest.create(guestImage("boot-keys"), { accel: "emu" });
  throws(() => keys.keyboard.type("{NoSuchKey}"), RangeError);
});

Deno.test("api: the mode 13h picture", async () => {
  using guest = Guest.create(guestImage("boot-video"), { accel: "emu" });
  strictEqual((await guest.run({ timeoutMs: 10_000 })).stop.kind, "halt");
  strictEqual(guest.videoMode, 0x13);
  const { width, height, rgba: data } = guest.screenRgba();
  const px = (
    x: number,
    y: number,
  ) => [...data.subarray((y * width + x) * 4, (y * width + x) * 4 + 4)];
  strictEqual(width * height * 4, data.length);
  deepStrictEqual(px(200, 0), [170, 0, 0, 255], "red line");
  deepStrictEqual(px(10, 10), [0, 170, 0, 255], "green pixel");
  deepStrictEqual(px(115, 100), [255, 255, 255, 255], "bar: colour 15");
  deepStrictEqual(px(200, 150), [0, 0, 0, 255]);
});

Deno.test("pc memory map: the ROM is read-only, 0xA0000 is the VGA, --memory adds extended RAM", async () => {
  const code = [
    0xb8,
    0x00,
    0xf0,
    0x8e,
    0xd8, // mov ax, 0xF000; mov ds, ax
    0xc6,
    0x06,
    0x00,
    0x00,
    0x12, // mov byte [0], 0x12 (ROM: dropped)
    0xb8,
    0x00,
    0xa0,
    0x8e,
    0xd8, // mov ax, 0xA000; mov ds, ax
    0xc6,
    0x06,
    0x00,
    0x00,
    0x42, // mov byte [0], 0x42 (the VGA)
    0xfa,
    0xf4, // cli; hlt
  ];
  const { machine } = createMachine({
    image: bootSector(code),
    boot: "bios",
    accel: "emu",
    memory: 16 * 1024 * 1024,
  });
  try {
    const rom = machine.memory.readU8(0xf0000);
    strictEqual((await machine.run({ timeoutMs: 10_000 })).kind, "halt");
    strictEqual(machine.memory.readU8(0xf0000), rom);
    strictEqual(machine.vga.graphics[0], 0x42);
    strictEqual(machine.memory.contains(0xa0000), false);
    ok(machine.memory.contains(0x100000, 15 * 1024 * 1024 + 384 * 1024));
    strictEqual(machine.memory.readU16(0x413), 639);
  } finally {
    machine.close();
  }
});
