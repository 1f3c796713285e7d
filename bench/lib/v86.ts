/**
 * v86 as a reference: runs bench/v86_child.ts in its own Deno process and
 * checks every run's exit value and registers against the model.
 *
 * @module
 */

import type { V86RunResult } from "../v86_child.ts";
import { checkRegs, expectedFor, type Model, withCount } from "./guests.ts";

export type { V86RunResult } from "../v86_child.ts";

/** The pinned npm version (deno.json "imports"). */
export const V86_VERSION = "0.5.462";

/** One image to run: the workload, its count, and where the patched image is written. */
export interface V86Job {
  /** The guest. */
  workload: Model;
  /** Its iteration count. */
  n: number;
}

/** A verified run. */
export interface V86Run extends V86RunResult {
  /** The guest's name. */
  workload: string;
  /** Its iteration count. */
  n: number;
}

/** Runs each job `reps` times (all jobs, then again), each run in its own v86 process; throws on a wrong result. */
export async function runV86(
  jobs: readonly V86Job[],
  images: Map<string, Uint8Array>,
  reps: number,
  dir: string,
): Promise<V86Run[]> {
  const paths: string[] = [];
  const byPath = new Map<string, V86Job>();
  for (const job of jobs) {
    const path = `${dir}/v86-${job.workload.name}-${job.n}.img`;
    await Deno.writeFile(path, withCount(images.get(job.workload.name)!, job.n));
    paths.push(path);
    byPath.set(path, job);
  }
  const child = new URL("../v86_child.ts", import.meta.url).pathname;
  // One process per run: no run inherits the JIT state of another guest.
  const runs: V86Run[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const path of paths) {
      runs.push(...await runChild(child, path, byPath));
    }
  }
  for (const path of paths) await Deno.remove(path);
  return runs;
}

async function runChild(
  child: string,
  path: string,
  byPath: Map<string, V86Job>,
): Promise<V86Run[]> {
  const runs: V86Run[] = [];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-ffi", child, "1", path],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`v86 child failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (!line.startsWith("{")) continue;
    const r = JSON.parse(line) as V86RunResult;
    const job = byPath.get(r.image);
    if (!job) continue;
    const expected = expectedFor(job.workload, job.n);
    if (r.value !== expected.exitValue) {
      throw new Error(
        `v86 ${job.workload.name} N=${job.n}: exit value ${r.value}, expected ${expected.exitValue}`,
      );
    }
    const bad = checkRegs(expected, r.regs);
    if (bad) throw new Error(`v86 ${job.workload.name} N=${job.n}: ${bad}`);
    runs.push({ ...r, workload: job.workload.name, n: job.n });
  }
  return runs;
}
