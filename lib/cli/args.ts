/**
 * Command-line parsing for picovmm: flags to a checked options object, or a
 * one-line UsageError.
 *
 * @module
 */

import { parseArgs } from "./parse-args.ts";
import type { AccelChoice } from "../machine/accel.ts";
import type { BootMode } from "../machine/create.ts";
import { MAX_MEMORY } from "../machine/limits.ts";
import type { DriveType } from "../loader/disk.ts";
import type { OutputTarget } from "./sinks.ts";

/** Bad usage: the CLI prints the message on one line and exits with status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** How the screen is shown: printed at the stop (text, ansi), redrawn while running (live), or not. */
export type DisplayMode = "text" | "ansi" | "live" | "none";

/** A `--module FILE[,CMDLINE]`. */
export interface ModuleArg {
  path: string;
  /** The text after the first comma; undefined when there was none. */
  cmdline: string | undefined;
}

/** The parsed command line. */
export interface CliOptions {
  image: string;
  accel: AccelChoice;
  boot: BootMode;
  /** `--drive-type`: force the boot disk's type (bios boot). */
  driveType: DriveType | undefined;
  /** `--no-signature-check`: boot a first sector without 0x55AA. */
  noSignatureCheck: boolean;
  /** `--disk FILE` (repeatable): more hard disks after the boot disk (bios boot). */
  disks: string[];
  /** `--disk-write`: guest writes go to the image files (default: kept in memory). */
  diskWrite: boolean;
  memory: number | undefined;
  display: DisplayMode;
  /** `--screenshot`: where the final screen is saved as PNG. */
  screenshot: string | undefined;
  /** Where COM1 output goes. */
  serial: OutputTarget;
  /** `--debugcon`: where port 0xE9 output goes. */
  debugcon: OutputTarget;
  /** `--no-reboot`: a reset request ends the run (status 0) instead of rebooting. */
  noReboot: boolean;
  /** `--linux-decompress`: who decompresses a bzImage's XZ kernel. */
  linuxDecompress: "auto" | "host" | "guest";
  timeoutSeconds: number | undefined;
  maxInstructions: number | undefined;
  trace: boolean;
  /** `--interpret`: the software CPU without its block translator. */
  interpret: boolean;
  /** `--append`: the kernel's command line. */
  append: string | undefined;
  /** `--initrd`: the first module. */
  initrd: string | undefined;
  /** `--module`, in order. */
  modules: ModuleArg[];
  /** `--gdb`, `-s`: where the gdb stub listens. */
  gdb: { hostname: string; port: number } | undefined;
  /** `-S`: stay stopped before the first instruction until gdb continues. */
  gdbWait: boolean;
  /** `--magic-break`: `xchg bx, bx` stops into gdb, or prints the registers without it. */
  magicBreak: boolean;
  /** `--trace int`: log exceptions and interrupts. */
  traceInterrupts: boolean;
}

/** `--help` or `--version` asked for. */
export type CliRequest = { kind: "run"; options: CliOptions } | { kind: "help" } | {
  kind: "version";
};

