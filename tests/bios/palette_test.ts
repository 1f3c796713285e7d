// The VGA DAC as the BIOS leaves it: the 64 EGA colours (the rest black) at
// power-on in text mode 3, and the VGA BIOS's default 256-colour table after
// INT 10h sets mode 13h. The boot-palette guest reads it through the DAC's
// ports; QEMU's BIOS gives the same bytes.
import { deepStrictEqual, strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { defaultVgaPalette } from "../../lib/display/palette.ts";
import { egaDac } from "../../lib/devices/vga.ts";
import { guestImage } from "../support/guest_cases.ts";

/** The 1536 DAC bytes boot-palette sends: mode 3, then mode 13h. */
async function picovmmDac(): Promise<Uint8Array> {
  using guest = Guest.create(guestImage("boot-palette"), { accel: "emu" });
  const result = await guest.run({ timeoutMs: 10_000 });
  strictEqual(result.exitStatus, 1, Guest.describe(result));
  return guest.serialBytes();
}

const entry = (dac: Uint8Array, i: number) => [...dac.subarray(i * 3, i * 3 + 3)];

Deno.test("palette: mode 13h gets the VGA BIOS's default DAC table, mode 3 the EGA colours", async () => {
  const bytes = await picovmmDac();
  strictEqual(bytes.length, 1536);
  const text = bytes.subarray(0, 768);
  const vga = bytes.subarray(768);
  deepStrictEqual([...text], egaDac());
  strictEqual(text.subarray(64 * 3).every((b) => b === 0), true, "entries 64-255 black");
  deepStrictEqual([...vga], [...defaultVgaPalette().rgb]);
  // Facts of the IBM VGA BIOS's table (6-bit DAC units).
  const greys = [0, 5, 8, 11, 14, 17, 20, 24, 28, 32, 36, 40, 45, 50, 56, 63];
  greys.forEach((g, i) => deepStrictEqual(entry(vga, 0x10 + i), [g, g, g], `grey ${i}`));
  deepStrictEqual(entry(vga, 0x06), [42, 21, 0], "brown");
  deepStrictEqual(entry(vga, 0x20), [0, 0, 63], "blue starts the first ramp");
  deepStrictEqual(entry(vga, 0x28), [63, 0, 0]);
  deepStrictEqual(entry(vga, 0x37), [0, 16, 63]);
  deepStrictEqual(entry(vga, 0x38), [31, 31, 63]);
  deepStrictEqual(entry(vga, 0x50), [45, 45, 63]);
  deepStrictEqual(entry(vga, 0x68), [0, 0, 28]);
  deepStrictEqual(entry(vga, 0x98), [20, 20, 28]);
  deepStrictEqual(entry(vga, 0xb0), [0, 0, 16]);
  deepStrictEqual(entry(vga, 0xf7), [11, 12, 16], "the last ramp ends at blue-cyan");
  for (let i = 0xf8; i < 0x100; i++) deepStrictEqual(entry(vga, i), [0, 0, 0], `entry ${i}`);
});

Deno.test("palette: QEMU's BIOS leaves the same DAC (needs qemu-system-x86_64)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/disk.img`, guestImage("boot-palette"));
    const out = await new Deno.Command("qemu-system-x86_64", {
      args: [
        "-display",
        "none",
        "-monitor",
        "none",
        "-serial",
        `file:${dir}/serial.out`,
        "-drive",
        `file=${dir}/disk.img,format=raw,if=ide`,
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=0x04",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    strictEqual(out.code, 1, new TextDecoder().decode(out.stderr));
    deepStrictEqual(await Deno.readFile(`${dir}/serial.out`), await picovmmDac());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
