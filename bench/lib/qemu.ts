/**
 * QEMU TCG as the reference: each run is one `qemu-system-i386` process that
 * boots the guest from a floppy through SeaBIOS and leaves through
 * isa-debug-exit; the time is the process's wall time.
 *
 * @module
 */

import { expectedFor, type Model, withCount } from "./guests.ts";

/** The QEMU binary (32-bit PC: the guests are real-mode boot sectors). */
export const QEMU = "qemu-system-i386";

/**
 * The machine every guest runs on: TCG, no default devices, a standard VGA
 * (so text-memory stores reach a VGA as on the other VMMs), COM1 with no
 * backend (the OUT guest writes its scratch register), the debug-exit port.
 */
export function qemuArgs(imagePath: string): string[] {
  return [
    "-accel",
    "tcg",
    "-nodefaults",
    "-display",
    "none",
    "-no-reboot",
    "-vga",
    "std",
    "-serial",
    "null",
    "-device",
    "isa-debug-exit,iobase=0xf4,iosize=0x04",
    "-drive",
    `if=floppy,format=raw,file=${imagePath}`,
  ];
}

/** QEMU's version line, or undefined when it is not installed. */
export async function qemuVersion(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(QEMU, { args: ["--version"] }).output();
    return new TextDecoder().decode(out.stdout).split("\n")[0].trim();
  } catch {
    return undefined;
  }
}

/** One verified QEMU run. */
export interface QemuRun {
  /** Wall time of the process, in ms. */
  ms: number;
  /** User plus system CPU time of the process (all its threads), in ms; NaN without GNU time. */
  cpuMs: number;
}

/**
 * Runs a guest for `n` iterations under QEMU (under GNU time when `gnuTime`
 * is given, for the CPU time) and checks its exit status.
 */
export async function runQemu(
  w: Model,
  image: Uint8Array,
  n: number,
  dir: string,
  gnuTime?: string,
): Promise<QemuRun> {
  const path = `${dir}/${w.name}-${n}.img`;
  await Deno.writeFile(path, withCount(image, n));
  const expected = expectedFor(w, n);
  const command = gnuTime
    ? new Deno.Command(gnuTime, {
      args: ["-f", "picovmm-bench-cpu=%U %S", QEMU, ...qemuArgs(path)],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    })
    : new Deno.Command(QEMU, {
      args: qemuArgs(path),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    });
  const start = performance.now();
  const result = await command.output();
  const ms = performance.now() - start;
  await Deno.remove(path);
  const err = new TextDecoder().decode(result.stderr);
  const want = (expected.exitValue << 1) | 1;
  if (result.code !== want) {
    throw new Error(
      `qemu ${w.name} N=${n}: exit status ${result.code}, expected ${want} (${err.trim()})`,
    );
  }
  const m = /picovmm-bench-cpu=([\d.]+) ([\d.]+)/.exec(err);
  return { ms, cpuMs: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}
