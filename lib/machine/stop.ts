/**
 * Why a run ended, and the process exit status for it (design.md).
 *
 * @module
 */

import { debugExitStatus } from "../devices/debug-exit.ts";

/** The crash causes reported with exit status 3. */
export type CrashCause =
  | "triple-fault"
  | "invalid-guest-state"
  | "emulation-failure"
  | "internal-error"
  | "unknown-exit"
  | "bad-access";

/** Why the machine stopped. */
export type StopReason =
  /** HLT with interrupts off (or nothing that could ever wake the CPU). */
  | { kind: "halt" }
  /** The guest wrote `code` to the debug-exit port. */
  | { kind: "debug-exit"; code: number }
  /** The guest powered the machine off. */
  | { kind: "power-off" }
  /** The wall-clock limit ran out. */
  | { kind: "timeout" }
  /** The instruction limit ran out (software CPU). */
  | { kind: "instruction-limit" }
  /** The scripting API stopped the run. */
  | { kind: "stopped" }
  /**
   * A debug stop: a breakpoint, a single step or the magic breakpoint (see
   * `DebugExit` in lib/vcpu/contract.ts for `exception`); `pc` is linear.
   */
  | { kind: "debug"; exception: number; pc: number; dr6: number }
  /** The guest asked for a CPU reset and rebooting was turned off (`noReboot`). */
  | { kind: "reset" }
  /** The guest crashed: exit status 3 and a report. */
  | { kind: "crash"; cause: CrashCause; message: string };

/** Exit status 124, as timeout(1) uses. */
export const EXIT_TIMEOUT = 124;
/** Exit status for a crashed guest. */
export const EXIT_CRASH = 3;
/** Exit status for bad usage or a bad image. */
export const EXIT_USAGE = 2;

/** The process exit status for a stop reason. */
export function exitStatus(stop: StopReason): number {
  switch (stop.kind) {
    case "halt":
    case "power-off":
    case "stopped":
    case "debug":
    case "reset":
      return 0;
    case "debug-exit":
      return debugExitStatus(stop.code);
    case "timeout":
    case "instruction-limit":
      return EXIT_TIMEOUT;
    case "crash":
      return EXIT_CRASH;
  }
}

/** A one-line description of a stop reason. */
export function describeStop(stop: StopReason): string {
  switch (stop.kind) {
    case "halt":
      return "guest halted";
    case "debug-exit":
      return `guest wrote ${stop.code} to the debug-exit port`;
    case "power-off":
      return "guest powered off";
    case "timeout":
      return "timeout: the guest was still running";
    case "instruction-limit":
      return "instruction limit reached: the guest was still running";
    case "stopped":
      return "stopped";
    case "debug":
      return `debug stop at 0x${stop.pc.toString(16)}`;
    case "reset":
      return "guest asked for a reset (not rebooted)";
    case "crash":
      return `guest crashed (${stop.cause}): ${stop.message}`;
  }
}
