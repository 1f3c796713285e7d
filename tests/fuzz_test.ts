// A short fixed-seed fuzz campaign on the software CPU (the long one is
// `deno task fuzz --runs 100000`), and every image a campaign ever saved.
import { match, strictEqual } from "@std/assert";
import { runFuzzCase } from "../tools/fuzz/cases.ts";

const root = new URL("../", import.meta.url);

Deno.test("fuzz: 300 random and mutated images end in documented stops", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "tools/fuzz.ts", "--runs", "300"],
    cwd: root.pathname,
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  match(text, /^300 passed, 0 failed$/m, text);
  strictEqual(out.code, 0, text);
});

const corpus = new URL("tests/fuzz-corpus/", root);
let saved: string[] = [];
try {
  saved = [...Deno.readDirSync(corpus)].map((e) => e.name).filter((n) => n.endsWith(".bin"));
} catch { /* no findings saved yet */ }
for (const name of saved.sort()) {
  Deno.test(`fuzz regression ${name}`, async () => {
    const image = Deno.readFileSync(new URL(name, corpus));
    const meta = JSON.parse(
      Deno.readTextFileSync(new URL(name.replace(/\.bin$/, ".json"), corpus)),
    );
    const outcome = await runFuzzCase(
      { index: 0, image, memory: meta.memory, boot: meta.boot ?? "flat", how: "saved" },
      20000,
    );
    strictEqual(outcome.ok, true, outcome.ok ? "" : outcome.problem);
  });
}
