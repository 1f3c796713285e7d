/**
 * The picovmm command line: parse flags, build a machine, run it, show the
 * screen and serial output, and exit with the documented status.
 *
 * @module
 */

import denoJson from "./deno.json" with { type: "json" };
import { parseCommandLine, USAGE, UsageError } from "./lib/cli/args.ts";
import { readImage, readImageHead, readModules } from "./lib/cli/image.ts";
import { feedSerialInput } from "./lib/cli/serial-input.ts";
import { catchStopSignals, type StopSignal } from "./lib/cli/signals.ts";
import { type BufferedSink, openSink, type OutputTarget, resolveTarget } from "./lib/cli/sinks.ts";
import { screenAnsi, screenText } from "./lib/display/text.ts";
import { OutputBuffer } from "./lib/machine/output.ts";
import { KvmUnavailableError } from "./lib/kvm/unavailable.ts";
import { LoaderError } from "./lib/loader/entry.ts";
import { DISK_HEAD_BYTES, looksLikeDisk } from "./lib/loader/kernel.ts";
import { formatCpuSnapshot } from "./lib/machine/crash-report.ts";
import { createMachine } from "./lib/machine/create.ts";
import { loadMachineCode } from "./lib/machine/code.ts";
import type { Machine } from "./lib/machine/machine.ts";
import { describeStop, EXIT_USAGE, exitStatus, type StopReason } from "./lib/machine/stop.ts";
import { MachineDebugger } from "./lib/gdb/debugger.ts";
import { formatInterrupt, InterruptLog } from "./lib/gdb/interrupt-log.ts";
import { GdbServer, runUnderGdb } from "./lib/gdb/server.ts";

/** Exit status for a failure inside picovmm itself. */
const EXIT_INTERNAL = 70;

function fail(message: string): void {
  console.error(`picovmm: ${message}`);
}

/**
 * The open output streams: COM1 and the debug console. Both going to the same place (stdout,
 * one file) share one sink, so their bytes interleave in the order the guest wrote them.
 */
class Sinks {
  readonly all: BufferedSink[] = [];
  serial: BufferedSink | undefined;
  debugcon: BufferedSink | undefined;
  /** Open sinks by where they write: "stdio", or a file's resolved path. */
  readonly #byPlace = new Map<string, BufferedSink>();

  /** Opens both targets before anything else, so a bad path fails first (LoaderError). */
  open(serial: OutputTarget, debugcon: OutputTarget): void {
    this.serial = this.#open(serial, "serial output");
    this.debugcon = this.#open(debugcon, "debug console output");
  }

