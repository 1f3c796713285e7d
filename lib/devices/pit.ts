/**
 * The 8254 programmable interval timer at ports 0x40-0x43, clocked at
 * 1.193182 MHz. Channel 0 drives IRQ 0; channel 2's gate and output are bits
 * 0 and 5 of port 0x61 (see `port61.ts`); channel 1 (DRAM refresh) only counts.
 *
 * Counters are not ticked: each keeps the clock tick at which its current
 * count began, and the count and OUT are computed from the clock when read.
 *
 * Channel 0's interrupts: every rising edge of OUT is one interrupt, given to
 * the `irq` callback as a low-to-high transition (`irq(false)` then
 * `irq(true)`); the line then stays high, as OUT does, until the next one or
 * until reprogramming drives OUT low. {@link Pit.update} counts the edges that came due into a
 * backlog and delivers at most one per call. With an `irqPending` callback
 * (e.g. `() => pic.isRequested(0)`) it waits until the guest took the previous
 * one, so no tick is lost while the guest keeps up; without it each call
 * delivers one. The backlog is capped at `maxBacklog` (default
 * {@link PIT_DEFAULT_MAX_BACKLOG}): when the host falls further behind than
 * that, the excess periods are coalesced (dropped) rather than replayed as a
 * flood, and {@link Pit.nextEventNs} reports a due event while any remain.
 *
 * Simplified: a count is loaded at the tick it is written (not the next
 * CLK); a new count in mode 3 takes effect at the end of the whole period
 * (not the half period); mode 3's count for odd reloads is approximate.
 *
 * @example
 * ```ts
 * import { ManualClock } from "./clock.ts";
 * import { Pit } from "./pit.ts";
 * const clock = new ManualClock();
 * let ticks = 0;
 * const pit = new Pit({ clock, irq: (level) => { if (level) ticks++; } });
 * pit.write(3, Uint8Array.of(0x34)); // channel 0, lo/hi, mode 2
 * pit.write(0, Uint8Array.of(0x9c)); // 1193 = 0x04A9 ticks: ~1 kHz
 * pit.write(0, Uint8Array.of(0x2e));
 * clock.advance(1_000_000);
 * pit.update(clock.now());
 * ```
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";
import { type Clock, nsAtTick, ticksAt, type TimedDevice } from "./clock.ts";

/** The PIT's input clock in Hz. */
export const PIT_HZ = 1_193_182;
/** How many undelivered channel-0 periods are kept by default before coalescing. */
export const PIT_DEFAULT_MAX_BACKLOG = 8;

/** One counter, as plain data. */
export interface PitChannelState {
  /** Mode 0-5 (6 and 7 are stored as 2 and 3). */
  mode: number;
  /** Access: 1 LSB only, 2 MSB only, 3 LSB then MSB. */
  access: number;
  /** Counting in BCD. */
  bcd: boolean;
  /** The count register as last written (BCD digits when `bcd`). */
  reload: number;
  /** In LSB-then-MSB access, the next write is the MSB. */
  writeMsbNext: boolean;
  /** The LSB written first. */
  writeLsb: number;
  /** In LSB-then-MSB access, the next (unlatched) read is the MSB. */
  readMsbNext: boolean;
  /** The latched count. */
  latchValue: number;
  /** Bytes of the latched count left to read (0: not latched). */
  latchLeft: number;
  /** A latched status byte waits to be read. */
  statusLatched: boolean;
  /** The latched status byte. */
  status: number;
  /** The count written has not been loaded (status bit 6). */
  nullCount: boolean;
  /** The GATE input. */
  gate: boolean;
  /** A count was written since the control word. */
  armed: boolean;
  /** Counting now (modes 0/4: not paused by the gate; 1/5: triggered; 2/3: gate high). */
  running: boolean;
  /** The tick at which the current count began (elapsed 0). */
  start: number;
  /** The elapsed ticks while paused (modes 0 and 4 with the gate low). */
  paused: number;
  /** The period of the current count in ticks (the count, 0 meaning 65536 or 10000). */
  period: number;
  /** The tick at which a deferred reload (modes 2 and 3) starts, or -1. */
  nextStart: number;
  /** The period that deferred reload brings. */
  nextPeriod: number;
  /** The count shown while the counter does not count. */
  held: number;
}

