/**
 * Time services: the IRQ 0 tick (INT 08h's work: the BDA tick count at
 * 0:046C with its midnight rollover) and INT 1Ah (ticks, RTC time and date).
 *
 * On a PC the time and date come from the CMOS RTC ({@link CmosRtc}, through
 * ports 0x70/0x71 as a BIOS reads it); that device runs on the machine's
 * clock: on KVM the wall clock, on the software CPU its virtual clock (see
 * lib/machine/instruction-clock.ts), both counted from the host's date and
 * time when the machine was made. {@link Rtc} is the same without a device,
 * for unit tests. Setting the time or date never changes the host.
 *
 * @module
 */

import { BDA, TICKS_PER_DAY } from "./bda.ts";
import type { BiosEnv } from "./env.ts";
import type { BiosRegs } from "./regs.ts";
import type { Bus } from "../machine/bus.ts";

/** INT 08h's work: one timer tick. */
export function timerTick(env: BiosEnv): void {
  const m = env.memory;
  let ticks = m.readU32(BDA.TICKS) + 1;
  if (ticks >= TICKS_PER_DAY) {
    ticks = 0;
    m.writeU8(BDA.MIDNIGHT, 1);
  }
  m.writeU32(BDA.TICKS, ticks);
  // The diskette motor turns off when its count runs out.
  const motor = m.readU8(BDA.FLOPPY_MOTOR_COUNT);
  if (motor > 0) {
    m.writeU8(BDA.FLOPPY_MOTOR_COUNT, motor - 1);
    if (motor === 1) m.writeU8(BDA.FLOPPY_MOTOR, m.readU8(BDA.FLOPPY_MOTOR) & 0xf0);
  }
}

/** The timer ticks since midnight at a time of day. */
export function ticksAtTimeOfDay(hours: number, minutes: number, seconds: number): number {
  const s = (hours * 60 + minutes) * 60 + seconds;
  return Math.floor(s * TICKS_PER_DAY / 86400);
}

/** A calendar time as the RTC keeps it (local fields, no time zone). */
export interface RtcTime {
  /** Four-digit year. */
  year: number;
  /** 1-12. */
  month: number;
  /** 1-31. */
  day: number;
  /** 0-23. */
  hours: number;
  /** 0-59. */
  minutes: number;
  /** 0-59. */
  seconds: number;
}

/** Where INT 1Ah gets and sets the time. */
export interface RtcSource {
  /** The current time, in UTC fields. */
  read(): RtcTime;
  /** Sets the time, keeping the fields not given; false for invalid values. */
  write(change: Partial<RtcTime>): boolean;
}

/** An RTC without a device: the host's time when made plus a clock, plus what the guest set. */
export class Rtc implements RtcSource {
  readonly #startMs: number;
  #offsetMs = 0;

  /** @param now the machine clock in nanoseconds; @param startMs the epoch time at clock 0. */
  /** The machine clock in nanoseconds. */
  readonly now: () => number;

  /**
   * Starts the RTC at `startMs` when the clock reads 0.
   * @param now the machine clock (ns)
   * @param startMs the epoch time (ms) at clock 0
   */
  constructor(now: () => number, startMs = Date.now()) {
    this.now = now;
    this.#startMs = startMs;
  }

  /** The current time, in UTC fields. */
  read(): RtcTime {
    const d = new Date(this.#startMs + this.#offsetMs + Math.floor(this.now() / 1e6));
    return utcFields(d);
  }

  /** Sets the time, keeping the fields not given. Invalid values are refused (false). */
  write(change: Partial<RtcTime>): boolean {
    const t = { ...this.read(), ...change };
    if (!isValidTime(t)) return false;
    const target = Date.UTC(t.year, t.month - 1, t.day, t.hours, t.minutes, t.seconds);
    const current = this.#startMs + this.#offsetMs + Math.floor(this.now() / 1e6);
    this.#offsetMs += target - Math.floor(current / 1000) * 1000;
    return true;
  }
}

/** A date's UTC fields as an RTC shows them. */
function utcFields(d: Date): RtcTime {
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hours: d.getUTCHours(),
    minutes: d.getUTCMinutes(),
    seconds: d.getUTCSeconds(),
  };
}

/** Whether the fields name a time an RTC can hold (years 0-9999). */
function isValidTime(t: RtcTime): boolean {
  return t.month >= 1 && t.month <= 12 && t.day >= 1 && t.day <= 31 && t.hours <= 23 &&
    t.minutes <= 59 && t.seconds <= 59 && t.year >= 0 && t.year <= 9999;
}

