/**
 * The software CPU's clock: virtual time derived from the instruction
 * counter, so a run on the software CPU is deterministic. Each instruction
 * takes {@link NS_PER_INSTRUCTION} nanoseconds (a 10 MIPS machine), and when
 * the guest waits in HLT the run loop jumps the clock to the next timer event
 * instead of sleeping, so a guest that waits for timer ticks finishes as fast
 * as the host can run it and always sees the same times.
 *
 * @example
 * ```ts
 * import { InstructionClock } from "./instruction-clock.ts";
 * let retired = 0;
 * const clock = new InstructionClock(() => retired);
 * retired = 1000;
 * console.log(clock.now()); // 100000 (1000 instructions at 100 ns)
 * clock.skipTo(5_000_000); // the guest waited in HLT until 5 ms
 * console.log(clock.now()); // 5000000
 * ```
 *
 * @module
 */

import type { Clock } from "../devices/clock.ts";

/** Virtual nanoseconds one instruction takes on the software CPU. */
export const NS_PER_INSTRUCTION = 100;

/** Virtual time: instructions retired times {@link NS_PER_INSTRUCTION}, plus time skipped in HLT. */
export class InstructionClock implements Clock {
  #skipped = 0;
  #last = 0;

  /** Reads the vCPU's instruction counter. */
  readonly instructions: () => number;

  /** A clock at 0 until instructions run. */
  constructor(instructions: () => number) {
    this.instructions = instructions;
  }

  /** Virtual nanoseconds since the machine started. */
  now(): number {
    const ns = this.instructions() * NS_PER_INSTRUCTION + this.#skipped;
    if (ns > this.#last) this.#last = ns;
    return this.#last;
  }

  /** Moves the clock forward to `ns` (for a guest idle in HLT); never backwards. */
  skipTo(ns: number): void {
    const now = this.now();
    if (Number.isFinite(ns) && ns > now) {
      this.#skipped += Math.ceil(ns - now);
      this.now();
    }
  }

  /** Adds `ns` of virtual time (work the host does for the guest, such as a BIOS call). */
  advance(ns: number): void {
    if (Number.isFinite(ns) && ns > 0) {
      this.#skipped += Math.ceil(ns);
      this.now();
    }
  }

  /** How many instructions run before the clock reaches `ns` (at least 1). */
  instructionsUntil(ns: number): number {
    return Math.max(1, Math.ceil((ns - this.now()) / NS_PER_INSTRUCTION));
  }
}
