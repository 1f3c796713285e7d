/**
 * picovmm's scripting API: boot an x86 guest from a Deno script or test, run
 * it to a stop, and assert on its screen, serial output, registers and exit
 * status. The same guest runs on KVM or on the built-in software CPU.
 *
 * Errors: {@link GuestOptionError} for an unknown option or a bad value (in
 * {@link GuestOptions}, {@link RunOptions}, {@link WaitOptions}),
 * {@link LoaderError} for an image that cannot boot, {@link KvmUnavailableError}
 * when `accel: "kvm"` has no KVM, {@link WaitError} when a wait gives up,
 * {@link GuestClosedError} for any call after `close()`, and
 * {@link GuestMemoryError} for a read outside guest RAM.
 *
 * @example Boot a PC boot sector, type on its keyboard, wait for its answer
 * ```ts
 * import { Guest } from "./mod.ts";
 * import { strictEqual } from "node:assert/strict";
 *
 * const image = await Deno.readFile("guests/boot-keys.bin");
 * using guest = Guest.create(image, { boot: "bios", accel: "emu" });
 * const done = guest.run({ timeoutMs: 10_000 });
 * await guest.waitForScreen(/Type a line/, { timeoutMs: 5000 });
 * guest.keyboard.type("hello{Enter}");
 * await guest.waitForScreen(/keys OK/, { timeoutMs: 5000 });
 * strictEqual((await done).stop.kind, "halt");
 * ```
 *
 * @example Run the seed's guest and check its banner
 * ```ts
 * import { Guest } from "./mod.ts";
 * import { ok, strictEqual } from "node:assert/strict";
 *
 * const image = await Deno.readFile("guests/hello.bin");
 * using guest = Guest.create(image, { boot: "flat", accel: "emu" });
 * const result = await guest.run({ timeoutMs: 5000 });
 * strictEqual(result.stop.kind, "halt");
 * ok(guest.screenText().includes("Hello World!"));
 * ```
 *
 * @module
 */

import { screenAnsi, screenText } from "./lib/display/text.ts";
import type { CpuSnapshot } from "./lib/machine/crash-report.ts";
import { formatCpuSnapshot } from "./lib/machine/crash-report.ts";
import "./lib/machine/all-code.ts";
import { createMachine, type MachineOptions } from "./lib/machine/create.ts";
import type { Machine } from "./lib/machine/machine.ts";
import { type GuestDebugger, guestDebugger } from "./lib/gdb/api.ts";
import type { Pc } from "./lib/machine/pc.ts";
import type { DiskSpec } from "./lib/loader/drives.ts";
import { screenImage } from "./lib/display/screen.ts";
import type { RgbaImage } from "./lib/display/raster.ts";
import type { LinearFramebufferMode } from "./lib/loader/framebuffer.ts";
import { describeStop, exitStatus, type StopReason } from "./lib/machine/stop.ts";
import { LoaderError } from "./lib/loader/entry.ts";
import { GuestClosedError, GuestOptionError, WaitError } from "./lib/api/errors.ts";
import {
  checkGuestOptions,
  checkOptions,
  RUN_OPTION_CHECKS,
  WAIT_OPTION_CHECKS,
} from "./lib/api/options.ts";

export type { CpuSnapshot } from "./lib/machine/crash-report.ts";
export type { CrashCause, StopReason } from "./lib/machine/stop.ts";
export { describeStop, exitStatus } from "./lib/machine/stop.ts";
export { LoaderError, type LoaderFix } from "./lib/loader/entry.ts";
export { GuestClosedError, GuestOptionError, WaitError } from "./lib/api/errors.ts";
export { GuestMemoryError } from "./lib/machine/memory.ts";
export { KvmUnavailableError } from "./lib/kvm/host.ts";
export { formatCpuSnapshot } from "./lib/machine/crash-report.ts";
export { GuestDebugger } from "./lib/gdb/api.ts";
export type { BreakKind, DebugStop } from "./lib/gdb/debugger.ts";
export type { Walk, WalkStep } from "./lib/machine/page-walk.ts";
export type { RgbaImage } from "./lib/display/raster.ts";
export type { LinearFramebufferMode } from "./lib/loader/framebuffer.ts";
export type { DriveType } from "./lib/loader/disk.ts";
export type { DiskSpec } from "./lib/loader/drives.ts";

