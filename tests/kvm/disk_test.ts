// Drives and the BIOS's DAC on KVM: three hard disks reported and read as on
// the software CPU, and the same palette bytes. Needs /dev/kvm.
import "../support/built_guests.ts";
import { deepStrictEqual, strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { DRIVES_GUEST, numbered } from "../support/disks.ts";
import { guestImage } from "../support/guest_cases.ts";

Deno.test("kvm disks: the API's disks are 81h and 82h, read and written through INT 13h", async () => {
  const second = numbered(8);
  using guest = Guest.create(DRIVES_GUEST, {
    accel: "kvm",
    disks: [{ bytes: second, writable: true }, { bytes: numbered(4096, 0x40) }],
  });
  const r = await guest.run({ timeoutMs: 20_000 });
  strictEqual(r.exitStatus, 1, Guest.describe(r));
  strictEqual(second[512], 0x5a, "written through into the bytes");
});

Deno.test("kvm bios: the DAC after power-on and mode 13h is the software CPU's", async () => {
  const dac = async (accel: "kvm" | "emu") => {
    using guest = Guest.create(guestImage("boot-palette"), { accel });
    const r = await guest.run({ timeoutMs: 20_000 });
    strictEqual(r.exitStatus, 1, Guest.describe(r));
    return guest.serialBytes();
  };
  const kvm = await dac("kvm");
  strictEqual(kvm.length, 1536);
  deepStrictEqual(kvm, await dac("emu"));
});
