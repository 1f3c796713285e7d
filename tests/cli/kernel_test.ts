// Kernels where they cannot run yet: the software CPU runs real mode only, so a
// Multiboot or PVH kernel stops before it starts with one line and status 2,
// whether asked for (--accel emu) or fallen back to (auto without KVM).
import { match, strictEqual, throws } from "@std/assert";
import { Guest, LoaderError } from "../../mod.ts";
import { picovmm } from "../support/cli.ts";
import { KERNEL_CASES, kernelImage, kernelPath } from "../support/kernel_cases.ts";

const NOT_SUPPORTED =
  /^picovmm: an? (Multiboot|Multiboot2|PVH|plain ELF) kernel starts in (32-bit protected|64-bit long) mode, which is not supported on the software CPU yet; run it on KVM/;

Deno.test("kernel on the software CPU: one line, status 2, for every format", async () => {
  for (const c of KERNEL_CASES) {
    const r = await picovmm(["--accel", "emu", kernelPath(c)]);
    strictEqual(r.code, 2, r.stderr);
    match(r.stderr, NOT_SUPPORTED);
    strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
    strictEqual(r.stdout, "");
  }
});

Deno.test("kernel with --accel auto and no KVM: the same stop, with the reason KVM is missing", async () => {
  const r = await picovmm(["--append", "x", kernelPath(KERNEL_CASES[0])], {
    PICOVMM_KVM_DEVICE: "/nonexistent/kvm",
  });
  strictEqual(r.code, 2, r.stderr);
  match(r.stderr, NOT_SUPPORTED);
  match(r.stderr, /cannot open \/nonexistent\/kvm/);
  strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
});

Deno.test("kernel through the API on the software CPU: create throws a LoaderError", () => {
  throws(
    () => Guest.create(kernelImage(KERNEL_CASES[2]), { accel: "emu" }),
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
