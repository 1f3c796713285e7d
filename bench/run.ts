/**
 * `deno task bench`: picovmm against named baselines, in one command.
 *
 * 1. The guest loops (bench/guests/*.asm) on picovmm's software CPU (translated;
 *    flat, and booted by its BIOS; and flat on the interpreter alone, in a
 *    process, scripting API), QEMU TCG (a process per run) and v86 (npm
 *    package, in a child Deno process); each VMM's empty-guest time is
 *    subtracted, every result is checked against the TypeScript model.
 * 2. The whole-process time and peak RSS of picovmm running a boot sector
 *    against QEMU booting the same sector.
 * 3. The user-space cost per KVM exit: picovmm against bench/kvm-exit.c.
 *
 * Options: --reps N (5), --seconds S (net guest time per run, 1), --only a,b,
 * --no-loops, --no-v86, --no-qemu, --no-process, --no-kvm, --kvm-exits N (10000),
 * --kvm-cache DIR (/tmp/kvmq or $KVMQ_CACHE), --out FILE (the report,
 * bench/results/latest.md.tmp), --raw FILE (every run as JSON,
 * bench/results/latest.json.tmp). The report also goes to stdout.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import {
  assembleGuests,
  EMPTY,
  expectedFor,
  type GuestImages,
  type Workload,
  WORKLOADS,
} from "./lib/guests.ts";
import { countPicovmm, FLAT_MEMORY, runPicovmmIsolated } from "./lib/picovmm.ts";
import { QEMU, qemuArgs, qemuVersion, runQemu } from "./lib/qemu.ts";
import { GNU_TIME } from "./lib/process.ts";
import { runV86, V86_VERSION, type V86Run } from "./lib/v86.ts";
import { haveGnuTime, peakRssKiB, type ProcessCase, timeProcess } from "./lib/process.ts";
import { type KvmBenchResult, runKvmBench } from "./lib/kvm.ts";
import { median, ratio, roundCount, sig3 } from "./lib/stats.ts";

/**
 * picovmm flat (no BIOS, the pure CPU), booted by its BIOS (as QEMU and v86
 * boot the sector), and flat without the block translator (the previous version).
 */
type Vmm = "picovmm" | "picovmm-bios" | "picovmm-interp" | "v86" | "qemu";

/** Timing of one workload on one VMM. */
interface Timing {
  n: number;
  /** Run times in ms (guest time for picovmm and v86, process time for QEMU). */
  ms: number[];
  /** CPU times over the same spans in ms (picovmm, v86: the emulating thread; QEMU: the process). */
  cpuMs: number[];
}

/** Which clock a table is computed from. */
type Metric = "ms" | "cpuMs";

const args = parseArgs({
  options: {
    reps: { type: "string", default: "5" },
    seconds: { type: "string", default: "1" },
    only: { type: "string" },
    "no-loops": { type: "boolean", default: false },
    "no-v86": { type: "boolean", default: false },
    "no-qemu": { type: "boolean", default: false },
    "no-process": { type: "boolean", default: false },
    "no-kvm": { type: "boolean", default: false },
    "kvm-exits": { type: "string", default: "10000" },
    "kvm-cache": { type: "string", default: Deno.env.get("KVMQ_CACHE") ?? "/tmp/kvmq" },
    out: { type: "string", default: "bench/results/latest.md.tmp" },
    raw: { type: "string", default: "bench/results/latest.json.tmp" },
  },
  args: Deno.args,
  allowPositionals: false,
});

const REPS = Number(args.values.reps);
const TARGET_MS = Number(args.values.seconds) * 1000;
const root = new URL("../", import.meta.url).pathname;
const log = (s: string) => console.error(`bench: ${s}`);
const workloads: Workload[] = args.values.only
  ? WORKLOADS.filter((w) => args.values.only!.split(",").includes(w.name))
  : [...WORKLOADS];

// ---- environment -------------------------------------------------------------

async function text(cmd: string, cmdArgs: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args: cmdArgs, stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "(not installed)";
  }
}

