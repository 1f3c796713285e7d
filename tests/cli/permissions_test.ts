// Deno permissions the command line needs: a missing one is named in one
// line with status 2, never reported as an internal error (70).
import { match, strictEqual } from "@std/assert";

const root = new URL("../../", import.meta.url).pathname;

/** Runs main.ts under exactly the given Deno permission flags. */
async function run(permissions: string[], args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-check", ...permissions, "main.ts", ...args],
    cwd: root,
    stdin: "null",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

function assertOneLine(r: { code: number; stderr: string }, pattern: RegExp) {
  strictEqual(r.code, 2, r.stderr);
  const lines = r.stderr.trimEnd().split("\n");
  strictEqual(lines.length, 1, r.stderr);
  match(lines[0], /^picovmm: /);
  match(lines[0], pattern);
}

Deno.test("cli permissions: KVM without --allow-ffi is status 2 naming --allow-ffi", async () => {
  const image = ["--boot", "flat", "guests/hello.bin"];
  for (const accel of ["kvm", "auto"]) {
    assertOneLine(await run(["--allow-read"], ["--accel", accel, ...image]), /--allow-ffi/);
  }
  // The software CPU needs no FFI.
  strictEqual((await run(["--allow-read"], ["--accel", "emu", ...image])).code, 0);
});

Deno.test("cli permissions: no read access to the image is status 2 naming --allow-read", async () => {
  assertOneLine(
    await run([], ["--accel", "emu", "--boot", "flat", "guests/hello.bin"]),
    /--allow-read/,
  );
});

Deno.test("cli permissions: no write access for --serial FILE is status 2 naming --allow-write", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertOneLine(
      await run(["--allow-read"], [
        "--accel",
        "emu",
        "--boot",
        "flat",
        "--serial",
        `${dir}/out.txt`,
        "guests/serial.bin",
      ]),
      /--allow-write/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli permissions: without --allow-env the KVM device defaults to /dev/kvm", async () => {
  // PICOVMM_KVM_DEVICE cannot be read; the run is not an internal error.
  const r = await run(["--allow-read", "--allow-ffi"], [
    "--accel",
    "emu",
    "--boot",
    "flat",
    "guests/hello.bin",
  ]);
  strictEqual(r.code, 0, r.stderr);
});
