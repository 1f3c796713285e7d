/**
 * The debugger of the scripting API (`guest.debug`): breakpoints at linear
 * addresses, single steps, runs to the next stop, memory at linear addresses
 * and page walks, so a `deno test` can assert on them.
 *
 * @module
 */

import type { Machine } from "../machine/machine.ts";
import type { Walk } from "../machine/page-walk.ts";
import { type BreakKind, type DebugStop, MachineDebugger } from "./debugger.ts";

let make: (machine: Machine) => GuestDebugger;

/** The debugger of a machine (for `Guest`). */
export function guestDebugger(machine: Machine): GuestDebugger {
  return make(machine);
}

/**
 * A guest's debugger. Addresses are linear (CS.base + IP in real mode);
 * memory goes through the guest's page tables when paging is on.
 *
 * @example
 * ```ts
 * import { Guest } from "./mod.ts";
 * using guest = Guest.create(await Deno.readFile("guests/gdb-count.bin"), { accel: "emu" });
 * guest.debug.addBreakpoint(0x7c0b);
 * const stop = await guest.debug.continue(); // { kind: "breakpoint", pc: 0x7c0b, ... }
 * await guest.debug.step(); // one instruction
 * console.log(stop.kind, guest.debug.readMemory(0x7c14, 2)); // breakpoint Uint8Array [1, 0]
 * ```
 */
export class GuestDebugger {
  readonly #dbg: MachineDebugger;

  static {
    make = (machine) => new GuestDebugger(new MachineDebugger(machine));
  }

  /** Made by `guest.debug` (the machine is not part of the public API). */
  private constructor(dbg: MachineDebugger) {
    this.#dbg = dbg;
  }

  /**
   * Adds a breakpoint (default "software"; "hardware"; watchpoints "write",
   * "read", "access" on KVM only). Returns false when the accelerator cannot.
   */
  addBreakpoint(linear: number, kind: BreakKind = "software", length = 1): boolean {
    return this.#dbg.addBreakpoint(kind, linear, length);
  }

  /** Removes a breakpoint; false when there was none. */
  removeBreakpoint(linear: number, kind: BreakKind = "software"): boolean {
    return this.#dbg.removeBreakpoint(kind, linear);
  }

  /** Runs exactly one instruction (interrupts are not injected meanwhile). */
  step(): Promise<DebugStop> {
    return this.#dbg.resume(true);
  }

  /**
   * Runs until a breakpoint, a magic breakpoint, or the guest's end (`kind:
   * "ended"`); `timeoutMs` and `instructions` limit the run as in `Guest.run`.
   */
  continue(limits: { timeoutMs?: number; instructions?: number } = {}): Promise<DebugStop> {
    return this.#dbg.resume(false, limits);
  }

  /** Makes `xchg bx, bx` stop `continue()` (software CPU; false on KVM). */
  enableMagicBreak(): boolean {
    return this.#dbg.enableMagicBreak();
  }

  /** The linear address of CS:IP. */
  get pc(): number {
    return this.#dbg.pc();
  }

  /** Reads up to `length` bytes at a linear address (shorter where translation or RAM ends). */
  readMemory(linear: number, length: number): Uint8Array {
    return this.#dbg.readLinear(linear, length);
  }

  /** Writes bytes at a linear address; false (nothing written) where there is no RAM. */
  writeMemory(linear: number, data: Uint8Array): boolean {
    return this.#dbg.writeLinear(linear, data);
  }

  /** Walks the page tables for a linear address (identity with paging off). */
  translate(linear: number): Walk {
    return this.#dbg.translate(linear);
  }
}
