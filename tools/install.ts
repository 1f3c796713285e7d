/**
 * Puts a `picovmm` command on the PATH from this clone (`deno task install`):
 * `deno install -g` writes a small shell script that runs this clone's
 * main.ts with the permissions picovmm needs, so the clone must stay where
 * it is (run the task again after moving it). Needs only Deno, and `deno` on
 * the PATH when the command runs.
 *
 *     deno task install                 # into $DENO_INSTALL_ROOT/bin, else ~/.deno/bin
 *     deno task install --root DIR      # into DIR/bin
 *
 * @module
 */

const root = new URL("../", import.meta.url).pathname;
const args = [...Deno.args];
const rootAt = args.indexOf("--root");
const installRoot = rootAt >= 0 ? args[rootAt + 1] : undefined;
if ((rootAt >= 0 && !installRoot) || args.length !== (rootAt >= 0 ? 2 : 0)) {
  console.error("usage: deno task install [--root DIR]");
  Deno.exit(2);
}

/** The permissions the command line needs (as `deno task start` gives them). */
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-ffi", "--allow-env"];

const result = await new Deno.Command(Deno.execPath(), {
  args: [
    "install",
    "--global",
    "--force",
    "--name",
    "picovmm",
    ...(installRoot ? ["--root", installRoot] : []),
    ...PERMISSIONS,
    "--config",
    `${root}deno.json`,
    `${root}main.ts`,
  ],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!result.success) {
  console.error("install: deno install failed (see above)");
  Deno.exit(1);
}