/**
 * Options for {@link Guest.create}. Every key is optional; an unknown key or
 * a bad value throws {@link GuestOptionError} naming it.
 *
 * @example A 1.44 MB floppy image with 16 MiB of RAM, on the software CPU
 * ```ts
 * import { Guest, type GuestOptions } from "./mod.ts";
 * const options: GuestOptions = { boot: "bios", accel: "emu", memory: 16 << 20 };
 * using guest = Guest.create(await Deno.readFile("guests/boot-disk.bin"), options);
 * ```
 */
export interface GuestOptions {
  /**
   * Which CPU runs the guest: `"kvm"` (Linux KVM through /dev/kvm, or
   * $PICOVMM_KVM_DEVICE), `"emu"` (picovmm's software x86 CPU), or `"auto"`
   * (default): KVM when /dev/kvm opens, else the software CPU ({@link Guest.note}
   * then says why).
   */
  accel?: "auto" | "kvm" | "emu";
  /**
   * How the image starts. `"auto"` (default): found from the image, a
   * kernel (ELF, Multiboot or Linux header) or else a disk. `"bios"`: the
   * image is a disk, its first sector is booted at 0000:7C00 by picovmm's PC
   * BIOS. `"flat"`: the image at guest-physical 0, CS:IP 0000:0000, no BIOS
   * (the seed's machine). `"rom"`: the image (whole 4 KiB pages, up to 256
   * KiB) replaces the BIOS, mapped at the top of the first MiB and of 4 GiB
   * and started at F000:FFF0 as after reset (QEMU's `-bios`; CPU test ROMs).
   * `"multiboot"`, `"multiboot2"`, `"pvh"`: a kernel of
   * that protocol, started in 32-bit protected mode on a PC without BIOS.
   * `"elf"`: a plain ELF at its entry point with the Multiboot2 information,
   * an ELF64 in 64-bit long mode over identity page tables (found by `"auto"`
   * too). `"linux"`: a bzImage through the Linux boot protocol, at its 64-bit
   * entry when it has one (found by `"auto"` from its "HdrS" header). 64-bit
   * kernels run on KVM only: on the software CPU `create` throws an
   * `UnsupportedOnSoftwareCpuError`.
   */
  boot?:
    | "auto"
    | "bios"
    | "flat"
    | "rom"
    | "multiboot"
    | "multiboot2"
    | "pvh"
    | "elf"
    | "linux";
  /**
   * Guest RAM in bytes: a multiple of 4096, at most 3 GiB. Default 640 KiB
   * for `bios` (at least 64 KiB; more than 640 KiB is extended memory from
   * 1 MiB), 128 MiB for kernels (at least 2 MiB), 4096 for `flat`.
   */
  memory?: number;
  /**
   * Kernels: the command line (Multiboot v1 gets it after the name
   * "kernel", as GRUB and QEMU put the kernel's file name first).
   *
   * @example A Multiboot kernel on KVM with a command line and an initrd
   * ```ts ignore
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
  /**
   * `bios` only: the disk's type, `"floppy"` (drive 00h) or `"hdd"` (drive
   * 80h). Default: images of a floppy size (160K, 180K, 320K, 360K, 720K,
   * 1.2M, 1.44M, 2.88M) are floppies, others hard disks.
   */
  driveType?: "floppy" | "hdd";
  /** `bios` only: boot a first sector that lacks the 0x55AA signature (default false). */
  noSignatureCheck?: boolean;
  /**
   * `bios` only: the RTC's date and time at power-on, a Date or milliseconds
   * since 1970 (default: the host's time now). Fix it for runs that repeat exactly.
   */
  rtcStart?: Date | number;
  /**
   * Most bytes of serial output kept for {@link Guest.serialText} (a whole
   * number, 0 or more; default 1 MiB = 1048576); the rest is counted, not kept.
   */
  serialLimit?: number;
  /**
   * `bios`: more drives after the boot image, each an image file's path or a
   * {@link DiskSpec} (`{ path }` or `{ bytes }`, with `writable`, and `type`:
   * a hard disk unless it says `"floppy"`).
   * Files are read as the guest reads them, so large (sparse) images cost
   * nothing up front. Drives are numbered by kind in order, the boot image
   * first of its kind: floppies 00h, 01h..., hard disks 80h, 81h... (the BDA
   * and INT 13h report them all). Default: none.
   *
   * @example A boot disk (80h), an image file (81h) and a scratch disk in memory (82h)
   * ```ts
   * import { Guest } from "./mod.ts";
   * const scratch = new Uint8Array(1 << 20); // the guest's writes land here (writable)
   * using guest = Guest.create(await Deno.readFile("guests/boot-hello.bin"), {
   *   accel: "emu",
   *   disks: ["guests/boot-disk.bin", { bytes: scratch, writable: true }],
   * });
   * await guest.run({ timeoutMs: 5000 });
   * ```
   */
  disks?: readonly (string | DiskSpec)[];
  /**
   * `bios`: write what the guest writes through to the images: the boot
   * image's bytes (the array given to {@link Guest.create}) and every disk
   * in `disks` that does not set its own `writable`. Default false: writes
   * are kept in memory, and no file or array changes.
   */
  diskWrite?: boolean;
  /**
   * Software CPU: translate hot code to JavaScript functions (default true).
   * false runs every instruction through the interpreter: the same results,
   * slower (for comparison, or to rule the translator out when debugging).
   */
  translate?: boolean;
  /**
   * What a reset request (0xFE to the keyboard controller, port 0x92 bit 0)
   * does. false (default): the machine reboots as a PC does, RAM and CMOS
   * kept: the BIOS runs POST again and boots the disk's sector 0 (`flat`:
   * the CPU starts again at the image's entry). true: the run stops with
   * `{kind: "reset"}` (exit status 0), as QEMU's `-no-reboot`. A triple
   * fault is a crash either way.
   */
  noReboot?: boolean;
  /**
   * Fit the Bochs/QEMU debug console at port 0xE9 (default true): bytes the
   * guest writes there are kept for {@link Guest.debugconText}, and a read
   * gives 0xE9. false leaves the port empty (reads 0xFF), as QEMU without
   * `-debugcon`.
   */
  debugcon?: boolean;
  /**
   * `linux`: who decompresses a bzImage whose kernel is XZ-compressed (as
   * Debian's are). `"host"`: picovmm, before the boot, and the kernel is
   * entered at its own entry, at its link address (no KASLR, as with
   * `nokaslr`); seconds faster on the software CPU. `"guest"`: the kernel's
   * own decompressor, as on a PC; on KVM it runs at the host's speed, faster
   * than picovmm's decoder. `"auto"` (default): the host on the software CPU,
   * the guest on KVM. Other payloads (gzip, zstd, ...) always decompress
   * themselves.
   */
  linuxDecompress?: "auto" | "host" | "guest";
}

