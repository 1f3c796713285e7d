/**
 * picovmm's scripting API: boot an x86 guest from a Deno script or test, run
 * it to a stop, and assert on its screen, serial output, registers and exit
 * status. The same guest runs on KVM or on the built-in software CPU.
 *
 * @example Boot a PC boot sector, type on its keyboard, wait for its answer
 * ```ts
 * import { Guest } from "./mod.ts";
 *
 * const image = await Deno.readFile("guests/boot-keys.bin");
 * using guest = Guest.create(image, { boot: "bios", accel: "emu" });
 * const done = guest.run({ timeoutMs: 10_000 });
 * await guest.waitForScreen(/Type a line/, { timeoutMs: 5000 });
 * guest.keyboard.type("hello{Enter}");
 * await guest.waitForScreen(/keys OK/, { timeoutMs: 5000 });
 * console.log((await done).stop.kind); // "halt"
 * ```
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
import type { Pc } from "./lib/machine/pc.ts";
import { screenImage } from "./lib/display/screen.ts";
import type { RgbaImage } from "./lib/display/raster.ts";
import { describeStop, exitStatus, type StopReason } from "./lib/machine/stop.ts";

export type { CpuSnapshot } from "./lib/machine/crash-report.ts";
export type { CrashCause, StopReason } from "./lib/machine/stop.ts";
export { describeStop, exitStatus } from "./lib/machine/stop.ts";
export { LoaderError } from "./lib/loader/entry.ts";
export { KvmUnavailableError } from "./lib/kvm/host.ts";
export { formatCpuSnapshot } from "./lib/machine/crash-report.ts";
export type { RgbaImage } from "./lib/display/raster.ts";
export type { DriveType } from "./lib/loader/disk.ts";

/**
 * Options for {@link Guest.create}.
 *
 * @example A 1.44 MB floppy image with 16 MiB of RAM, on the software CPU
 * ```ts
 * import { Guest, type GuestOptions } from "./mod.ts";
 * const options: GuestOptions = { boot: "bios", accel: "emu", memory: 16 << 20 };
 * using guest = Guest.create(await Deno.readFile("guests/boot-disk.bin"), options);
 * ```
 */
