// Kernels on the software CPU: the 32-bit ones (Multiboot v1/v2, PVH) run in
// protected mode and give what tests/support/kernel_cases.ts says, as on KVM;
// a 64-bit kernel stops before it starts with one line and status 2, whether
// asked for (--accel emu) or fallen back to (auto without KVM).
import { match, strictEqual, throws } from "@std/assert";
import { Guest, LoaderError } from "../../mod.ts";
import { picovmm } from "../support/cli.ts";
import {
  APPEND,
  KERNEL_CASES,
  kernelImage,
  kernelPath,
  runKernelCase,
} from "../support/kernel_cases.ts";

const NOT_SUPPORTED =
  /^picovmm: a plain ELF kernel starts in 64-bit long mode, which is not supported on the software CPU yet; run it on KVM/;
const LONG_MODE = KERNEL_CASES.find((c) => c.file.includes("lm64"))!;

for (const c of KERNEL_CASES.filter((c) => c !== LONG_MODE)) {
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
