// The command line as a user meets it: bad input gives one line on stderr and
// status 2, never a stack trace; good runs give the documented statuses.
import { match, strictEqual } from "@std/assert";
import { picovmm } from "../support/cli.ts";

function assertOneLineError(r: { code: number; stderr: string }, pattern: RegExp, what: string) {
  strictEqual(r.code, 2, `${what}: status (stderr: ${r.stderr})`);
  const lines = r.stderr.trimEnd().split("\n");
  strictEqual(lines.length, 1, `${what}: one line, got: ${r.stderr}`);
  match(lines[0], /^picovmm: /, what);
  match(lines[0], pattern, what);
}

Deno.test("cli: bad files, flags and values give one line and status 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/empty.bin`, new Uint8Array(0));
    await Deno.writeFile(`${dir}/big.bin`, new Uint8Array(4097).fill(0x90));
    await Deno.writeFile(`${dir}/ok.bin`, new Uint8Array([0xf4]));
    const cases: [string[], RegExp][] = [
      [[`${dir}/missing.bin`], /no such file/],
      [[dir], /is a directory/],
      [[`${dir}/empty.bin`], /is empty/],
      [[`${dir}/big.bin`], /larger than the RAM/],
      [["--frobnicate", `${dir}/ok.bin`], /frobnicate/],
      [["--memory", "12Q", `${dir}/ok.bin`], /malformed size/],
      [["--memory", "0", `${dir}/ok.bin`], /greater than zero/],
      [["--memory", "6000", `${dir}/ok.bin`], /multiple of 4 KiB/],
      [["--memory", "64G", `${dir}/ok.bin`], /maximum/],
      [["--memory", "99999999999999999999G", `${dir}/ok.bin`], /larger than the maximum of 3G/],
      [["--serial", dir, `${dir}/ok.bin`], /cannot write serial output to .*: it is a directory/],
      [["--timeout", "-3", `${dir}/ok.bin`], /--timeout needs a value/],
      [["--timeout=-3", `${dir}/ok.bin`], /positive number/],
      [["--accel", "qemu", `${dir}/ok.bin`], /--accel must be one of/],
      [["--display", "vr", `${dir}/ok.bin`], /--display must be one of/],
      [["--serial", `${dir}/no/such/dir/out.txt`, `${dir}/ok.bin`], /cannot write serial/],
      [[], /no image/],
    ];
    for (const [args, pattern] of cases) {
      // The flat boot: these images are not disks.
      const r = await picovmm(args.length ? ["--boot", "flat", ...args] : args);
      assertOneLineError(r, pattern, args.join(" ") || "(no arguments)");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --accel kvm without a usable KVM device is one line and status 2", async () => {
  const r = await picovmm(["--accel", "kvm", "--boot", "flat", "guests/hello.bin"], {
    PICOVMM_KVM_DEVICE: "/nonexistent/kvm",
  });
  assertOneLineError(r, /KVM is not available/, "no kvm");
});

Deno.test("cli: auto falls back to the software CPU with a note", async () => {
  const r = await picovmm(["--boot", "flat", "guests/hello.bin"], {
    PICOVMM_KVM_DEVICE: "/nonexistent/kvm",
  });
  strictEqual(r.code, 0, r.stderr);
  match(r.stderr, /using the software CPU/);
  match(r.stdout, /Hello World!/);
});

Deno.test("cli: the software CPU gives the documented exit statuses", async () => {
  const hello = await picovmm(["--accel", "emu", "--boot", "flat", "guests/hello.bin"]);
  strictEqual(hello.code, 0);
  strictEqual(hello.stdout.trim(), "Hello World!");
  const serial = await picovmm([
    "--accel",
    "emu",
    "--display",
    "none",
    "--boot",
    "flat",
    "guests/serial.bin",
  ]);
  strictEqual(serial.stdout, "Hello from COM1!\r\n");
  strictEqual((await picovmm(["--accel", "emu", "--boot", "flat", "guests/exit.bin"])).code, 85);
  const spin = await picovmm([
    "--accel",
    "emu",
    "--timeout",
    "0.3",
    "--boot",
    "flat",
    "guests/spin.bin",
  ]);
  strictEqual(spin.code, 124);
  match(spin.stderr, /timeout/);
  const limited = await picovmm([
    "--max-instructions",
    "1000",
    "--boot",
    "flat",
    "guests/spin.bin",
  ]);
  strictEqual(limited.code, 124);
  match(limited.stderr, /instruction limit/);
});

Deno.test("cli: serial output to a file appears whole, under its own name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await picovmm([
      "--accel",
      "emu",
      "--serial",
      `${dir}/com1.txt`,
      "--boot",
      "flat",
      "guests/serial.bin",
    ]);
    strictEqual(r.code, 0, r.stderr);
    strictEqual(await Deno.readTextFile(`${dir}/com1.txt`), "Hello from COM1!\r\n");
    strictEqual([...Deno.readDirSync(dir)].length, 1, "no partial file left behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --help and --version", async () => {
  const help = await picovmm(["--help"]);
  strictEqual(help.code, 0);
  match(help.stdout, /Usage: picovmm/);
  const version = await picovmm(["--version"]);
  match(version.stdout, /^picovmm \d+\.\d+\.\d+/);
});

Deno.test("cli: --boot bios (the default) boots a boot sector with DL = boot drive", async () => {
  const hdd = await picovmm(["--accel", "emu", "guests/boot-hello.bin"]);
  strictEqual(hdd.code, 0, hdd.stderr);
  strictEqual(hdd.stdout.trim(), "Hello from the BIOS! Boot drive: 80");
  const floppy = await picovmm([
    "--accel",
    "emu",
    "--drive-type",
    "floppy",
    "guests/boot-hello.bin",
  ]);
  strictEqual(floppy.code, 0, floppy.stderr);
  strictEqual(floppy.stdout.trim(), "Hello from the BIOS! Boot drive: 00");
  const disk = await picovmm(["--accel", "emu", "guests/boot-disk.bin"]);
  strictEqual(disk.code, 0, disk.stderr);
  match(disk.stdout, /disk OK/);
});

Deno.test("cli: a disk without the boot signature is one line and status 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/nosig.img`, Uint8Array.of(0xfa, 0xf4)); // cli; hlt
    assertOneLineError(await picovmm([`${dir}/nosig.img`]), /boot signature/, "no signature");
    assertOneLineError(
      await picovmm(["--accel", "emu", "--memory", "32K", "guests/boot-hello.bin"]),
      /at least 64 KiB/,
      "too little memory",
    );
    const forced = await picovmm(["--accel", "emu", "--no-signature-check", `${dir}/nosig.img`]);
    strictEqual(forced.code, 0, forced.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --interpret runs the same guests to the same ends without the translator", async () => {
  for (const translate of [[], ["--interpret"]]) {
    const what = translate.length ? "interpreted" : "translated";
    const hello = await picovmm(["--accel", "emu", ...translate, "guests/boot-hello.bin"]);
    strictEqual(hello.code, 0, what);
    match(hello.stdout, /Hello/, what);
    const exit = await picovmm([
      "--accel",
      "emu",
      ...translate,
      "--boot",
      "flat",
      "guests/exit.bin",
    ]);
    strictEqual(exit.code, 85, what);
  }
});
