// `--accel auto` on this host's KVM: the software CPU where KVM would emulate
// real mode (PVM here), KVM where it runs it in hardware (kvm-in-qemu), and
// `--trace` names the choice either way. Needs /dev/kvm.
import "../support/built_guests.ts";
import { match, strictEqual } from "@std/assert";
import { picovmm } from "../support/cli.ts";
import { realModeEmulation } from "../../lib/kvm/host-kind.ts";
import { Kvm } from "../../lib/kvm/host.ts";

Deno.test("kvm accel: auto picks the faster accelerator for a real-mode guest and says so", async () => {
  Kvm.open(Deno.env.get("PICOVMM_KVM_DEVICE") || "/dev/kvm").close(); // fails without KVM
  const emulated = realModeEmulation();
  const r = await picovmm(["--trace", "--boot", "flat", "guests/exit.bin"]);
  strictEqual(r.code, 85, r.stderr);
  if (emulated !== undefined) {
    // This KVM steps real-mode code through its emulator (PVM): auto takes the software CPU.
    match(r.stderr, /^picovmm: auto: using the software CPU: KVM here is/);
    match(r.stderr, /\ntrace: accelerator emu: auto: using the software CPU/);
  } else {
    match(r.stderr, /^trace: accelerator kvm: auto: using KVM/);
    const quiet = await picovmm(["--boot", "flat", "guests/exit.bin"]);
    strictEqual(quiet.stderr, "");
  }
});
