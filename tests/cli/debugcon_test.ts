// --debugcon: port 0xE9 output on stdout by default, dropped with none, in a
// file with FILE (the same file rules as --serial).
import { strictEqual } from "@std/assert";
import { picovmm } from "../support/cli.ts";

const ARGS = ["--accel", "emu", "--display", "none"];

for (const boot of ["flat", "bios"]) {
  Deno.test(`cli debugcon: stdio (the default), none and a file, ${boot} boot`, async () => {
    const image = ["--boot", boot, "guests/debugcon.bin"];
    const shown = await picovmm([...ARGS, ...image]);
    strictEqual(shown.code, 0, shown.stderr);
    strictEqual(shown.stdout, "debugcon OK\n");
    const dropped = await picovmm([...ARGS, "--debugcon", "none", ...image]);
    strictEqual(dropped.code, 0, dropped.stderr);
    strictEqual(dropped.stdout, "");
    const dir = await Deno.makeTempDir();
    try {
      const r = await picovmm([...ARGS, "--debugcon", `${dir}/e9.log`, ...image]);
      strictEqual(r.code, 0, r.stderr);
      strictEqual(r.stdout, "");
      strictEqual(await Deno.readTextFile(`${dir}/e9.log`), "debugcon OK\n");
      strictEqual([...Deno.readDirSync(dir)].length, 1, "no partial file");
      const refused = await picovmm([...ARGS, "--debugcon", dir, ...image]);
      strictEqual(refused.code, 2);
      strictEqual(
        refused.stderr.trim(),
        `picovmm: cannot write debug console output to '${dir}': it is a directory`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
