// A reset request on KVM: the vCPU starts again from the entry state (registers and
// segment registers set back), with the same results as on the software CPU.
import "../support/built_guests.ts";
import { strictEqual } from "@std/assert";
import { runFlatReset, runResetGuest } from "../support/reset.ts";

Deno.test("kvm reset: the keyboard controller and port 0x92 reboot a BIOS guest", async () => {
  const r = await runResetGuest("kvm", false);
  strictEqual(r.debugcon, "boot 1\nboot 2\nboot 3\n");
  strictEqual(r.stop, "halt");
});

Deno.test("kvm reset: noReboot stops at the first reset request", async () => {
  const r = await runResetGuest("kvm", true);
  strictEqual(r.debugcon, "boot 1\n");
  strictEqual(r.stop, "reset");
});

Deno.test("kvm reset: a flat machine starts again at its entry state", async () => {
  const r = await runFlatReset("kvm");
  strictEqual(r.debugcon, "debugcon OK\ndebugcon OK\n");
  strictEqual(r.stop, "halt");
});
