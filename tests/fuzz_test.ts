// A short fixed-seed fuzz campaign on the software CPU (the long one is
// `deno task fuzz --runs 100000`), and every image a campaign ever saved.
import { match, strictEqual } from "@std/assert";
import { runFuzzCase } from "../tools/fuzz/cases.ts";
import { checkPmCase, makePmCase } from "../tools/fuzz/pm.ts";

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
let saved: string[] = [], savedPm: string[] = [];
try {
  const names = [...Deno.readDirSync(corpus)].map((e) => e.name);
  saved = names.filter((n) => n.endsWith(".bin"));
  savedPm = names.filter((n) => n.startsWith("pm-") && n.endsWith(".json"));
} catch { /* no findings saved yet */ }
// Protected-mode findings (`deno task fuzz --pm`) are rebuilt from their seed and index.
for (const name of savedPm.sort()) {
  Deno.test(`fuzz regression ${name}`, () => {
    const meta = JSON.parse(Deno.readTextFileSync(new URL(name, corpus)));
    const { problem } = checkPmCase(makePmCase(meta.seed, meta.index), meta.instructions ?? 20000);
    strictEqual(problem, null, problem ?? "");
  });
}
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
