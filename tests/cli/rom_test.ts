// --boot rom: a BIOS-replacement ROM at the top of the first MiB and of 4 GiB,
// started at F000:FFF0 as after reset; sizes that cannot be a ROM are refused
// in one line with status 2.
import { strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { picovmm } from "../support/cli.ts";

const ARGS = ["--accel", "emu", "--display", "none", "--boot", "rom"];

Deno.test("cli rom: the reset vector runs the ROM, whose copies agree", async () => {
  const r = await picovmm([...ARGS, "guests/rom-hello.bin"]);
  strictEqual(r.code, 0, r.stderr);
  strictEqual(r.stdout, "ROM OK\n");
});

Deno.test("cli rom: a size that is not whole 4 KiB pages up to 256 KiB is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const size of [1000, 0x41000]) {
      await Deno.writeFile(`${dir}/rom.bin`, new Uint8Array(size));
      const r = await picovmm([...ARGS, `${dir}/rom.bin`]);
      strictEqual(r.code, 2);
      strictEqual(
        r.stderr.trim(),
        `picovmm: a ROM image must be a whole number of 4 KiB pages up to 256 KiB (got ${size} bytes)`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("api rom: boot 'rom' runs from the reset vector, debug console output", async () => {
  using guest = Guest.create(await Deno.readFile("guests/rom-hello.bin"), {
    boot: "rom",
    accel: "emu",
  });
  const result = await guest.run();
  strictEqual(result.stop.kind, "halt", Guest.describe(result));
  strictEqual(guest.debugconText(), "ROM OK\n");
});
