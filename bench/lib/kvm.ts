/**
 * The KVM exit benchmark, driven from the host: builds bench/kvm-exit.c,
 * writes the OUT and empty guests to a directory, and runs the C loop and
 * then picovmm (bench/kvm_exit.ts) on the same images in one command, on
 * /dev/kvm when the host has it, else inside ../shared/kvm-in-qemu (a QEMU
 * TCG guest with nested KVM).
 *
 * @module
 */

import type { ExitPass } from "../kvm_exit.ts";
import { median } from "./stats.ts";

export type { ExitPass } from "../kvm_exit.ts";

/** Per-exit costs of one implementation (ns, the empty guest's subtracted). */
export interface ExitCost {
  /** Wall time per exit. */
  wall: number;
  /** User CPU time per exit (getrusage). */
  user: number;
  /** System CPU time per exit (getrusage). */
  sys: number;
  /** Wall time outside KVM_RUN per exit (instrumented passes). */
  outside: number;
  /** Passes this is the median of, per guest. */
  passes: number;
}

/** Per-exit wall and CPU times of one layer of picovmm (ns). */
export interface LayerCost {
  /** Which loop. */
  mode: ExitPass["mode"];
  /** Wall time per exit. */
  wall: number;
  /** User CPU time per exit. */
  user: number;
  /** System CPU time per exit. */
  sys: number;
}

/** The outcome: both implementations, or why it could not run. */
export interface KvmBenchResult {
  /** Where KVM came from: this host's /dev/kvm or the nested guest. */
  where: string;
  /** OUT exits per run. */
  n: number;
  /** The C loop's costs. */
  c?: ExitCost;
  /** picovmm's costs through the scripting API. */
  picovmm?: ExitCost;
  /** picovmm's passes with layers taken away (vcpu-loop, ffi-loop). */
  layers?: LayerCost[];
  /** One `performance.now()` in the Deno process that ran the picovmm passes, in ns. */
  clockNs?: number;
  /** Every pass as printed by the two programs. */
  passes: ExitPass[];
  /** Why nothing was measured, when nothing was. */
  skipped?: string;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

function costOf(passes: ExitPass[], impl: "c" | "picovmm", n: number): ExitCost {
  const pick = (guest: string, mode: string) =>
    passes.filter((p) => p.impl === impl && p.guest === `${guest}.bin` && p.mode === mode);
  const plainOut = pick("out", "plain"), plainEmpty = pick("empty", "plain");
  const instOut = pick("out", "instrumented"), instEmpty = pick("empty", "instrumented");
  if (!plainOut.length || !plainEmpty.length || !instOut.length || !instEmpty.length) {
    throw new Error(`KVM bench: missing passes for ${impl}`);
  }
  const per = (out: ExitPass[], empty: ExitPass[], f: (p: ExitPass) => number) =>
    (median(out.map(f)) - median(empty.map(f))) / n;
  return {
    wall: per(plainOut, plainEmpty, (p) => p.wallNs),
    user: per(plainOut, plainEmpty, (p) => p.userNs),
    sys: per(plainOut, plainEmpty, (p) => p.sysNs),
    outside: per(instOut, instEmpty, (p) => p.wallNs - p.insideNs),
    passes: plainOut.length,
  };
}

function layerCost(passes: ExitPass[], mode: ExitPass["mode"], n: number): LayerCost {
  const pick = (guest: string) =>
    passes.filter((p) => p.impl === "picovmm" && p.guest === `${guest}.bin` && p.mode === mode);
  const out = pick("out"), empty = pick("empty");
  if (!out.length || !empty.length) throw new Error(`KVM bench: missing ${mode} passes`);
  const per = (f: (p: ExitPass) => number) => (median(out.map(f)) - median(empty.map(f))) / n;
  return {
    mode,
    wall: per((p) => p.wallNs),
    user: per((p) => p.userNs),
    sys: per((p) => p.sysNs),
  };
}

/**
 * Runs the KVM exit benchmark with `n` OUT exits per run and `reps` passes.
 * `images` must hold the `out` and `empty` guests.
 */
export async function runKvmBench(
  images: Map<string, Uint8Array>,
  n: number,
  reps: number,
  cacheDir: string,
): Promise<KvmBenchResult> {
  const root = new URL("../../", import.meta.url).pathname;
  const runSh = new URL("../shared/kvm-in-qemu/run.sh", `file://${root}`).pathname;
  let direct = false;
  try {
    const f = await Deno.open("/dev/kvm", { read: true, write: true });
    f.close();
    direct = true;
  } catch {
    direct = false;
  }
  if (!direct) {
    if (!await exists(runSh)) {
      return { where: "-", n, passes: [], skipped: "no /dev/kvm and no ../shared/kvm-in-qemu" };
    }
    if (!await exists(`${cacheDir}/initramfs.cpio`)) {
      return {
        where: "-",
        n,
        passes: [],
        skipped: `no /dev/kvm, and ${cacheDir} is not prepared ` +
          `(../shared/kvm-in-qemu/prepare.sh ${cacheDir})`,
      };
    }
  }
  const dir = await Deno.makeTempDir({ prefix: "picovmm-kvm-bench-" });
  try {
    await Deno.writeFile(`${dir}/out.bin`, images.get("out")!);
    await Deno.writeFile(`${dir}/empty.bin`, images.get("empty")!);
    const gcc = await new Deno.Command("gcc", {
      args: ["-O2", "-Wall", "-o", `${dir}/kvm-exit`, `${root}bench/kvm-exit.c`],
    }).output();
    if (!gcc.success) {
      return {
        where: "-",
        n,
        passes: [],
        skipped: `gcc failed: ${new TextDecoder().decode(gcc.stderr).trim()}`,
      };
    }
    // Type-check on the host: inside the nested guest it would take minutes.
    const check = await new Deno.Command(Deno.execPath(), {
      args: ["check", `${root}bench/kvm_exit.ts`],
      cwd: root,
    }).output();
    if (!check.success) throw new Error(new TextDecoder().decode(check.stderr));
    const script = [
      `${dir}/kvm-exit ${dir}/empty.bin ${n} ${reps}`,
      `${dir}/kvm-exit ${dir}/out.bin ${n} ${reps}`,
      `${Deno.execPath()} run --no-check --allow-all bench/kvm_exit.ts ${dir} ${n} ${reps}`,
    ].join(" && ");
    const command = direct
      ? new Deno.Command("sh", {
        args: ["-c", script],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      })
      : new Deno.Command(runSh, {
        args: ["-c", cacheDir, "-w", dir, "--", "sh", "-c", script],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      });
    const out = await command.output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    if (!out.success) throw new Error(`KVM bench failed (status ${out.code}):\n${text.trim()}`);
    const passes: ExitPass[] = [];
    let clockNs: number | undefined;
    for (const line of text.split("\n")) {
      if (line.startsWith('{"impl"')) passes.push(JSON.parse(line) as ExitPass);
      if (line.startsWith('{"clockNs"')) {
        clockNs = (JSON.parse(line) as { clockNs: number }).clockNs;
      }
    }
    return {
      where: direct
        ? "/dev/kvm on this host"
        : "nested KVM inside ../shared/kvm-in-qemu (QEMU TCG)",
      n,
      c: costOf(passes, "c", n),
      picovmm: costOf(passes, "picovmm", n),
      layers: (["vcpu-loop", "ffi-loop"] as const).map((mode) => layerCost(passes, mode, n)),
      clockNs,
      passes,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