export interface GuestOptions {
  /** `auto` (default): KVM when /dev/kvm works, else the software CPU. */
  accel?: "auto" | "kvm" | "emu";
  /**
   * How the image starts. `auto` (default): found from the image, a kernel
   * (ELF or Multiboot header) or else a disk. `bios`: the image is a disk,
   * its first sector is booted at 0000:7C00 by picovmm's PC BIOS. `flat`:
   * the image at guest-physical 0, no BIOS (the seed's machine).
   * `multiboot`, `multiboot2`, `pvh`: a kernel of that protocol, started in
   * 32-bit protected mode on a PC without BIOS (KVM only so far: on the
   * software CPU `create` throws a LoaderError). `elf`: a plain ELF at its
   * entry point with the Multiboot2 information, an ELF64 in 64-bit long
   * mode over identity page tables (found by `auto` too). `linux`: a bzImage
   * through the Linux boot protocol, at its 64-bit entry when it has one
   * (found by `auto` from its "HdrS" header).
   */
  boot?: "auto" | "bios" | "flat" | "multiboot" | "multiboot2" | "pvh" | "elf" | "linux";
  /**
   * Guest RAM in bytes (a multiple of 4096); default 640 KiB for `bios`
   * (more is extended memory from 1 MiB), 128 MiB for kernels, 4 KiB for `flat`.
   */
  memory?: number;
  /**
   * Kernels: the command line (Multiboot v1 gets it after the name
   * "kernel", as GRUB and QEMU put the kernel's file name first).
   *
   * @example
   * ```ts
   * import { Guest } from "./mod.ts";
   * using guest = Guest.create(await Deno.readFile("guests/kernel-mb1.elf"), {
   *   accel: "kvm",
   *   append: "console=ttyS0",
   *   initrd: new TextEncoder().encode("initrd bytes"),
   * });
   * ```
   */
  append?: string;
  /** Kernels: the initial ramdisk, loaded as the first module (its command line: "initrd"). */
  initrd?: Uint8Array;
  /**
   * Kernels: modules loaded after the initrd, page-aligned, each with its
   * command line (default "module1", "module2", ...).
   */
  modules?: { data: Uint8Array; cmdline?: string }[];
  /** `bios`: the disk's type; by default floppy-sized images are floppies, others hard disks. */
  driveType?: "floppy" | "hdd";
  /** `bios`: boot a first sector that lacks the 0x55AA signature. */
  noSignatureCheck?: boolean;
  /** `bios`: the RTC's date and time at power-on (default: the host's). */
  rtcStart?: Date | number;
  /** Most bytes of serial output kept (default 1 MiB); the rest is counted, not kept. */
  serialLimit?: number;
  /**
   * Software CPU: translate hot code to JavaScript functions (default true).
   * false runs every instruction through the interpreter: the same results,
   * slower (for comparison, or to rule the translator out when debugging).
   */
  translate?: boolean;
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

/**
 * Options for {@link Guest.waitForScreen} and {@link Guest.waitForSerial}.
 *
 * @example
 * ```ts
 * import { Guest } from "./mod.ts";
 * using guest = Guest.create(await Deno.readFile("guests/boot-hello.bin"), { accel: "emu" });
 * const done = guest.run({ timeoutMs: 5000 });
 * await guest.waitForScreen("Boot drive", { timeoutMs: 2000 });
 * await done;
 * ```
 */
export interface WaitOptions {
  /** Give up (reject) after this many milliseconds; default 10 000. */
  timeoutMs?: number;
}

/**
 * The PC keyboard of a `bios` guest ({@link Guest.keyboard}).
 *
 * @example
 * ```ts
 * import { Guest } from "./mod.ts";
 * using guest = Guest.create(await Deno.readFile("guests/boot-keys.bin"), { accel: "emu" });
 * guest.keyboard.type("hi{Enter}");
 * await guest.run({ timeoutMs: 5000 });
 * ```
 */
export interface GuestKeyboard {
  /**
   * Types text as key presses on a US keyboard: printable ASCII, `\n` for
   * Enter, `\t`, `\b`, and named keys or chords in braces: `{Enter}`,
   * `{Esc}`, `{F1}`, `{Up}`, `{Ctrl+C}`, `{Shift+Tab}`; `{{` types `{`.
   * Returns the number of scan code bytes queued; throws RangeError for an
   * unknown key.
   *
   * @example
   * ```ts
   * import { Guest } from "./mod.ts";
   * using guest = Guest.create(await Deno.readFile("guests/boot-keys.bin"), { accel: "emu" });
   * guest.keyboard.type("dir\n");
   * guest.keyboard.type("{Ctrl+C}");
   * ```
   */
  type(keys: string): number;
  /** Queues raw set-1 scan codes (make and break codes). */
  sendScancodes(codes: Iterable<number>): number;
}

/**
 * A guest machine: create it from an image, run it, inspect it.
 *
 * @example
 * ```ts
 * import { Guest } from "./mod.ts";
 * using guest = Guest.create(await Deno.readFile("guests/boot-timer.bin"), { accel: "emu" });
 * const result = await guest.run({ timeoutMs: 10_000 });
 * console.log(result.stop.kind, guest.screenText()); // "halt" "...timer OK"
 * ```
 */
export class Guest implements Disposable {
  readonly #machine: Machine;
  readonly #pc: Pc | undefined;
  #running = false;
  /** Set when `accel: "auto"` fell back to the software CPU. */
  readonly note: string | undefined;

  private constructor(machine: Machine, note: string | undefined, pc: Pc | undefined) {
    this.#machine = machine;
    this.note = note;
    this.#pc = pc;
  }

  /**
   * Builds a guest from an image. Throws LoaderError for a bad image or
   * options, KvmUnavailableError when `accel: "kvm"` cannot open /dev/kvm.
   */
  static create(image: Uint8Array, options: GuestOptions = {}): Guest {
    const machineOptions: MachineOptions = { image, ...options, boot: options.boot ?? "auto" };
    const { machine, note, pc } = createMachine(machineOptions);
    return new Guest(machine, note, pc);
  }

  /** Which accelerator runs this guest. */
  get accelerator(): "kvm" | "emu" {
    return this.#machine.accelerator;
  }

