// What `deno publish` would ship: the library, the command line, README, LICENSE, deno.json;
// no tests, benchmarks, guests or CI.
import { deepStrictEqual, match, ok, strictEqual } from "@std/assert";

Deno.test("api publish: the dry run passes and lists only what a user needs", async () => {
  const root = new URL("../../", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  strictEqual(out.code, 0, text);
  match(text, /Success Dry run complete/);
  const prefix = `file://${root}`;
  const files = text.split("\n").map((line) => line.trim().split(" ")[0])
    .filter((word) => word.startsWith(prefix)).map((url) => url.slice(prefix.length));
  ok(files.length > 40, text);
  const top = [...new Set(files.map((f) => f.split("/")[0]))].sort();
  deepStrictEqual(top, ["LICENSE", "README.md", "deno.json", "lib", "main.ts", "mod.ts"]);
  ok(files.includes("lib/display/font-data.ts"));
  ok(!files.some((f) => f.endsWith("_test.ts")));
});
