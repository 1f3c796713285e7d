// `deno task install --root DIR` puts a working picovmm command in DIR/bin; it boots a guest from
// another folder. HOME and DENO_INSTALL_ROOT point into a temporary folder, so nothing reaches
// the real ~/.deno/bin.
import { deepStrictEqual, match, strictEqual } from "@std/assert";

const ROOT = new URL("../../", import.meta.url).pathname;

async function run(command: string, args: string[], cwd: string, env: Record<string, string>) {
  const out = await new Deno.Command(command, { args, cwd, env, stdout: "piped", stderr: "piped" })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Deno's cache folder, so that runs with another HOME still find the compiled modules there. */
async function denoDir(): Promise<string> {
  const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  return JSON.parse(new TextDecoder().decode(info.stdout)).denoDir;
}

Deno.test("cli install: deno task install --root DIR gives a picovmm that boots a guest", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "picovmm-install-" });
  try {
    const env = {
      HOME: `${tmp}/home`,
      DENO_DIR: await denoDir(),
      DENO_INSTALL_ROOT: `${tmp}/default-root`,
      // The installed script runs `deno` from the PATH, as a user's shell would.
      PATH: `${Deno.execPath().replace(/\/[^/]+$/, "")}:/usr/bin:/bin`,
      PICOVMM_KVM_DEVICE: "/nonexistent/kvm",
    };
    await Deno.mkdir(env.HOME);
    const installed = await run(
      Deno.execPath(),
      ["task", "install", "--root", `${tmp}/root`],
      ROOT,
      env,
    );
    strictEqual(installed.code, 0, installed.stderr);
    const picovmm = `${tmp}/root/bin/picovmm`;
    strictEqual(Deno.statSync(picovmm).isFile, true);

    const version = await run(picovmm, ["--version"], tmp, env);
    strictEqual(version.code, 0, version.stderr);
    const { version: expected } = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`));
    strictEqual(version.stdout, `picovmm ${expected}\n`);

    // From a folder of the user's, with a relative image path and a relative serial file.
    const work = `${tmp}/work`;
    await Deno.mkdir(work);
    await Deno.copyFile(`${ROOT}guests/serial.bin`, `${work}/serial.bin`);
    const boot = await run(
      picovmm,
      ["--boot", "flat", "--display", "none", "--serial", "out.txt", "serial.bin"],
      work,
      env,
    );
    strictEqual(boot.code, 0, boot.stderr);
    strictEqual(Deno.readTextFileSync(`${work}/out.txt`), "Hello from COM1!\r\n");
    match(boot.stderr, /software CPU/, "auto fell back to the software CPU and said so");

    // Only the asked-for root was written: not the default root, not $HOME.
    deepStrictEqual([...Deno.readDirSync(env.HOME)], []);
    strictEqual([...Deno.readDirSync(tmp)].some((e) => e.name === "default-root"), false);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("cli install: a bad argument is a usage line and status 2", async () => {
  const out = await run(Deno.execPath(), ["task", "install", "--rot", "x"], ROOT, {});
  strictEqual(out.code, 2);
  match(out.stderr, /usage: deno task install \[--root DIR\]/);
});
