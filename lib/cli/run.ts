/**
 * The command line's run: everything after the flags are parsed (main.ts),
 * loaded only for a run, so `--version` and `--help` load none of it.
 *
 * @module
 */

import type { CliOptions } from "./args.ts";
import { readImage, readImageHead, readModules } from "./image.ts";
import { feedSerialInput } from "./serial-input.ts";
import { catchStopSignals, type StopSignal } from "./signals.ts";
import { type BufferedSink, openSink, type OutputTarget, resolveTarget } from "./sinks.ts";
import { screenAnsi, screenText } from "../display/text.ts";
import { OutputBuffer } from "../machine/output.ts";
import { KvmUnavailableError } from "../kvm/unavailable.ts";
import { LoaderError } from "../loader/entry.ts";
import { DISK_HEAD_BYTES, looksLikeDisk } from "../loader/bootsector.ts";
import { formatCpuSnapshot } from "../machine/crash-report.ts";
import { createMachine } from "../machine/create.ts";
import { loadMachineCode } from "../machine/code.ts";
import type { Machine } from "../machine/machine.ts";
import { describeStop, EXIT_USAGE, exitStatus, type StopReason } from "../machine/stop.ts";
import type { MachineDebugger } from "../gdb/debugger.ts";
import { formatInterrupt, InterruptLog } from "../gdb/interrupt-log.ts";
import type { GdbServer } from "../gdb/server.ts";

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

/** Builds the machine `options` ask for, runs it, and returns the exit status. */
export async function runCommand(options: CliOptions): Promise<number> {
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
  let kernelNote: string | undefined;
  const sinks = new Sinks();
  try {
    // A disk is read on demand as the guest reads it; kernels and flat images are read whole.
    const onDemand = options.boot === "bios" ||
      (options.boot === "auto" &&
        looksLikeDisk(await readImageHead(options.image, DISK_HEAD_BYTES)));
    const image = onDemand ? undefined : await readImage(options.image);
    const modules = await readModules(options.initrd, options.modules);
    sinks.open(options.serial, options.debugcon);
    // Only the accelerator asked for, the PC unless the image is flat, the kernel loaders only
    // for an image to detect or a kernel (start-up time).
    await loadMachineCode({
      accel: options.accel,
      pc: options.boot !== "flat",
      kernel: !onDemand && options.boot !== "flat",
    });
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
      linuxDecompress: options.linuxDecompress,
      translate: !options.interpret,
      append: options.append,
      modules,
      imageName: options.image,
    });
    machine = created.machine;
    pc = created.pc;
    accelReason = created.accelReason;
    kernelNote = created.kernelNote;
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
    if (kernelNote) console.error(`trace: ${kernelNote}`);
    machine.trace = (line) => console.error(`trace: ${line}`);
    // A write's bytes too: POST codes (port 0x80, test ROMs' 0x190) read straight off.
    machine.ports.onUnhandled = (port, isWrite, size, written) =>
      console.error(
        `trace: unknown port ${port.toString(16)} ${isWrite ? "write" : "read"} ${size}` +
          (written
            ? `: ${[...written].map((b) => b.toString(16).padStart(2, "0")).join(" ")}`
            : ""),
      );
  }
  const interruptLog = new InterruptLog(
    machine,
    options.traceInterrupts ? (line) => console.error(`int: ${line}`) : undefined,
  );
  const debugging = options.gdb !== undefined || options.magicBreak;
  // The debugger and the gdb stub load only when asked for (start-up time).
  const dbg = debugging
    ? new (await import("../gdb/debugger.ts")).MachineDebugger(machine)
    : undefined;
  if (options.magicBreak && !dbg!.enableMagicBreak()) {
    fail("--magic-break: xchg bx, bx cannot be trapped on KVM; it is honoured on --accel emu");
  }
  let server: GdbServer | undefined;
  const gdbServer = options.gdb ? await import("../gdb/server.ts") : undefined;
  if (options.gdb && gdbServer) {
    try {
      server = gdbServer.GdbServer.listen(options.gdb);
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
    stop = server && gdbServer
      ? await gdbServer.runUnderGdb(dbg!, server, {
        waitForGdb: options.gdbWait,
        limits,
        devices: { pic: pc?.pic, pit: pc?.pit },
        onMagicBreak: printMagic,
      })
      : dbg
      ? await runPrintingMagicBreaks(dbg, limits, printMagic)
      : live
      ? await (await import("./live-display.ts")).runWithLiveDisplay(
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
      const { writePngAtomically } = await import("../display/png.ts");
      const { screenImage } = await import("../display/screen.ts");
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