/**
 * Limits for {@link Guest.run}; without any, the run lasts until the guest
 * stops by itself, {@link Guest.stop} or {@link Guest.close}. A bad value
 * throws {@link GuestOptionError}.
 */
export interface RunOptions {
  /**
   * Stop with `{kind: "timeout"}` after this many milliseconds of wall time
   * (a finite number, 0 or more; fractions allowed). Default: no limit.
   */
  timeoutMs?: number;
  /**
   * Stop with `{kind: "instruction-limit"}` after this many more instructions
   * (a whole number, 0 or more), counted from where this run starts; each
   * REP iteration counts one. Software CPU only: on KVM it throws
   * {@link GuestOptionError}. Default: no limit.
   */
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
  /**
   * Give up (reject with a {@link WaitError}) after this many milliseconds
   * (a finite number, 0 or more); default 10 000.
   */
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
 * Release it with `close()`, or hold it with `using` (or `await using`). A
 * guest closed while a run is pending stops that run first: `close()` and
 * `using` request the stop at once and release the VM when the run loop has
 * returned (the pending `run()` resolves with `{kind: "stopped"}`);
 * `await using` (Symbol.asyncDispose) also waits for that. After `close()`
 * every method throws {@link GuestClosedError}.
 *
 * @example
 * ```ts
 * import { Guest } from "./mod.ts";
 * import { match, strictEqual } from "node:assert/strict";
 * using guest = Guest.create(await Deno.readFile("guests/boot-timer.bin"), { accel: "emu" });
 * const result = await guest.run({ timeoutMs: 10_000 });
 * strictEqual(result.stop.kind, "halt");
 * match(guest.screenText(), /timer OK/);
 * ```
 *
 * @example Stop a guest that runs in the background by leaving the block
 * ```ts
 * import { Guest } from "./mod.ts";
 * import { strictEqual } from "node:assert/strict";
 * let stoppedAs = "";
 * {
 *   await using guest = Guest.create(await Deno.readFile("guests/boot-keys.bin"), { accel: "emu" });
 *   guest.run().then((result) => stoppedAs = result.stop.kind); // no limit: it waits for a key
 *   await guest.waitForScreen(/Type a line/);
 * } // the run is stopped and the VM released here
 * strictEqual(stoppedAs, "stopped");
 * ```
 */
export class Guest implements Disposable, AsyncDisposable {
  readonly #machine: Machine;
  readonly #pc: Pc | undefined;
  #running: Promise<unknown> | undefined;
  /** How the last run ended (undefined before the first run ends). */
  #lastStop: StopReason | undefined;
  /** close() was called: every method throws, the VM goes when no run is left. */
  #closing = false;
  /** The VM is released. */
  #released = false;
  #keyboard: GuestKeyboard | undefined;
  #debug: GuestDebugger | undefined;
  /** Set when `accel: "auto"` fell back to the software CPU. */
  readonly note: string | undefined;