/** The usage text. */
export const USAGE = `Usage: picovmm [options] <image>

Runs an x86 guest on KVM or on the built-in software CPU.

Options:
  --accel auto|kvm|emu     auto (default): KVM when /dev/kvm works, else the software CPU
  --boot auto|bios|flat|rom|multiboot|multiboot2|pvh|elf|linux
                           auto (default): found from the image: a Linux bzImage, an ELF or
                           Multiboot kernel, else a disk
                           bios: the image is a disk; its first sector boots at 0000:7C00
                           with picovmm's PC BIOS, DL = boot drive
                           flat: the image at guest-physical 0, CS:IP = 0:0, real mode, no BIOS
                           rom: the image (4 KiB pages, up to 256 KiB) replaces the BIOS, at
                           the top of the first MiB and of 4 GiB, started at F000:FFF0
                           multiboot, multiboot2, pvh: the image is a kernel of that protocol,
                           started in 32-bit protected mode
                           elf: a plain ELF at its entry point (ELF64: in 64-bit long mode)
                           linux: a bzImage through the Linux boot protocol (64-bit entry
                           when the kernel has one)
  --append CMDLINE         kernels: the command line
  --initrd FILE            kernels: the initial ramdisk (the first module)
  --module FILE[,CMDLINE]  kernels: a module and its command line (repeatable; after --initrd)
  --linux-decompress auto|host|guest
                           linux: who decompresses an XZ-compressed kernel: picovmm before
                           the boot (host; the kernel then runs at its link address, as with
                           nokaslr) or the kernel's own decompressor (guest); auto (default):
                           the host on the software CPU, the guest on KVM
  --drive-type floppy|hdd  bios: the disk's type (default: floppy for floppy-sized images
                           160K-2.88M, hard disk otherwise)
  --no-signature-check     bios: boot a first sector without the 0x55AA signature
  --disk FILE              bios: one more hard disk (repeatable), numbered after the boot
                           image: 80h, 81h... in order, from 81h when the image is a hard disk
  --disk-write             bios: write what the guest writes to the image files (by default
                           writes are kept in memory and no image changes)
  --memory SIZE            guest RAM, e.g. 4K, 640K, 16M (default 640K for bios, where more
                           is extended memory from 1 MiB; 128M for kernels; 4K for flat)
  --display text|ansi|live|none
                           text (default), ansi: the text screen printed when the guest stops;
                           live: the screen redrawn in the terminal while the guest runs, keys
                           typed go to its keyboard, Ctrl-A c switches between the screen
                           and a serial console (keys typed there go to COM1), Ctrl-A x quits
  --screenshot FILE.png    save the final screen (text or graphics mode) as PNG
  --serial stdio|none|FILE where COM1 (0x3F8) output goes (default stdio); with stdio,
                           a stdin that is not a terminal goes to COM1's receiver
  --debugcon stdio|none|FILE
                           where the debug console (port 0xE9) output goes (default stdio)
  --no-reboot              a reset request (keyboard controller 0xFE, port 0x92) ends the
                           run with status 0 instead of rebooting
  --timeout SECONDS        stop a guest that runs longer (exit status 124)
  --max-instructions N     stop after N instructions (software CPU; exit status 124)
  --trace                  log exits and unknown ports to stderr
  --trace int              log every exception and interrupt delivered (vector, error code,
                           CS:EIP, CR2) to stderr; --trace int,exits for both
  --gdb [HOST:]PORT        listen for gdb on HOST (default 127.0.0.1) and PORT (0: any free
                           port; the one bound is printed on stderr)
  -s                       the same as --gdb 127.0.0.1:1234
  -S                       with --gdb or -s: stop before the first instruction until gdb
                           continues
  --magic-break            xchg bx, bx (the Bochs magic breakpoint) stops into gdb, or prints
                           the registers and goes on without gdb (software CPU only)
  --interpret              software CPU: interpret every instruction (no translation to
                           JavaScript); the same results, slower
  -h, --help               show this help
  -V, --version            show the version

Exit status: 0 halted (HLT with interrupts off) or powered off; (v << 1) | 1 when the
guest writes v to the debug-exit port 0xF4; 2 bad usage or bad image (also a kernel on
the software CPU, not supported yet); 3 guest crash (register dump on stderr); 124
timeout or instruction limit; 128+N ended by signal N (SIGINT 130, SIGTERM 143, SIGHUP
129; the screen and output so far are printed first); 70 an error inside picovmm.`;

const SIZE_UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** A size in the largest binary unit that divides it (3G, 640K, 4097). */
function formatSize(bytes: number): string {
  for (const unit of ["G", "M", "K"]) {
    if (bytes % SIZE_UNITS[unit] === 0) return `${bytes / SIZE_UNITS[unit]}${unit}`;
  }
  return String(bytes);
}

/**
 * Parses sizes like 4096, 4K, 640K, 16M, 1G (binary units, case-insensitive),
 * greater than zero and at most `max`; `name` is what errors call the value.
 */
