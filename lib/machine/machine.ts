/**
 * A machine: guest memory, the port and MMIO buses with their devices, one
 * vCPU, and the run loop. The loop enters the guest, hands each exit to
 * `handleExit`, injects interrupts and enforces the limits; nothing here
 * depends on which accelerator runs the vCPU.
 *
 * @module
 */

import type { KvmRegs, KvmSregs } from "../kvm/structs.ts";
import type { Vcpu, Vm } from "../vcpu/contract.ts";
import { DEBUG_EXIT_PORT, DEBUG_EXIT_SIZE, DebugExit } from "../devices/debug-exit.ts";
import { Debugcon, DEBUGCON_PORT } from "../devices/debugcon.ts";
import { COM1_PORT, Serial16550 } from "../devices/serial.ts";
import { Vga, VGA_BASE, VGA_SIZE } from "../devices/vga.ts";
import type { LinearFramebuffer } from "../devices/framebuffer.ts";
import { type Clock, WallClock } from "../devices/clock.ts";
import { InstructionClock } from "./instruction-clock.ts";
import { SlicePacer } from "./slice-pacer.ts";
import { yieldToHost } from "./host-yield.ts";
import { Bus } from "./bus.ts";
import { type CpuSnapshot, snapshotCpu } from "./crash-report.ts";
import { type ExitContext, handleExit } from "./exits.ts";
import { GuestMemory } from "./memory.ts";
import { OutputBuffer } from "./output.ts";
import type { StopReason } from "./stop.ts";
import type { TimedDevice } from "../devices/clock.ts";

/** Something that can raise interrupts (the PIC pair). */
export interface InterruptController {
  /** An unmasked interrupt is waiting. */
  hasInterrupt(): boolean;
  /** Takes the highest-priority interrupt and returns its vector. */
  acknowledge(): number;
  /** Whether a request on `line` would reach the CPU now (absent: always). */
  canDeliver?(line: number): boolean;
}

/** Interrupts KVM_RUN periodically (only the KVM accelerator needs one). */
export interface RunKick {
  arm(intervalMs: number): void;
  close(): void;
}

/** Limits for one run. */
export interface RunLimits {
  /** Wall-clock limit in milliseconds. */
  timeoutMs?: number;
  /** Instruction limit (software CPU only). */
  instructions?: number;
}

/** Parts a machine is built from. */
export interface MachineParts {
  vm: Vm;
  vcpu: Vcpu;
  /** Which accelerator runs the vCPU. */
  accelerator: "kvm" | "emu";
  /** Makes a kicker for KVM_RUN; absent for the software CPU. */
  makeKick?: () => RunKick;
  /** Bytes of serial output kept for the API. */
  serialLimit?: number;
  /** A reset request stops the run (`{kind: "reset"}`) instead of rebooting. */
  noReboot?: boolean;
  /** Fit the debug console at port 0xE9 (default true; without it the port reads 0xFF). */
  debugcon?: boolean;
}

const KICK_INTERVAL_MS = 10;
const YIELD_INTERVAL_MS = 50;