  #open(target: OutputTarget, what: string): BufferedSink | undefined {
    if (target.kind === "none") return undefined;
    const place = target.kind === "stdio" ? "stdio" : resolveTarget(target.path);
    const open = this.#byPlace.get(place);
    if (open) return open;
    const sink = openSink(target, what, (e) => fail(`${what} stopped: ${e.message}`));
    if (!sink) return undefined;
    this.all.push(sink);
    this.#byPlace.set(place, sink);
    return sink;
  }

  /** True when `sink` writes to stdout. */
  isStdout(sink: BufferedSink | undefined): boolean {
    return sink !== undefined && sink === this.#byPlace.get("stdio");
  }

  flush(): void {
    for (const sink of this.all) sink.flush();
  }

  finish(): void {
    for (const sink of this.all) sink.finish();
  }

  abandon(): void {
    for (const sink of this.all) sink.abandon();
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** Runs the guest; each magic breakpoint prints the registers and the guest goes on. */
async function runPrintingMagicBreaks(
  dbg: MachineDebugger,
  limits: { timeoutMs?: number; instructions?: number },
  onMagic: () => void,
): Promise<StopReason> {
  for (;;) {
    const stop = await dbg.resume(false, limits);
    if (stop.kind === "ended") return stop.reason;
    if (stop.kind === "magic") onMagic();
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
  if (live && options.gdb) {
    fail("--gdb does not work with --display live (both want the terminal's attention)");
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
  let accelReason = "";
  const sinks = new Sinks();
  try {
    // A disk is read on demand as the guest reads it; kernels and flat images are read whole.
    const onDemand = options.boot === "bios" ||
      (options.boot === "auto" &&
        looksLikeDisk(await readImageHead(options.image, DISK_HEAD_BYTES)));
    const image = onDemand ? undefined : await readImage(options.image);
    const modules = await readModules(options.initrd, options.modules);
    sinks.open(options.serial, options.debugcon);
    // Only the accelerator asked for, and the PC unless the image is flat (start-up time).
    await loadMachineCode({ accel: options.accel, pc: options.boot !== "flat" });
    const created = createMachine({
      image,
      imagePath: onDemand ? options.image : undefined,
      disks: options.disks.map((path) => ({ path })),
      diskWrite: options.diskWrite,
      accel: options.accel,
      boot: onDemand ? "bios" : options.boot,
      memory: options.memory,
      driveType: options.driveType,
      noSignatureCheck: options.noSignatureCheck,
      noReboot: options.noReboot,
      translate: !options.interpret,
      append: options.append,
      modules,
      imageName: options.image,
    });
    machine = created.machine;
    pc = created.pc;
    accelReason = created.accelReason;
    if (created.note) fail(created.note);
    if (options.serial.kind === "stdio" && !live && !Deno.stdin.isTerminal()) {
      feedSerialInput(machine, Deno.stdin);
    }
  } catch (e) {
    sinks.abandon();
    if (e instanceof LoaderError || e instanceof KvmUnavailableError) {
      fail(e.message);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (options.trace) {
    console.error(`trace: accelerator ${accelReason}`);
    machine.trace = (line) => console.error(`trace: ${line}`);
    machine.ports.onUnhandled = (port, isWrite, size) =>
      console.error(
        `trace: unknown port ${port.toString(16)} ${isWrite ? "write" : "read"} ${size}`,
      );
  }
  const interruptLog = new InterruptLog(
    machine,
    options.traceInterrupts ? (line) => console.error(`int: ${line}`) : undefined,
  );
  const debugging = options.gdb !== undefined || options.magicBreak;
  const dbg = debugging ? new MachineDebugger(machine) : undefined;
  if (options.magicBreak && !dbg!.enableMagicBreak()) {
    fail("--magic-break: xchg bx, bx cannot be trapped on KVM; it is honoured on --accel emu");
  }
  let server: GdbServer | undefined;
  if (options.gdb) {
    try {
      server = GdbServer.listen(options.gdb);
    } catch (e) {
      fail(
        `cannot listen for gdb on ${options.gdb.hostname}:${options.gdb.port}: ${
          e instanceof Error ? e.message.replace(/\s*\(os error \d+\).*$/, "") : e
        }`,
      );
      sinks.abandon();
      machine.close();
      return EXIT_USAGE;
    }
    const at = server.address;
    fail(
      `gdb stub listening on ${at.hostname}:${at.port}${
        options.gdbWait ? " (waiting for gdb to continue)" : ""
      }`,
    );
  }
  // The live display owns the terminal: output meant for stdout waits until it is closed
  // (COM1's output is also shown in the live display's serial console).
  const held: { buffer: OutputBuffer; sink: BufferedSink }[] = [];
  const connect = (sink: BufferedSink | undefined, sinkList: ((byte: number) => void)[]) => {
    if (!sink) return;
    if (live && sinks.isStdout(sink)) {
      const buffer = new OutputBuffer();
      held.push({ buffer, sink });
      sinkList.push((b) => buffer.push(b));
    } else {
      sinkList.push(sink.write);
    }
  };
  connect(sinks.serial, machine.serialSinks);
  connect(sinks.debugcon, machine.debugconSinks);
  let signalled: { name: StopSignal; number: number } | undefined;
  const releaseSignals = catchStopSignals((name, number) => {
    if (signalled) {
      // A second signal while the guest is being stopped: keep what was written, end now.
      sinks.flush();
      Deno.exit(128 + number);
    }
    signalled = { name, number };
    machine.requestStop();
  });
  // Output streams out whenever the run loop yields or waits (every 50 ms of running at most).
  machine.onWait.push(() => sinks.flush());
  const limits = {
    timeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000,
    instructions: options.maxInstructions,
  };
  let stop;
  try {
    const printMagic = () => {
      fail(`magic breakpoint (xchg bx, bx)`);
      console.error(formatCpuSnapshot(machine.snapshot()));
    };
    stop = server
      ? await runUnderGdb(dbg!, server, {
        waitForGdb: options.gdbWait,
        limits,
        devices: { pic: pc?.pic, pit: pc?.pit },
        onMagicBreak: printMagic,
      })
      : dbg
      ? await runPrintingMagicBreaks(dbg, limits, printMagic)
      : live
      ? await (await import("./lib/cli/live-display.ts")).runWithLiveDisplay(
        machine,
        pc?.keyboard,
        () => machine.run(limits),
      )
      : await machine.run(limits);
  } catch (e) {
    sinks.abandon();
    throw e;
  }
  for (const { buffer, sink } of held) for (const b of buffer.bytes) sink.write(b);
  sinks.finish();
  if (options.screenshot) {
    try {
      // Loaded only when asked for: the PNG encoder alone costs ~45 ms of start-up.
      const { writePngAtomically } = await import("./lib/display/png.ts");
      const { screenImage } = await import("./lib/display/screen.ts");
      await writePngAtomically(options.screenshot, screenImage(machine.vga, machine.framebuffer));
    } catch (e) {
      fail(
        `cannot write screenshot '${options.screenshot}': ${e instanceof Error ? e.message : e}`,
      );
      releaseSignals();
      machine.close();
      return EXIT_USAGE;
    }
  }
  // After a live run the terminal is back to normal: leave the last screen in it.
  if (options.display !== "none") {
    const screen = options.display === "ansi" ? screenAnsi(machine.vga) : screenText(machine.vga);
    if (screen) console.log(screen);
  }
  releaseSignals();
  let status = exitStatus(stop);
  if (signalled && stop.kind === "stopped") {
    fail(`stopped by ${signalled.name}`);
    status = 128 + signalled.number;
  } else if (stop.kind === "crash") {
    fail(describeStop(stop));
    console.error(formatCpuSnapshot(machine.snapshot()));
    const chain = interruptLog.exceptionChain();
    if (stop.cause === "triple-fault" && chain.length > 0) {
      console.error("  exceptions before the triple fault:");
      chain.forEach((r, i) => console.error(`  ${formatInterrupt(r, i)}`));
    }
  } else if (stop.kind === "timeout" || stop.kind === "instruction-limit") {
    fail(describeStop(stop));
  }
  machine.close();
  return status;
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
