// RunOptions on KVM: an instruction limit needs the software CPU, and says so. Needs /dev/kvm.
import "../support/built_guests.ts";
import { rejects, strictEqual } from "@std/assert";
import { Guest, GuestOptionError } from "../../mod.ts";
import { guestImage } from "../support/guest_cases.ts";

Deno.test("kvm api options: instructions on KVM is a GuestOptionError, the guest runs on", async () => {
  using guest = Guest.create(guestImage("boot-hello"), { accel: "kvm" });
  await rejects(() => guest.run({ instructions: 10 }), (e: unknown) => {
    if (!(e instanceof GuestOptionError)) throw new Error(`not a GuestOptionError: ${e}`);
    strictEqual(e.option, "RunOptions.instructions");
    strictEqual(e.message.includes('accel: "emu"'), true, e.message);
    return true;
  });
  strictEqual(guest.running, false);
  strictEqual((await guest.run({ timeoutMs: 30_000 })).stop.kind, "halt");
  strictEqual(guest.screenText(), "Hello from the BIOS! Boot drive: 80");
});
