// The protected-mode guests (guests/pm-*.asm) on the software CPU: every
// descriptor check, fault and error code, page fault with CR2, paging bit and
// privilege change prints what the CPU manuals say (tests/support/pm_cases.ts;
// tests/kvm/pm_test.ts holds KVM to the same lines).
import { strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { PM_CASES, pmImage } from "../support/pm_cases.ts";

for (const c of PM_CASES) {
  Deno.test(`pm guest on the software CPU: ${c.name}`, async () => {
    using guest = Guest.create(pmImage(c), { accel: "emu", boot: "bios" });
    const result = await guest.run({ timeoutMs: 30_000 });
    strictEqual(result.stop.kind, "debug-exit", Guest.describe(result));
    strictEqual(guest.serialText(), c.serial);
    // The guest scrolls its screen: its last newline leaves the last 24 lines in view.
    strictEqual(guest.screenText(), c.serial.trimEnd().split("\n").slice(-24).join("\n"));
    strictEqual(result.exitStatus, c.exitStatus);
  });
}

Deno.test("pm guest on the software CPU: the same output with translation off", async () => {
  for (const c of PM_CASES) {
    using guest = Guest.create(pmImage(c), { accel: "emu", boot: "bios", translate: false });
    const result = await guest.run({ timeoutMs: 30_000 });
    strictEqual(guest.serialText(), c.serial);
    strictEqual(result.exitStatus, c.exitStatus);
  }
});
