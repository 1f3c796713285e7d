// The debugging flags on the command line: --gdb, -s, -S, --magic-break and
// --trace int, and their usage errors (one line, status 2).
import { match, strictEqual } from "@std/assert";
import { picovmm } from "../support/cli.ts";

// mov bx, 0x1234 / xchg bx, bx / mov al, 5 / out 0xf4, al / hlt
const MAGIC = new Uint8Array([0xbb, 0x34, 0x12, 0x87, 0xdb, 0xb0, 0x05, 0xe6, 0xf4, 0xf4]);

Deno.test("cli: bad --gdb values, -S without a stub and a port in use give one line, status 2", async () => {
  for (
    const [args, pattern] of [
      [["--gdb", "70000"], /--gdb needs \[HOST:\]PORT/],
      [["--gdb", "host:port"], /--gdb needs \[HOST:\]PORT/],
      [["-S"], /-S needs --gdb or -s/],
      [["--trace=bogus"], /--trace categories are int and exits/],
    ] as const
  ) {
    const r = await picovmm(["--boot", "flat", "--display", "none", ...args, "guests/exit.bin"]);
    strictEqual(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    strictEqual(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    match(r.stderr, pattern);
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const r = await picovmm([
      "--boot",
      "flat",
      "--accel",
      "emu",
      "--gdb",
      `127.0.0.1:${listener.addr.port}`,
      "guests/exit.bin",
    ]);
    strictEqual(r.code, 2, r.stderr);
    match(r.stderr, /^picovmm: cannot listen for gdb on 127\.0\.0\.1:\d+: .*\n$/);
  } finally {
    listener.close();
  }
});

Deno.test("cli: --magic-break without gdb prints the registers at xchg bx, bx and goes on", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/magic.bin`, MAGIC);
    const r = await picovmm([
      "--boot",
      "flat",
      "--accel",
      "emu",
      "--display",
      "none",
      "--magic-break",
      `${dir}/magic.bin`,
    ]);
    strictEqual(r.code, (5 << 1) | 1, r.stderr);
    match(
      r.stderr,
      /magic breakpoint \(xchg bx, bx\)\n[^]*rbx=0000000000001234[^]*rip=0000000000000005/,
    );
    const plain = await picovmm([
      "--boot",
      "flat",
      "--accel",
      "emu",
      "--display",
      "none",
      `${dir}/magic.bin`,
    ]);
    strictEqual(plain.code, (5 << 1) | 1);
    strictEqual(plain.stderr, "", "without the flag xchg bx, bx is an ordinary instruction");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --trace int logs each delivery; a triple fault lists the exceptions before it", async () => {
  const r = await picovmm([
    "--boot",
    "flat",
    "--accel",
    "emu",
    "--display",
    "none",
    "--trace",
    "int",
    "guests/triple.bin",
  ]);
  strictEqual(r.code, 3, r.stderr);
  match(r.stderr, /^int: {6}0: v=03 e=---- IP=0000:00000007 SP=0000:00001000 CR2=00000000$/m);
  match(r.stderr, /^int: {6}1: v=0d /m);
  match(r.stderr, /^int: {6}2: v=08 /m);
  match(
    r.stderr,
    /exceptions before the triple fault:\n\s+0: v=03[^\n]*\n\s+1: v=0d[^\n]*\n\s+2: v=08/,
  );
});
