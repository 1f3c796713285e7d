// The debug console (port 0xE9) on KVM: the same output as on the software CPU.
import "../support/built_guests.ts";
import { strictEqual } from "@std/assert";
import { runDebugconGuest } from "../support/debugcon.ts";

for (const boot of ["flat", "bios"] as const) {
  Deno.test(`kvm debugcon: a ${boot} guest's port 0xE9 output`, async () => {
    const r = await runDebugconGuest("kvm", boot);
    strictEqual(r.stop, "halt");
    strictEqual(r.output, "debugcon OK\n");
    strictEqual(r.sunk, "debugcon OK\n");
  });
}
