// The test kernels on KVM: Multiboot v1 (ELF and address fields), Multiboot2
// and PVH (ELF32, and ELF64 entering long mode themselves), a plain ELF64,
// with a command line, an initrd and a module, through the API and the command
// line. Needs /dev/kvm.
import "../support/built_guests.ts";
import { strictEqual } from "@std/assert";
import { picovmm } from "../support/cli.ts";
import {
  APPEND,
  INITRD,
  isWide,
  KERNEL_CASES,
  kernelPath,
  MODULE,
  MODULE_CMDLINE,
  runKernelCase,
} from "../support/kernel_cases.ts";

for (const c of KERNEL_CASES) {
  Deno.test(`kvm kernel: ${c.name} checks its boot information and exits`, () =>
    runKernelCase(c, "kvm"));
}

Deno.test("kvm kernel: the command line detects the kernel, reads --initrd and --module", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/initrd`, INITRD);
    await Deno.writeFile(`${dir}/module`, MODULE);
    // Not the Multiboot2 kernels: they print each module's command line, which for
    // --initrd is its path here.
    const cases = KERNEL_CASES.filter((c) =>
      (c.qemu !== undefined || isWide(c)) && !c.serial.includes("module cmdline")
    );
    for (const c of cases) {
      const r = await picovmm([
        "--accel",
        "kvm",
        "--display",
        "none",
        "--append",
        APPEND,
        "--initrd",
        `${dir}/initrd`,
        "--module",
        `${dir}/module,${MODULE_CMDLINE}`,
        kernelPath(c),
      ]);
      strictEqual(r.stdout, c.serial, r.stderr);
      strictEqual(r.code, c.exitStatus, r.stderr);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kvm kernel: --boot forces a protocol; too little memory for a kernel is refused", async () => {
  const mb2 = KERNEL_CASES.find((c) => c.file === "kernel-mb2.elf")!;
  const forced = await picovmm(["--accel", "kvm", "--boot", "multiboot", kernelPath(mb2)]);
  strictEqual(forced.code, 2);
  strictEqual(forced.stderr.trim(), "picovmm: the image has no Multiboot header");
  const small = await picovmm(["--accel", "kvm", "--memory", "1M", kernelPath(mb2)]);
  strictEqual(small.code, 2);
  strictEqual(small.stderr.trim().split("\n").length, 1);
});