export function parseSize(text: string, max = Number.MAX_SAFE_INTEGER, name = "size"): number {
  const m = /^(\d+)([KMG]?)(i?B)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`malformed size '${text}' (use e.g. 4K, 640K, 16M)`);
  const value = Number(m[1]) * SIZE_UNITS[m[2].toUpperCase()];
  if (value === 0) throw new UsageError(`${name} '${text}' must be greater than zero`);
  if (!(value <= max) || !Number.isSafeInteger(value)) {
    throw new UsageError(`${name} '${text}' is larger than the maximum of ${formatSize(max)}`);
  }
  return value;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(", ")} (got '${value}')`);
}

function positiveNumber(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--${flag} must be a positive number (got '${text}')`);
  }
  return n;
}

function parseScreenshot(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (!/\.png$/i.test(path)) {
    throw new UsageError(`--screenshot needs a .png file name (got '${path}')`);
  }
  return path;
}

function parseOutput(flag: string, text: string): OutputTarget {
  if (text === "stdio" || text === "none") return { kind: text };
  if (text === "") throw new UsageError(`--${flag} needs stdio, none or a file name`);
  return { kind: "file", path: text };
}

function nonEmpty(flag: string, value: string | undefined): string | undefined {
  if (value === "") throw new UsageError(`--${flag} needs a file name`);
  return value;
}

/** `FILE[,CMDLINE]`: the file up to the first comma, the command line after it. */
export function parseModule(text: string): ModuleArg {
  const comma = text.indexOf(",");
  const path = comma < 0 ? text : text.slice(0, comma);
  if (path === "") throw new UsageError(`--module needs a file name (got '${text}')`);
  return { path, cmdline: comma < 0 ? undefined : text.slice(comma + 1) };
}

const TRACE_CATEGORIES = /^(int|exits)(,(int|exits))*$/;

/**
 * `--trace` alone logs exits; `--trace int` and `--trace=int,exits` name
 * categories. parseArgs has no optional values, so the named form becomes
 * `--trace-categories=...` before parsing.
 */
function traceCategoriesArg(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (a === "--trace" && TRACE_CATEGORIES.test(args[i + 1] ?? "")) {
      out.push(`--trace-categories=${args[++i]}`);
    } else if (a.startsWith("--trace=")) {
      const value = a.slice(8);
      if (!TRACE_CATEGORIES.test(value)) {
        throw new UsageError(`--trace categories are int and exits (got '${value}')`);
      }
      out.push(`--trace-categories=${value}`);
    } else out.push(a);
  }
  return out;
}

/** `[HOST:]PORT` (QEMU's `tcp::PORT` too); the host defaults to 127.0.0.1. */
export function parseGdbAddress(text: string): { hostname: string; port: number } {
  const m = /^(?:tcp:)?(?:([^:]*):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    throw new UsageError(`--gdb needs [HOST:]PORT with a port 0-65535 (got '${text}')`);
  }
  return { hostname: m[1] || "127.0.0.1", port };
}

