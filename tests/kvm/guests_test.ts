// Every guest in guests/ on KVM, and the same results on the software CPU.
// Needs /dev/kvm: run under ../shared/kvm-in-qemu/run.sh (see README).
import "../support/built_guests.ts";
import { deepStrictEqual } from "@std/assert";
import { checkCase, GUEST_CASES, runCase } from "../support/guest_cases.ts";

for (const c of GUEST_CASES) {
  Deno.test(`guest ${c.name} on KVM matches the software CPU`, async () => {
    const kvm = await runCase(c, "kvm");
    checkCase(c, kvm);
    deepStrictEqual(kvm, await runCase(c, "emu"));
  });
}