/** A PC-like machine with one vCPU. */
export class Machine {
  readonly memory = new GuestMemory();
  readonly ports = new Bus("port I/O", 0x10000);
  readonly mmio = new Bus("MMIO", 2 ** 52);
  readonly vm: Vm;
  readonly vcpu: Vcpu;
  readonly accelerator: "kvm" | "emu";
  /** The VGA window 0xA0000-0xBFFFF (text, mode 13h, CGA). */
  readonly vga: Vga;
  /**
   * A kernel's linear framebuffer, when it asked for a graphics mode: the
   * screen then shows its pixels instead of the VGA's.
   */
  framebuffer: LinearFramebuffer | undefined;
  readonly debugExit = new DebugExit();
  readonly serial: Serial16550;
  /** Everything the guest sent to COM1 (bounded). */
  readonly serialOutput: OutputBuffer;
  /** Extra consumers of serial output (stdout, a file). */
  readonly serialSinks: ((byte: number) => void)[] = [];
  /** Everything the guest wrote to the debug console, port 0xE9 (bounded). */
  readonly debugconOutput: OutputBuffer = new OutputBuffer();
  /** Extra consumers of debug console output (stdout, a file). */
  readonly debugconSinks: ((byte: number) => void)[] = [];
  /** Time-driven devices, updated by the run loop. */
  readonly timedDevices: TimedDevice[] = [];
  /**
   * Device time: the wall clock on KVM; on the software CPU a virtual clock
   * derived from the instruction counter that jumps ahead while the guest
   * waits in HLT (deterministic runs, see instruction-clock.ts).
   */
  readonly clock: Clock;
  /**
   * The interrupt controller, once the platform adds one; the platform also
   * calls {@link interruptRaised} when the controller's output goes up.
   */
  interrupts: InterruptController | undefined;
  /** COM1's interrupt line, once the platform wires it (IRQ 4 on a PC). */
  serialIrq: ((level: boolean) => void) | undefined;
  /** Gets one line per exit when set. */
  trace: ((line: string) => void) | undefined;
  /** While set, the loop injects no interrupts (a debugger's single step, as QEMU's NOIRQ). */
  interruptsHeld = false;
  /** Called before each entry into the vCPU (devices that publish state into guest memory). */
  readonly beforeRun: (() => void)[] = [];
  /** Told of each external interrupt the loop injects (the interrupt log). */
  onInject: ((vector: number) => void) | undefined;
  /** A reset request stops the run with `{kind: "reset"}` instead of calling {@link onReset}. */
  noReboot: boolean;
  /**
   * Reboots: the platform's power-on state again (RAM kept). Set by whoever
   * builds the machine; without it a reset request stops the run.
   */
  onReset: (() => void) | undefined;
  /** Set by {@link requestReset}; the loop reboots (or stops) after the exit that asked. */
  #resetRequested = false;
  /** Run by {@link close} after the VM is released (the platform's disks close here). */
  readonly onClose: (() => void)[] = [];
  /**
   * Run each time the run loop is about to give the event loop a turn (a
   * yield, a wait in HLT): the moment to flush buffered output, since host
   * timers could not fire earlier anyway. The command line flushes here instead
   * of arming a timer (in Deno 2.9 the first timer costs ~5 ms of start-up).
   */
  readonly onWait: (() => void)[] = [];
  /** Set by `requestStop()`; the loop stops at the next exit. */
  #stopRequested = false;
  /** Set by {@link stopWith}: the reason the loop stops with at the next exit. */
  #deviceStop: StopReason | undefined;
  #wake: (() => void) | undefined;
  /** The guest waits in HLT with interrupts on (kept across runs, as the CPU stays halted). */
  #halted = false;
  /** When the last wait in HLT that slept ended (the event loop ran then). */
  #sleptAt = -Infinity;
  /** Clock time when a timed device next needs an update (-Infinity: at once). */
  #due = -Infinity;
  /** Ports whose accesses can move a timed device's schedule (see {@link markTimingPorts}). */
  readonly #timingPorts = new Uint8Array(0x10000);
  /** Ports whose writes must leave the CPU as exits (see {@link markExitPorts}). */
  readonly #exitPorts = new Uint8Array(0x10000);
  /** Set when the interrupt controller raised its output (see {@link interruptRaised}). */
  #raised = false;
  /** Set when a timed device's schedule moved during a write (see {@link timersChanged}). */
  #timersMoved = false;
  /** OUT data of 1, 2 and 4 bytes for writes done without an exit. */
  readonly #outData = [1, 2, 3, 4].map((n) => new Uint8Array(n));
  readonly #makeKick?: () => RunKick;

  constructor(parts: MachineParts) {
    this.vm = parts.vm;
    this.vcpu = parts.vcpu;
    this.accelerator = parts.accelerator;
    this.#makeKick = parts.makeKick;
    this.noReboot = parts.noReboot ?? false;
    const vm = this.vm;
    this.memory.onWrite = vm.memoryWritten?.bind(vm);
    this.serialOutput = new OutputBuffer(parts.serialLimit);
    this.serial = new Serial16550({
      onOutput: (b) => {
        this.serialOutput.push(b);
        for (const sink of this.serialSinks) sink(b);
      },
      setIrq: (level) => this.serialIrq?.(level),
    });
    this.ports.register(COM1_PORT, 8, this.serial, "COM1");
    // Not an exit port: on the software CPU its OUTs complete inside the CPU.
    const debugcon = new Debugcon((b) => {
      this.debugconOutput.push(b);
      for (const sink of this.debugconSinks) sink(b);
    });
    if (parts.debugcon ?? true) this.ports.register(DEBUGCON_PORT, 1, debugcon, "debugcon");
    this.ports.register(DEBUG_EXIT_PORT, DEBUG_EXIT_SIZE, this.debugExit, "debug-exit");
    this.markExitPorts(DEBUG_EXIT_PORT, DEBUG_EXIT_SIZE);
    const vcpu = this.vcpu;
    this.clock = vcpu.instructions !== undefined
      ? new InstructionClock(() => vcpu.instructions ?? 0)
      : new WallClock();
    this.vga = new Vga({ clock: this.clock });
    this.mmio.register(VGA_BASE, VGA_SIZE, this.vga, "VGA");
  }

