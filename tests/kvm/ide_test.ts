// The IDE controller from a guest on KVM: the same boot sector as on the
// software CPU (tests/pc/ide_test.ts), the same result. Needs /dev/kvm.
import "../support/built_guests.ts";
import { deepStrictEqual, strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { IDE_GUEST, numbered } from "../support/disks.ts";

Deno.test("kvm ide guest: reads the master polling, the slave by IRQ 14, writes the slave", async () => {
  const slave = numbered(8, 0x40);
  using guest = Guest.create(IDE_GUEST, {
    accel: "kvm",
    disks: [{ bytes: slave, writable: true }],
  });
  const r = await guest.run({ timeoutMs: 30_000 });
  strictEqual(r.exitStatus, 1, Guest.describe(r));
  deepStrictEqual(slave.subarray(3 * 512, 4 * 512), new Uint8Array(512).fill(0x5a));
  strictEqual(slave[4 * 512], 0x44, "only LBA 3 written");
});
