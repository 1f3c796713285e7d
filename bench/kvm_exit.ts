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
 *                 time outside it;
 * and two passes that take picovmm's layers away, to show where the time goes
 * (no clock reads per exit in these):
 *   vcpu-loop:    picovmm's KVM vCPU (`KvmVcpu.run()`: the FFI ioctl and the
 *                 exit decoding) in a bare loop, without the machine and bus;
 *   ffi-loop:     KVM_RUN through a bare Deno FFI ioctl on the same vCPU, the
 *                 exit read straight from the run page: what any Deno VMM pays.
 * A last line gives the cost of one `performance.now()` here, which the
 * instrumented pass pays twice per exit.
 *
 * Usage (needs /dev/kvm): deno run -A bench/kvm_exit.ts IMAGE_DIR N REPS
 *
 * @module
 */

import { Guest, type GuestOptions } from "../mod.ts";
import "../lib/machine/all-code.ts";
import { createMachine } from "../lib/machine/create.ts";
import { KvmVcpu } from "../lib/kvm/host.ts";
import { EmulationFallbackVcpu } from "../lib/machine/emulation-fallback.ts";
import { Ioctl } from "../lib/kvm/abi.ts";
import { RUN_FIELDS } from "../lib/kvm/structs.ts";
import { threadTimes } from "./lib/cputime.ts";
import { expectedFor, fold7, withCount, workload } from "./lib/guests.ts";

/** RAM of the KVM runs, as in bench/kvm-exit.c. */
export const KVM_MEMORY = 0x8000;

/** One pass, as printed (the same fields as bench/kvm-exit.c). */
export interface ExitPass {
  /** Which program. */
  impl: "c" | "picovmm";
  /** The guest image's file name (`out.bin` or `empty.bin`). */
  guest: string;
  /** The iteration count patched into it. */
  n: number;
  /** How the run loop was driven (see the module documentation). */
  mode: "plain" | "instrumented" | "vcpu-loop" | "ffi-loop";
  /** Exits handled. */
  exits: number;
  /** Wall time of the run loop. */
  wallNs: number;
  /** User CPU time of the running thread (getrusage; includes time in the guest). */
  userNs: number;
  /** System CPU time of the running thread. */
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

const KVM_EXIT_IO = 2;
const DEBUG_EXIT_PORT = 0xf4;
let ffi: ((fd: number, request: bigint, arg: bigint) => number) | undefined;

/** Runs the guest with a loop of our own instead of the machine's: `how` picks the layer. */
function bare(
  name: string,
  image: Uint8Array,
  n: number,
  how: "vcpu-loop" | "ffi-loop",
): ExitPass {
  const { machine } = createMachine({ image: withCount(image, n), ...OPTIONS });
  try {
    // KVM's own vCPU, under the emulation fallback the machine runs it with.
    const vcpu = machine.vcpu instanceof EmulationFallbackVcpu ? machine.vcpu.kvm : machine.vcpu;
    if (!(vcpu instanceof KvmVcpu)) throw new Error("not a KVM vCPU");
    if (!ffi) {
      ffi = Deno.dlopen("libc.so.6", {
        ioctl: { parameters: ["i32", "u64", "u64"], result: "i32" },
      }).symbols.ioctl;
    }
    const ioctl = ffi;
    const page = vcpu.runState.bytes;
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    let exits = 0, value = -1;
    const u0 = threadTimes();
    const t0 = performance.now();
    for (;;) {
      let port: number;
      if (how === "vcpu-loop") {
        const exit = vcpu.run();
        if (exit.kind !== "io") throw new Error(`unexpected exit ${exit.kind}`);
        port = exit.port;
        if (port === DEBUG_EXIT_PORT) value = exit.data[0];
      } else {
        const r = ioctl(vcpu.fd, Ioctl.KVM_RUN, 0n);
        if (r < 0) continue; // EINTR: nothing here sends signals, but retry as KVM allows
        if (view.getUint32(RUN_FIELDS.exit_reason, true) !== KVM_EXIT_IO) {
          throw new Error("unexpected exit");
        }
        port = view.getUint16(RUN_FIELDS["io.port"], true);
        if (port === DEBUG_EXIT_PORT) {
          value = page[Number(view.getBigUint64(RUN_FIELDS["io.data_offset"], true))];
        }
      }
      exits++;
      if (port === DEBUG_EXIT_PORT) break;
    }
    const wall = performance.now() - t0;
    const u1 = threadTimes();
    check(name, n, value, machine.snapshot().regs);
    return {
      impl: "picovmm",
      guest: `${name}.bin`,
      n,
      mode: how,
      exits,
      wallNs: Math.round(wall * 1e6),
      userNs: u1.user - u0.user,
      sysNs: u1.sys - u0.sys,
      insideNs: -1,
    };
  } finally {
    machine.close();
  }
}

/** The cost of one `performance.now()` call here, in ns. */
function clockCostNs(calls: number): number {
  const t0 = performance.now();
  let last = t0;
  for (let i = 0; i < calls; i++) last = performance.now();
  return (last - t0) * 1e6 / calls;
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
      console.log(JSON.stringify(bare(name, image, n, "vcpu-loop")));
      console.log(JSON.stringify(bare(name, image, n, "ffi-loop")));
    }
  }
  clockCostNs(n);
  console.log(JSON.stringify({ clockNs: clockCostNs(n) }));
}