/** The PIT's state, as plain data. */
export interface PitState {
  /** Channels 0-2. */
  channels: PitChannelState[];
  /** Channel 0's edges up to this tick are counted. */
  irqTick: number;
  /** Channel 0 edges that came due and were not delivered yet. */
  backlog: number;
  /** The IRQ 0 level last driven. */
  irqLine: boolean;
}

/** Options for {@link Pit}. */
export interface PitOptions {
  /** The time source for counts read by the guest. */
  clock: Clock;
  /** IRQ 0 line. */
  irq?: (level: boolean) => void;
  /** True while the last IRQ 0 was not yet taken (holds back catch-up pulses). */
  irqPending?: () => boolean;
  /** Undelivered periods to keep before coalescing (default {@link PIT_DEFAULT_MAX_BACKLOG}). */
  maxBacklog?: number;
  /** Program channel 0 as a PC BIOS does: mode 3, count 65536 (18.2 Hz). */
  pcDefaults?: boolean;
}

function newChannel(gate: boolean): PitChannelState {
  return {
    mode: 0,
    access: 3,
    bcd: false,
    reload: 0,
    writeMsbNext: false,
    writeLsb: 0,
    readMsbNext: false,
    latchValue: 0,
    latchLeft: 0,
    statusLatched: false,
    status: 0,
    nullCount: true,
    gate,
    armed: false,
    running: false,
    start: 0,
    paused: 0,
    period: 0x10000,
    nextStart: -1,
    nextPeriod: 0x10000,
    held: 0,
  };
}

function fromBcd(v: number): number {
  return ((v >> 12) & 15) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15);
}

