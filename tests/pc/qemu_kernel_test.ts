// The test kernels under QEMU's own -kernel loader (Multiboot v1 through its
// option ROM, PVH through its PVH ROM), as a reference: they must print the
// same serial output and exit with the same status that the KVM tests expect
// of picovmm (tests/kvm/kernel_test.ts): Multiboot v1 and PVH, 32- and 64-bit.
// QEMU has no Multiboot2 loader. Needs qemu-system-i386 and qemu-system-x86_64
// (a prerequisite, as for the BIOS reference): without them these tests fail
// rather than pass unseen.
import { strictEqual } from "@std/assert";
import {
  APPEND,
  INITRD,
  KERNEL_CASES,
  kernelPath,
  MODULE,
  MODULE_CMDLINE,
  serialWithModules,
} from "../support/kernel_cases.ts";

for (const c of KERNEL_CASES) {
  const qemu = c.qemu;
  if (!qemu) continue;
  Deno.test(`qemu reference: ${c.name} prints the same and exits ${c.exitStatus}`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(`${dir}/initrd`, INITRD);
      await Deno.writeFile(`${dir}/module`, MODULE);
      // QEMU's Multiboot loader takes "file args,file args"; its PVH loader one initrd.
      const initrd = c.qemuModules === 2
        ? `${dir}/initrd,${dir}/module ${MODULE_CMDLINE}`
        : `${dir}/initrd`;
      const out = await new Deno.Command(qemu, {
        args: [
          "-display",
          "none",
          "-monitor",
          "none",
          "-serial",
          `file:${dir}/serial`,
          "-m",
          "128",
          "-kernel",
          kernelPath(c),
          "-append",
          APPEND,
          "-initrd",
          initrd,
          "-device",
          "isa-debug-exit,iobase=0xf4,iosize=0x04",
        ],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const serial = await Deno.readTextFile(`${dir}/serial`);
      strictEqual(serial, serialWithModules(c, c.qemuModules ?? 2));
      strictEqual(out.code, c.exitStatus, new TextDecoder().decode(out.stderr));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
