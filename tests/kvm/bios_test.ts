// The PC BIOS on KVM: the trap stubs (KVM reports the OUT's address, not the
// next instruction's), waiting services, interrupts and graphics give the
// same results as on the software CPU. Needs /dev/kvm (run under kvm-in-qemu).
import "../support/built_guests.ts";
import { deepStrictEqual, match, strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { picovmm } from "../support/cli.ts";
import { guestImage } from "../support/guest_cases.ts";

async function picture(accel: "kvm" | "emu") {
  using guest = Guest.create(guestImage("boot-video"), { accel });
  const result = await guest.run({ timeoutMs: 20_000 });
  strictEqual(result.stop.kind, "halt", Guest.describe(result));
  strictEqual(guest.videoMode, 0x13);
  return guest.screenRgba();
}

Deno.test("kvm bios: the mode 13h picture is the software CPU's", async () => {
  const kvm = await picture("kvm");
  strictEqual(kvm.width, 320);
  strictEqual(kvm.height, 200);
  // The top line is red (colour 4) right of the "GFX OK" cells, (10, 10) green (colour 2).
  deepStrictEqual([...kvm.rgba.subarray(100 * 4, 100 * 4 + 4)], [170, 0, 0, 255]);
  const at = (10 * 320 + 10) * 4;
  deepStrictEqual([...kvm.rgba.subarray(at, at + 4)], [0, 170, 0, 255]);
  deepStrictEqual(kvm.rgba, (await picture("emu")).rgba);
});

Deno.test("kvm bios: a key typed while INT 16h waits wakes the guest", async () => {
  using guest = Guest.create(guestImage("boot-keys"), { accel: "kvm" });
  const done = guest.run({ timeoutMs: 20_000 });
  await guest.waitForScreen(/Type a line/, { timeoutMs: 20_000 });
  // Let the guest settle in the wait loop (HLT) before the keys come.
  await new Promise((resolve) => setTimeout(resolve, 200));
  guest.keyboard.type("ok{Enter}");
  const result = await done;
  strictEqual(result.stop.kind, "halt", Guest.describe(result));
  match(guest.screenText(), /You typed: ok\nkeys OK/);
});

Deno.test("kvm bios: the command line boots a boot sector on KVM", async () => {
  const r = await picovmm(["--accel", "kvm", "guests/boot-hello.bin"]);
  strictEqual(r.code, 0, r.stderr);
  strictEqual(r.stdout.trim(), "Hello from the BIOS! Boot drive: 80");
});
