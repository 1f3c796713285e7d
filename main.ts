/**
 * The picovmm command line: parse flags, build a machine, run it, show the
 * screen and serial output, and exit with the documented status.
 *
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import { parseCommandLine, type SerialTarget, USAGE, UsageError } from "./lib/cli/args.ts";
import { readImage, readModules } from "./lib/cli/image.ts";
import { screenAnsi, screenText } from "./lib/display/text.ts";
import { OutputBuffer } from "./lib/machine/output.ts";
import { KvmUnavailableError } from "./lib/kvm/host.ts";
import { LoaderError } from "./lib/loader/entry.ts";
import { formatCpuSnapshot } from "./lib/machine/crash-report.ts";
import { createMachine } from "./lib/machine/create.ts";
import type { Machine } from "./lib/machine/machine.ts";
import { describeStop, EXIT_USAGE, exitStatus } from "./lib/machine/stop.ts";

/** Exit status for a failure inside picovmm itself. */
const EXIT_INTERNAL = 70;

function fail(message: string): void {
  console.error(`picovmm: ${message}`);
}

/** A byte stream written in chunks, flushed when full, periodically and at the end. */
class BufferedSink {
  #pending: number[] = [];
  constructor(
    readonly writer: { writeSync(p: Uint8Array): number },
    readonly chunk: number,
  ) {}
  write = (byte: number): void => {
    this.#pending.push(byte);
    if (this.#pending.length >= this.chunk) this.flush();
  };
  flush(): void {
    if (this.#pending.length === 0) return;
    const bytes = new Uint8Array(this.#pending);
    this.#pending = [];
    let done = 0;
    while (done < bytes.length) done += this.writer.writeSync(bytes.subarray(done));
  }
}

/** Serial output to stdout. */
class StdoutSink extends BufferedSink {
  constructor() {
    super(Deno.stdout, 4096);
  }
}

/** Serial output to a file: written to a temporary name, renamed when complete. */
class FileSink extends BufferedSink {
  readonly #file: Deno.FsFile;
  readonly #temp: string;
  constructor(readonly path: string) {
    const temp = `${path}.partial-${Deno.pid}`;
    const file = Deno.openSync(temp, { write: true, create: true, truncate: true });
    super(file, 65536);
    this.#temp = temp;
    this.#file = file;
  }
  finish(): void {
    this.flush();
    this.#file.close();
    Deno.renameSync(this.#temp, this.path);
  }
  abandon(): void {
    this.#file.close();
    try {
      Deno.removeSync(this.#temp);
    } catch { /* already gone */ }
  }
}

/** Opens where serial output goes, before anything else, so a bad path fails first. */
function openSerial(target: SerialTarget): StdoutSink | FileSink | undefined {
  if (target.kind === "none") return undefined;
  let sink: StdoutSink | FileSink;
  if (target.kind === "stdio") {
    sink = new StdoutSink();
  } else {
    try {
      sink = new FileSink(target.path);
    } catch (e) {
      throw new LoaderError(
        `cannot write serial output to '${target.path}': ${
          e instanceof Error ? e.message.replace(/\s*\(os error \d+\).*$/, "") : e
        }`,
      );
    }
  }
  return sink;
}

/**
 * Feeds stdin to COM1's receiver (`--serial stdio`) until EOF or the returned
 * stop function is called, holding back while the UART's input queue is
 * full so that piped input is not dropped.
 */
function feedStdinToSerial(machine: Machine): () => void {
  const reader = Deno.stdin.readable.getReader();
  let stopped = false;
  const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
  (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || stopped) return;
      let rest = value;
      while (!stopped && rest.length > 0) {
        if (machine.serial.pendingInput >= SERIAL_INPUT_HIGH_WATER) {
          await pause();
          continue;
        }
        const n = machine.serial.receive(
          rest.subarray(0, SERIAL_INPUT_HIGH_WATER - machine.serial.pendingInput),
        );
        rest = rest.subarray(n);
        machine.wake();
      }
    }
  })().catch(() => {}); // stdin closed or unreadable: no more input
  return () => {
    stopped = true;
    reader.cancel().catch(() => {});
  };
}

/** Bytes of stdin queued in COM1 before more is read. */
const SERIAL_INPUT_HIGH_WATER = 1024;

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
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
  const options = request.options;
  const live = options.display === "live";
  if (live && !(Deno.stdin.isTerminal() && Deno.stdout.isTerminal())) {
    fail("--display live needs a terminal on stdin and stdout");
    return EXIT_USAGE;
  }
  if (options.screenshot) {
    const dir = options.screenshot.includes("/")
      ? options.screenshot.slice(0, options.screenshot.lastIndexOf("/")) || "/"
      : ".";
    if (!isDirectory(dir)) {
      fail(`cannot write screenshot '${options.screenshot}': no directory '${dir}'`);
      return EXIT_USAGE;
    }
  }
  let machine: Machine;
  let pc;
  let sink: StdoutSink | FileSink | undefined;
  try {
    const image = await readImage(options.image);
    const modules = await readModules(options.initrd, options.modules);
    sink = openSerial(options.serial);
    const created = createMachine({
      image,
      accel: options.accel,
      boot: options.boot,
      memory: options.memory,
      driveType: options.driveType,
      noSignatureCheck: options.noSignatureCheck,
      translate: !options.interpret,
      append: options.append,
      modules,
      imageName: options.image,
    });
    machine = created.machine;
    pc = created.pc;
    if (created.note) fail(created.note);
    if (sink) machine.serialSinks.push(sink.write);
  } catch (e) {
    if (sink instanceof FileSink) sink.abandon();
    if (e instanceof LoaderError || e instanceof KvmUnavailableError) {
      fail(e.message);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (options.trace) {
    machine.trace = (line) => console.error(`trace: ${line}`);
    machine.ports.onUnhandled = (port, isWrite, size) =>
      console.error(
        `trace: unknown port ${port.toString(16)} ${isWrite ? "write" : "read"} ${size}`,
      );
  }
  // The live display owns the terminal: serial output to stdout waits until it is closed.
  const held = live && sink instanceof StdoutSink ? new OutputBuffer() : undefined;
  if (held) machine.serialSinks.splice(0, machine.serialSinks.length, (b) => held.push(b));
  const flusher = setInterval(() => sink?.flush(), 50);
  const stopInput = options.serial.kind === "stdio" && !live
    ? feedStdinToSerial(machine)
    : undefined;
  const limits = {
    timeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000,
    instructions: options.maxInstructions,
  };
  let stop;
  try {
    stop = live
      ? await (await import("./lib/cli/live-display.ts")).runWithLiveDisplay(
        machine,
        pc?.keyboard,
        () => machine.run(limits),
      )
      : await machine.run(limits);
  } catch (e) {
    if (sink instanceof FileSink) sink.abandon();
    throw e;
  } finally {
    clearInterval(flusher);
    stopInput?.();
  }
  if (held) { for (const b of held.bytes) sink?.write(b); }
  if (sink instanceof FileSink) sink.finish();
  else sink?.flush();
  if (options.screenshot) {
    try {
      // Loaded only when asked for: the PNG encoder alone costs ~45 ms of start-up.
      const { writePngAtomically } = await import("./lib/display/png.ts");
      const { screenImage } = await import("./lib/display/screen.ts");
      await writePngAtomically(options.screenshot, screenImage(machine.vga));
    } catch (e) {
      fail(
        `cannot write screenshot '${options.screenshot}': ${e instanceof Error ? e.message : e}`,
      );
      machine.close();
      return EXIT_USAGE;
    }
  }
  // After a live run the terminal is back to normal: leave the last screen in it.
  if (options.display !== "none") {
    const screen = options.display === "ansi" ? screenAnsi(machine.vga) : screenText(machine.vga);
    if (screen) console.log(screen);
  }
  if (stop.kind === "crash") {
    fail(describeStop(stop));
    console.error(formatCpuSnapshot(machine.snapshot()));
  } else if (stop.kind === "timeout" || stop.kind === "instruction-limit") {
    fail(describeStop(stop));
  }
  machine.close();
  return exitStatus(stop);
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