  /** Adds guest RAM at `base` on the accelerator and in the memory map. */
  addRam(base: number, size: number, readonly = false): Uint8Array {
    const bytes = this.vm.addMemory(base, size, { readonly });
    this.memory.addRegion(base, bytes, readonly);
    return bytes;
  }

  /**
   * Marks ports whose accesses can change when a timed device next needs an
   * update (a timer's programming, a controller the typing queue waits on).
   * Other port I/O does not make the run loop look at the timed devices.
   */
  markTimingPorts(base: number, length: number): void {
    this.#timingPorts.fill(1, base, Math.min(base + length, 0x10000));
    this.markExitPorts(base, length);
  }

  /**
   * Marks ports whose writes the run loop must see as exits. On the software
   * CPU other OUTs are done without leaving the CPU (as QEMU does them), which
   * makes them about ten times cheaper; timing ports are always exit ports.
   */
  markExitPorts(base: number, length: number): void {
    this.#exitPorts.fill(1, base, Math.min(base + length, 0x10000));
  }

  /**
   * The interrupt controller's output went up (whoever sets `interrupts`
   * calls this): a write done inside the software CPU that raised an
   * interrupt ends the run, so the loop can deliver it.
   */
  interruptRaised(): void {
    this.#raised = true;
  }

  /**
   * A timed device's next event moved without port I/O (a timer programmed
   * through MMIO): the loop looks at the timed devices again before it goes on,
   * and a software CPU's slice sized by the old schedule ends at this write.
   */
  timersChanged(): void {
    this.#due = -Infinity;
    this.#timersMoved = true;
  }

  /** Asks a running loop to stop at its next exit (and wakes it from HLT). */
  requestStop(): void {
    this.#stopRequested = true;
    this.#wake?.();
  }

  /** The guest asked for a CPU reset (keyboard controller, port 0x92): see {@link onReset}. */
  requestReset(): void {
    this.#resetRequested = true;
  }

  /** Ends the run at the next exit with `reason` (a device or the BIOS that cannot go on). */
  stopWith(reason: StopReason): void {
    this.#deviceStop ??= reason;
  }

  /** Wakes a loop that waits in HLT (after input arrives). */
  wake(): void {
    this.#due = -Infinity;
    this.#wake?.();
  }

  /** The CPU state now, with the code bytes at CS:IP. */
  snapshot(): CpuSnapshot {
    return snapshotCpu(this.vcpu.getRegs(), this.vcpu.getSregs(), (at, n) => this.#readCode(at, n));
  }

  /** Loads registers (both structs). */
  setCpuState(regs: KvmRegs, sregs: KvmSregs): void {
    this.#halted = false;
    this.vcpu.setSregs(sregs);
    this.vcpu.setRegs(regs);
  }

  /** Runs the guest until it stops. */
  async run(limits: RunLimits = {}): Promise<StopReason> {
    this.#stopRequested = false;
    const start = performance.now();
    const deadline = limits.timeoutMs !== undefined ? start + limits.timeoutMs : Infinity;
    // KVM_RUN is always kicked: deadlines, timed devices and requestStop() from
    // the event loop all need the loop back from a guest that never exits.
    const kick = this.#makeKick?.();
    kick?.arm(KICK_INTERVAL_MS);
    // A trace wants every OUT as an exit line.
    if (this.vcpu.portOutHook !== undefined) {
      this.vcpu.portOutHook = this.trace === undefined ? this.#outWithoutExit : null;
    }
    if (this.vcpu.mmioWriteHook !== undefined) {
      this.vcpu.mmioWriteHook = this.trace === undefined ? this.#mmioWithoutExit : null;
    }
    // The loop sizes each slice; the vCPU's own setting is the longest and stays its own.
    const slice = this.vcpu.sliceLimit;
    try {
      return await this.#loop(deadline, limits.instructions);
    } finally {
      if (slice !== undefined) this.vcpu.sliceLimit = slice;
      kick?.close();
    }
  }

  /** Does an OUT inside the software CPU unless its port is an exit port (see `PortOutHook`). */
  readonly #outWithoutExit = (port: number, size: number, value: number): number => {
    const exitPorts = this.#exitPorts;
    if (exitPorts[port] !== 0 || exitPorts[(port + size - 1) & 0xffff] !== 0) return 0;
    return this.#writeWithoutExit(this.ports, port, size, value);
  };

