/**
 * Start-up of the picovmm command against Deno's own (`deno task bench:startup`):
 * the whole process, spawn to exit, of picovmm booting the empty boot sector
 * (bench/guests/empty.asm: it writes the debug-exit port at once) next to a
 * bare `deno run` of an empty script, in the same run, interleaved so both
 * see the same load. Prints the medians, the minimums and picovmm's ratio to
 * the bare `deno run` (the goal: at most 1.5x).
 *
 *     deno task bench:startup [--runs N] [--no-kvm] [--against DIR]   (default 40 rounds; needs nasm)
 *
 * `--against DIR` adds the same rows for another checkout of picovmm (the
 * tree at an earlier commit, say `git archive main | tar -x -C DIR`), in the
 * same interleaved rounds, so two trees are compared under the same load.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { assembleGuests } from "./lib/guests.ts";
import { type ProcessCase, timeProcess } from "./lib/process.ts";
import { median, sig3 } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "40" },
    "no-kvm": { type: "boolean", default: false },
    against: { type: "string" },
  },
});
const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 3) {
  console.error("bench:startup: --runs must be a whole number of at least 3");
  Deno.exit(2);
}

const root = new URL("../", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "picovmm-startup-" });
try {
  const empty = `${dir}/empty.img`;
  await Deno.writeFile(empty, (await assembleGuests()).get("empty")!);
  const nothing = `${dir}/nothing.ts`;
  await Deno.writeTextFile(nothing, "\n");
  const deno = Deno.execPath();
  // As `deno task start` runs it: the same permissions and config.
  const start = ["run", "--allow-read", "--allow-write", "--allow-ffi", "--allow-env"];
  const trees = values.against === undefined
    ? [{ dir: root, tag: "" }]
    : [{ dir: root, tag: "" }, { dir: `${values.against.replace(/\/$/, "")}/`, tag: " (against)" }];
  const picovmm = (
    tree: { dir: string; tag: string },
    accel: string,
    boot: string,
  ): ProcessCase => ({
    label: `picovmm --accel ${accel} --boot ${boot}, empty sector${tree.tag}`,
    command: deno,
    args: [
      ...start,
      "--config",
      `${tree.dir}deno.json`,
      `${tree.dir}main.ts`,
      "--accel",
      accel,
      "--boot",
      boot,
      "--display",
      "none",
      empty,
    ],
    status: 1, // the empty guest writes 0 to the debug-exit port
  });
  const version = (tree: { dir: string; tag: string }): ProcessCase => ({
    label: `picovmm --version${tree.tag}`,
    command: deno,
    args: [...start, "--config", `${tree.dir}deno.json`, `${tree.dir}main.ts`, "--version"],
    status: 0,
  });
  const baseline: ProcessCase = {
    label: "deno run of an empty script (baseline)",
    command: deno,
    args: ["run", nothing],
    status: 0,
  };
  let kvm = false;
  try {
    if (values["no-kvm"]) throw new Error("--no-kvm");
    Deno.openSync("/dev/kvm", { read: true, write: true }).close();
    kvm = true;
  } catch {
    console.error("bench:startup: KVM not measured (--no-kvm, or /dev/kvm does not open here)");
  }
  const cases = [baseline];
  for (const tree of trees) {
    cases.push(version(tree), picovmm(tree, "emu", "bios"), picovmm(tree, "emu", "flat"));
    if (kvm) cases.push(picovmm(tree, "kvm", "bios"));
  }
  for (const c of cases) await timeProcess(c); // warm-up: Deno's caches, the page cache
  const times = cases.map(() => [] as number[]);
  for (let round = 0; round < runs; round++) {
    for (let i = 0; i < cases.length; i++) times[i].push(await timeProcess(cases[i]));
  }
  const base = { median: median(times[0]), min: Math.min(...times[0]) };
  console.log(
    `Whole process, ${runs} interleaved rounds (${Deno.build.target}, Deno ${Deno.version.deno}):\n`,
  );
  console.log("| command | median ms | min ms | median / baseline | min / baseline |");
  console.log("| --- | --: | --: | --: | --: |");
  cases.forEach((c, i) => {
    const m = median(times[i]), lo = Math.min(...times[i]);
    console.log(
      `| ${c.label} | ${sig3(m)} | ${sig3(lo)} | ${sig3(m / base.median)}x | ${
        sig3(lo / base.min)
      }x |`,
    );
  });
} finally {
  await Deno.remove(dir, { recursive: true });
}
