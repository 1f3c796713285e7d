// `deno task start IMG` resolves IMG (and files such as --serial FILE) against the folder the
// user ran it from, not the repository's; `deno task hello` works from any folder of the clone.
import { match, strictEqual } from "@std/assert";

const ROOT = new URL("../../", import.meta.url).pathname;

function withoutInitCwd(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  return env;
}

async function task(args: string[], cwd: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", ...args],
    cwd,
    // As from a shell: an INIT_CWD inherited from an outer `deno task` (deno task test) would
    // stand for the user's folder instead.
    clearEnv: true,
    env: { ...withoutInitCwd(), PICOVMM_KVM_DEVICE: "/nonexistent/kvm" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("cli start task: the image path is the user's, from a folder inside the clone", async () => {
  const out = await task(["start", "--boot", "flat", "hello.bin"], `${ROOT}guests`);
  strictEqual(out.code, 0, out.stderr);
  match(out.stdout, /^ {34}Hello World!$/m);
});

Deno.test("cli start task: ... and from a folder outside it (deno task --config)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "picovmm-start-" });
  try {
    await Deno.copyFile(`${ROOT}guests/serial.bin`, `${dir}/mine.bin`);
    const out = await task(
      [
        "--config",
        `${ROOT}deno.json`,
        "start",
        "--boot",
        "flat",
        "--display",
        "none",
        "--serial",
        "com1.txt",
        "mine.bin",
      ],
      dir,
    );
    strictEqual(out.code, 0, out.stderr);
    strictEqual(Deno.readTextFileSync(`${dir}/com1.txt`), "Hello from COM1!\r\n");
    // A name that exists only in the repository is not found from the user's folder.
    const missing = await task(["--config", `${ROOT}deno.json`, "start", "guests/hello.bin"], dir);
    strictEqual(missing.code, 2);
    match(missing.stderr, /guests\/hello\.bin/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli start task: deno task hello from a subfolder of the clone", async () => {
  const out = await task(["hello"], `${ROOT}lib`);
  strictEqual(out.code, 0, out.stderr);
  match(out.stdout, /^ {34}Hello World!$/m);
});
