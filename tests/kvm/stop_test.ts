// Guest.stop() (Machine.requestStop) interrupts a KVM guest that never exits,
// also when the run has no timeout: a run on KVM is always interruptible.
// Needs /dev/kvm.
import "../support/built_guests.ts";
import { ok, strictEqual } from "@std/assert";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("kvm stop: Guest.stop() from a timer ends a jmp $ guest run without a timeout", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", "tests/kvm/support/stop_spin.ts"],
    cwd: root,
    // A run nothing can interrupt never returns: the child is killed, and the test fails.
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  strictEqual(out.signal, null, `the run was not stopped (killed after 30 s): ${stderr}`);
  strictEqual(out.code, 0, stderr);
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  strictEqual(result.kind, "stopped");
  // stop() came at 300 ms; the kicker returns to the event loop within tens of ms.
  ok(result.ms >= 300, `stopped after ${result.ms} ms`);
});