  private constructor(machine: Machine, note: string | undefined, pc: Pc | undefined) {
    this.#machine = machine;
    this.note = note;
    this.#pc = pc;
  }

  /**
   * Builds a guest from an image (its bytes are copied; the caller's array
   * is never written).
   *
   * @throws {GuestOptionError} for an unknown option or a bad value (see {@link GuestOptions}).
   * @throws {LoaderError} for an image the machine cannot boot (empty, too large for
   * `memory`, no boot signature, a disk too large for its type).
   * @throws {KvmUnavailableError} when `accel: "kvm"` cannot open /dev/kvm.
   */
  static create(image: Uint8Array, options: GuestOptions = {}): Guest {
    if (!(image instanceof Uint8Array)) {
      throw new GuestOptionError("image", "Guest.create needs the image as a Uint8Array");
    }
    checkGuestOptions(options);
    const machineOptions: MachineOptions = { image, ...options, boot: options.boot ?? "auto" };
    try {
      const { machine, note, pc } = createMachine(machineOptions);
      return new Guest(machine, note, pc);
    } catch (e) {
      throw e instanceof LoaderError ? e.inApiTerms() : e;
    }
  }

  /** Which accelerator runs this guest. */
  get accelerator(): "kvm" | "emu" {
    return this.#machine.accelerator;
  }

