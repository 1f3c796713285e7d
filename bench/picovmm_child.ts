/**
 * Runs one benchmark guest once on picovmm's software CPU through the
 * scripting API and prints `{"ms": ..., "cpuMs": ...}`; the run is checked
 * against the model first. bench/run.ts starts one process per timed run, so
 * that no run inherits the JIT state of another guest or boot mode (each
 * picovmm process runs one guest, as the command line does).
 *
 * Usage: deno run --allow-read --allow-env --allow-ffi bench/picovmm_child.ts flat|bios|interpret WORKLOAD N IMAGE
 *
 * @module
 */

import { workload } from "./lib/guests.ts";
import { runPicovmm } from "./lib/picovmm.ts";

if (import.meta.main) {
  const [boot, name, nArg, path] = Deno.args;
  const n = Number(nArg);
  if (
    (boot !== "flat" && boot !== "bios" && boot !== "interpret") || !name || !Number.isInteger(n) ||
    !path
  ) {
    console.error("usage: picovmm_child.ts flat|bios|interpret WORKLOAD N IMAGE");
    Deno.exit(2);
  }
  const result = await runPicovmm(workload(name), await Deno.readFile(path), n, boot);
  console.log(JSON.stringify(result));
}
