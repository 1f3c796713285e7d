/**
 * Fuzzes the software CPU and the machine around it (`deno task fuzz`):
 * random and mutated images from guests/ run with an instruction limit. A host
 * exception, an undocumented stop, or a case that runs longer than the hang
 * limit is a finding; its image is saved under tests/fuzz-corpus/ so the
 * regression test runs it from then on.
 *
 * With --pm the cases are protected-mode ones (fuzz/pm.ts: random GDTs, page
 * tables, gates and privilege changes), each run interpreted and translated
 * at several slice lengths; a difference is a finding too, saved as
 * tests/fuzz-corpus/pm-seedS-caseN.json (the case is rebuilt from its seed
 * and index).
 *
 * Usage: deno task fuzz [--pm] [--runs N] [--seed S] [--instructions N] [--hang-seconds S] [--workers N]
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { loadCorpus, makeCase } from "./fuzz/cases.ts";
import type { WorkerReport, WorkerStart } from "./fuzz/worker.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "2000" },
    seed: { type: "string", default: "1" },
    instructions: { type: "string", default: "20000" },
    "hang-seconds": { type: "string", default: "20" },
    workers: { type: "string", default: "1" },
    pm: { type: "boolean", default: false },
  },
});
const runs = Number(values.runs);
const seed = Number(values.seed);
const instructions = Number(values.instructions);
const hangMs = Number(values["hang-seconds"]) * 1000;
const workers = Math.max(1, Math.min(16, Number(values.workers) || 1));
const pm = values.pm;
const root = new URL("../", import.meta.url);
const corpusDir = new URL("guests/", root);
const findingsDir = new URL("tests/fuzz-corpus/", root);
const corpus = loadCorpus(corpusDir);

const findings: { index: number; problem: string }[] = [];
const stops: Record<string, number> = {};
const t0 = performance.now();

function save(index: number, problem: string): void {
  Deno.mkdirSync(findingsDir, { recursive: true });
  if (pm) {
    const name = `pm-seed${seed}-case${index}`;
    Deno.writeTextFileSync(
      new URL(`${name}.json`, findingsDir),
      JSON.stringify(
        { pm: true, seed, index, instructions, problem: problem.split("\n")[0] },
        null,
        2,
      ) +
        "\n",
    );
    findings.push({ index, problem });
    console.error(`fuzz: pm case ${index}: ${problem} -> ${name}.json`);
    return;
  }
  const c = makeCase(seed, index, corpus);
  const name = `seed${seed}-case${index}`;
  Deno.writeFileSync(new URL(`${name}.bin`, findingsDir), c.image);
  Deno.writeTextFileSync(
    new URL(`${name}.json`, findingsDir),
    JSON.stringify(
      { memory: c.memory, boot: c.boot, how: c.how, problem: problem.split("\n")[0] },
      null,
      2,
    ) +
      "\n",
  );
  findings.push({ index, problem });
  console.error(`fuzz: case ${index} (${c.how}): ${problem.split("\n")[0]} -> ${name}.bin`);
}

/** Runs cases [start, end) in a worker; resolves with the index to resume at. */
function runWorker(start: number, end: number): Promise<number> {
  const progress = new SharedArrayBuffer(8);
  const view = new Int32Array(progress);
  view[0] = start;
  view[1] = start;
  const worker = new Worker(new URL("./fuzz/worker.ts", import.meta.url), { type: "module" });
  return new Promise((resolve) => {
    let lastDone = start;
    let lastChange = performance.now();
    const watchdog = setInterval(() => {
      const done = Atomics.load(view, 1);
      if (done !== lastDone) {
        lastDone = done;
        lastChange = performance.now();
        return;
      }
      if (performance.now() - lastChange > hangMs) {
        clearInterval(watchdog);
        worker.terminate();
        const index = Atomics.load(view, 0);
        save(index, `hang: case ran longer than ${hangMs / 1000} s`);
        resolve(index + 1);
      }
    }, 250);
    worker.onmessage = (e: MessageEvent<WorkerReport>) => {
      const m = e.data;
      if (m.kind === "problem") save(m.index, m.problem);
      else if (m.kind === "stops") {
        for (const [k, v] of Object.entries(m.counts)) stops[k] = (stops[k] ?? 0) + v;
      } else {
        clearInterval(watchdog);
        worker.terminate();
        resolve(end);
      }
    };
    worker.onerror = (e) => {
      e.preventDefault();
      clearInterval(watchdog);
      worker.terminate();
      const index = Atomics.load(view, 0);
      save(index, `worker died: ${e.message}`);
      resolve(index + 1);
    };
    const start_: WorkerStart = {
      seed,
      start,
      end,
      instructions,
      progress,
      corpusDir: corpusDir.href,
      pm,
    };
    worker.postMessage(start_);
  });
}

/** Runs cases [start, end), restarting the worker after a hang or a crash. */
async function runRange(start: number, end: number): Promise<void> {
  let next = start;
  while (next < end) next = await runWorker(next, end);
}

const share = Math.ceil(runs / workers);
await Promise.all(
  Array.from(
    { length: workers },
    (_, w) => runRange(w * share, Math.min(runs, (w + 1) * share)),
  ),
);
const seconds = (performance.now() - t0) / 1000;
const summary = Object.entries(stops).sort().map(([k, v]) => `${k} ${v}`).join(", ");
console.log(
  `fuzz: ${
    pm ? "protected mode, " : ""
  }seed ${seed}, ${runs} runs of up to ${instructions} instructions on ${workers} workers in ${
    seconds.toFixed(1)
  } s (${(runs / seconds).toFixed(0)} runs/s); stops: ${summary}`,
);
console.log(`${runs - findings.length} passed, ${findings.length} failed`);
Deno.exit(findings.length ? 1 : 0);