async function environment(): Promise<Record<string, string>> {
  // Deno asks for --allow-all to read /proc; grep may.
  const cpuinfo = await text("grep", ["-m1", "model name", "/proc/cpuinfo"]);
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown";
  const mem = Deno.systemMemoryInfo();
  return {
    date: new Date().toISOString(),
    cpu: `${model}, ${navigator.hardwareConcurrency} logical CPUs, ` +
      `${(mem.total / 2 ** 30).toFixed(0)} GiB RAM`,
    kernel: `${Deno.build.os} ${await text("uname", ["-r"])}`,
    "load at start": Deno.loadavg().map((v) => v.toFixed(2)).join(" "),
    picovmm: `commit ${await text("git", ["-C", root, "rev-parse", "--short", "HEAD"])}` +
      ((await text("git", ["-C", root, "status", "--porcelain", "--", "lib", "mod.ts"]))
        ? " with uncommitted changes under lib/ or in mod.ts"
        : ""),
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8})`,
    qemu: (await qemuVersion()) ?? "(not installed)",
    v86: `npm:v86@${V86_VERSION}, SeaBIOS ${await text("dpkg-query", [
      "-W",
      "-f=${Version}",
      "seabios",
    ])} (Debian)`,
    nasm: await text("nasm", ["-v"]),
  };
}

// ---- calibration ---------------------------------------------------------------

/** Scales `n` so a run takes about TARGET_MS of net time, given a measured `ms` for `n`. */
function scaleTo(n: number, netMs: number): number {
  return roundCount(Math.min(0xffffffff, n * TARGET_MS / Math.max(netMs, 0.001)));
}

/** Calibrates on runs in fresh processes (flat), as the timed runs are: the JIT's warm-up included. */
async function calibratePicovmm(
  w: Workload,
  basePath: string,
  boot: "flat" | "interpret" = "flat",
): Promise<number> {
  let n = 10_000;
  for (;;) {
    const { ms } = await runPicovmmIsolated(w, basePath, n, boot);
    if (ms >= 250 || n >= 1e9) return scaleTo(n, ms);
    n *= ms < 25 ? 10 : 2;
  }
}

/** Calibrates on CPU time where GNU time gives it (steadier than wall time on a loaded machine). */
async function calibrateQemu(
  w: Workload,
  image: Uint8Array,
  empty: number,
  dir: string,
  gnuTime: string | undefined,
): Promise<number> {
  let n = 1000;
  for (;;) {
    const run = await runQemu(w, image, n, dir, gnuTime);
    const net = (gnuTime ? run.cpuMs : run.ms) - empty;
    if (net >= 400 || n >= 1e9) return scaleTo(n, net);
    n *= net < 40 ? 10 : 2;
  }
}

async function calibrateV86(
  images: GuestImages,
  dir: string,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let pending = workloads.map((w) => ({ workload: w, n: 100_000 }));
  while (pending.length) {
    const runs = await runV86(pending, images, 1, dir);
    const next: typeof pending = [];
    for (const job of pending) {
      const run = runs.find((r) => r.workload === job.workload.name && r.n === job.n)!;
      if (run.guestMs >= 150 || job.n >= 1e9) {
        counts.set(job.workload.name, scaleTo(job.n, run.guestMs));
      } else next.push({ workload: job.workload, n: job.n * (run.guestMs < 15 ? 10 : 2) });
    }
    pending = next;
  }
  return counts;
}

// ---- the guest loops -----------------------------------------------------------

interface LoopResults {
  timings: Map<Vmm, Map<string, Timing>>;
  picovmmCounts: Map<string, { one: number; perIteration: number; atN: number; n: number }>;
  v86Runs: V86Run[];
  notes: string[];
}

async function loops(images: GuestImages, dir: string): Promise<LoopResults> {
  const timings = new Map<Vmm, Map<string, Timing>>([
    ["picovmm", new Map()],
    ["picovmm-bios", new Map()],
    ["picovmm-interp", new Map()],
    ["v86", new Map()],
    ["qemu", new Map()],
  ]);
  const notes: string[] = [];
  const image = (w: Workload) => images.get(w.name)!;

  // Instruction counts of the software CPU: N = 1, 2 and the calibrated N.
  log("picovmm: instruction counts and calibration");
  const picovmmCounts: LoopResults["picovmmCounts"] = new Map();
  for (const w of [EMPTY, ...workloads]) {
    const one = await countPicovmm(w, image(w), 1);
    const two = await countPicovmm(w, image(w), 2);
    const base = `${dir}/${w.name}.base`;
    await Deno.writeFile(base, image(w));
    const n = w === EMPTY ? 1 : await calibratePicovmm(w, base);
    timings.get("picovmm")!.set(w.name, { n, ms: [], cpuMs: [] });
    timings.get("picovmm-bios")!.set(w.name, { n, ms: [], cpuMs: [] });
    const nInterp = w === EMPTY ? 1 : await calibratePicovmm(w, base, "interpret");
    timings.get("picovmm-interp")!.set(w.name, { n: nInterp, ms: [], cpuMs: [] });
    const atN = w === EMPTY ? one : await countPicovmm(w, image(w), Math.min(n, 100_000));
    picovmmCounts.set(w.name, { one, perIteration: two - one, atN, n: Math.min(n, 100_000) });
  }

  const useQemu = !args.values["no-qemu"] && (await qemuVersion()) !== undefined;
  if (!args.values["no-qemu"] && !useQemu) notes.push("QEMU was not measured: not installed.");
  const gnuTime = await haveGnuTime() ? GNU_TIME : undefined;
  if (!gnuTime) notes.push("QEMU's CPU time was not measured: /usr/bin/time is missing.");
  if (useQemu) {
    log("qemu: calibration");
    const empties = [];
    for (let i = 0; i < 3; i++) {
      const r = await runQemu(EMPTY, image(EMPTY), 1, dir, gnuTime);
      empties.push(gnuTime ? r.cpuMs : r.ms);
    }
    timings.get("qemu")!.set(EMPTY.name, { n: 1, ms: [], cpuMs: [] });
    for (const w of workloads) {
      const n = await calibrateQemu(w, image(w), median(empties), dir, gnuTime);
      timings.get("qemu")!.set(w.name, { n, ms: [], cpuMs: [] });
    }
  }

  let useV86 = !args.values["no-v86"];
  if (useV86) {
    log("v86: calibration");
    try {
      const counts = await calibrateV86(images, dir);
      timings.get("v86")!.set(EMPTY.name, { n: 1, ms: [], cpuMs: [] });
      for (const [name, n] of counts) timings.get("v86")!.set(name, { n, ms: [], cpuMs: [] });
    } catch (e) {
      useV86 = false;
      notes.push(`v86 was not measured: ${e instanceof Error ? e.message : e}`);
    }
  }

  // Models for the calibrated counts, before any timing (the long ones take a second each).
  for (const [, byName] of timings) {
    for (const [name, t] of byName) {
      const w = name === EMPTY.name ? EMPTY : workloads.find((x) => x.name === name)!;
      expectedFor(w, t.n);
    }
  }

  // Repetitions: every VMM runs every guest once per round, so load changes hit all alike.
  // Each timed run of picovmm and v86 is a process of its own (as QEMU's are).
  const v86Runs: V86Run[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    log(`round ${rep + 1} of ${REPS}`);
    for (const w of [EMPTY, ...workloads]) {
      for (const boot of ["flat", "bios", "interpret"] as const) {
        const vmm = boot === "flat"
          ? "picovmm"
          : boot === "bios"
          ? "picovmm-bios"
          : "picovmm-interp";
        const t = timings.get(vmm)!.get(w.name)!;
        const r = await runPicovmmIsolated(w, `${dir}/${w.name}.base`, t.n, boot);
        t.ms.push(r.ms);
        t.cpuMs.push(r.cpuMs);
      }
    }
    if (useQemu) {
      for (const w of [EMPTY, ...workloads]) {
        const t = timings.get("qemu")!.get(w.name)!;
        const r = await runQemu(w, image(w), t.n, dir, gnuTime);
        t.ms.push(r.ms);
        if (gnuTime) t.cpuMs.push(r.cpuMs);
      }
    }
    if (useV86) {
      const jobs = [EMPTY, ...workloads].map((w) => ({
        workload: w,
        n: timings.get("v86")!.get(w.name)!.n,
      }));
      const runs = await runV86(jobs, images, 1, dir);
      for (const r of runs) {
        const t = timings.get("v86")!.get(r.workload)!;
        t.ms.push(r.guestMs);
        t.cpuMs.push(r.guestCpuMs);
      }
      v86Runs.push(...runs);
    }
  }
  return { timings, picovmmCounts, v86Runs, notes };
}

// ---- reports -------------------------------------------------------------------

/** Net ns per iteration of a workload on a VMM, or undefined when not measured. */
function nsPerIteration(
  results: LoopResults,
  vmm: Vmm,
  w: Workload,
  metric: Metric,
): number | undefined {
  const t = results.timings.get(vmm)?.get(w.name);
  const empty = results.timings.get(vmm)?.get(EMPTY.name);
  if (!t || !empty || !t[metric].length || !empty[metric].length) return undefined;
  return (median(t[metric]) - median(empty[metric])) * 1e6 / t.n;
}

function speed(w: Workload, ns: number | undefined): string {
  if (ns === undefined) return "not measured";
  if (ns <= 0) return "below noise";
  const mips = w.perIteration * 1e3 / ns;
  return w.unit === "mips"
    ? `${sig3(mips)} MIPS`
    : `${sig3(ns)} ns/${w.operation} (${sig3(mips)} MIPS)`;
}

function speedTable(results: LoopResults, metric: Metric): string[] {
  const lines: string[] = [];
  lines.push(
    "| workload | instr/iter | picovmm, BIOS boot | picovmm, flat | picovmm interpreter, flat | v86 | QEMU TCG | picovmm / v86 | picovmm / QEMU | flat / interpreter |",
    "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
  );
  for (const w of workloads) {
    const pb = nsPerIteration(results, "picovmm-bios", w, metric);
    const pf = nsPerIteration(results, "picovmm", w, metric);
    const pi = nsPerIteration(results, "picovmm-interp", w, metric);
    const v = nsPerIteration(results, "v86", w, metric);
    const q = nsPerIteration(results, "qemu", w, metric);
    const r = (base: number | undefined) => {
      const one = (p: number | undefined) =>
        p && p > 0 && base && base > 0 ? ratio(base, p) : "n/a";
      return `${one(pb)}; flat ${one(pf)}`;
    };
    lines.push(
      `| ${w.title} | ${w.perIteration} | ${speed(w, pb)} | ${speed(w, pf)} | ${speed(w, pi)} | ` +
        `${speed(w, v)} | ${speed(w, q)} | ${r(v)} | ${r(q)} | ` +
        `${pf && pf > 0 && pi && pi > 0 ? ratio(pi, pf) : "n/a"} |`,
    );
  }
  return lines;
}

function loopTables(results: LoopResults): string {
  const lines: string[] = [
    "From wall time:",
    "",
    ...speedTable(results, "ms"),
    "",
    "The same runs from CPU time (picovmm and v86: the emulating thread; QEMU: the whole process):",
    "",
    ...speedTable(results, "cpuMs"),
  ];
  lines.push(
    "",
    "Ratios are speed ratios (picovmm's speed divided by the baseline's): above 1 picovmm is faster.",
    "A negative or missing value means the guest's time did not rise above the noise of the " +
      "empty guest's.",
    "",
    "| workload | picovmm N | picovmm BIOS boot median ms | picovmm flat median ms | interpreter N | interpreter median ms | v86 N | v86 median ms | QEMU N | QEMU median ms |",
    "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
  );
  for (const w of [EMPTY, ...workloads]) {
    const cell = (vmm: Vmm) => {
      const t = results.timings.get(vmm)?.get(w.name);
      return t && t.ms.length ? `${t.n.toLocaleString("en-US")} | ${sig3(median(t.ms))}` : "- | -";
    };
    const flat = results.timings.get("picovmm")?.get(w.name);
    const flatMs = flat && flat.ms.length ? sig3(median(flat.ms)) : "-";
    lines.push(
      `| ${w.name} | ${cell("picovmm-bios")} | ${flatMs} | ${cell("picovmm-interp")} | ${
        cell("v86")
      } | ${cell("qemu")} |`,
    );
  }
  lines.push(
    "",
    "picovmm: time of `guest.run()` (BIOS boot: the sector booted by picovmm's BIOS at 0000:7C00, " +
      "with its PC platform; flat: the sector at 0000:0000 with no BIOS, the same N; interpreter: flat with the block translator off, its own N); v86: guest time from the start marker (port 0x80) to the " +
      "debug-exit write; QEMU: wall time of the whole process. Each VMM's empty-guest median is " +
      `subtracted before dividing by N; medians of ${REPS} runs.`,
    "",
    "Instruction counts (cross-check of the per-iteration counts in the guests' sources):",
    "",
    "| workload | documented/iter | picovmm: count(N=1) | picovmm: count(2) - count(1) | picovmm: count(N) = count(1) + (N-1)·iter | v86 counter/iter (approximate) |",
    "| --- | --: | --: | --: | --- | --: |",
  );
  for (const w of [EMPTY, ...workloads]) {
    const c = results.picovmmCounts.get(w.name)!;
    const ok = c.atN === c.one + (c.n - 1) * w.perIteration;
    const v86 = results.v86Runs.filter((r) => r.workload === w.name);
    const v86PerIter = v86.length && w.perIteration
      ? sig3(median(v86.map((r) => r.guestInstructions)) / v86[0].n)
      : "-";
    lines.push(
      `| ${w.name} | ${w.perIteration} | ${c.one} | ${c.perIteration} | ` +
        `${ok ? "yes" : "NO"} (N=${c.n.toLocaleString("en-US")}: ${
          c.atN.toLocaleString("en-US")
        }) | ${v86PerIter} |`,
    );
  }
  return lines.join("\n");
}

interface ProcessResults {
  rows: { label: string; ms: number[]; rssKiB?: number }[];
  notes: string[];
}

async function processBench(images: GuestImages, dir: string): Promise<ProcessResults> {
  const notes: string[] = [];
  const empty = `${dir}/empty.img`;
  await Deno.writeFile(empty, images.get("empty")!);
  const assemble = async (name: string) => {
    const out = `${dir}/${name}.bin`;
    const r = await new Deno.Command("nasm", {
      args: ["-f", "bin", "-o", out, `${root}guests/${name}.asm`],
    }).output();
    if (!r.success) throw new Error(`cannot assemble guests/${name}.asm`);
    return out;
  };
  const hello = await assemble("hello");
  const deno = Deno.execPath();
  const start = ["run", "--allow-read", "--allow-write", "--allow-ffi", "--allow-env", "main.ts"];
  const help = await new Deno.Command(deno, { args: [...start, "--help"], cwd: root }).output();
  const hasBios = /--boot\s+bios/.test(new TextDecoder().decode(help.stdout));
  const picovmm = (label: string, cliArgs: string[], status: number): ProcessCase => ({
    label: `picovmm, ${label}`,
    command: deno,
    args: [...start, "--accel", "emu", ...cliArgs],
    status,
    cwd: root,
  });
  const cases: ProcessCase[] = [];
  if (hasBios) {
    cases.push(
      picovmm("empty sector (--boot bios)", ["--boot", "bios", "--display", "none", empty], 1),
    );
  } else {
    notes.push("picovmm's `--boot bios` was not available when this ran.");
  }
  cases.push(
    picovmm(
      "empty sector (--boot flat)",
      ["--boot", "flat", "--memory", `${FLAT_MEMORY / 1024}K`, "--display", "none", empty],
      1,
    ),
    picovmm("guests/hello.bin (--boot flat)", ["--boot", "flat", hello], 0),
  );
  if (hasBios) {
    cases.push(picovmm("guests/boot-hello.bin (--boot bios)", [await assemble("boot-hello")], 0));
  }
  const nothing = `${dir}/nothing.ts`;
  await Deno.writeTextFile(nothing, "\n");
  cases.push({
    label: "for reference: `deno run` of an empty script (Deno's own start-up)",
    command: deno,
    args: ["run", nothing],
    status: 0,
  });
  if (await qemuVersion()) {
    cases.push({
      label: "QEMU TCG, empty sector (SeaBIOS, floppy)",
      command: QEMU,
      args: qemuArgs(empty),
      status: 1,
    });
  } else notes.push("QEMU was not measured: not installed.");
  const gnuTime = await haveGnuTime();
  if (!gnuTime) {
    notes.push("Peak RSS was not measured: /usr/bin/time is missing (apt-get install time).");
  }
  const rows: ProcessResults["rows"] = [];
  for (const c of cases) {
    log(`process: ${c.label}`);
    await timeProcess(c); // warm-up: Deno's module cache, the page cache
  }
  for (const c of cases) rows.push({ label: c.label, ms: [] });
  for (let rep = 0; rep < Math.max(REPS, 5); rep++) {
    for (let i = 0; i < cases.length; i++) rows[i].ms.push(await timeProcess(cases[i]));
  }
  if (gnuTime) {
    for (let i = 0; i < cases.length; i++) {
      const samples = [];
      for (let rep = 0; rep < 3; rep++) samples.push(await peakRssKiB(cases[i]));
      rows[i].rssKiB = median(samples);
    }
  }
  return { rows, notes };
}

function processTable(p: ProcessResults): string {
  const qemu = p.rows.find((r) => r.label.startsWith("QEMU"));
  const lines = [
    "| command | median wall ms | min ms | QEMU / this | peak RSS |",
    "| --- | --: | --: | --: | --: |",
  ];
  for (const r of p.rows) {
    const rel = qemu && r !== qemu ? `${sig3(median(qemu.ms) / median(r.ms))}x` : "-";
    const rss = r.rssKiB !== undefined ? `${sig3(r.rssKiB / 1024)} MiB` : "not measured";
    lines.push(
      `| ${r.label} | ${sig3(median(r.ms))} | ${sig3(Math.min(...r.ms))} | ${rel} | ${rss} |`,
    );
  }
  lines.push(
    "",
    "Wall time from spawn to exit; peak RSS is GNU time's maximum resident set size (median of 3).",
  );
  return lines.join("\n");
}

const LAYER_LABELS: Record<string, string> = {
  "vcpu-loop": "picovmm's KvmVcpu.run() in a bare loop (FFI ioctl + exit decoding)",
  "ffi-loop": "a bare Deno FFI ioctl(KVM_RUN) loop, exit read from the run page",
};

function kvmTable(k: KvmBenchResult): string {
  if (k.skipped || !k.c || !k.picovmm) return `Not measured: ${k.skipped}`;
  const c = k.c, p = k.picovmm;
  const row = (label: string, a: number, b: number) =>
    `| ${label} | ${sig3(a / 1000)} | ${sig3(b / 1000)} | ${sig3(b / a)} |`;
  return [
    `Where: ${k.where}; ${k.n.toLocaleString("en-US")} OUT exits per run, ` +
    `median of ${c.passes} passes per implementation, the empty guest's cost subtracted.`,
    "",
    "| per exit | C loop (bench/kvm-exit.c) µs | picovmm µs | picovmm / C |",
    "| --- | --: | --: | --: |",
    row("user CPU time (getrusage)", c.user, p.user),
    row("time outside KVM_RUN (clock around the ioctl)", c.outside, p.outside),
    row("system CPU time (getrusage)", c.sys, p.sys),
    row("wall time", c.wall, p.wall),
    "",
    "getrusage counts the time a thread spends in the guest (KVM_RUN) as user time, so its " +
    "user time is not user-space work alone; the clock around KVM_RUN separates the two.",
    "",
    "The time outside KVM_RUN is measured with a clock read before and after each call; in " +
    `picovmm's process one \`performance.now()\` costs ${
      k.clockNs !== undefined ? sig3(k.clockNs / 1000) : "?"
    } µs here (C's clock_gettime much less), so that row overstates picovmm's share by about ` +
    "one such read per exit.",
    "",
    "Where picovmm's time per exit goes (its layers taken away one by one; no clock reads per exit):",
    "",
    "| loop | wall µs/exit | user CPU µs/exit | system CPU µs/exit | wall / C's |",
    "| --- | --: | --: | --: | --: |",
    `| C loop (reference) | ${sig3(c.wall / 1000)} | ${sig3(c.user / 1000)} | ${
      sig3(c.sys / 1000)
    } | 1 |`,
    `| picovmm: scripting API, machine and devices | ${sig3(p.wall / 1000)} | ${
      sig3(p.user / 1000)
    } | ${sig3(p.sys / 1000)} | ${sig3(p.wall / c.wall)} |`,
    ...(k.layers ?? []).map((l) =>
      `| ${LAYER_LABELS[l.mode]} | ${sig3(l.wall / 1000)} | ${sig3(l.user / 1000)} | ${
        sig3(l.sys / 1000)
      } | ${sig3(l.wall / c.wall)} |`
    ),
  ].join("\n");
}

