/**
 * `deno run -A bench/accel-pm.ts`: a 32-bit protected-mode loop (a boot
 * sector built on guests/pm-lib.inc: `dec ecx; jnz` N times) on this host's
 * /dev/kvm against the software CPU, in-process. The baseline is the host's
 * KVM: on PVM, which emulates guest kernel code, the software CPU is the
 * faster one, which is why `--accel auto` takes it there for 32-bit kernels
 * (lib/machine/accel.ts). Needs nasm.
 *
 * Options: --loops N (10000000), --reps N (3).
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import { median, ratio, sig3 } from "./lib/stats.ts";
import "../lib/machine/all-code.ts";
import { createMachine } from "../lib/machine/create.ts";
import { realModeEmulation } from "../lib/kvm/host-kind.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    loops: { type: "string", default: "10000000" },
    reps: { type: "string", default: "3" },
  },
});
const loops = Number(values.loops);
const reps = Number(values.reps);
const EXIT = 0x13;

function assemble(): Uint8Array {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(
      `${dir}/loop.asm`,
      `%include "pm-lib.inc"\nmain:\n    mov ecx, ${loops}\n.l: dec ecx\n    jnz .l\n` +
        `    mov al, ${EXIT}\n    jmp exit\n%include "pm-end.inc"\n`,
    );
    const guests = new URL("../guests/", import.meta.url).pathname;
    const out = new Deno.Command("nasm", {
      args: ["-f", "bin", "-I", guests, "-o", `${dir}/loop.bin`, `${dir}/loop.asm`],
    }).outputSync();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return Deno.readFileSync(`${dir}/loop.bin`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const image = assemble();

/** Seconds for one run of the guest (BIOS boot included); checks its result. */
async function once(accel: "kvm" | "emu"): Promise<number> {
  const { machine } = createMachine({ image, accel, boot: "bios" });
  try {
    const t0 = performance.now();
    const stop = await machine.run({ timeoutMs: 600_000 });
    const seconds = (performance.now() - t0) / 1000;
    if (stop.kind !== "debug-exit" || stop.code !== EXIT) {
      throw new Error(`${accel}: wrong result ${JSON.stringify(stop)}, expected exit ${EXIT}`);
    }
    return seconds;
  } finally {
    machine.close();
  }
}

const results: Record<string, number> = {};
for (const accel of ["emu", "kvm"] as const) {
  const times: number[] = [];
  for (let r = 0; r < reps; r++) times.push(await once(accel));
  results[accel] = median(times);
}
const instructions = 2 * loops;
const mips = (s: number) => sig3(instructions / s / 1e6);
console.log(`protected-mode loop, ${instructions} instructions, median of ${reps} runs`);
console.log(`  host KVM (baseline): ${sig3(results.kvm)} s, ${mips(results.kvm)} MIPS`);
console.log(`  software CPU:        ${sig3(results.emu)} s, ${mips(results.emu)} MIPS`);
console.log(`  software CPU vs host KVM: ${ratio(results.kvm / results.emu, 1)}`);
console.log(
  `  auto here: ${realModeEmulation() ? "software CPU (" + realModeEmulation() + ")" : "KVM"}`,
);
