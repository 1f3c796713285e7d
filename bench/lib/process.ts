/**
 * Whole-process measurements: the wall time of one command from spawn to
 * exit, and its peak resident set size (GNU time's `%M`, the kernel's
 * maximum RSS of the child).
 *
 * @module
 */

/** GNU time, used for the peak RSS. */
export const GNU_TIME = "/usr/bin/time";

/** One command to time. */
export interface ProcessCase {
  /** Label for the tables. */
  label: string;
  /** argv[0]. */
  command: string;
  /** The arguments. */
  args: string[];
  /** Expected exit status (the run is rejected otherwise). */
  status: number;
  /** Working directory. */
  cwd?: string;
}

/** Runs the command once; returns its wall time in ms. */
export async function timeProcess(c: ProcessCase): Promise<number> {
  const cmd = new Deno.Command(c.command, {
    args: c.args,
    cwd: c.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  });
  const start = performance.now();
  const out = await cmd.output();
  const ms = performance.now() - start;
  if (out.code !== c.status) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" | ");
    throw new Error(`${c.label}: exit status ${out.code}, expected ${c.status} (${err})`);
  }
  return ms;
}

/** Whether GNU time is installed. */
export async function haveGnuTime(): Promise<boolean> {
  try {
    return (await Deno.stat(GNU_TIME)).isFile;
  } catch {
    return false;
  }
}

/** Runs the command under GNU time; returns its peak RSS in KiB. */
export async function peakRssKiB(c: ProcessCase): Promise<number> {
  const out = await new Deno.Command(GNU_TIME, {
    args: ["-f", "maxrss=%M", c.command, ...c.args],
    cwd: c.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  const m = /maxrss=(\d+)/.exec(err);
  if (!m) throw new Error(`${c.label}: no RSS from ${GNU_TIME}: ${err.trim()}`);
  if (out.code !== c.status) throw new Error(`${c.label}: exit status ${out.code}`);
  return Number(m[1]);
}
