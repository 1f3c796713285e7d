/**
 * picovmm's software CPU, in this process: through the scripting API for the
 * timed runs, and through the machine underneath it for the instruction
 * count (the API does not expose the counter). A guest runs either flat (at
 * 0000:0000, no BIOS) or as a boot sector after picovmm's BIOS (0000:7C00,
 * the PC platform with its timer), as on QEMU and v86.
 *
 * @module
 */

import { Guest, type GuestOptions } from "../../mod.ts";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { threadCpuNs } from "./cputime.ts";
import { checkRegs, expectedFor, type ResultRegs, withCount, type Workload } from "./guests.ts";

/** RAM for the flat runs: the guests use 1000:0000-03FF and a stack below 0x7000. */
export const FLAT_MEMORY = 0x20000;

/** One verified run. */
export interface PicovmmRun {
  /** Milliseconds spent in `guest.run()`. */
  ms: number;
  /** CPU time of this thread in `guest.run()`, in ms. */
  cpuMs: number;
}

/**
 * How picovmm starts the guest: flat or booted by its BIOS, with the block
 * translator; `interpret`: flat without it (the software CPU before the
 * translator, the baseline the translator is measured against).
 */
export type PicovmmBoot = "flat" | "bios" | "interpret";

const GUEST_OPTIONS: Record<PicovmmBoot, GuestOptions> = {
  flat: { accel: "emu", boot: "flat", memory: FLAT_MEMORY },
  bios: { accel: "emu", boot: "bios" },
  interpret: { accel: "emu", boot: "flat", memory: FLAT_MEMORY, translate: false },
};

function resultRegs(regs: Record<string, bigint>): ResultRegs {
  const pick = (name: string) => Number((regs[name] ?? 0n) & 0xffffffffn);
  return {
    rbx: pick("rbx"),
    rcx: pick("rcx"),
    rdx: pick("rdx"),
    rsi: pick("rsi"),
    rdi: pick("rdi"),
  };
}

/** Runs a guest for `n` iterations on the software CPU, timed, and checks its result. */
export async function runPicovmm(
  w: Workload,
  image: Uint8Array,
  n: number,
  boot: PicovmmBoot = "flat",
): Promise<PicovmmRun> {
  const expected = expectedFor(w, n);
  using guest = Guest.create(withCount(image, n), GUEST_OPTIONS[boot]);
  if (guest.accelerator !== "emu") throw new Error("picovmm did not use the software CPU");
  const cpu0 = threadCpuNs();
  const start = performance.now();
  const result = await guest.run();
  const ms = performance.now() - start;
  const cpuMs = (threadCpuNs() - cpu0) / 1e6;
  if (result.stop.kind !== "debug-exit") {
    throw new Error(`picovmm ${boot} ${w.name} N=${n}: ${Guest.describe(result)}`);
  }
  if (result.stop.code !== expected.exitValue) {
    throw new Error(
      `picovmm ${w.name} N=${n}: exit value ${result.stop.code}, expected ${expected.exitValue}`,
    );
  }
  const bad = checkRegs(expected, resultRegs(result.cpu.regs));
  if (bad) throw new Error(`picovmm ${w.name} N=${n}: ${bad}`);
  return { ms, cpuMs };
}

/** Counts the instructions the software CPU retires for a guest run of `n` iterations. */
export async function countPicovmm(w: Workload, image: Uint8Array, n: number): Promise<number> {
  const { machine } = createMachine({ image: withCount(image, n), ...GUEST_OPTIONS.flat });
  try {
    const stop = await machine.run();
    if (stop.kind !== "debug-exit" || stop.code !== expectedFor(w, n).exitValue) {
      throw new Error(`picovmm ${w.name} N=${n}: stopped with ${JSON.stringify(stop)}`);
    }
    const count = machine.vcpu.instructions;
    if (count === undefined) throw new Error("the software CPU has no instruction counter");
    return count;
  } finally {
    machine.close();
  }
}

/**
 * Runs a guest once in a fresh Deno process (bench/picovmm_child.ts), reading
 * the unpatched image from `imagePath`; the child checks the result.
 */
export async function runPicovmmIsolated(
  w: Workload,
  imagePath: string,
  n: number,
  boot: PicovmmBoot,
): Promise<PicovmmRun> {
  const child = new URL("../picovmm_child.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-ffi",
      child,
      boot,
      w.name,
      `${n}`,
      imagePath,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`picovmm child failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as PicovmmRun;
}
