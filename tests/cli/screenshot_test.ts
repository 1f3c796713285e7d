// --screenshot and --display live on the command line.
import { deepStrictEqual, match, strictEqual } from "@std/assert";
import { decode } from "fast-png";
import { Guest } from "../../mod.ts";
import { guestImage } from "../support/guest_cases.ts";
import { picovmm } from "../support/cli.ts";

Deno.test("cli: --screenshot writes the final text screen as PNG", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await picovmm([
      "--accel",
      "emu",
      "--screenshot",
      `${dir}/s.png`,
      "guests/boot-hello.bin",
    ]);
    strictEqual(r.code, 0, r.stderr);
    const png = decode(await Deno.readFile(`${dir}/s.png`));
    // 80x25 cells of 9x16 pixels, with text pixels that are not background.
    deepStrictEqual([png.width, png.height], [720, 400]);
    const firstRow = png.data.subarray(0, 720 * 16 * png.channels);
    strictEqual(firstRow.some((v, i) => i % png.channels !== 3 && v > 0), true, "text drawn");
    strictEqual([...Deno.readDirSync(dir)].length, 1, "only the PNG, no temporary file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --screenshot of a mode 13h guest is the 320x200 picture the API shows", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await picovmm([
      "--accel",
      "emu",
      "--timeout",
      "20",
      "--screenshot",
      `${dir}/v.png`,
      "guests/boot-video.bin",
    ]);
    strictEqual(r.code, 0, r.stderr);
    const png = decode(await Deno.readFile(`${dir}/v.png`));
    deepStrictEqual([png.width, png.height], [320, 200]);
    using guest = Guest.create(guestImage("boot-video"), { accel: "emu" });
    await guest.run({ timeoutMs: 20_000 });
    const api = guest.screenRgba();
    deepStrictEqual(decode(await guest.screenPng()).data, png.data);
    strictEqual(api.width, 320);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: bad --screenshot paths and live without a terminal are one-line errors", async () => {
  for (
    const [args, pattern] of [
      [["--screenshot", "shot.jpg", "guests/boot-hello.bin"], /needs a \.png/],
      [["--screenshot", "/no/such/dir/s.png", "guests/boot-hello.bin"], /no directory/],
      [["--display", "live", "guests/boot-hello.bin"], /needs a terminal/],
    ] as const
  ) {
    const r = await picovmm([...args]);
    strictEqual(r.code, 2, r.stderr);
    strictEqual(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    match(r.stderr, pattern);
  }
});
