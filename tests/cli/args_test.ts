import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { parseCommandLine, parseSize, UsageError } from "../../lib/cli/args.ts";

Deno.test("args: sizes with binary units", () => {
  strictEqual(parseSize("4K"), 4096);
  strictEqual(parseSize("640k"), 640 * 1024);
  strictEqual(parseSize("16M"), 16 * 1024 * 1024);
  strictEqual(parseSize("1G"), 1024 ** 3);
  strictEqual(parseSize("8192"), 8192);
  strictEqual(parseSize("2MiB"), 2 * 1024 * 1024);
  for (const bad of ["", "K", "-4K", "4X", "0", "0K", "1.5M", "4 K 4", "99999999999999999999G"]) {
    throws(() => parseSize(bad), UsageError, bad);
  }
});

Deno.test("args: defaults and a full command line", () => {
  const r = parseCommandLine(["boot.bin"]);
  deepStrictEqual(r.kind === "run" && r.options, {
    image: "boot.bin",
    accel: "auto",
    boot: "auto",
    driveType: undefined,
    noSignatureCheck: false,
    disks: [],
    diskWrite: false,
    screenshot: undefined,
    memory: undefined,
    display: "text",
    serial: { kind: "stdio" },
    debugcon: { kind: "stdio" },
    noReboot: false,
    linuxDecompress: "auto",
    timeoutSeconds: undefined,
    maxInstructions: undefined,
    trace: false,
    interpret: false,
    append: undefined,
    initrd: undefined,
    modules: [],
    gdb: undefined,
    gdbWait: false,
    magicBreak: false,
    traceInterrupts: false,
  });
  const full = parseCommandLine([
    "--accel=emu",
    "--memory",
    "64K",
    "--display",
    "ansi",
    "--serial",
    "out.txt",
    "--timeout",
    "1.5",
    "--trace",
    "--interpret",
    "--debugcon",
    "e9.log",
    "--no-reboot",
    "--linux-decompress",
    "guest",
    "x.bin",
  ]);
  strictEqual(full.kind, "run");
  if (full.kind !== "run") return;
  strictEqual(full.options.memory, 65536);
  deepStrictEqual(full.options.serial, { kind: "file", path: "out.txt" });
  strictEqual(full.options.timeoutSeconds, 1.5);
  strictEqual(full.options.trace, true);
  strictEqual(full.options.interpret, true);
  deepStrictEqual(full.options.debugcon, { kind: "file", path: "e9.log" });
  strictEqual(full.options.noReboot, true);
  strictEqual(full.options.linuxDecompress, "guest");
});

Deno.test("args: kernel flags: --boot kinds, --append, --initrd, repeated --module FILE[,CMDLINE]", () => {
  const r = parseCommandLine([
    "--boot",
    "multiboot2",
    "--append",
    "console=ttyS0 quiet",
    "--initrd",
    "initrd.img",
    "--module",
    "a.bin",
    "--module",
    "b.bin,arg one,two",
    "kernel.elf",
  ]);
  strictEqual(r.kind, "run");
  if (r.kind !== "run") return;
  strictEqual(r.options.boot, "multiboot2");
  strictEqual(r.options.append, "console=ttyS0 quiet");
  strictEqual(r.options.initrd, "initrd.img");
  deepStrictEqual(r.options.modules, [
    { path: "a.bin", cmdline: undefined },
    { path: "b.bin", cmdline: "arg one,two" },
  ]);
  for (const boot of ["auto", "bios", "flat", "rom", "multiboot", "pvh", "elf", "linux"]) {
    const p = parseCommandLine(["--boot", boot, "k"]);
    strictEqual(p.kind === "run" && p.options.boot, boot);
  }
  throws(() => parseCommandLine(["--boot", "bzimage", "k"]), UsageError);
  throws(() => parseCommandLine(["--module", ",x", "k"]), /--module needs a file name/);
  throws(() => parseCommandLine(["--initrd=", "k"]), /--initrd needs a file name/);
});

