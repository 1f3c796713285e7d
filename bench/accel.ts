/**
 * `deno run -A bench/accel.ts`: the ALU loop (bench/guests/alu.asm, real
 * mode, flat) on this host's /dev/kvm against the software CPU, in-process,
 * and which accelerator `--accel auto` takes here. The baseline is the host's
 * KVM: on a KVM that emulates real mode (PVM) the software CPU is the faster
 * one, which is why auto takes it there (lib/machine/accel.ts).
 *
 * Options: --iterations N (1000000), --reps N (3).
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { assembleGuests, expectedFor, withCount, workload } from "./lib/guests.ts";
import { median, ratio, sig3 } from "./lib/stats.ts";
import "../lib/machine/all-code.ts";
import { createMachine } from "../lib/machine/create.ts";
import { realModeEmulation } from "../lib/kvm/host-kind.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    iterations: { type: "string", default: "1000000" },
    reps: { type: "string", default: "3" },
  },
});
const n = Number(values.iterations);
const reps = Number(values.reps);
const alu = workload("alu");
const image = withCount((await assembleGuests()).get("alu")!, n);
const want = expectedFor(alu, n).exitValue;

/** Seconds for one run of the loop; checks its result. */
async function once(accel: "kvm" | "emu"): Promise<number> {
  const { machine } = createMachine({ image, accel, boot: "flat", memory: 64 * 1024 });
  try {
    const t0 = performance.now();
    const stop = await machine.run({ timeoutMs: 600_000 });
    const seconds = (performance.now() - t0) / 1000;
    if (stop.kind !== "debug-exit" || stop.code !== want) {
      throw new Error(`${accel}: wrong result ${JSON.stringify(stop)}, expected exit ${want}`);
    }
    return seconds;
  } finally {
    machine.close();
  }
}

const instructions = n * alu.perIteration;
const results: Record<string, number> = {};
for (const accel of ["emu", "kvm"] as const) {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) times.push(await once(accel));
  results[accel] = median(times);
}
const mips = (s: number) => sig3(instructions / s / 1e6);
console.log(`ALU loop, ${instructions} instructions, median of ${reps} runs`);
console.log(`  host KVM (baseline): ${sig3(results.kvm)} s, ${mips(results.kvm)} MIPS`);
console.log(`  software CPU:        ${sig3(results.emu)} s, ${mips(results.emu)} MIPS`);
console.log(`  software CPU vs host KVM: ${ratio(results.kvm / results.emu, 1)}`);
console.log(
  `  auto here: ${realModeEmulation() ? "software CPU (" + realModeEmulation() + ")" : "KVM"}`,
);
