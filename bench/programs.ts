/**
 * `deno task bench:programs`: picovmm's software CPU on program-like guests
 * (bench/guests/ sieve, fib, bsort, crc32, blockcopy, bytecode, strings,
 * pmhash, game; models in bench/lib/programs.ts) against QEMU TCG and v86 in
 * one command, as bench/run.ts does for its loops: every run in a process of
 * its own, each VMM's empty-guest time subtracted, every result checked
 * against the model, and picovmm's retired-instruction count checked against
 * the model's exact count. Prints MIPS per workload, the speed ratios and
 * their geometric means, from wall time and from CPU time.
 *
 * Options: --reps N (5), --seconds S (net guest time per run, 1), --only a,b,
 * --no-qemu, --no-v86, --interpret (also picovmm without the block
 * translator), --base DIR (also the picovmm checkout in DIR, e.g. an older
 * one: its mod.ts runs the same guests; --base-label NAME names it),
 * --out FILE (bench/results/programs.md.tmp), --raw FILE
 * (bench/results/programs.json.tmp). The report also goes to stdout.
 *
 * Each VMM's N is calibrated on CPU time (QEMU: the process's; picovmm and
 * v86: the emulating thread's), picovmm's and v86's refined by runs at each
 * estimate until one comes within 15% of the target (at most 3), since their
 * short runs are mostly JIT warm-up.
 *
 * MIPS are the model's instruction count for N rounds (REP iterations count
 * one each) less the empty guest's 21, divided by the net time; the same
 * count is used for every VMM, so the ratios are ratios of time.
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import "../lib/machine/all-code.ts";
import { createMachine } from "../lib/machine/create.ts";
import { EmuVcpu } from "../lib/emu/vcpu.ts";
import { withCount } from "./lib/guests.ts";
import {
  assemblePrograms,
  EMPTY_PROGRAM,
  type Program,
  PROGRAM_MEMORY,
  PROGRAMS,
} from "./lib/programs.ts";
import { qemuVersion, runQemu } from "./lib/qemu.ts";
import { GNU_TIME, haveGnuTime } from "./lib/process.ts";
import { runV86, V86_VERSION, type V86Run } from "./lib/v86.ts";
import { median, roundCount, sig3 } from "./lib/stats.ts";

const args = parseArgs({
  options: {
    reps: { type: "string", default: "5" },
    seconds: { type: "string", default: "1" },
    only: { type: "string" },
    "no-qemu": { type: "boolean", default: false },
    "no-v86": { type: "boolean", default: false },
    interpret: { type: "boolean", default: false },
    base: { type: "string" },
    "base-label": { type: "string" },
    out: { type: "string", default: "bench/results/programs.md.tmp" },
    raw: { type: "string", default: "bench/results/programs.json.tmp" },
  },
  args: Deno.args,
  allowPositionals: false,
});

const REPS = Number(args.values.reps);
const TARGET_MS = Number(args.values.seconds) * 1000;
const root = new URL("../", import.meta.url).pathname;
const log = (s: string) => console.error(`bench:programs: ${s}`);
const programs: Program[] = args.values.only
  ? PROGRAMS.filter((p) => args.values.only!.split(",").includes(p.name))
  : [...PROGRAMS];
if (!programs.length) throw new Error(`--only ${args.values.only}: no such program`);
const all = [EMPTY_PROGRAM, ...programs];

/** A picovmm to time: a checkout (its root) and whether it translates. */
interface PicovmmVariant {
  key: string;
  label: string;
  root: string;
  mode: "flat" | "interpret";
}

async function text(cmd: string, cmdArgs: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args: cmdArgs, stderr: "null" }).output();
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return "(not installed)";
  }
}

const commit = (dir: string) => text("git", ["-C", dir, "log", "-1", "--format=%h %s"]);
const baseRoot = args.values.base
  ? Deno.realPathSync(args.values.base).replace(/\/?$/, "/")
  : undefined;
