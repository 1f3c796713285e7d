/**
 * picovmm's side of the KVM exit benchmark: runs the same guest images as
 * bench/kvm-exit.c (the OUT guest and the empty guest, flat at
 * guest-physical 0 with 32 KiB of RAM) on KVM and prints one JSON line per
 * pass in the C program's format:
 *   plain:        through the scripting API (`Guest.create(..., {accel: "kvm"})`,
 *                 `guest.run()`), wall time and getrusage(RUSAGE_THREAD) of
 *                 the main thread, which runs the loop and the KVM_RUN calls;
 *   instrumented: through the machine under the API with a clock around each
 *                 `vcpu.run()` (KVM_RUN and its exit decoding), to give the
 *                 time outside it.
 *
 * Usage (needs /dev/kvm): deno run -A bench/kvm_exit.ts IMAGE_DIR N REPS
 *
 * @module
 */

import { Guest, type GuestOptions } from "../mod.ts";
import { createMachine } from "../lib/machine/create.ts";
import { threadTimes } from "./lib/cputime.ts";
import { expectedFor, fold7, withCount, workload } from "./lib/guests.ts";

/** RAM of the KVM runs, as in bench/kvm-exit.c. */
export const KVM_MEMORY = 0x8000;

/** One pass, as printed (the same fields as bench/kvm-exit.c). */
export interface ExitPass {
  impl: "c" | "picovmm";
  guest: string;
  n: number;
  mode: "plain" | "instrumented";
  exits: number;
  wallNs: number;
  userNs: number;
  sysNs: number;
  /** Wall time inside KVM_RUN (instrumented passes; -1 otherwise). */
  insideNs: number;
}

function check(name: string, n: number, code: number, regs: Record<string, bigint>): void {
  const low = (r: string) => Number((regs[r] ?? 0n) & 0xffffffffn);
  const w = workload(name);
  const e = name === "empty" ? { exitValue: fold7(0), regs: { rcx: n } } : expectedFor(w, n);
  if (code !== e.exitValue) throw new Error(`${name} N=${n}: exit value ${code}`);
  for (const [r, v] of Object.entries(e.regs)) {
    if (low(r) !== v) throw new Error(`${name} N=${n}: ${r} = ${low(r)}, expected ${v}`);
  }
}

const OPTIONS: GuestOptions = { accel: "kvm", boot: "flat", memory: KVM_MEMORY };

async function plain(name: string, image: Uint8Array, n: number): Promise<ExitPass> {
  using guest = Guest.create(withCount(image, n), OPTIONS);
  if (guest.accelerator !== "kvm") throw new Error("not on KVM");
  const u0 = threadTimes();
  const t0 = performance.now();
  const result = await guest.run();
  const wall = performance.now() - t0;
  const u1 = threadTimes();
  if (result.stop.kind !== "debug-exit") throw new Error(`${name}: ${Guest.describe(result)}`);
  check(name, n, result.stop.code, result.cpu.regs);
  return {
    impl: "picovmm",
    guest: `${name}.bin`,
    n,
    mode: "plain",
    exits: name === "empty" ? 2 : n + 2,
    wallNs: Math.round(wall * 1e6),
    userNs: u1.user - u0.user,
    sysNs: u1.sys - u0.sys,
    insideNs: -1,
  };
}

async function instrumented(name: string, image: Uint8Array, n: number): Promise<ExitPass> {
  const { machine } = createMachine({ image: withCount(image, n), ...OPTIONS });
  try {
    const vcpu = machine.vcpu;
    const run = vcpu.run.bind(vcpu);
    let inside = 0;
    let exits = 0;
    vcpu.run = () => {
      const t = performance.now();
      const exit = run();
      inside += performance.now() - t;
      exits++;
      return exit;
    };
    const u0 = threadTimes();
    const t0 = performance.now();
    const stop = await machine.run();
    const wall = performance.now() - t0;
    const u1 = threadTimes();
    if (stop.kind !== "debug-exit") throw new Error(`${name}: stopped with ${stop.kind}`);
    check(name, n, stop.code, machine.snapshot().regs);
    return {
      impl: "picovmm",
      guest: `${name}.bin`,
      n,
      mode: "instrumented",
      exits,
      wallNs: Math.round(wall * 1e6),
      userNs: u1.user - u0.user,
      sysNs: u1.sys - u0.sys,
      insideNs: Math.round(inside * 1e6),
    };
  } finally {
    machine.close();
  }
}

if (import.meta.main) {
  const [dir, nArg, repsArg] = Deno.args;
  const n = Number(nArg);
  const reps = Number(repsArg);
  if (!dir || !Number.isInteger(n) || n < 1 || !Number.isInteger(reps) || reps < 1) {
    console.error("usage: kvm_exit.ts IMAGE_DIR N REPS");
    Deno.exit(2);
  }
  for (const name of ["empty", "out"]) {
    const image = await Deno.readFile(`${dir}/${name}.bin`);
    // One warm-up run so that the JIT has compiled the loop, as the C loop needs none.
    await plain(name, image, n);
    for (let i = 0; i < reps; i++) {
      console.log(JSON.stringify(await plain(name, image, n)));
      console.log(JSON.stringify(await instrumented(name, image, n)));
    }
  }
}