  /** Does an MMIO write (of at most 4 bytes) inside the software CPU. */
  readonly #mmioWithoutExit = (address: number, length: number, value: number): number => {
    if (length > 4) return 0;
    return this.#writeWithoutExit(this.mmio, address, length, value);
  };

  /** A device write the CPU need not leave for: 1, or 2 to end the run (an interrupt went up). */
  #writeWithoutExit(bus: Bus, address: number, size: number, value: number): number {
    const data = this.#outData[size - 1];
    data[0] = value;
    if (size > 1) data[1] = value >> 8;
    if (size > 2) {
      data[2] = value >> 16;
      data[3] = value >> 24;
    }
    // A newly raised interrupt ends the run so the loop can deliver it (one already
    // pending is the loop's business: it waits for the guest's interrupt window).
    this.#raised = false;
    this.#timersMoved = false;
    bus.write(address, data);
    return this.#stopRequested || this.#raised || this.#resetRequested || this.#timersMoved ? 2 : 1;
  }

  async #loop(deadline: number, instructionLimit: number | undefined): Promise<StopReason> {
    const vcpu = this.vcpu;
    const run = vcpu.runState;
    const ctx: ExitContext = {
      ports: this.ports,
      mmio: this.mmio,
      hasInterruptSources: this.interrupts !== undefined,
      interruptsEnabled: false,
      trace: this.trace,
      stopping: () => this.debugExit.code !== undefined,
    };
    const maxSlice = vcpu.sliceLimit;
    const timed = this.timedDevices.length > 0;
    let lastYield = performance.now();
    const pacer = maxSlice === undefined
      ? undefined
      : new SlicePacer(maxSlice, lastYield, vcpu.instructions ?? 0);
    let exits = 0;
    for (;;) {
      if (this.#halted) {
        // In HLT (also when the last run ended there): nothing runs until the guest can be woken.
        const woke = await this.#waitForInterrupt(deadline);
        if (woke !== "interrupt") return { kind: woke };
        this.#halted = false;
        if (this.#sleptAt > lastYield) {
          lastYield = this.#sleptAt;
          pacer?.restart(lastYield, vcpu.instructions ?? 0);
        }
      }
      // Timed devices are updated only when something is due; port I/O, an
      // interrupt taken or host input may move their schedules, so those reset `#due`.
      if (timed && this.clock.now() >= this.#due) this.#updateDevices();
      if (this.interrupts && !this.interruptsHeld) this.#injectInterrupt();
      if (pacer !== undefined) {
        let slice = pacer.slice;
        if (instructionLimit !== undefined) {
          const left = instructionLimit - (vcpu.instructions ?? 0);
          if (left <= 0) return { kind: "instruction-limit" };
          slice = Math.min(slice, left);
        }
        // On virtual time, end the slice when the next timer event is due.
        const clock = this.clock;
        if (clock instanceof InstructionClock && Number.isFinite(this.#due)) {
          slice = Math.min(slice, clock.instructionsUntil(this.#due));
        }
        vcpu.sliceLimit = slice;
      }
      for (const publish of this.beforeRun) publish();
      const exit = vcpu.run();
      if (exit.kind === "io" && this.#timingPorts[exit.port] !== 0) this.#due = -Infinity;
      ctx.interruptsEnabled = run.ifFlag;
      const next = handleExit(ctx, exit);
      if (this.debugExit.code !== undefined) {
        const code = this.debugExit.code;
        this.debugExit.code = undefined;
        return { kind: "debug-exit", code };
      }
      // A reset line pulled during the exit wins over what the guest did after it.
      if (next.action === "reset" || this.#resetRequested) {
        this.#resetRequested = false;
        if (this.noReboot || !this.onReset) return { kind: "reset" };
        this.onReset();
        this.#due = -Infinity;
        continue;
      }
      if (next.action === "stop") return next.reason;
      if (this.#deviceStop) {
        const reason = this.#deviceStop;
        this.#deviceStop = undefined;
        return reason;
      }
      if (next.action === "wait") {
        this.#halted = true;
        continue;
      }
      if (this.#stopRequested) return { kind: "stopped" };
      // Reading the clock costs more than an exit; do it on kicks and every 256 exits.
      if (exit.kind !== "intr" && (++exits & 255) !== 0) continue;
      const now = performance.now();
      if (now >= deadline) return { kind: "timeout" };
      pacer?.measured(now, vcpu.instructions ?? 0);
      if (now - lastYield >= YIELD_INTERVAL_MS) {
        for (const f of this.onWait) f();
        await yieldToHost();
        lastYield = performance.now();
        pacer?.restart(lastYield, vcpu.instructions ?? 0);
      }
    }
  }

  /** Updates the timed devices and notes when the next of them is due. */
  #updateDevices(): void {
    const now = this.clock.now();
    for (const d of this.timedDevices) d.update(now);
    this.#due = this.#nextEventNs() ?? Infinity;
  }

  /** The clock time of the next timed event, if any device has one. */
  #nextEventNs(): number | undefined {
    const now = this.clock.now();
    let next: number | undefined;
    for (const d of this.timedDevices) {
      const t = d.nextEventNs(now);
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  #injectInterrupt(): void {
    const run = this.vcpu.runState;
    if (!this.interrupts!.hasInterrupt()) {
      run.requestInterruptWindow = false;
      return;
    }
    if (run.readyForInterruptInjection) {
      const vector = this.interrupts!.acknowledge();
      this.onInject?.(vector);
      this.vcpu.interrupt(vector);
      run.requestInterruptWindow = false;
      // A taken interrupt may release a device's next one (the PIT holds a tick back while
      // the last is unacknowledged): update now, so the next slice ends at the next event.
      if (this.timedDevices.length > 0) this.#updateDevices();
    } else {
      run.requestInterruptWindow = true;
    }
  }

  /**
   * The guest waits in HLT until an interrupt it can take (unmasked at the
   * PIC; IF is set) is raised, or a device without a line (a BIOS wait) has
   * its event. Events of devices whose line is masked do not wake it. On
   * virtual time the clock jumps to the next event that can wake the guest;
   * when none can, and always on the wall clock, the loop sleeps until that
   * event, a wake-up (input), a stop request or the deadline.
   */
  async #waitForInterrupt(deadline: number): Promise<"interrupt" | "timeout" | "stopped"> {
    const clock = this.clock;
    const virtual = clock instanceof InstructionClock;
    for (;;) {
      if (this.#stopRequested) return "stopped";
      if (this.timedDevices.length) this.#updateDevices();
      if (this.interrupts?.hasInterrupt()) return "interrupt";
      const next = this.#nextWakeNs();
      if (next !== undefined && next <= clock.now()) {
        // Due now and still nothing to take: a lineless device's own wake-up.
        return "interrupt";
      }
      if (virtual && next !== undefined) {
        clock.skipTo(next);
        continue;
      }
      const now = performance.now();
      if (now >= deadline) return "timeout";
      let until = deadline;
      if (next !== undefined) until = Math.min(until, now + (next - clock.now()) / 1e6);
      const ms = until === Infinity ? 1000 : Math.max(0, until - now);
      for (const f of this.onWait) f();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
      this.#wake = undefined;
      this.#sleptAt = performance.now();
    }
  }

  /** The next event that can wake a CPU in HLT: of a lineless device, or one whose line is open. */
  #nextWakeNs(): number | undefined {
    const now = this.clock.now();
    const pic = this.interrupts;
    let next: number | undefined;
    for (const d of this.timedDevices) {
      if (d.irqLine !== undefined && pic?.canDeliver && !pic.canDeliver(d.irqLine)) continue;
      const t = d.nextEventNs(now);
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  #readCode(address: number, length: number): Uint8Array {
    for (let n = length; n > 0; n--) {
      if (this.memory.contains(address, n)) return this.memory.read(address, n);
    }
    return new Uint8Array(0);
  }

  /** Releases the VM, then what the platform added to {@link onClose}. */
  close(): void {
    this.vm.close();
    for (const f of this.onClose.splice(0)) f();
  }
}