/** What {@link CmosRtc} needs of the CMOS device. */
export interface CmosTime {
  /** The RTC's time in Unix milliseconds. */
  timeMs(): number;
}

/** The CMOS RTC: reads its time, sets it through ports 0x70/0x71 with register B's SET bit. */
export class CmosRtc implements RtcSource {
  /** The RTC device. */
  readonly cmos: CmosTime;
  /** The bus its ports 0x70/0x71 are on. */
  readonly ports: Bus;

  /**
   * Reads `cmos`, writes it through its ports.
   * @param cmos the RTC device
   * @param ports the bus its ports 0x70/0x71 are on
   */
  constructor(cmos: CmosTime, ports: Bus) {
    this.cmos = cmos;
    this.ports = ports;
  }

  /** The RTC's time now. */
  read(): RtcTime {
    const d = new Date(this.cmos.timeMs());
    return utcFields(d);
  }

  /** Writes the changed fields into the RTC's registers. */
  write(change: Partial<RtcTime>): boolean {
    const t = { ...this.read(), ...change };
    if (!isValidTime(t)) return false;
    const regB = this.#get(0x0b);
    const enc = (v: number) => (regB & 0x04 ? v : bcd(v));
    this.#set(0x0b, regB | 0x80);
    this.#set(0x00, enc(t.seconds));
    this.#set(0x02, enc(t.minutes));
    // In 12-hour mode bit 7 is PM and hours run 1-12.
    const h = regB & 0x02 ? enc(t.hours) : (t.hours >= 12 ? 0x80 : 0) | enc(t.hours % 12 || 12);
    this.#set(0x04, h);
    this.#set(0x07, enc(t.day));
    this.#set(0x08, enc(t.month));
    this.#set(0x09, enc(t.year % 100));
    this.#set(0x32, enc(Math.floor(t.year / 100)));
    this.#set(0x0b, regB & ~0x80);
    return true;
  }

  #get(index: number): number {
    this.ports.write(0x70, Uint8Array.of(index));
    const b = new Uint8Array(1);
    this.ports.read(0x71, b);
    return b[0];
  }

  #set(index: number, value: number): void {
    this.ports.write(0x70, Uint8Array.of(index));
    this.ports.write(0x71, Uint8Array.of(value));
  }
}

function bcd(v: number): number {
  return ((Math.floor(v / 10) % 10) << 4) | (v % 10);
}

/** A BCD byte's value, or -1 when it is not valid BCD. */
function fromBcd(b: number): number {
  const hi = b >> 4, lo = b & 15;
  return hi > 9 || lo > 9 ? -1 : hi * 10 + lo;
}

/** INT 1Ah. */
export function int1a(r: BiosRegs, env: BiosEnv, rtc: RtcSource): void {
  const m = env.memory;
  switch (r.ah) {
    case 0x00: {
      const ticks = m.readU32(BDA.TICKS);
      r.cx = ticks >>> 16;
      r.dx = ticks & 0xffff;
      r.al = m.readU8(BDA.MIDNIGHT);
      m.writeU8(BDA.MIDNIGHT, 0);
      r.cf = false;
      return;
    }
    case 0x01:
      m.writeU32(BDA.TICKS, ((r.cx << 16) | r.dx) >>> 0);
      m.writeU8(BDA.MIDNIGHT, 0);
      r.cf = false;
      return;
    case 0x02: {
      const t = rtc.read();
      r.ch = bcd(t.hours);
      r.cl = bcd(t.minutes);
      r.dh = bcd(t.seconds);
      r.dl = 0;
      r.cf = false;
      return;
    }
    case 0x03: {
      const [hours, minutes, seconds] = [fromBcd(r.ch), fromBcd(r.cl), fromBcd(r.dh)];
      r.cf = hours < 0 || minutes < 0 || seconds < 0 || !rtc.write({ hours, minutes, seconds });
      return;
    }
    case 0x04: {
      const t = rtc.read();
      r.ch = bcd(Math.floor(t.year / 100));
      r.cl = bcd(t.year % 100);
      r.dh = bcd(t.month);
      r.dl = bcd(t.day);
      r.cf = false;
      return;
    }
    case 0x05: {
      const [century, year, month, day] = [r.ch, r.cl, r.dh, r.dl].map(fromBcd);
      r.cf = century < 0 || year < 0 || month < 0 || day < 0 ||
        !rtc.write({ year: century * 100 + year, month, day });
      return;
    }
    default:
      r.cf = true; // alarms and the rest: not supported
  }
}
