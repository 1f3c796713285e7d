// The command line on KVM. Needs /dev/kvm (run under kvm-in-qemu).
import "../support/built_guests.ts";
import { match, strictEqual } from "@std/assert";
import { picovmm } from "../support/cli.ts";

Deno.test("kvm cli: the seed's banner, the exit code, serial to stdout", async () => {
  const hello = await picovmm(["--accel", "kvm", "--boot", "flat", "guests/hello.bin"]);
  strictEqual(hello.code, 0, hello.stderr);
  strictEqual(hello.stdout.trim(), "Hello World!");
  strictEqual((await picovmm(["--accel", "kvm", "--boot", "flat", "guests/exit.bin"])).code, 85);
  const serial = await picovmm([
    "--accel",
    "kvm",
    "--display",
    "none",
    "--boot",
    "flat",
    "guests/serial.bin",
  ]);
  strictEqual(serial.stdout, "Hello from COM1!\r\n");
});

Deno.test("kvm cli: a guest stuck in jmp $ is stopped by --timeout with 124", async () => {
  const t0 = performance.now();
  const spin = await picovmm([
    "--accel",
    "kvm",
    "--timeout",
    "1",
    "--boot",
    "flat",
    "guests/spin.bin",
  ]);
  strictEqual(spin.code, 124);
  match(spin.stderr, /timeout/);
  // Well under the nested-virtualisation startup cost plus the limit.
  strictEqual(performance.now() - t0 < 60_000, true);
});

Deno.test("kvm cli: --boot rom starts at F000:FFF0 with the ROM at the top of 1 MiB and 4 GiB", async () => {
  const r = await picovmm([
    "--accel",
    "kvm",
    "--display",
    "none",
    "--boot",
    "rom",
    "guests/rom-hello.bin",
  ]);
  strictEqual(r.code, 0, r.stderr);
  strictEqual(r.stdout, "ROM OK\n");
});