function toBcd(v: number): number {
  return ((Math.floor(v / 1000) % 10) << 12) | ((Math.floor(v / 100) % 10) << 8) |
    ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

/** The period in ticks that a count of `reload` gives in `c`'s mode. */
function periodOf(c: PitChannelState, reload: number): number {
  const modulus = c.bcd ? 10000 : 0x10000;
  let n = (c.bcd ? fromBcd(reload) : reload) % modulus;
  if (n === 0) n = modulus;
  // A count of 1 is illegal in modes 2 and 3; keep it from flooding.
  if ((c.mode === 2 || c.mode === 3) && n < 2) n = 2;
  return n;
}

/** Elapsed ticks of the current count at `tick`. */
function elapsed(c: PitChannelState, tick: number): number {
  return c.running ? Math.max(0, tick - c.start) : c.paused;
}

/** True when the counter shows a live count (otherwise `held`). */
function counting(c: PitChannelState): boolean {
  if (!c.armed) return false;
  return c.mode === 0 || c.mode === 4 || c.running;
}

/** The counting element at `tick`, in the counter's number format. */
function countAt(c: PitChannelState, tick: number): number {
  if (!counting(c)) return c.held;
  const e = elapsed(c, tick);
  const p = c.period;
  let v: number;
  if (c.mode === 2) {
    v = p - (e % p);
  } else if (c.mode === 3) {
    // Square wave: the count drops by two per tick through each half.
    const phase = e % p;
    const high = Math.ceil(p / 2);
    const even = p - (p & 1);
    v = phase < high ? even - 2 * phase : even - 2 * (phase - high);
  } else {
    v = p - e;
  }
  const modulus = c.bcd ? 10000 : 0x10000;
  v = ((v % modulus) + modulus) % modulus;
  return c.bcd ? toBcd(v) : v;
}

/** OUT at `tick`. */
function outAt(c: PitChannelState, tick: number): boolean {
  if (!c.armed) return c.mode !== 0;
  const e = elapsed(c, tick);
  const p = c.period;
  switch (c.mode) {
    case 0:
      return e >= p;
    case 1:
      return !c.running || e >= p;
    case 2:
      return !c.running || e % p !== p - 1;
    case 3:
      return !c.running || e % p < Math.ceil(p / 2);
    case 4:
      return e !== p;
    default: // 5
      return !c.running || e !== p;
  }
}

/** Rising edges of OUT at elapsed times in (a, b]. */
function edgesBetween(c: PitChannelState, a: number, b: number): number {
  if (!c.armed || !c.running || b <= a) return 0;
  a = Math.max(0, a);
  const p = c.period;
  switch (c.mode) {
    case 2:
    case 3:
      return Math.floor(b / p) - Math.floor(a / p);
    case 0:
    case 1:
      return a < p && p <= b ? 1 : 0;
    default: // 4, 5: OUT is low for the tick at p and rises at p + 1
      return a < p + 1 && p + 1 <= b ? 1 : 0;
  }
}

/** The elapsed time of the first rising edge after elapsed `a`, if any. */
function nextEdge(c: PitChannelState, a: number): number | undefined {
  if (!c.armed || !c.running) return undefined;
  a = Math.max(0, a);
  const p = c.period;
  switch (c.mode) {
    case 2:
    case 3:
      return (Math.floor(a / p) + 1) * p;
    case 0:
    case 1:
      return a < p ? p : undefined;
    default:
      return a < p + 1 ? p + 1 : undefined;
  }
}

/** The 8254 PIT. Register it at 0x40 with length 4. */
export class Pit implements BusDevice, TimedDevice {
  /** The counters' state; plain data. */
  state: PitState;
  readonly #clock: Clock;
  readonly #irq?: (level: boolean) => void;
  readonly #irqPending?: () => boolean;
  readonly #maxBacklog: number;

  /** Makes a PIT whose counters wait for control words (unless `pcDefaults`). */
  constructor(options: PitOptions) {
    this.#clock = options.clock;
    this.#irq = options.irq;
    this.#irqPending = options.irqPending;
    const max = options.maxBacklog ?? PIT_DEFAULT_MAX_BACKLOG;
    this.#maxBacklog = Number.isFinite(max) ? Math.max(1, Math.floor(max)) : 1;
    // Channels 0 and 1 have their gates tied high; channel 2's is port 0x61 bit 0.
    this.state = {
      channels: [newChannel(true), newChannel(true), newChannel(false)],
      irqTick: 0,
      backlog: 0,
      irqLine: false,
    };
    if (options.pcDefaults) {
      this.write(3, Uint8Array.of(0x36)); // channel 0, lo/hi, mode 3
      this.write(0, Uint8Array.of(0x00)); // count 0 = 65536: LSB
      this.write(0, Uint8Array.of(0x00)); // and MSB
    }
  }

  /** Port read at `offset` 0-3 (0-2 the counters; the control port reads as 0xFF). */
  read(offset: number, data: Uint8Array): void {
    const tick = this.#tick();
    for (let i = 0; i < data.length; i++) {
      const o = offset + i;
      data[i] = o >= 0 && o < 3 ? this.#readChannel(o, tick) : 0xff;
    }
  }

  /** Port write at `offset` 0-3 (0-2 the counters' counts, 3 the control word). */
  write(offset: number, data: Uint8Array): void {
    const tick = this.#tick();
    for (let i = 0; i < data.length; i++) {
      const o = offset + i;
      const v = data[i] & 0xff;
      if (o === 3) this.#control(v, tick);
      else if (o >= 0 && o < 3) this.#writeChannel(o, v, tick);
    }
  }

  /** Sets channel `channel`'s GATE input (only channel 2's is wired, to port 0x61). */
  setGate(channel: number, level: boolean): void {
    const c = this.#channel(channel);
    if (!c || c.gate === level) return;
    const tick = this.#tick();
    this.#advance(channel, tick);
    c.gate = level;
    if (level) {
      if (!c.armed) return;
      if (c.mode === 0 || c.mode === 4) {
        if (!c.running) this.#begin(channel, tick - c.paused, c.period, tick);
      } else {
        // Modes 1, 2, 3, 5: a rising gate (re)starts the count from the count register.
        this.#begin(channel, tick, periodOf(c, c.reload), tick);
        c.nullCount = false;
      }
    } else if (c.running) {
      if (c.mode === 0 || c.mode === 4) {
        c.paused = elapsed(c, tick);
        this.#stop(channel, tick);
      } else if (c.mode === 2 || c.mode === 3) {
        c.held = countAt(c, tick);
        this.#stop(channel, tick);
      }
    }
  }

  /** Channel `channel`'s GATE input. */
  gate(channel: number): boolean {
    return this.#channel(channel)?.gate ?? false;
  }

  /** Channel `channel`'s OUT now. */
  output(channel: number): boolean {
    const c = this.#channel(channel);
    if (!c) return false;
    const tick = this.#tick();
    this.#advance(channel, tick);
    return outAt(c, tick);
  }

  /**
   * The square-wave frequency channel `channel` produces (e.g. the speaker's
   * tone on channel 2), or 0 when it is not running in mode 3.
   */
  frequencyHz(channel: number): number {
    const c = this.#channel(channel);
    if (!c || !c.armed || c.mode !== 3 || !c.running) return 0;
    return PIT_HZ / c.period;
  }

  /** Delivers at most one channel-0 interrupt that came due by `nowNs`. */
  update(nowNs: number): void {
    const tick = ticksAt(nowNs, PIT_HZ);
    this.#advance(0, tick);
    this.#account(tick);
    const s = this.state;
    if (s.backlog > 0 && !this.#irqPending?.()) {
      s.backlog--;
      if (s.irqLine) this.#irq?.(false);
      s.irqLine = true;
      this.#irq?.(true);
    }
  }

  /** When channel 0 next raises IRQ 0 (`nowNs` when a backlog waits), or undefined. */
  nextEventNs(nowNs: number): number | undefined {
    const tick = ticksAt(nowNs, PIT_HZ);
    this.#advance(0, tick);
    const s = this.state;
    if (s.backlog > 0 && !this.#irqPending?.()) return nowNs;
    const c = s.channels[0];
    const e = nextEdge(c, s.irqTick - c.start);
    if (e === undefined) return undefined;
    return nsAtTick(c.start + e, PIT_HZ);
  }

  /** A copy of the state. */
  snapshot(): PitState {
    return structuredClone(this.state);
  }

  /** Replaces the state with a copy of `state`. */
  restore(state: PitState): void {
    this.state = structuredClone(state);
  }

  #tick(): number {
    return ticksAt(this.#clock.now(), PIT_HZ);
  }

  #channel(channel: number): PitChannelState | undefined {
    return Number.isInteger(channel) && channel >= 0 && channel < 3
      ? this.state.channels[channel]
      : undefined;
  }

  /** Counts channel 0's edges up to `tick` into the backlog. */
  #account(tick: number): void {
    const s = this.state;
    if (tick <= s.irqTick) return;
    const c = s.channels[0];
    const n = edgesBetween(c, s.irqTick - c.start, tick - c.start);
    s.backlog = Math.min(this.#maxBacklog, s.backlog + n);
    s.irqTick = tick;
  }

  /** Applies a deferred reload that is due by `tick`. */
  #advance(channel: number, tick: number): void {
    const c = this.state.channels[channel];
    if (c.nextStart < 0 || tick < c.nextStart) return;
    if (channel === 0) this.#account(c.nextStart);
    c.start = c.nextStart;
    c.period = c.nextPeriod;
    c.nextStart = -1;
  }

  /** Starts a count of `period` ticks whose elapsed time is 0 at `startTick`. */
  #begin(channel: number, startTick: number, period: number, now: number): void {
    const c = this.state.channels[channel];
    if (channel === 0) this.#account(now);
    c.running = true;
    c.start = startTick;
    c.period = period;
    c.nextStart = -1;
    if (channel === 0) this.state.irqTick = now;
  }

  #stop(channel: number, tick: number): void {
    if (channel === 0) this.#account(tick);
    const c = this.state.channels[channel];
    c.running = false;
    c.nextStart = -1;
  }

  /** Drops IRQ 0 when reprogramming took channel 0's OUT low. */
  #syncLine(tick: number): void {
    const s = this.state;
    if (s.irqLine && !outAt(s.channels[0], tick)) {
      s.irqLine = false;
      this.#irq?.(false);
    }
  }

  #control(v: number, tick: number): void {
    const sc = v >> 6;
    if (sc === 3) {
      this.#readBack(v, tick);
      return;
    }
    const c = this.state.channels[sc];
    this.#advance(sc, tick);
    const access = (v >> 4) & 3;
    if (access === 0) {
      // Counter latch command; a second one before the read is ignored.
      if (c.latchLeft === 0) {
        c.latchValue = countAt(c, tick);
        c.latchLeft = c.access === 3 ? 2 : 1;
      }
      return;
    }
    c.held = countAt(c, tick);
    this.#stop(sc, tick);
    let mode = (v >> 1) & 7;
    if (mode > 5) mode -= 4;
    c.mode = mode;
    c.access = access;
    c.bcd = (v & 1) !== 0;
    c.armed = false;
    c.paused = 0;
    c.writeMsbNext = false;
    c.readMsbNext = false;
    c.latchLeft = 0;
    c.statusLatched = false;
    c.nullCount = true;
    if (sc === 0) this.#syncLine(tick);
  }

  #readBack(v: number, tick: number): void {
    for (let ch = 0; ch < 3; ch++) {
      if ((v & (2 << ch)) === 0) continue;
      const c = this.state.channels[ch];
      this.#advance(ch, tick);
      if ((v & 0x20) === 0 && c.latchLeft === 0) {
        c.latchValue = countAt(c, tick);
        c.latchLeft = c.access === 3 ? 2 : 1;
      }
      if ((v & 0x10) === 0 && !c.statusLatched) {
        c.status = (outAt(c, tick) ? 0x80 : 0) | (c.nullCount ? 0x40 : 0) | (c.access << 4) |
          (c.mode << 1) | (c.bcd ? 1 : 0);
        c.statusLatched = true;
      }
    }
  }

  #readChannel(ch: number, tick: number): number {
    const c = this.state.channels[ch];
    if (c.statusLatched) {
      c.statusLatched = false;
      return c.status;
    }
    let value: number;
    let msb: boolean;
    if (c.latchLeft > 0) {
      value = c.latchValue;
      msb = c.access === 2 || (c.access === 3 && c.latchLeft === 1);
      c.latchLeft--;
    } else {
      this.#advance(ch, tick);
      value = countAt(c, tick);
      msb = c.access === 2 || (c.access === 3 && c.readMsbNext);
      if (c.access === 3) c.readMsbNext = !c.readMsbNext;
    }
    return msb ? (value >> 8) & 0xff : value & 0xff;
  }

  #writeChannel(ch: number, v: number, tick: number): void {
    const c = this.state.channels[ch];
    this.#advance(ch, tick);
    let raw: number;
    if (c.access === 1) {
      raw = v;
    } else if (c.access === 2) {
      raw = v << 8;
    } else if (!c.writeMsbNext) {
      c.writeLsb = v;
      c.writeMsbNext = true;
      // Mode 0: writing the first byte stops the count until the second arrives.
      if (c.mode === 0 && c.armed && c.running) {
        c.paused = elapsed(c, tick);
        this.#stop(ch, tick);
      }
      return;
    } else {
      raw = c.writeLsb | (v << 8);
      c.writeMsbNext = false;
    }
    this.#load(ch, raw, tick);
  }

  /** A complete count was written. */
  #load(ch: number, raw: number, tick: number): void {
    this.#loadCount(ch, raw, tick);
    if (ch === 0) this.#syncLine(tick);
  }

  #loadCount(ch: number, raw: number, tick: number): void {
    const c = this.state.channels[ch];
    c.reload = raw;
    const period = periodOf(c, raw);
    switch (c.mode) {
      case 1:
      case 5:
        // Loaded on the next trigger; a running one-shot is not disturbed.
        c.armed = true;
        c.nullCount = true;
        return;
      case 2:
      case 3:
        if (c.armed && c.running) {
          // The current period finishes first; the new count starts after it.
          if (c.nextStart < 0) {
            const e = elapsed(c, tick);
            c.nextStart = c.start + (Math.floor(e / c.period) + 1) * c.period;
          }
          c.nextPeriod = period;
          c.nullCount = false;
          return;
        }
        break;
    }
    c.armed = true;
    c.nullCount = false;
    if (c.gate) {
      this.#begin(ch, tick, period, tick);
    } else {
      // Waits for the gate; modes 0 and 4 show the count meanwhile.
      this.#stop(ch, tick);
      c.period = period;
      c.paused = 0;
      c.held = raw;
    }
  }
}
