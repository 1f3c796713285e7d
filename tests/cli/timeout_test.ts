// --timeout on the software CPU bounds the run's wall time whatever the guest
// does: a guest that faults at every instruction (slow ones to emulate) still
// stops close to its timeout.
import { ok, strictEqual } from "@std/assert";
import { picovmm } from "../support/cli.ts";
import { assemble } from "../emu/helpers.ts";

/** A boot sector whose #UD handler is the UD2 that raises it: a fault at every instruction. */
function faultLoop(): Uint8Array {
  const code = assemble(
    `
    cli
    xor ax, ax
    mov ds, ax
    mov word [6 * 4], here
    mov word [6 * 4 + 2], 0
    mov ax, 0x1000
    mov ss, ax
here:
    ud2`,
    0x7c00,
  );
  const image = new Uint8Array(512);
  image.set(code);
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

Deno.test("cli timeout: a fault loop with --timeout 0.1 stops within a second on the software CPU", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/faults.bin`;
    await Deno.writeFile(path, faultLoop());
    for (const flags of [[], ["--interpret"]]) {
      const t0 = performance.now();
      const r = await picovmm([
        "--accel",
        "emu",
        "--display",
        "none",
        "--timeout",
        "0.1",
        ...flags,
        path,
      ]);
      const ms = performance.now() - t0;
      strictEqual(r.code, 124, r.stderr);
      // The process start is part of it; a 1M-instruction slice of faults took seconds.
      ok(ms < 1_000, `${flags.join(" ")}: ${ms.toFixed(0)} ms`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