Deno.test("args: bad usage is a UsageError with one line", () => {
  const cases = [
    [],
    ["a.bin", "b.bin"],
    ["--frobnicate", "a.bin"],
    ["--accel", "xen", "a.bin"],
    ["--display", "3d", "a.bin"],
    ["--boot", "uefi", "a.bin"],
    ["--drive-type", "cdrom", "a.bin"],
    ["--timeout", "-1", "a.bin"],
    ["--timeout", "0", "a.bin"],
    ["--timeout", "soon", "a.bin"],
    ["--timeout", "1e300", "a.bin"],
    ["--memory", "lots", "a.bin"],
    ["--max-instructions", "1.5", "a.bin"],
    ["--accel", "kvm", "--max-instructions", "10", "a.bin"],
    ["--serial=", "a.bin"],
    ["--debugcon=", "a.bin"],
  ];
  for (const args of cases) {
    const error = (() => {
      try {
        parseCommandLine(args);
      } catch (e) {
        return e;
      }
    })();
    strictEqual(error instanceof UsageError, true, args.join(" "));
    strictEqual((error as Error).message.includes("\n"), false, (error as Error).message);
  }
});

Deno.test("args: --boot, --drive-type and --no-signature-check", () => {
  const r = parseCommandLine([
    "--boot",
    "bios",
    "--drive-type",
    "floppy",
    "--no-signature-check",
    "d.img",
  ]);
  strictEqual(r.kind, "run");
  if (r.kind !== "run") return;
  strictEqual(r.options.boot, "bios");
  strictEqual(r.options.driveType, "floppy");
  strictEqual(r.options.noSignatureCheck, true);
  const flat = parseCommandLine(["--boot=flat", "--drive-type=hdd", "x.bin"]);
  strictEqual(flat.kind === "run" && flat.options.boot, "flat");
  strictEqual(flat.kind === "run" && flat.options.driveType, "hdd");
});

Deno.test("args: --max-instructions picks the software CPU under auto", () => {
  const r = parseCommandLine(["--max-instructions", "1000", "a.bin"]);
  strictEqual(r.kind === "run" && r.options.accel, "emu");
  strictEqual(r.kind === "run" && r.options.maxInstructions, 1000);
});

Deno.test("args: help and version", () => {
  strictEqual(parseCommandLine(["--help"]).kind, "help");
  strictEqual(parseCommandLine(["-V"]).kind, "version");
});

Deno.test("args: the debugging flags: --gdb [HOST:]PORT, -s, -S, --magic-break, --trace categories", () => {
  const parse = (args: string[]) => {
    const r = parseCommandLine([...args, "x.img"]);
    if (r.kind !== "run") throw new Error("not a run");
    return r.options;
  };
  deepStrictEqual(parse(["--gdb", "1234"]).gdb, { hostname: "127.0.0.1", port: 1234 });
  deepStrictEqual(parse(["--gdb", "0.0.0.0:0"]).gdb, { hostname: "0.0.0.0", port: 0 });
  deepStrictEqual(parse(["--gdb", "tcp::4321"]).gdb, { hostname: "127.0.0.1", port: 4321 });
  const qemuStyle = parse(["-s", "-S"]);
  deepStrictEqual(qemuStyle.gdb, { hostname: "127.0.0.1", port: 1234 });
  strictEqual(qemuStyle.gdbWait, true);
  strictEqual(parse(["--magic-break"]).magicBreak, true);
  const int = parse(["--trace", "int"]);
  deepStrictEqual([int.trace, int.traceInterrupts], [false, true]);
  const both = parse(["--trace=int,exits"]);
  deepStrictEqual([both.trace, both.traceInterrupts], [true, true]);
  const plain = parse(["--trace"]);
  deepStrictEqual([plain.trace, plain.traceInterrupts], [true, false]);
});

Deno.test("args: a --memory beyond the maximum says so, with the maximum", () => {
  for (const size of ["99999999999999999999G", "9007199254740993", "4096G", "4G"]) {
    const error = (() => {
      try {
        parseCommandLine(["--memory", size, "a.bin"]);
      } catch (e) {
        return e;
      }
    })();
    strictEqual(error instanceof UsageError, true, size);
    strictEqual(
      (error as Error).message,
      `--memory '${size}' is larger than the maximum of 3G`,
      size,
    );
  }
  strictEqual(
    (parseCommandLine(["--memory", "3G", "a.bin"]) as { options: { memory: number } })
      .options.memory,
    3 * 1024 ** 3,
  );
});
