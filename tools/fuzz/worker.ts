/**
 * The fuzz worker: runs cases from `start` on, publishing the index it is on
 * in shared memory so the main thread can spot a hang and stop the worker.
 *
 * @module
 */

import { loadCorpus, makeCase, runFuzzCase } from "./cases.ts";
import { checkPmCase, makePmCase } from "./pm.ts";

/** The message that starts a worker. */
export interface WorkerStart {
  seed: number;
  start: number;
  end: number;
  instructions: number;
  progress: SharedArrayBuffer;
  corpusDir: string;
  /** Protected-mode differential cases (pm.ts) instead of images. */
  pm: boolean;
}

/** A finding or the end of the range, sent back to the main thread. */
export type WorkerReport =
  | { kind: "problem"; index: number; problem: string }
  | { kind: "stops"; counts: Record<string, number> }
  | { kind: "done" };

const self = globalThis as unknown as {
  onmessage: (e: MessageEvent<WorkerStart>) => void;
  postMessage: (m: WorkerReport) => void;
};

self.onmessage = async (e) => {
  const { seed, start, end, instructions, corpusDir, pm } = e.data;
  const progress = new Int32Array(e.data.progress);
  const corpus = loadCorpus(new URL(corpusDir));
  const counts: Record<string, number> = {};
  for (let i = start; i < end; i++) {
    Atomics.store(progress, 0, i);
    if (pm) {
      const { problem, stop } = checkPmCase(makePmCase(seed, i), instructions);
      if (problem !== null) self.postMessage({ kind: "problem", index: i, problem });
      else counts[stop] = (counts[stop] ?? 0) + 1;
      Atomics.store(progress, 1, i + 1);
      continue;
    }
    const outcome = await runFuzzCase(makeCase(seed, i, corpus), instructions);
    if (outcome.ok) {
      const key = outcome.stop.kind === "crash" ? `crash:${outcome.stop.cause}` : outcome.stop.kind;
      counts[key] = (counts[key] ?? 0) + 1;
    } else {
      self.postMessage({ kind: "problem", index: i, problem: outcome.problem });
    }
    Atomics.store(progress, 1, i + 1);
  }
  self.postMessage({ kind: "stops", counts });
  self.postMessage({ kind: "done" });
};
