// Kernels on the software CPU: the 32-bit ones (Multiboot v1/v2, PVH) run in
// protected mode and give what tests/support/kernel_cases.ts says, as on KVM;
// a 64-bit kernel (the plain ELF64, and the ELF64 Multiboot2 and PVH kernels
// that enter long mode themselves) stops before it starts with one line and
// status 2, whether asked for (--accel emu) or fallen back to (auto without KVM).
import { match, strictEqual, throws } from "@std/assert";
import { Guest, LoaderError } from "../../mod.ts";
import { picovmm } from "../support/cli.ts";
import {
  APPEND,
  isWide,
  KERNEL_CASES,
  kernelImage,
  kernelPath,
  runKernelCase,
} from "../support/kernel_cases.ts";

const NOT_SUPPORTED =
  /^picovmm: a plain ELF kernel starts in 64-bit long mode, which is not supported on the software CPU yet; run it on KVM/;
const LONG_MODE = KERNEL_CASES.find((c) => c.file.includes("lm64"))!;
const ENTERS_LONG_MODE = [
  ["kernel-mb2-64.elf", "a Multiboot2"],
  ["kernel-pvh-64.elf", "a PVH"],
].map(([file, kind]) => ({
  kernel: KERNEL_CASES.find((c) => c.file === file)!,
  message: new RegExp(
    `^picovmm: ${kind} kernel in ELF64 is x86-64 code that enters 64-bit long mode, which is ` +
      "not supported on the software CPU yet; run it on KVM",
  ),
}));

for (const c of KERNEL_CASES.filter((c) => !isWide(c))) {
  Deno.test(`kernel on the software CPU: ${c.name} checks its boot information and exits`, () =>
    runKernelCase(c, "emu"));
}

Deno.test("kernel on the software CPU: a 64-bit kernel is one line, status 2", async () => {
  const r = await picovmm(["--accel", "emu", kernelPath(LONG_MODE)]);
  strictEqual(r.code, 2, r.stderr);
  match(r.stderr, NOT_SUPPORTED);
  strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
  strictEqual(r.stdout, "");
});

Deno.test("kernel on the software CPU: an ELF64 Multiboot2 or PVH kernel is one line, status 2", async () => {
  for (const { kernel, message } of ENTERS_LONG_MODE) {
    const r = await picovmm(["--accel", "emu", kernelPath(kernel)]);
    strictEqual(r.code, 2, r.stderr);
    match(r.stderr, message);
    strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
    strictEqual(r.stdout, "");
    // auto without KVM does not fall back to the software CPU for it either.
    const auto = await picovmm(["--display", "none", kernelPath(kernel)], {
      PICOVMM_KVM_DEVICE: "/nonexistent/kvm",
    });
    strictEqual(auto.code, 2, auto.stderr);
    match(auto.stderr, message);
    match(auto.stderr, /cannot open \/nonexistent\/kvm/);
    throws(
      () => Guest.create(kernelImage(kernel), { accel: "emu" }),
      (e: unknown) =>
        e instanceof LoaderError && /not supported on the software CPU yet/.test(e.message),
    );
  }
});

Deno.test("kernel with --accel auto and no KVM: the 32-bit kernel runs on the software CPU", async () => {
  const r = await picovmm(["--display", "none", "--append", APPEND, kernelPath(KERNEL_CASES[0])], {
    PICOVMM_KVM_DEVICE: "/nonexistent/kvm",
  });
  strictEqual(r.code, KERNEL_CASES[0].exitStatus, r.stderr);
  match(r.stderr, /cannot open \/nonexistent\/kvm/);
  match(r.stdout, /^Multiboot v1 kernel\nmagic: ok\n/);
});

Deno.test("kernel with --accel auto and no KVM: a 64-bit kernel stops, with the reason KVM is missing", async () => {
  const r = await picovmm(["--append", "x", kernelPath(LONG_MODE)], {
    PICOVMM_KVM_DEVICE: "/nonexistent/kvm",
  });
  strictEqual(r.code, 2, r.stderr);
  match(r.stderr, NOT_SUPPORTED);
  match(r.stderr, /cannot open \/nonexistent\/kvm/);
  strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
});

Deno.test("kernel through the API on the software CPU: a 64-bit kernel throws a LoaderError", () => {
  throws(
    () => Guest.create(kernelImage(LONG_MODE), { accel: "emu" }),
    (e: unknown) =>
      e instanceof LoaderError && /not supported on the software CPU yet/.test(e.message),
  );
});

Deno.test("kernel flags on a disk image, and kernel files that cannot be read, are one-line errors", async () => {
  const disk = await picovmm(["--accel", "emu", "--append", "x", "guests/boot-hello.bin"]);
  strictEqual(disk.code, 2);
  strictEqual(
    disk.stderr.trim(),
    "picovmm: the image is a disk, not a kernel; --append, --initrd and --module are for kernels",
  );
  const missing = await picovmm(["--initrd", "/nonexistent/initrd", kernelPath(KERNEL_CASES[0])]);
  strictEqual(missing.code, 2);
  strictEqual(
    missing.stderr.trim(),
    "picovmm: cannot read module '/nonexistent/initrd': no such file",
  );
  const broken = await picovmm(["--boot", "pvh", "guests/boot-hello.bin"]);
  strictEqual(broken.code, 2);
  strictEqual(broken.stderr.trim(), "picovmm: a PVH kernel must be an ELF file");
});
