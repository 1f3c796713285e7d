/**
 * Runs one program-like guest (bench/lib/programs.ts) once on the software
 * CPU of the picovmm checkout at ROOT (this one, or an older one to compare
 * with) through its scripting API, checks the exit value and the result
 * registers against the model, and prints `{"ms": ..., "cpuMs": ...}`.
 * bench/programs.ts starts one process per timed run.
 *
 * Usage: deno run --allow-read --allow-env --allow-ffi bench/programs_child.ts ROOT flat|interpret PROGRAM N IMAGE
 *
 * @module
 */

import { threadCpuNs } from "./lib/cputime.ts";
import { checkRegs, type ResultRegs, withCount } from "./lib/guests.ts";
import { program, PROGRAM_MEMORY } from "./lib/programs.ts";

type Api = typeof import("../mod.ts");

if (import.meta.main) {
  const [root, mode, name, nArg, path] = Deno.args;
  const n = Number(nArg);
  if (
    !root || (mode !== "flat" && mode !== "interpret") || !name || !Number.isInteger(n) || !path
  ) {
    console.error("usage: programs_child.ts ROOT flat|interpret PROGRAM N IMAGE");
    Deno.exit(2);
  }
  const api: Api = await import(new URL("mod.ts", `file://${root.replace(/\/?$/, "/")}`).href);
  const p = program(name);
  const expected = p.expected(n);
  const image = withCount(await Deno.readFile(path), n);
  using guest = api.Guest.create(image, {
    accel: "emu",
    boot: "flat",
    memory: PROGRAM_MEMORY,
    translate: mode === "flat",
  });
  const cpu0 = threadCpuNs();
  const start = performance.now();
  const result = await guest.run();
  const ms = performance.now() - start;
  const cpuMs = (threadCpuNs() - cpu0) / 1e6;
  const where = `picovmm (${root}) ${mode} ${name} N=${n}`;
  if (result.stop.kind !== "debug-exit") throw new Error(`${where}: ${api.Guest.describe(result)}`);
  if (result.stop.code !== expected.exitValue) {
    throw new Error(`${where}: exit value ${result.stop.code}, expected ${expected.exitValue}`);
  }
  const regs: ResultRegs = {};
  for (const r of ["rbx", "rcx", "rdx", "rsi", "rdi"] as const) {
    regs[r] = Number((result.cpu.regs[r] ?? 0n) & 0xffffffffn);
  }
  const bad = checkRegs(expected, regs);
  if (bad) throw new Error(`${where}: ${bad}`);
  console.log(JSON.stringify({ ms, cpuMs }));
}
