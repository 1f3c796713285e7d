/**
 * picovmm's scripting API: boot an x86 guest from a Deno script or test, run
 * it to a stop, and assert on its screen, serial output, registers and exit
 * status. The same guest runs on KVM or on the built-in software CPU.
 *
 * @example Run the seed's guest and check its banner
 * ```ts
 * import { Guest } from "./mod.ts";
 *
 * const image = await Deno.readFile("guests/hello.bin");
 * using guest = Guest.create(image, { boot: "flat", accel: "emu" });
 * const result = await guest.run({ timeoutMs: 5000 });
 * console.log(result.stop.kind); // "halt"
 * console.log(guest.screenText().includes("Hello World!")); // true
 * ```
 *
 * @module
 */

import { screenAnsi, screenText } from "./lib/display/text.ts";
import type { CpuSnapshot } from "./lib/machine/crash-report.ts";
import { formatCpuSnapshot } from "./lib/machine/crash-report.ts";
import { createMachine, type MachineOptions } from "./lib/machine/create.ts";
import type { Machine } from "./lib/machine/machine.ts";
import { describeStop, exitStatus, type StopReason } from "./lib/machine/stop.ts";

export type { CpuSnapshot } from "./lib/machine/crash-report.ts";
export type { CrashCause, StopReason } from "./lib/machine/stop.ts";
export { describeStop, exitStatus } from "./lib/machine/stop.ts";
export { LoaderError } from "./lib/loader/entry.ts";
export { KvmUnavailableError } from "./lib/kvm/host.ts";
export { formatCpuSnapshot } from "./lib/machine/crash-report.ts";

/** Options for {@link Guest.create}. */
export interface GuestOptions {
  /** `auto` (default): KVM when /dev/kvm works, else the software CPU. */
  accel?: "auto" | "kvm" | "emu";
  /** How the image starts: `flat` puts it at guest-physical 0 (the seed's machine). */
  boot?: "flat";
  /** Guest RAM in bytes (a multiple of 4096); default 4 KiB for flat images. */
  memory?: number;
  /** Most bytes of serial output kept (default 1 MiB); the rest is counted, not kept. */
  serialLimit?: number;
}

/** Limits for {@link Guest.run}. */
export interface RunOptions {
  /** Stop with `{kind: "timeout"}` after this many milliseconds. */
  timeoutMs?: number;
  /** Stop with `{kind: "instruction-limit"}` after this many instructions (software CPU). */
  instructions?: number;
}

/** What a run ended with. */
export interface RunResult {
  /** Why the guest stopped. */
  stop: StopReason;
  /** The exit status the command line would give. */
  exitStatus: number;
  /** The CPU state at the stop (for crashes, the state the report shows). */
  cpu: CpuSnapshot;
}

/** A guest machine: create it from an image, run it, inspect it. */
export class Guest implements Disposable {
  readonly #machine: Machine;
  /** Set when `accel: "auto"` fell back to the software CPU. */
  readonly note: string | undefined;

  private constructor(machine: Machine, note: string | undefined) {
    this.#machine = machine;
    this.note = note;
  }

  /**
   * Builds a guest from an image. Throws LoaderError for a bad image or
   * options, KvmUnavailableError when `accel: "kvm"` cannot open /dev/kvm.
   */
  static create(image: Uint8Array, options: GuestOptions = {}): Guest {
    const machineOptions: MachineOptions = { image, ...options };
    const { machine, note } = createMachine(machineOptions);
    return new Guest(machine, note);
  }

  /** Which accelerator runs this guest. */
  get accelerator(): "kvm" | "emu" {
    return this.#machine.accelerator;
  }

  /** Runs until the guest stops (halt, debug-exit, crash, timeout, instruction limit). */
  async run(options: RunOptions = {}): Promise<RunResult> {
    const stop = await this.#machine.run(options);
    return { stop, exitStatus: exitStatus(stop), cpu: this.#machine.snapshot() };
  }

  /** Stops a run in progress at its next exit. */
  stop(): void {
    this.#machine.requestStop();
  }

  /** The VGA text screen: CP437 as Unicode, trailing blanks trimmed. */
  screenText(): string {
    return screenText(this.#machine.vga);
  }

  /** The VGA text screen with ANSI colours. */
  screenAnsi(): string {
    return screenAnsi(this.#machine.vga);
  }

  /** Everything the guest wrote to COM1, decoded as UTF-8. */
  serialText(): string {
    return this.#machine.serialOutput.text();
  }

  /** Everything the guest wrote to COM1, as bytes. */
  serialBytes(): Uint8Array {
    return this.#machine.serialOutput.bytes;
  }

  /** Queues bytes for the guest to read from COM1. */
  sendSerial(data: string | Uint8Array): void {
    this.#machine.serial.receive(typeof data === "string" ? new TextEncoder().encode(data) : data);
    this.#machine.wake();
  }

  /** The CPU state now. */
  cpu(): CpuSnapshot {
    return this.#machine.snapshot();
  }

  /** Reads guest-physical memory (throws GuestMemoryError outside RAM). */
  readMemory(address: number, length: number): Uint8Array {
    return this.#machine.memory.read(address, length);
  }

  /** One line describing a stop, e.g. for a test failure message. */
  static describe(result: RunResult): string {
    const line = describeStop(result.stop);
    return result.stop.kind === "crash" ? `${line}\n${formatCpuSnapshot(result.cpu)}` : line;
  }

  /** Releases the VM (memory, vCPU, file descriptors). */
  close(): void {
    this.#machine.close();
  }

  /** Same as close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
