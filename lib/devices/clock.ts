/**
 * Time for the devices: a {@link Clock} reads nanoseconds since an arbitrary
 * origin. The host accelerator uses a {@link WallClock}; the software CPU and
 * the tests use a {@link ManualClock} that they advance themselves, so a run
 * is deterministic.
 *
 * Timed devices (PIT, RTC) implement {@link TimedDevice}: the run loop calls
 * `update(now)` to let them raise interrupts that came due, and asks
 * `nextEventNs(now)` how long a guest in HLT may sleep.
 *
 * Conversions between nanoseconds and device ticks are done in integers
 * (whole seconds apart from the remainder) so that `ticksAt(nsAtTick(t)) === t`
 * holds exactly for every tick a run can reach.
 *
 * @example
 * ```ts
 * import { ManualClock } from "./clock.ts";
 * const clock = new ManualClock();
 * clock.advance(1_000_000); // one millisecond
 * console.log(clock.now()); // 1000000
 * ```
 *
 * @module
 */

/** Nanoseconds in one second. */
export const NS_PER_SECOND = 1_000_000_000;

/** A source of time in nanoseconds (integers, never decreasing). */
export interface Clock {
  /** Nanoseconds since the clock's origin. */
  now(): number;
}

/** A device driven by time. */
export interface TimedDevice {
  /** Raises whatever interrupts came due by `nowNs`. */
  update(nowNs: number): void;
  /**
   * The clock time of the next interrupt the device may raise, `nowNs` (or
   * less) when one is due already, or `undefined` when none is scheduled.
   */
  nextEventNs(nowNs: number): number | undefined;
  /**
   * The interrupt line (0-15) the device's events raise. A CPU waiting in
   * HLT ignores the events of a device whose line cannot reach it (masked);
   * without a line, an event wakes the waiting CPU by itself (a BIOS wait).
   */
  readonly irqLine?: number;
}

/** The host's monotonic time (`performance.now()`), starting at 0 when made. */
export class WallClock implements Clock {
  readonly #origin = performance.now();
  #last = 0;

  /** Whole nanoseconds since construction. */
  now(): number {
    // performance.now() is in (fractional) milliseconds; keep integers and
    // never go backwards even if the host's timer is coarse.
    const ns = Math.floor((performance.now() - this.#origin) * 1_000_000);
    if (ns > this.#last) this.#last = ns;
    return this.#last;
  }
}

/** A clock that only moves when told to: for the software CPU and for tests. */
export class ManualClock implements Clock {
  #ns: number;

  /**
   * Makes a clock that reads `startNs` until moved.
   *
   * @param startNs the initial reading.
   */
  constructor(startNs = 0) {
    this.#ns = wholeNs(startNs);
  }

  /** The current reading. */
  now(): number {
    return this.#ns;
  }

  /** Moves the clock forward by `ns` (negative amounts are ignored). */
  advance(ns: number): void {
    this.set(this.#ns + wholeNs(ns));
  }

  /** Sets the clock to `ns`; it never moves backwards. */
  set(ns: number): void {
    const v = wholeNs(ns);
    if (v > this.#ns) this.#ns = v;
  }
}

/**
 * The number of whole ticks of a `hz` oscillator that have passed at `ns`
 * (both counted from the clock's origin). Exact for integer `ns` and `hz` up to
 * about 10^6 Hz times 10^9 remainder, which covers the PIT and the RTC.
 */
export function ticksAt(ns: number, hz: number): number {
  const t = wholeNs(ns);
  const seconds = Math.floor(t / NS_PER_SECOND);
  const rem = t - seconds * NS_PER_SECOND;
  return seconds * hz + Math.floor((rem * hz) / NS_PER_SECOND);
}

/** The first whole nanosecond at which tick `tick` of a `hz` oscillator has happened. */
export function nsAtTick(tick: number, hz: number): number {
  if (!(tick > 0)) return 0;
  const seconds = Math.floor(tick / hz);
  const rem = tick - seconds * hz;
  return seconds * NS_PER_SECOND + Math.ceil((rem * NS_PER_SECOND) / hz);
}

/** Clamps a time value to a whole, non-negative, finite number of nanoseconds. */
function wholeNs(ns: number): number {
  return Number.isFinite(ns) && ns > 0 ? Math.floor(ns) : 0;
}
