// The IDE controller from a guest on the software CPU: a boot sector that
// reads and writes sectors through the ports, polling and with IRQ 14.
import { deepStrictEqual, strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { IDE_GUEST, numbered } from "../support/disks.ts";

Deno.test("ide guest: reads the master polling, the slave by IRQ 14, writes the slave", async () => {
  const slave = numbered(8, 0x40);
  using guest = Guest.create(IDE_GUEST, {
    accel: "emu",
    disks: [{ bytes: slave, writable: true }],
  });
  const r = await guest.run({ timeoutMs: 20_000 });
  strictEqual(r.exitStatus, 1, Guest.describe(r));
  deepStrictEqual(slave.subarray(3 * 512, 4 * 512), new Uint8Array(512).fill(0x5a));
  strictEqual(slave[4 * 512], 0x44, "only LBA 3 written");
});

Deno.test("ide guest: an absent slave ignores the command: no interrupt comes", async () => {
  using guest = Guest.create(IDE_GUEST, { accel: "emu" });
  const r = await guest.run({ timeoutMs: 300 });
  strictEqual(r.stop.kind, "timeout", Guest.describe(r));
});