  /**
   * Runs until the guest stops (halt, debug-exit, crash, timeout, instruction
   * limit, `stop()`, `close()`). Give `timeoutMs` to run for a time,
   * `instructions` to run for a number of instructions (software CPU); the
   * guest can be run again after. While the promise is pending a script can
   * type and wait for output.
   *
   * @throws {GuestOptionError} for bad options, and for `instructions` on KVM.
   * @throws {Error} when a run is already in progress.
   * @throws {GuestClosedError} after `close()`.
   *
   * @example
   * ```ts
   * import { Guest } from "./mod.ts";
   * using guest = Guest.create(await Deno.readFile("guests/boot-timer.bin"), { accel: "emu" });
   * const first = await guest.run({ instructions: 100 }); // "instruction-limit"
   * const rest = await guest.run({ timeoutMs: 5000 }); // "halt"
   * ```
   */
  run(options: RunOptions = {}): Promise<RunResult> {
    try {
      this.#check("run");
      checkOptions("RunOptions", options, RUN_OPTION_CHECKS);
      if (options.instructions !== undefined && this.#machine.accelerator !== "emu") {
        throw new GuestOptionError(
          "RunOptions.instructions",
          'RunOptions.instructions needs the software CPU (accel: "emu"); this guest runs on KVM',
        );
      }
      if (this.#running) throw new Error("Guest.run: the guest is already running");
    } catch (e) {
      return Promise.reject(e);
    }
    const run = this.#run(options);
    this.#running = run;
    return run;
  }

  async #run(options: RunOptions): Promise<RunResult> {
    const machine = this.#machine;
    const start = machine.vcpu.instructions ?? 0;
    try {
      const stop = await machine.run({
        timeoutMs: options.timeoutMs,
        instructions: options.instructions === undefined ? undefined : start + options.instructions,
      });
      this.#lastStop = stop;
      return { stop, exitStatus: exitStatus(stop), cpu: machine.snapshot() };
    } finally {
      this.#running = undefined;
      // A close() that came while the loop ran released nothing: do it now the loop is out.
      if (this.#closing) this.#release();
    }
  }

  /** True while a {@link Guest.run} is in progress. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /** True once {@link Guest.close} was called. */
  get closed(): boolean {
    return this.#closing;
  }

  /**
   * The PC keyboard (`boot: "bios"` only; a flat guest has none and this throws).
   * Typing wakes a guest that waits in HLT.
   */
  get keyboard(): GuestKeyboard {
    this.#check("keyboard");
    const pc = this.#pc;
    if (!pc) throw new Error('Guest.keyboard: a flat guest has no keyboard (use boot: "bios")');
    this.#keyboard ??= {
      type: (keys) => {
        this.#check("keyboard.type");
        return pc.keyboard.type(keys);
      },
      sendScancodes: (codes) => {
        this.#check("keyboard.sendScancodes");
        return pc.keyboard.sendScancodes(codes);
      },
    };
    return this.#keyboard;
  }

