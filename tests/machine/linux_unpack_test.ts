// A bzImage's XZ kernel decompressed on the host, on the software CPU: the hand-made bzImage of
// tests/support/tiny_linux.ts says which of its kernels ran. The command line's
// --linux-decompress and its trace line too. tests/kvm/linux_unpack_test.ts runs the same cases
// on KVM.
import { match, strictEqual } from "@std/assert";
import { bootTinyLinux, TINY_LINUX_CASES, tinyBzImage } from "../support/tiny_linux.ts";
import { picovmm } from "../support/cli.ts";

for (const c of TINY_LINUX_CASES) {
  Deno.test(`linux unpack on the software CPU: ${c.name}`, async () => {
    const got = await bootTinyLinux(await c.image(), "emu", c.linuxDecompress);
    strictEqual(got.said, c.said("emu"));
    strictEqual(got.stop, "halt");
    strictEqual(got.exitStatus, 0);
  });
}

Deno.test("linux unpack: --linux-decompress and what --trace says", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/bzImage`;
    await Deno.writeFile(path, await tinyBzImage());
    const common = ["--accel", "emu", "--memory", "32M", "--display", "none", "--trace"];
    const host = await picovmm([...common, path]);
    strictEqual(host.code, 0, host.stderr);
    strictEqual(host.stdout, "host\n");
    match(
      host.stderr,
      /trace: linux: the XZ payload \(\d+ bytes\) decompressed on the host in \d+ ms to a \d+-byte ELF32 vmlinux, entered at 0x1000000\n/,
    );
    const guest = await picovmm([...common, "--linux-decompress", "guest", path]);
    strictEqual(guest.stdout, "guest\n");
    match(guest.stderr, /trace: linux: the kernel decompresses itself \(asked\)\n/);
    const bad = await picovmm([...common, "--linux-decompress", "both", path]);
    strictEqual(bad.code, 2);
    match(bad.stderr, /^picovmm: --linux-decompress/);
    strictEqual(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
