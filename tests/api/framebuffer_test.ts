// A kernel's linear framebuffer on the software CPU: the framebuffer test kernel asks
// for 1024x768x32, checks its boot information and draws a pattern; the API's
// screenRgba() and screenPng(), the command line's --screenshot and the live display show
// its pixels, while screenText() stays the VGA's text.
import { deepStrictEqual, strictEqual } from "@std/assert";
import { decode } from "fast-png";
import { Guest } from "../../mod.ts";
import { runWithLiveDisplay } from "../../lib/cli/live-display.ts";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { picovmm } from "../support/cli.ts";
import { FakeTerminal } from "../support/fake-terminal.ts";
import {
  assertFbPattern,
  checkFbScreenshot,
  FB_EXIT_STATUS,
  FB_KERNEL,
  FB_MODE,
  FB_SERIAL,
} from "../support/framebuffer_case.ts";

Deno.test("framebuffer on the software CPU: the kernel's pattern in screenRgba() and screenPng()", async () => {
  using guest = Guest.create(await Deno.readFile(FB_KERNEL), { accel: "emu" });
  deepStrictEqual(guest.framebuffer, FB_MODE, "mapped before the kernel runs");
  const result = await guest.run({ timeoutMs: 60_000 });
  strictEqual(result.stop.kind, "debug-exit", Guest.describe(result));
  strictEqual(result.exitStatus, FB_EXIT_STATUS);
  strictEqual(guest.serialText(), FB_SERIAL);
  strictEqual(guest.screenText(), FB_SERIAL.trimEnd(), "the text screen is still the VGA's");
  const image = guest.screenRgba();
  assertFbPattern(image);
  const png = decode(await guest.screenPng());
  deepStrictEqual([png.width, png.height, png.channels], [1024, 768, 4]);
  deepStrictEqual(
    new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length),
    image.rgba,
  );
});

Deno.test("framebuffer: guests that did not ask for one have none", async () => {
  using kernel = Guest.create(await Deno.readFile("guests/kernel-mb1.elf"), { accel: "emu" });
  strictEqual(kernel.framebuffer, undefined);
  using disk = Guest.create(await Deno.readFile("guests/boot-hello.bin"), { accel: "emu" });
  strictEqual(disk.framebuffer, undefined);
  await disk.run({ timeoutMs: 10_000 });
  strictEqual(disk.screenRgba().width, 720, "the VGA's text screen");
});

Deno.test("framebuffer: --screenshot saves the kernel's 1024x768 picture", () =>
  checkFbScreenshot("emu"));

Deno.test("framebuffer: the live display shows the framebuffer's picture", async () => {
  const { machine, pc } = createMachine({
    image: await Deno.readFile(FB_KERNEL),
    accel: "emu",
    boot: "auto",
  });
  try {
    const term = new FakeTerminal(64, 25);
    const stop = await runWithLiveDisplay(
      machine,
      pc?.keyboard,
      () => machine.run({ timeoutMs: 60_000 }),
      {
        output: term,
        input: new ReadableStream(),
        setRaw: () => {},
        size: () => ({ columns: 64, rows: 25 }),
        handleSignals: false,
        colours: "truecolor",
      },
    );
    strictEqual(stop.kind, "debug-exit");
    // 1024x768 shown as 64x48 half-block pixels: the bars are the top rows' colours, in order.
    const written = term.written;
    const order = ["255;255;0", "0;255;255", "0;255;0", "255;0;255", "255;0;0", "0;0;255"]
      .map((rgb) => written.indexOf(`38;2;${rgb}`));
    strictEqual(order.every((at) => at >= 0), true, "every bar colour drawn");
    deepStrictEqual(order, [...order].sort((a, b) => a - b), "bars left to right");
    strictEqual(written.includes("38;2;18;52;86"), true, "the rectangle's colour drawn");
  } finally {
    machine.close();
  }
});

Deno.test("framebuffer: a broken video mode request is one line and status 2", async () => {
  const image = await Deno.readFile(FB_KERNEL);
  // The header's mode type (offset 32 of the header, at file offset 0x1000) to a reserved 2.
  const header = 0x1000;
  const v = new DataView(image.buffer);
  strictEqual(v.getUint32(header, true), 0x1badb002, "the header where the linker put it");
  v.setUint32(header + 32, 2, true);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/bad.elf`, image);
    const r = await picovmm(["--accel", "emu", `${dir}/bad.elf`]);
    strictEqual(r.code, 2, r.stderr);
    strictEqual(
      r.stderr,
      "picovmm: the Multiboot header asks for video mode type 2 (0 is linear graphics, 1 EGA text)\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