  /**
   * Waits until the text screen matches `pattern` (a RegExp, or a string to
   * find), while a run is in progress; resolves with the screen text.
   *
   * @throws {WaitError} (rejects) after `timeoutMs` (reason `"timeout"`), or when the guest
   * stops, or is not running, without showing it (reason `"stopped"`, with how it stopped).
   * @throws {GuestOptionError} for a bad pattern or options.
   * @throws {GuestClosedError} when the guest is closed before or during the wait.
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
    return this.#waitFor("waitForScreen", "screen", () => this.screenText(), pattern, options);
  }

  /**
   * Waits until the serial output (COM1) matches `pattern`; resolves with all
   * of it. Fails as {@link Guest.waitForScreen} does.
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
    return this.#waitFor(
      "waitForSerial",
      "serial output",
      () => this.serialText(),
      pattern,
      options,
    );
  }

  async #waitFor(
    method: string,
    what: string,
    read: () => string,
    pattern: RegExp | string,
    options: WaitOptions,
  ): Promise<string> {
    this.#check(method);
    if (!(pattern instanceof RegExp) && typeof pattern !== "string") {
      throw new GuestOptionError("pattern", `Guest.${method} needs a RegExp or a string to find`);
    }
    checkOptions("WaitOptions", options, WAIT_OPTION_CHECKS);
    // search() ignores a global RegExp's lastIndex, so every look starts at the top.
    const matches = (text: string) =>
      typeof pattern === "string" ? text.includes(pattern) : text.search(pattern) >= 0;
    const deadline = performance.now() + (options.timeoutMs ?? 10_000);
    for (;;) {
      const text = read();
      if (matches(text)) return text;
      if (!this.#running) {
        // Let a run that is about to start (or just ended) settle once.
        await new Promise((resolve) => setTimeout(resolve, 0));
        const again = read();
        if (matches(again)) return again;
        if (!this.#running) throw this.#waitError("stopped", what, pattern);
      }
      if (performance.now() >= deadline) throw this.#waitError("timeout", what, pattern);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  #waitError(reason: "timeout" | "stopped", what: string, pattern: RegExp | string): WaitError {
    const shown = typeof pattern === "string" ? JSON.stringify(pattern) : String(pattern);
    const stop = this.#lastStop;
    const message = reason === "timeout"
      ? `timed out waiting for ${shown} in the ${what}`
      : stop === undefined
      ? `the guest is not running (it was never run) and its ${what} does not show ${shown}`
      : `the guest is not running (${describeStop(stop)}) and its ${what} does not show ${shown}`;
    return new WaitError(message, {
      reason,
      stop: reason === "stopped" ? stop : undefined,
      screen: this.screenText(),
      serial: this.serialText(),
    });
  }

  /** Stops a run in progress at its next exit (it resolves with `{kind: "stopped"}`). */
  stop(): void {
    this.#check("stop");
    this.#machine.requestStop();
  }