  /**
   * Runs until the guest stops (halt, debug-exit, crash, timeout, instruction
   * limit). Give `timeoutMs` to run for a time, `instructions` to run for a
   * number of instructions (software CPU); the guest can be run again after.
   * While the promise is pending a script can type and wait for output.
   *
   * @example
   * ```ts
   * import { Guest } from "./mod.ts";
   * using guest = Guest.create(await Deno.readFile("guests/boot-timer.bin"), { accel: "emu" });
   * const first = await guest.run({ instructions: 100 }); // "instruction-limit"
   * const rest = await guest.run({ timeoutMs: 5000 }); // "halt"
   * ```
   */
  async run(options: RunOptions = {}): Promise<RunResult> {
    if (this.#running) throw new Error("the guest is already running");
    this.#running = true;
    try {
      const stop = await this.#machine.run(options);
      return { stop, exitStatus: exitStatus(stop), cpu: this.#machine.snapshot() };
    } finally {
      this.#running = false;
    }
  }

  /** True while a {@link Guest.run} is in progress. */
  get running(): boolean {
    return this.#running;
  }

  /**
   * The PC keyboard (`boot: "bios"` only; a flat guest has none and this throws).
   * Typing wakes a guest that waits in HLT.
   */
  get keyboard(): GuestKeyboard {
    const pc = this.#pc;
    if (!pc) throw new Error('a flat guest has no keyboard (use boot: "bios")');
    return pc.keyboard;
  }

  /**
   * Waits until the text screen matches `pattern` (a RegExp, or a string to
   * find), while a run is in progress; resolves with the screen text. Rejects
   * after `timeoutMs`, or when the guest stops without showing it.
   *
   * @example
   * ```ts
   * import { Guest } from "./mod.ts";
   * using guest = Guest.create(await Deno.readFile("guests/boot-hello.bin"), { accel: "emu" });
   * const done = guest.run({ timeoutMs: 5000 });
   * const screen = await guest.waitForScreen(/Boot drive: (\w+)/, { timeoutMs: 5000 });
   * await done;
   * ```
   */
  waitForScreen(pattern: RegExp | string, options: WaitOptions = {}): Promise<string> {
    return this.#waitFor("screen", () => this.screenText(), pattern, options);
  }

  /**
   * Waits until the serial output (COM1) matches `pattern`; resolves with all
   * of it. Rejects after `timeoutMs`, or when the guest stops without it.
   *
   * @example
   * ```ts
   * import { Guest } from "./mod.ts";
   * using guest = Guest.create(await Deno.readFile("guests/boot-services.bin"), { accel: "emu" });
   * const done = guest.run({ timeoutMs: 5000 });
   * await guest.waitForSerial("COM1 through INT 14h");
   * await done;
   * ```
   */
  waitForSerial(pattern: RegExp | string, options: WaitOptions = {}): Promise<string> {
    return this.#waitFor("serial output", () => this.serialText(), pattern, options);
  }

  async #waitFor(
    what: string,
    read: () => string,
    pattern: RegExp | string,
    options: WaitOptions,
  ): Promise<string> {
    const matches = (text: string) =>
      typeof pattern === "string" ? text.includes(pattern) : pattern.test(text);
    const deadline = performance.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      const text = read();
      if (matches(text)) return text;
      if (!this.#running) {
        // Let a run that is about to start (or just ended) settle once.
        await new Promise((resolve) => setTimeout(resolve, 0));
        const again = read();
        if (matches(again)) return again;
        if (!this.#running) {
          throw new Error(`the guest is not running and its ${what} does not show ${pattern}`);
        }
      }
      if (performance.now() >= deadline) {
        throw new Error(`timed out waiting for ${pattern} in the ${what}:\n${text}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Stops a run in progress at its next exit. */
  stop(): void {
    this.#machine.requestStop();
  }

  /** The VGA text screen: CP437 as Unicode, trailing blanks trimmed. */
  screenText(): string {
    return screenText(this.#machine.vga);
  }

  /**
   * The screen as RGBA pixels, whatever the mode: text through the VGA 8x16
   * font with the adapter's colours and cursor (640x400 in 80x25), mode 13h
   * and CGA graphics through the palette (320x200).
   */
  screenRgba(): RgbaImage {
    return screenImage(this.#machine.vga);
  }

  /** The screen now as PNG bytes (see {@link Guest.screenRgba}). */
  async screenPng(): Promise<Uint8Array> {
    // The PNG encoder loads on first use: scripts that never save a picture don't pay for it.
    const { encodePng } = await import("./lib/display/png.ts");
    return encodePng(this.screenRgba());
  }

  /**
   * Saves the screen as a PNG file; the file appears whole or not at all.
   *
   * @example
   * ```ts
   * import { Guest } from "./mod.ts";
   * using guest = Guest.create(await Deno.readFile("guests/boot-video.bin"), { accel: "emu" });
   * await guest.run({ timeoutMs: 10_000 });
   * await guest.saveScreenshot("video.png");
   * ```
   */
  async saveScreenshot(path: string): Promise<void> {
    const { writePngAtomically } = await import("./lib/display/png.ts");
    await writePngAtomically(path, this.screenRgba());
  }

  /**
   * The text cursor as the VGA's CRTC shows it: row and column on the
   * visible page, and whether it is shown (never in graphics modes).
   *
   * @example
   * ```ts
   * import { Guest } from "./mod.ts";
   * using guest = Guest.create(await Deno.readFile("guests/boot-hello.bin"), { accel: "emu" });
   * await guest.run({ timeoutMs: 5000 });
   * console.log(guest.cursor()); // { row: 1, column: 0, visible: true }
   * ```
   */
  cursor(): { row: number; column: number; visible: boolean } {
    return this.#machine.vga.cursor;
  }

  /** The current BIOS video mode (3 text, 4 CGA, 0x13 VGA 256 colours). */
  get videoMode(): number {
    return this.#machine.vga.mode;
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
