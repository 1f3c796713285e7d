/**
 * Profiles the software CPU on one benchmark guest: runs the guest (flat or
 * booted by picovmm's BIOS, as in bench/run.ts) in a child
 * `deno run --cpu-prof` and prints the functions with the most self time
 * from V8's profile.
 *
 * Usage: deno run -A bench/profile.ts [WORKLOAD (alu)] [N (3000000)] [TOP (15)] [flat|bios]
 *
 * @module
 */

import { assembleGuests, expectedFor, workload } from "./lib/guests.ts";
import { type PicovmmBoot, runPicovmm } from "./lib/picovmm.ts";

/** A node of a V8 .cpuprofile. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The parts of a V8 .cpuprofile used here. */
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [name = "alu", nArg = "3000000", topArg = "15", bootArg = "flat", child] = Deno.args;
const w = workload(name);
const boot: PicovmmBoot = bootArg === "bios" || bootArg === "interpret" ? bootArg : "flat";

if (child === "--child") {
  // The profiled process: the model first, then one warm-up run and one measured run.
  const image = (await assembleGuests()).get(w.name)!;
  expectedFor(w, Number(nArg));
  await runPicovmm(w, image, Math.max(1, Math.floor(Number(nArg) / 10)), boot);
  const { ms } = await runPicovmm(w, image, Number(nArg), boot);
  console.log(JSON.stringify({ ms }));
} else {
  const dir = await Deno.makeTempDir({ prefix: "picovmm-prof-" });
  try {
    const script = new URL(import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--cpu-prof",
        `--cpu-prof-dir=${dir}`,
        script,
        name,
        nArg,
        topArg,
        boot,
        "--child",
      ],
      stderr: "inherit",
    }).output();
    if (!out.success) Deno.exit(1);
    const { ms } = JSON.parse(new TextDecoder().decode(out.stdout)) as { ms: number };
    const file = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".cpuprofile"));
    if (!file) throw new Error("no .cpuprofile written");
    const profile = JSON.parse(await Deno.readTextFile(`${dir}/${file.name}`)) as CpuProfile;
    const selfTime = new Map<string, number>();
    let total = 0;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    // Only the samples from the first to the last one inside the machine's run loop.
    const inLoop = (id: number): boolean => {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        if (byId.get(at)!.callFrame.url.endsWith("lib/machine/machine.ts")) return true;
      }
      return false;
    };
    const first = profile.samples.findIndex(inLoop);
    const last = profile.samples.findLastIndex(inLoop);
    for (let i = first; i >= 0 && i <= last; i++) {
      const node = byId.get(profile.samples[i])!;
      const f = node.callFrame;
      const where = f.url ? `${f.url.replace(/^.*\/work\/main\//, "")}:${f.lineNumber + 1}` : "";
      const key = `${f.functionName || "(anonymous)"} ${where}`.trim();
      const dt = profile.timeDeltas[i] ?? 0;
      selfTime.set(key, (selfTime.get(key) ?? 0) + dt);
      total += dt;
    }
    const mips = w.perIteration * Number(nArg) / ms / 1e3;
    console.log(
      `${w.name} (${boot}) N=${nArg}: ${ms.toFixed(0)} ms under the profiler (${
        mips.toFixed(1)
      } MIPS)`,
    );
    console.log("self time  function (samples inside the run loop's span)");
    const top = [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg));
    for (const [key, us] of top) {
      console.log(`${(100 * us / total).toFixed(1).padStart(8)}%  ${key}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
