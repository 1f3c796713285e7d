/**
 * One timed Linux boot for the Linux benchmarks: a VMM process from its
 * start to the shell marker of tests/support/linux_guest.ts's initramfs,
 * then `echo $((6*7))` answered and `poweroff -f`, with the exit status.
 *
 * @module
 */

import { SHELL_MARKER } from "../../tests/support/linux_guest.ts";

const MARKER_TIMEOUT_MS = 600_000;
/** How long a VMM may take to exit after `poweroff -f`. */
const EXIT_TIMEOUT_MS = 60_000;
const ANSWER = /^42\r?$/m;

/** One boot: seconds to the marker and to the answer, and the exit status. */
export interface Boot {
  markerS: number;
  answerS: number;
  code: number;
}

/** Runs a VMM process, waits for the marker, types the command and the power-off. */
export async function bootToShell(
  command: string,
  args: string[],
  progress: (line: string) => void,
): Promise<Boot> {
  const start = performance.now();
  progress(`${command} ${args.at(-1)}: start`);
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stdin = child.stdin.getWriter();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let out = "";
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) out += decoder.decode(chunk, { stream: true });
  })();
  const waitFor = async (pattern: RegExp | string) => {
    const deadline = performance.now() + MARKER_TIMEOUT_MS;
    const seen = () => typeof pattern === "string" ? out.includes(pattern) : pattern.test(out);
    while (!seen()) {
      if (exited || performance.now() > deadline) {
        throw new Error(`${command}: no ${pattern} in:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return (performance.now() - start) / 1000;
  };
  try {
    const markerS = await waitFor(SHELL_MARKER);
    progress(`  marker at ${markerS.toFixed(1)} s`);
    await stdin.write(new TextEncoder().encode("echo $((6*7))\n"));
    const answerS = await waitFor(ANSWER);
    await stdin.write(new TextEncoder().encode("poweroff -f\n"));
    await stdin.close();
    const late = setTimeout(() => {
      progress(`${command}: still running ${EXIT_TIMEOUT_MS / 1000} s after poweroff; killed`);
      child.kill();
    }, EXIT_TIMEOUT_MS);
    const [end] = await Promise.all([status, reading, child.stderr.cancel()]);
    clearTimeout(late);
    return { markerS, answerS, code: end.code };
  } catch (e) {
    if (!exited) child.kill();
    await status;
    throw e;
  }
}
