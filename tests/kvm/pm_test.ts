// The protected-mode guests on KVM and on the software CPU: the same serial
// output, screen and exit status on both, leaving out the lines where this
// host's KVM is known to differ from the manuals (tests/support/pm_cases.ts).
// Needs /dev/kvm.
import "../support/built_guests.ts";
import { match, strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { realModeEmulation } from "../../lib/kvm/host-kind.ts";
import { PM_CASES, pmImage } from "../support/pm_cases.ts";

const pvm = /PVM/.test(realModeEmulation() ?? "");

async function runOn(accel: "kvm" | "emu", image: Uint8Array) {
  using guest = Guest.create(image, { accel, boot: "bios" });
  const result = await guest.run({ timeoutMs: 60_000 });
  return {
    exitStatus: result.exitStatus,
    serial: guest.serialText(),
    screen: guest.screenText(),
    describe: Guest.describe(result),
  };
}

function without(text: string, starts: string[]): string {
  return text.split("\n").filter((l) => !starts.some((s) => l.startsWith(s))).join("\n");
}

for (const c of PM_CASES) {
  Deno.test(`kvm pm: ${c.name} gives the same output and exit on KVM and the software CPU`, async () => {
    const image = pmImage(c);
    const kvm = await runOn("kvm", image);
    const emu = await runOn("emu", image);
    strictEqual(emu.serial, c.serial, emu.describe);
    strictEqual(emu.exitStatus, c.exitStatus);
    if (pvm && c.pvmRefuses) {
      match(kvm.serial, c.pvmRefuses, kvm.describe);
      return;
    }
    const skip = pvm ? c.kvmDiffers.pvm : c.kvmDiffers.tcg;
    if (!pvm && c.tcgUpTo !== undefined) {
      const upTo = (text: string) => {
        const lines = without(text, skip).split("\n");
        const at = lines.findIndex((l) => l.startsWith(c.tcgUpTo!));
        return lines.slice(0, at < 0 ? lines.length : at).join("\n");
      };
      strictEqual(upTo(c.serial).length > 0, true);
      strictEqual(upTo(kvm.serial), upTo(c.serial), kvm.describe);
      return;
    }
    strictEqual(without(kvm.serial, skip), without(c.serial, skip), kvm.describe);
    strictEqual(without(kvm.screen, skip), without(emu.screen, skip));
    strictEqual(kvm.exitStatus, c.exitStatus);
  });
}
