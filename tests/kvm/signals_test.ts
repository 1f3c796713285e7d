// A KVM guest that never stops, ended by SIGINT: output and screen so far, status 130.
// (A BIOS boot: its timer keeps the run loop coming back to the event loop.)
import "../support/built_guests.ts";
import { match, strictEqual } from "@std/assert";
import { RunningPicovmm } from "../support/spawn.ts";

Deno.test("kvm signals: SIGINT stops a spinning BIOS guest with its output, status 130", async () => {
  const vm = new RunningPicovmm(["--accel", "kvm", "guests/busy-output.bin"]);
  await vm.waitFor("debugcon so far\n");
  vm.child.kill("SIGINT");
  const r = await vm.finish();
  strictEqual(r.code, 130, r.stderr);
  strictEqual(r.stdout, "serial so far\r\ndebugcon so far\nstill running\n");
  match(r.stderr, /stopped by SIGINT/);
});