const variants: PicovmmVariant[] = [
  { key: "picovmm", label: "picovmm", root, mode: "flat" },
];
if (args.values.interpret) {
  variants.push({ key: "interp", label: "picovmm interpreter", root, mode: "interpret" });
}
if (baseRoot) {
  variants.push({
    key: "base",
    label: args.values["base-label"] ?? "base",
    root: baseRoot,
    mode: "flat",
  });
}

/** Times of one program on one VMM. */
interface Timing {
  n: number;
  ms: number[];
  cpuMs: number[];
}

type Timings = Map<string, Map<string, Timing>>;

// ---- the runs ------------------------------------------------------------------

async function runPicovmm(
  v: PicovmmVariant,
  p: Program,
  imagePath: string,
  n: number,
): Promise<{ ms: number; cpuMs: number }> {
  const child = new URL("./programs_child.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-ffi",
      child,
      v.root,
      v.mode,
      p.name,
      `${n}`,
      imagePath,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`${v.label} child failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** Runs at most made at each calibrated N to bring its net time near the target. */
const REFINEMENTS = 3;

/** A net time within 15% of the target: calibrated. */
function nearTarget(netMs: number): boolean {
  return Math.abs(netMs - TARGET_MS) <= 0.15 * TARGET_MS;
}

function scaleTo(n: number, netMs: number): number {
  return roundCount(Math.min(0xffffffff, n * TARGET_MS / Math.max(netMs, 0.001)));
}

/** Instructions retired by this checkout's software CPU, and the blocks it translated. */
async function countPicovmm(
  p: Program,
  image: Uint8Array,
  n: number,
): Promise<{ instructions: number; translated: number }> {
  const { machine } = createMachine({
    image: withCount(image, n),
    accel: "emu",
    boot: "flat",
    memory: PROGRAM_MEMORY,
  });
  try {
    const stop = await machine.run();
    const want = p.expected(n).exitValue;
    if (stop.kind !== "debug-exit" || stop.code !== want) {
      throw new Error(`picovmm ${p.name} N=${n}: stopped with ${JSON.stringify(stop)}`);
    }
    const vcpu = machine.vcpu;
    return {
      instructions: vcpu.instructions ?? NaN,
      translated: vcpu instanceof EmuVcpu ? vcpu.cpu.blocks?.translated ?? 0 : 0,
    };
  } finally {
    machine.close();
  }
}

// ---- main ----------------------------------------------------------------------

const env: Record<string, string> = {
  date: new Date().toISOString(),
  cpu: `${
    /model name\s*:\s*(.*)/.exec(await text("grep", ["-m1", "model name", "/proc/cpuinfo"]))
      ?.[1] ?? "unknown"
  }, ${navigator.hardwareConcurrency} logical CPUs`,
  "load at start": Deno.loadavg().map((v) => v.toFixed(2)).join(" "),
  picovmm: await commit(root),
  ...(baseRoot ? { [variants.at(-1)!.label]: `${baseRoot}: ${await commit(baseRoot)}` } : {}),
  deno: Deno.version.deno,
  qemu: (await qemuVersion()) ?? "(not installed)",
  v86: `npm:v86@${V86_VERSION}`,
};

log(`assembling ${all.length} guests`);
const images = await assemblePrograms(all.map((p) => p.name));
const dir = await Deno.makeTempDir({ prefix: "picovmm-programs-" });
const notes: string[] = [];
const timings: Timings = new Map();
const counts = new Map<string, { n: number; got: number; want: number; translated: number }[]>();
const v86Runs: V86Run[] = [];
const useQemu = !args.values["no-qemu"] && (await qemuVersion()) !== undefined;
if (!args.values["no-qemu"] && !useQemu) notes.push("QEMU was not measured: not installed.");
const gnuTime = await haveGnuTime() ? GNU_TIME : undefined;
let useV86 = !args.values["no-v86"];
try {
  for (const p of all) await Deno.writeFile(`${dir}/${p.name}.base`, images.get(p.name)!);

  // Instruction counts against the model (this checkout).
  log("picovmm: instruction counts");
  for (const p of all) {
    const rows = [];
    for (const n of [1, 2, 10]) {
      const c = await countPicovmm(p, images.get(p.name)!, n);
      rows.push({ n, got: c.instructions, want: p.expected(n).instructions, ...c });
    }
    counts.set(p.name, rows);
  }

  // Calibration: each VMM's N for about TARGET_MS of net time.
  for (const v of variants) {
    log(`${v.label}: calibration`);
    const byName = new Map<string, Timing>();
    timings.set(v.key, byName);
    // On CPU time (steadier than wall time on a loaded machine), and refined by runs at each
    // estimate until one lands near the target: a short run is mostly the JIT's warm-up, so
    // time does not scale with N.
    const empty = (await runPicovmm(v, EMPTY_PROGRAM, `${dir}/empty.base`, 1)).cpuMs;
    byName.set("empty", { n: 1, ms: [], cpuMs: [] });
    for (const p of programs) {
      const image = `${dir}/${p.name}.base`;
      let n = 1;
      for (;;) {
        const { cpuMs } = await runPicovmm(v, p, image, n);
        if (cpuMs >= 150 || n >= 1e8) {
          n = scaleTo(n, cpuMs - empty);
          break;
        }
        n *= cpuMs < 15 ? 10 : 2;
      }
      for (let i = 0; i < REFINEMENTS; i++) {
        const net = (await runPicovmm(v, p, image, n)).cpuMs - empty;
        if (nearTarget(net)) break;
        n = scaleTo(n, net);
      }
      byName.set(p.name, { n, ms: [], cpuMs: [] });
    }
  }
  if (useQemu) {
    log("qemu: calibration");
    const byName = new Map<string, Timing>();
    timings.set("qemu", byName);
    const empties = [];
    for (let i = 0; i < 3; i++) {
      const r = await runQemu(EMPTY_PROGRAM, images.get("empty")!, 1, dir, gnuTime);
      empties.push(gnuTime ? r.cpuMs : r.ms);
    }
    byName.set("empty", { n: 1, ms: [], cpuMs: [] });
    for (const p of programs) {
      let n = 1;
      for (;;) {
        const r = await runQemu(p, images.get(p.name)!, n, dir, gnuTime);
        const net = (gnuTime ? r.cpuMs : r.ms) - median(empties);
        if (net >= 400 || n >= 1e8) {
          byName.set(p.name, { n: scaleTo(n, net), ms: [], cpuMs: [] });
          break;
        }
        n *= net < 40 ? 10 : 2;
      }
    }
  }
  if (useV86) {
    log("v86: calibration");
    try {
      const byName = new Map<string, Timing>([["empty", { n: 1, ms: [], cpuMs: [] }]]);
      let pending = programs.map((p) => ({ workload: p, n: 1 }));
      while (pending.length) {
        const runs = await runV86(pending, images, 1, dir);
        const next: typeof pending = [];
        for (const job of pending) {
          const r = runs.find((x) => x.workload === job.workload.name && x.n === job.n)!;
          if (r.guestCpuMs >= 150 || job.n >= 1e8) {
            const n = scaleTo(job.n, r.guestCpuMs);
            byName.set(job.workload.name, { n, ms: [], cpuMs: [] });
          } else next.push({ workload: job.workload, n: job.n * (r.guestCpuMs < 15 ? 10 : 2) });
        }
        pending = next;
      }
      // Refined as picovmm's are: its JIT warms up too.
      let refine = programs.map((p) => ({ workload: p, n: byName.get(p.name)!.n }));
      for (let i = 0; i < REFINEMENTS && refine.length; i++) {
        const runs = await runV86(refine, images, 1, dir);
        const next: typeof refine = [];
        for (const job of refine) {
          const r = runs.find((x) => x.workload === job.workload.name && x.n === job.n)!;
          if (nearTarget(r.guestCpuMs)) continue;
          const n = scaleTo(job.n, r.guestCpuMs);
          byName.set(job.workload.name, { n, ms: [], cpuMs: [] });
          next.push({ workload: job.workload, n });
        }
        refine = next;
      }
      timings.set("v86", byName);
    } catch (e) {
      useV86 = false;
      notes.push(`v86 was not measured: ${e instanceof Error ? e.message : e}`);
    }
  }

  // Rounds: every VMM runs every guest once per round, so load changes hit all alike.
  for (let rep = 0; rep < REPS; rep++) {
    log(`round ${rep + 1} of ${REPS}`);
    for (const v of variants) {
      for (const p of all) {
        const t = timings.get(v.key)!.get(p.name)!;
        const r = await runPicovmm(v, p, `${dir}/${p.name}.base`, t.n);
        t.ms.push(r.ms);
        t.cpuMs.push(r.cpuMs);
      }
    }
    if (useQemu) {
      for (const p of all) {
        const t = timings.get("qemu")!.get(p.name)!;
        const r = await runQemu(p, images.get(p.name)!, t.n, dir, gnuTime);
        t.ms.push(r.ms);
        if (gnuTime) t.cpuMs.push(r.cpuMs);
      }
    }
    if (useV86) {
      const byName = timings.get("v86")!;
      const runs = await runV86(
        all.map((p) => ({ workload: p, n: byName.get(p.name)!.n })),
        images,
        1,
        dir,
      );
      for (const r of runs) {
        const t = byName.get(r.workload)!;
        t.ms.push(r.guestMs);
        t.cpuMs.push(r.guestCpuMs);
      }
      v86Runs.push(...runs);
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
env["load at end"] = Deno.loadavg().map((v) => v.toFixed(2)).join(" ");

// ---- report --------------------------------------------------------------------

type Metric = "ms" | "cpuMs";

/** MIPS of a program on a VMM (net of the empty guest), or undefined. */
function mips(vmm: string, p: Program, metric: Metric): number | undefined {
  const t = timings.get(vmm)?.get(p.name), e = timings.get(vmm)?.get("empty");
  if (!t || !e || !t[metric].length || !e[metric].length) return undefined;
  const net = median(t[metric]) - median(e[metric]);
  if (!(net > 0)) return undefined;
  return (p.expected(t.n).instructions - EMPTY_PROGRAM.expected(1).instructions) / net / 1e3;
}

const fmt = (v: number | undefined) => v === undefined ? "n/a" : sig3(v);
const geomean = (xs: number[]) =>
  xs.length ? Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length) : undefined;

function table(metric: Metric): string[] {
  const others = [
    ...(useQemu ? [{ key: "qemu", label: "QEMU" }] : []),
    ...(useV86 ? [{ key: "v86", label: "v86" }] : []),
    ...variants.slice(1).map((v) => ({ key: v.key, label: v.label })),
  ];
  const lines = [
    `| workload | picovmm MIPS | ${others.map((o) => `${o.label} MIPS`).join(" | ")} | ${
      others.map((o) => `picovmm / ${o.label}`).join(" | ")
    } |`,
    `| --- | --: | ${others.map(() => "--:").join(" | ")} | ${
      others.map(() => "--:").join(" | ")
    } |`,
  ];
  const ratios: number[][] = others.map(() => []);
  const speeds: number[][] = [[], ...others.map(() => [])];
  for (const p of programs) {
    const ours = mips("picovmm", p, metric);
    const theirs = others.map((o) => mips(o.key, p, metric));
    if (ours !== undefined) speeds[0].push(ours);
    const cells = theirs.map((t, i) => {
      if (t !== undefined) speeds[i + 1].push(t);
      if (ours === undefined || t === undefined) return "n/a";
      ratios[i].push(ours / t);
      return sig3(ours / t);
    });
    lines.push(
      `| ${p.name}: ${p.title} | ${fmt(ours)} | ${theirs.map(fmt).join(" | ")} | ${
        cells.join(" | ")
      } |`,
    );
  }
  lines.push(
    `| **geomean** | ${speeds.map((s) => `**${fmt(geomean(s))}**`).join(" | ")} | ${
      ratios.map((r) => `**${fmt(geomean(r))}**`).join(" | ")
    } |`,
  );
  return lines;
}

const lines: string[] = [
  "# picovmm program-like workloads",
  "",
  ...Object.entries(env).map(([k, v]) => `- ${k}: ${v}`),
  "",
  "From wall time:",
  "",
  ...table("ms"),
  "",
  "From CPU time (picovmm and v86: the emulating thread; QEMU: the whole process):",
  "",
  ...table("cpuMs"),
  "",
  "Ratios are speed ratios (above 1 picovmm is faster); the geomean row is the geometric mean " +
  "of the column. picovmm: `guest.run()` of the sector flat at 0000:0000 (no BIOS), a process " +
  "per run; QEMU: the whole qemu-system-i386 process (SeaBIOS boot, floppy); v86: from the " +
  "guest's start marker (port 0x80) to its debug-exit write. Each VMM's empty-guest median is " +
  `subtracted; medians of ${REPS} runs.`,
  "",
  "| workload | instructions/round | picovmm N | picovmm ms | QEMU N | QEMU ms | v86 N | v86 ms | v86 counter / model |",
  "| --- | --: | --: | --: | --: | --: | --: | --: | --: |",
];
for (const p of all) {
  const cell = (vmm: string) => {
    const t = timings.get(vmm)?.get(p.name);
    return t && t.ms.length ? `${t.n.toLocaleString("en-US")} | ${sig3(median(t.ms))}` : "- | -";
  };
  const runs = v86Runs.filter((r) => r.workload === p.name);
  const perRound = p === EMPTY_PROGRAM
    ? "-"
    : Math.round((p.expected(10).instructions - p.expected(1).instructions) / 9).toLocaleString(
      "en-US",
    );
  const v86Ratio = runs.length && p !== EMPTY_PROGRAM
    ? sig3(median(runs.map((r) => r.guestInstructions)) / (p.expected(runs[0].n).instructions - 14))
    : "-";
  lines.push(
    `| ${p.name} | ${perRound} | ${cell("picovmm")} | ${cell("qemu")} | ${
      cell("v86")
    } | ${v86Ratio} |`,
  );
}
lines.push(
  "",
  "Instruction counts: picovmm's retired instructions (this checkout, translated) against the " +
    "model's exact count (REP iterations one each); v86's counter is approximate (it counts " +
    "from the start marker, REP and its JIT's own way).",
  "",
  "| workload | model N=1 | picovmm N=1 | model N=10 | picovmm N=10 | match | blocks translated (N=10) |",
  "| --- | --: | --: | --: | --: | --- | --: |",
);
let mismatch = false;
for (const p of all) {
  const rows = counts.get(p.name)!;
  const ok = rows.every((r) => r.got === r.want);
  if (!ok) mismatch = true;
  const one = rows[0], ten = rows[2];
  lines.push(
    `| ${p.name} | ${one.want} | ${one.got} | ${ten.want} | ${ten.got} | ${
      ok ? "yes" : "NO"
    } | ${ten.translated} |`,
  );
}
lines.push(...notes.map((n) => `\n${n}`));
const report = lines.join("\n") + "\n";
console.log(report);
const where = (path: string) => path.startsWith("/") ? path : `${root}${path}`;
const out = where(args.values.out!), rawOut = where(args.values.raw!);
for (const path of [out, rawOut]) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
}
await Deno.writeTextFile(out, report);
await Deno.writeTextFile(
  rawOut,
  JSON.stringify(
    {
      environment: env,
      timings: Object.fromEntries([...timings].map(([k, m]) => [k, Object.fromEntries(m)])),
      counts: Object.fromEntries(counts),
      v86Runs,
    },
    null,
    2,
  ) + "\n",
);
log(`wrote ${out} and ${rawOut}`);
if (mismatch) {
  console.error("bench:programs: picovmm's instruction count differs from a model's");
  Deno.exit(1);
}
