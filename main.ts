/**
 * The picovmm command line: parse flags, build a machine, run it, show the
 * screen and serial output, and exit with the documented status.
 *
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import { parseCommandLine, USAGE, UsageError } from "./lib/cli/args.ts";

/** Exit status for a failure inside picovmm itself. */
const EXIT_INTERNAL = 70;
/** Exit status for a bad command line (as lib/machine/stop.ts's EXIT_USAGE). */
const EXIT_USAGE = 2;

function fail(message: string): void {
  console.error(`picovmm: ${message}`);
}

/** Runs the CLI and returns the exit status. */
export async function main(args: string[]): Promise<number> {
  let request;
  try {
    request = parseCommandLine(args);
  } catch (e) {
    if (e instanceof UsageError) {
      fail(e.message);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (request.kind === "help") {
    console.log(USAGE);
    return 0;
  }
  if (request.kind === "version") {
    console.log(`picovmm ${denoJson.version}`);
    return 0;
  }
  // The run's code loads only now: --help, --version and usage errors need none of it.
  const { runCommand } = await import("./lib/cli/run.ts");
  return await runCommand(request.options);
}

if (import.meta.main) {
  let status: number;
  try {
    status = await main(Deno.args);
  } catch (e) {
    fail(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    status = EXIT_INTERNAL;
  }
  Deno.exit(status);
}