// ---- main ----------------------------------------------------------------------

const env = await environment();
log(`assembling ${workloads.length + 1} guests`);
const images = await assembleGuests();
const dir = await Deno.makeTempDir({ prefix: "picovmm-bench-" });
const sections: string[] = [];
const raw: Record<string, unknown> = { environment: env };
try {
  if (!args.values["no-loops"]) {
    const results = await loops(images, dir);
    raw.loops = {
      timings: Object.fromEntries(
        [...results.timings].map(([vmm, m]) => [vmm, Object.fromEntries(m)]),
      ),
      picovmmCounts: Object.fromEntries(results.picovmmCounts),
      v86Runs: results.v86Runs,
    };
    sections.push("## Guest loops\n", loopTables(results), ...results.notes.map((n) => `\n${n}`));
  }

  if (!args.values["no-process"]) {
    const p = await processBench(images, dir);
    raw.process = p;
    sections.push(
      "\n## Whole process and peak RSS\n",
      processTable(p),
      ...p.notes.map((n) => `\n${n}`),
    );
  }

  if (!args.values["no-kvm"]) {
    log("KVM exits (this boots a QEMU guest with nested KVM where the host has no /dev/kvm)");
    const k = await runKvmBench(
      images,
      Number(args.values["kvm-exits"]),
      3,
      args.values["kvm-cache"]!,
    );
    raw.kvm = k;
    sections.push("\n## KVM: user-space cost per I/O exit\n", kvmTable(k));
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
env["load at end"] = Deno.loadavg().map((v) => v.toFixed(2)).join(" ");
const header = [
  "# picovmm benchmark run",
  "",
  ...Object.entries(env).map(([k, v]) => `- ${k}: ${v}`),
  "",
].join("\n");
const report = `${header}\n${sections.join("\n")}\n`;
console.log(report);
const where = (path: string) => path.startsWith("/") ? path : `${root}${path}`;
const out = where(args.values.out!), rawOut = where(args.values.raw!);
for (const path of [out, rawOut]) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
}
await Deno.writeTextFile(out, report);
await Deno.writeTextFile(rawOut, JSON.stringify(raw, null, 2) + "\n");
log(`wrote ${out} and ${rawOut}`);
