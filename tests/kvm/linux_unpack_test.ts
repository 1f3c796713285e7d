// A bzImage's XZ kernel decompressed on the host, on KVM: the cases of
// tests/machine/linux_unpack_test.ts give the same results here. Needs /dev/kvm.
import { strictEqual } from "@std/assert";
import { bootTinyLinux, TINY_LINUX_CASES } from "../support/tiny_linux.ts";

for (const c of TINY_LINUX_CASES) {
  Deno.test(`linux unpack on KVM: ${c.name}`, async () => {
    const got = await bootTinyLinux(await c.image(), "kvm", c.linuxDecompress);
    strictEqual(got.said, c.said("kvm"));
    strictEqual(got.stop, "halt");
    strictEqual(got.exitStatus, 0);
  });
}