/** Parses the arguments (without the program name). */
export function parseCommandLine(args: string[]): CliRequest {
  let parsed;
  try {
    parsed = parseArgs({
      args: traceCategoriesArg(args),
      allowPositionals: true,
      strict: true,
      options: {
        accel: { type: "string", default: "auto" },
        boot: { type: "string", default: "auto" },
        append: { type: "string" },
        initrd: { type: "string" },
        module: { type: "string", multiple: true },
        "drive-type": { type: "string" },
        "linux-decompress": { type: "string", default: "auto" },
        "no-signature-check": { type: "boolean", default: false },
        disk: { type: "string", multiple: true, default: [] },
        "disk-write": { type: "boolean", default: false },
        memory: { type: "string" },
        display: { type: "string", default: "text" },
        screenshot: { type: "string" },
        serial: { type: "string", default: "stdio" },
        debugcon: { type: "string", default: "stdio" },
        "no-reboot": { type: "boolean", default: false },
        timeout: { type: "string" },
        "max-instructions": { type: "string" },
        trace: { type: "boolean", default: false },
        interpret: { type: "boolean", default: false },
        "trace-categories": { type: "string" },
        gdb: { type: "string" },
        "gdb-local": { type: "boolean", short: "s", default: false },
        "gdb-wait": { type: "boolean", short: "S", default: false },
        "magic-break": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
        version: { type: "boolean", short: "V", default: false },
      },
    });
  } catch (e) {
    // parseArgs messages are one line; drop its "To specify a positional..." hints.
    const message = e instanceof Error ? e.message : String(e);
    const ambiguous = /Option '(--[\w-]+)' argument is ambiguous/.exec(message);
    if (ambiguous) {
      const flag = ambiguous[1];
      throw new UsageError(`${flag} needs a value (write ${flag}=VALUE for one starting with '-')`);
    }
    throw new UsageError(message.split(/\.\s/)[0].replace(/\.$/, ""));
  }
  const v = parsed.values;
  if (v.help) return { kind: "help" };
  const categories = (v["trace-categories"] ?? "").split(",").filter((c: string) => c !== "");
  let gdb = v.gdb === undefined ? undefined : parseGdbAddress(v.gdb);
  if (v["gdb-local"]) gdb ??= { hostname: "127.0.0.1", port: 1234 };
  if (v["gdb-wait"] && gdb === undefined) throw new UsageError("-S needs --gdb or -s");
  if (v.version) return { kind: "version" };
  if (parsed.positionals.length === 0) throw new UsageError("no image given (see --help)");
  if (parsed.positionals.length > 1) {
    throw new UsageError(`one image expected, got ${parsed.positionals.length}`);
  }
  let maxInstructions: number | undefined;
  if (v["max-instructions"] !== undefined) {
    maxInstructions = positiveNumber("max-instructions", v["max-instructions"]);
    if (!Number.isSafeInteger(maxInstructions)) {
      throw new UsageError("--max-instructions must be a whole number");
    }
  }
  let accel = oneOf("accel", v.accel, ["auto", "kvm", "emu"] as const);
  if (maxInstructions !== undefined) {
    // Only the software CPU counts instructions.
    if (accel === "kvm") {
      throw new UsageError("--max-instructions needs the software CPU (--accel emu)");
    }
    accel = "emu";
  }
  const boot = oneOf(
    "boot",
    v.boot,
    ["auto", "bios", "flat", "rom", "multiboot", "multiboot2", "pvh", "elf", "linux"] as const,
  );
  const disks: string[] = (v.disk as string[] | undefined) ?? [];
  if (boot !== "auto" && boot !== "bios" && (disks.length > 0 || v["disk-write"])) {
    throw new UsageError(`--${disks.length > 0 ? "disk" : "disk-write"} needs --boot bios or auto`);
  }
  if (disks.some((d) => d === "")) throw new UsageError("--disk needs a file name");
  const timeoutSeconds = v.timeout === undefined ? undefined : positiveNumber("timeout", v.timeout);
  if (timeoutSeconds !== undefined && timeoutSeconds > 2 ** 31 / 1000) {
    throw new UsageError("--timeout is too large");
  }
  return {
    kind: "run",
    options: {
      image: parsed.positionals[0],
      accel,
      boot,
      driveType: v["drive-type"] === undefined
        ? undefined
        : oneOf("drive-type", v["drive-type"], ["floppy", "hdd"] as const),
      noSignatureCheck: v["no-signature-check"],
      disks,
      diskWrite: v["disk-write"],
      memory: v.memory === undefined ? undefined : parseSize(v.memory, MAX_MEMORY, "--memory"),
      display: oneOf("display", v.display, ["text", "ansi", "live", "none"] as const),
      screenshot: parseScreenshot(v.screenshot),
      serial: parseOutput("serial", v.serial),
      debugcon: parseOutput("debugcon", v.debugcon),
      noReboot: v["no-reboot"],
      linuxDecompress: oneOf(
        "linux-decompress",
        v["linux-decompress"],
        ["auto", "host", "guest"] as const,
      ),
      timeoutSeconds,
      maxInstructions,
      trace: v.trace || categories.includes("exits"),
      traceInterrupts: categories.includes("int"),
      gdb,
      gdbWait: v["gdb-wait"],
      magicBreak: v["magic-break"],
      interpret: v.interpret,
      append: v.append,
      initrd: nonEmpty("initrd", v.initrd),
      modules: (v.module ?? []).map(parseModule),
    },
  };
}