  /** The VGA text screen: CP437 as Unicode, trailing blanks trimmed. */
  screenText(): string {
    this.#check("screenText");
    return screenText(this.#machine.vga);
  }

  /**
   * The screen as RGBA pixels, whatever the mode: text through the VGA 8x16
   * font with the adapter's colours and cursor (720x400 in 80x25: 9-pixel
   * cells), mode 13h and CGA graphics through the palette (320x200). A
   * kernel that asked for a graphics mode (see {@link Guest.framebuffer})
   * shows its linear framebuffer's pixels instead, at the mode's size.
   */
  screenRgba(): RgbaImage {
    this.#check("screenRgba");
    return screenImage(this.#machine.vga, this.#machine.framebuffer);
  }

  /**
   * The linear framebuffer of a kernel that asked for a graphics mode
   * (Multiboot's video mode, Multiboot2's framebuffer tag): where it lies in
   * guest memory and its size; 32 bits a pixel, red in bits 16-23, green in
   * 8-15, blue in 0-7. Undefined for other guests.
   */
  get framebuffer(): LinearFramebufferMode | undefined {
    this.#check("framebuffer");
    return this.#machine.framebuffer?.mode;
  }

  /** The screen now as PNG bytes (see {@link Guest.screenRgba}). */
  async screenPng(): Promise<Uint8Array> {
    const picture = this.screenRgba();
    // The PNG encoder loads on first use: scripts that never save a picture don't pay for it.
    const { encodePng } = await import("./lib/display/png.ts");
    return encodePng(picture);
  }

  /**
   * Saves the screen as a PNG file; the file appears whole or not at all.
   *
   * @example
   * ```ts
   * import { Guest } from "./mod.ts";
   * using guest = Guest.create(await Deno.readFile("guests/boot-video.bin"), { accel: "emu" });
   * await guest.run({ timeoutMs: 10_000 });
   * await guest.saveScreenshot(await Deno.makeTempFile({ suffix: ".png" }));
   * ```
   */
  async saveScreenshot(path: string): Promise<void> {
    const picture = this.screenRgba();
    const { writePngAtomically } = await import("./lib/display/png.ts");
    await writePngAtomically(path, picture);
  }

  /**
   * The text cursor as the VGA's CRTC shows it: row and column on the
   * visible page, and whether it is shown (never in graphics modes).
   *
   * @example
   * ```ts
   * import { Guest } from "./mod.ts";
   * import { deepStrictEqual } from "node:assert/strict";
   * using guest = Guest.create(await Deno.readFile("guests/boot-hello.bin"), { accel: "emu" });
   * await guest.run({ timeoutMs: 5000 });
   * deepStrictEqual(guest.cursor(), { row: 1, column: 0, visible: true });
   * ```
   */
  cursor(): { row: number; column: number; visible: boolean } {
    this.#check("cursor");
    return this.#machine.vga.cursor;
  }

  /** The current BIOS video mode (3 text, 4 CGA, 0x13 VGA 256 colours). */
  get videoMode(): number {
    this.#check("videoMode");
    return this.#machine.vga.mode;
  }

  /** The VGA text screen with ANSI colours. */
  screenAnsi(): string {
    this.#check("screenAnsi");
    return screenAnsi(this.#machine.vga);
  }

  /** Everything the guest wrote to COM1 (up to `serialLimit` bytes), decoded as UTF-8. */
  serialText(): string {
    this.#check("serialText");
    return this.#machine.serialOutput.text();
  }

  /** Everything the guest wrote to COM1 (up to `serialLimit` bytes), as bytes. */
  serialBytes(): Uint8Array {
    this.#check("serialBytes");
    return this.#machine.serialOutput.bytes;
  }

  /** Everything the guest wrote to the debug console (port 0xE9), decoded as UTF-8. */
  debugconText(): string {
    this.#check("debugconText");
    return this.#machine.debugconOutput.text();
  }

  /**
   * Waits until the debug console's output (port 0xE9) matches `pattern`;
   * resolves with all of it. Fails as {@link Guest.waitForScreen} does.
   */
  waitForDebugcon(pattern: RegExp | string, options: WaitOptions = {}): Promise<string> {
    return this.#waitFor(
      "waitForDebugcon",
      "debug console output",
      () => this.debugconText(),
      pattern,
      options,
    );
  }

  /** Queues bytes for the guest to read from COM1. */
  sendSerial(data: string | Uint8Array): void {
    this.#check("sendSerial");
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      throw new GuestOptionError("data", "Guest.sendSerial needs a string or a Uint8Array");
    }
    this.#machine.serial.receive(typeof data === "string" ? new TextEncoder().encode(data) : data);
    this.#machine.wake();
  }

  /** The debugger: breakpoints, steps, memory at linear addresses, page walks. */
  get debug(): GuestDebugger {
    this.#check("debug");
    return this.#debug ??= guestDebugger(this.#machine);
  }

  /** The CPU state now. */
  cpu(): CpuSnapshot {
    this.#check("cpu");
    return this.#machine.snapshot();
  }

  /**
   * Reads guest-physical memory.
   *
   * @throws {GuestMemoryError} when any byte of the range is outside RAM (or the range is bad).
   */
  readMemory(address: number, length: number): Uint8Array {
    this.#check("readMemory");
    return this.#machine.memory.read(address, length);
  }

  /** One line describing a stop, e.g. for a test failure message. */
  static describe(result: RunResult): string {
    const line = describeStop(result.stop);
    return result.stop.kind === "crash" ? `${line}\n${formatCpuSnapshot(result.cpu)}` : line;
  }

  /**
   * Releases the VM (memory, vCPU, file descriptors); calling it again does
   * nothing. A run in progress is asked to stop, and the VM is released when
   * its loop has returned (its promise resolves with `{kind: "stopped"}`), so
   * no memory goes away under a running vCPU.
   */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#running) this.#machine.requestStop();
    else this.#release();
  }

  /** Same as close(), for `using`: a run in progress stops and the VM goes when it has. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** close(), then waits until a run in progress has stopped and the VM is released. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    // The run's own promise reports how it ended; here only its end matters.
    await this.#running?.catch(() => {});
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#machine.close();
  }

  #check(method: string): void {
    if (this.#closing) throw new GuestClosedError(method);
  }
}
