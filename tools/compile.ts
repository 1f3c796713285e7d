/**
 * Builds the single picovmm executable with `deno compile` (`deno task compile`).
 *
 * `deno compile` needs Deno's `denort` runtime for the target. It downloads it
 * unless DENORT_BIN names a local copy; on machines without that download,
 * set DENORT_BIN to a denort binary of the same Deno version.
 *
 * @module
 */

const root = new URL("../", import.meta.url).pathname;
const output = Deno.env.get("PICOVMM_OUTPUT") ?? `${root}dist/picovmm`;
const denort = Deno.env.get("DENORT_BIN");

if (denort) {
  try {
    if (!Deno.statSync(denort).isFile) throw new Error("not a file");
  } catch {
    console.error(`compile: DENORT_BIN=${denort} is not a file`);
    Deno.exit(1);
  }
  console.error(`compile: using the denort runtime at ${denort}`);
} else {
  console.error(
    "compile: DENORT_BIN is not set, so deno compile will download denort; " +
      "where that is not possible, set DENORT_BIN to a denort binary for Deno " +
      Deno.version.deno,
  );
}

const result = await new Deno.Command(Deno.execPath(), {
  args: [
    "compile",
    "--allow-read",
    "--allow-write",
    "--allow-ffi",
    "--allow-env",
    "--config",
    `${root}deno.json`,
    "--output",
    output,
    `${root}main.ts`,
  ],
  stdout: "inherit",
  stderr: "inherit",
}).output();
if (!result.success) {
  console.error("compile: deno compile failed (see above); no executable was written");
  Deno.exit(1);
}
console.error(`compile: wrote ${output}`);
