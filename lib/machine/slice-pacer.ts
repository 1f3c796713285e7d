/**
 * Slice sizes for the software CPU. The run loop reads the wall clock only
 * between slices, so a slice must not run for long: a guest that faults at
 * every instruction, or that drives a device with every OUT, runs a thousand
 * times slower than a plain loop, and a fixed slice of a million
 * instructions would keep a timeout or a stop waiting for seconds. The pacer
 * measures how many instructions ran per millisecond and sizes the next
 * slices to take about {@link SLICE_MS}. Where a slice ends does not change
 * what the guest sees (the loop only continues), so runs stay deterministic.
 *
 * @example
 * ```ts
 * import { SlicePacer } from "./slice-pacer.ts";
 * const pacer = new SlicePacer(1 << 20, 0, 0);
 * console.log(pacer.slice); // 4096: the first slices are short
 * pacer.measured(10, 50_000); // 50 000 instructions in 10 ms
 * console.log(pacer.slice); // 50000: 10 ms at that speed
 * ```
 *
 * @module
 */

/** Wall time one slice should take at most, in milliseconds. */
export const SLICE_MS = 10;
/** The slice before the run's speed is known. */
export const FIRST_SLICE = 4096;
/** The shortest slice (a slice costs about a microsecond of loop overhead). */
export const MIN_SLICE = 256;
/** Intervals shorter than this are too coarse to measure a speed on. */
const MIN_MEASURE_MS = 1;

/** Sizes slices from the measured speed. */
export class SlicePacer {
  /** The longest slice (the vCPU's own). */
  readonly max: number;
  #slice: number;
  #since: number;
  #instructions: number;

  /** Starts at `now` (ms) with `instructions` retired, with slices of at most `max`. */
  constructor(max: number, now: number, instructions: number) {
    this.max = max;
    this.#slice = Math.max(1, Math.min(max, FIRST_SLICE));
    this.#since = now;
    this.#instructions = instructions;
  }

  /** Instructions the next slice may run. */
  get slice(): number {
    return this.#slice;
  }

  /** The wall clock read `now` (ms) with `instructions` retired: resizes the slice. */
  measured(now: number, instructions: number): void {
    const ms = now - this.#since;
    const ran = instructions - this.#instructions;
    if (ms < MIN_MEASURE_MS) {
      // Too short to time: a whole slice that ran this fast may double.
      if (ran >= this.#slice) this.#slice = Math.min(this.max, this.#slice * 2);
      return;
    }
    const fit = Math.floor((ran * SLICE_MS) / ms);
    this.#slice = Math.max(Math.min(MIN_SLICE, this.max), Math.min(this.max, fit));
    this.restart(now, instructions);
  }

  /** The loop was away (it slept or yielded): measure from here. */
  restart(now: number, instructions: number): void {
    this.#since = now;
    this.#instructions = instructions;
  }
}
