/**
 * The MC146818 real-time clock and its CMOS RAM at ports 0x70 (index, bit 7
 * disables NMI) and 0x71 (data).
 *
 * The time registers are computed from a {@link Clock} and a start time
 * (the host's time by default; pass a fixed `start`, or `frozen`, for
 * determinism), in BCD or binary and 12 or 24 hour format as register B
 * says. The RTC keeps UTC fields of that time. A guest can set the time
 * (with or without register B's SET bit), which shifts it from then on.
 *
 * Register A shows UIP for the 244 us before each second's update and during
 * the update (1984 us). Register C holds the periodic (PF), alarm (AF) and
 * update-ended (UF) flags, set as time passes whether or not enabled; IRQ 8
 * rises when an enabled flag is set and drops when the guest reads register C,
 * which also clears the flags. {@link Cmos.update} and
 * {@link Cmos.nextEventNs} let a run loop drive the interrupt.
 *
 * {@link Cmos.configure} fills the fields a BIOS would (memory sizes, drive
 * types, equipment) and the checksum at 0x2E-0x2F.
 *
 * Not modelled: the divider reset of register A bits 6-4, daylight saving
 * (register B bit 0), the square-wave output; when time jumps over several
 * seconds at once the alarm is compared with the latest second only.
 *
 * @example
 * ```ts
 * import { ManualClock } from "./clock.ts";
 * import { Cmos } from "./cmos.ts";
 * const rtc = new Cmos({ clock: new ManualClock(), start: Date.UTC(2024, 1, 29, 23, 59, 58) });
 * rtc.configure({ memoryBytes: 16 << 20, floppies: [4, 0] });
 * // register at 0x70 with length 2
 * ```
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";
import { type Clock, NS_PER_SECOND, nsAtTick, ticksAt, type TimedDevice } from "./clock.ts";

/** The RTC's time base (the divider chain's input) in Hz. */
export const RTC_HZ = 32768;

/** Options for {@link Cmos}. */
export interface CmosOptions {
  /** The time source. */
  clock: Clock;
  /** The guest's wall time now, as a `Date` or Unix milliseconds (default: the host's). */
  start?: Date | number;
  /** Keep the time at `start` forever (no UIP, no update or periodic flags). */
  frozen?: boolean;
  /** IRQ 8. */
  irq?: (level: boolean) => void;
  /** Called when the guest changes the NMI-disable bit (index port bit 7). */
  onNmiMask?: (disabled: boolean) => void;
}

/** Fields {@link Cmos.configure} fills. */
export interface CmosConfig {
  /** Total guest RAM in bytes: fills 0x15-0x18, 0x30-0x31 and 0x34-0x35. */
  memoryBytes?: number;
  /** Conventional memory in KiB (default 640, or less when RAM is smaller). */
  baseMemoryKb?: number;
  /** Floppy drive types A and B (0 none, 4 for 1.44 MB): 0x10, and the equipment byte. */
  floppies?: [number, number];
  /** Hard disk types 0 and 1 (0 none; 15 or more uses 0x19/0x1A): 0x12. */
  hardDisks?: [number, number];
  /** The equipment byte at 0x14 (default: floppies, VGA, no coprocessor). */
  equipment?: number;
}

/** The RTC's state, as plain data. */
export interface CmosState {
  /** The 128 bytes of RAM, registers 0x00-0x0D included. */
  ram: number[];
  /** The selected index (0-127). */
  index: number;
  /** NMI disabled by bit 7 of the index port. */
  nmiDisabled: boolean;
  /** Guest Unix seconds at clock time `originNs` (before adding `phaseNs`). */
  baseSeconds: number;
  /** The fraction of a second (ns) the guest time had at `originNs`. */
  phaseNs: number;
  /** The clock time the guest time is measured from. */
  originNs: number;
  /** The time does not advance. */
  frozen: boolean;
  /** The 32768 Hz tick up to which periodic flags were set. */
  periodicTick: number;
  /** The guest second up to which update and alarm flags were set. */
  lastSecond: number;
  /** The IRQ 8 level last driven. */
  irq: boolean;
}

const REG_A = 0x0a;
const REG_B = 0x0b;
const REG_C = 0x0c;
const REG_D = 0x0d;
const CENTURY = 0x32;
const B_SET = 0x80;
const B_PIE = 0x40;
const B_AIE = 0x20;
const B_UIE = 0x10;
const B_BINARY = 0x04;
const B_24H = 0x02;
/** Registers that hold the time (seconds, minutes, hours, weekday, day, month, year, century). */
const TIME_REGS = new Set([0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, CENTURY]);
/** UIP rises this long before each update and stays up during it. */
const UIP_BEFORE_NS = 244_000;
const UIP_UPDATE_NS = 1_984_000;

function toBcd(n: number): number {
  return ((Math.floor(n / 10) % 10) << 4) | (n % 10);
}

function fromBcd(v: number): number {
  return (v >> 4) * 10 + (v & 15);
}

function clampInt(v: number, lo: number, hi: number): number {
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.floor(v))) : lo;
}

/** The MC146818 RTC and CMOS RAM. Register at 0x70 with length 2. */
export class Cmos implements BusDevice, TimedDevice {
  /** The state; plain data. */
  state: CmosState;
  readonly #clock: Clock;
  readonly #irq?: (level: boolean) => void;
  readonly #onNmiMask?: (disabled: boolean) => void;

  /** Makes the RTC with the time `options.start` at the clock's current reading. */
  constructor(options: CmosOptions) {
    this.#clock = options.clock;
    this.#irq = options.irq;
    this.#onNmiMask = options.onNmiMask;
    const startMs = options.start === undefined
      ? Date.now()
      : options.start instanceof Date
      ? options.start.getTime()
      : options.start;
    const ms = Number.isFinite(startMs) ? Math.floor(startMs) : 0;
    const baseSeconds = Math.floor(ms / 1000);
    const ram = new Array<number>(128).fill(0);
    ram[REG_A] = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate
    ram[REG_B] = B_24H; // BCD, 24 hour
    ram[REG_D] = 0x80; // valid RAM and time
    const originNs = this.#clock.now();
    this.state = {
      ram,
      index: 0,
      nmiDisabled: false,
      baseSeconds,
      phaseNs: (ms - baseSeconds * 1000) * 1_000_000,
      originNs,
      frozen: options.frozen ?? false,
      periodicTick: 0,
      lastSecond: baseSeconds,
      irq: false,
    };
    this.state.periodicTick = this.#ticks(originNs);
  }

  /** True while the guest has NMI disabled through port 0x70. */
  get nmiDisabled(): boolean {
    return this.state.nmiDisabled;
  }

  /** The guest's time now, in Unix milliseconds. */
  timeMs(): number {
    const total = this.#totalNs(this.#clock.now());
    return this.state.baseSeconds * 1000 + Math.floor(total / 1_000_000);
  }

  /** A RAM byte (index masked to 0-127), as the guest would read it without side effects. */
  getByte(index: number): number {
    return this.state.ram[index & 0x7f];
  }

  /** Sets a RAM byte directly (index masked to 0-127), e.g. for BIOS configuration. */
  setByte(index: number, value: number): void {
    this.state.ram[index & 0x7f] = value & 0xff;
  }

  /** Fills the standard configuration fields and recomputes the checksum. */
  configure(config: CmosConfig): void {
    const ram = this.state.ram;
    const word = (at: number, v: number) => {
      const n = clampInt(v, 0, 0xffff);
      ram[at] = n & 0xff;
      ram[at + 1] = n >> 8;
    };
    if (config.memoryBytes !== undefined) {
      const bytes = clampInt(config.memoryBytes, 0, Number.MAX_SAFE_INTEGER);
      const base = config.baseMemoryKb ?? Math.min(640, Math.floor(bytes / 1024));
      word(0x15, base);
      const extKb = (bytes - 0x100000) / 1024;
      word(0x17, extKb);
      word(0x30, extKb);
      word(0x34, (bytes - 0x1000000) / 0x10000);
    } else if (config.baseMemoryKb !== undefined) {
      word(0x15, config.baseMemoryKb);
    }
    if (config.floppies) {
      const [a, b] = config.floppies.map((t) => clampInt(t, 0, 15));
      ram[0x10] = (a << 4) | b;
    }
    if (config.hardDisks) {
      const [d0, d1] = config.hardDisks.map((t) => clampInt(t, 0, 255));
      ram[0x12] = (Math.min(d0, 15) << 4) | Math.min(d1, 15);
      ram[0x19] = d0 >= 15 ? d0 : 0;
      ram[0x1a] = d1 >= 15 ? d1 : 0;
    }
    if (config.equipment !== undefined) {
      ram[0x14] = clampInt(config.equipment, 0, 255);
    } else if (config.floppies) {
      // Bits 7-6: floppy drives less one, bit 0: any floppy; bits 5-4 = 00: VGA.
      const n = (ram[0x10] >> 4 ? 1 : 0) + (ram[0x10] & 15 ? 1 : 0);
      ram[0x14] = (ram[0x14] & 0x3e) | (n ? ((n - 1) << 6) | 1 : 0);
    }
    this.updateChecksum();
  }

  /** Writes the sum of bytes 0x10-0x2D to 0x2E (high) and 0x2F (low). */
  updateChecksum(): void {
    const ram = this.state.ram;
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += ram[i];
    ram[0x2e] = (sum >> 8) & 0xff;
    ram[0x2f] = sum & 0xff;
  }

  /** Port read: offset 0 (the index port, write-only) reads 0xFF, offset 1 the selected byte. */
  read(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      data[i] = offset + i === 1 ? this.#readReg(this.state.index) : 0xff;
    }
  }

  /** Port write: offset 0 selects the index (bit 7: NMI off), offset 1 writes the byte. */
  write(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const o = offset + i;
      const v = data[i] & 0xff;
      if (o === 0) {
        const s = this.state;
        s.index = v & 0x7f;
        const nmi = (v & 0x80) !== 0;
        if (nmi !== s.nmiDisabled) {
          s.nmiDisabled = nmi;
          this.#onNmiMask?.(nmi);
        }
      } else if (o === 1) {
        this.#writeReg(this.state.index, v);
      }
    }
  }

  /** Sets the flags that came due by `nowNs` and raises IRQ 8 if one is enabled. */
  update(nowNs: number): void {
    this.#accrue(nowNs);
  }

  /** When the next enabled RTC interrupt comes due, or undefined (none, or IRQ 8 not yet served). */
  nextEventNs(nowNs: number): number | undefined {
    this.#accrue(nowNs);
    const s = this.state;
    const b = s.ram[REG_B];
    if (s.irq || s.frozen) return undefined;
    let next: number | undefined;
    const period = this.#period();
    if ((b & B_PIE) && period > 0) {
      const t = (Math.floor(s.periodicTick / period) + 1) * period;
      next = s.originNs + nsAtTick(t, RTC_HZ) - s.phaseNs;
    }
    if ((b & (B_UIE | B_AIE)) && !(b & B_SET)) {
      const total = this.#totalNs(nowNs);
      const boundary = (Math.floor(total / NS_PER_SECOND) + 1) * NS_PER_SECOND;
      const at = s.originNs + boundary - s.phaseNs;
      next = next === undefined ? at : Math.min(next, at);
    }
    return next === undefined ? undefined : Math.max(nowNs, next);
  }

  /** A copy of the state. */
  snapshot(): CmosState {
    return structuredClone(this.state);
  }

  /** Replaces the state with a copy of `state`. */
  restore(state: CmosState): void {
    this.state = structuredClone(state);
  }

  /** Nanoseconds of guest time since `baseSeconds` began, at clock time `nowNs`. */
  #totalNs(nowNs: number): number {
    const s = this.state;
    const rel = s.frozen ? 0 : Math.max(0, nowNs - s.originNs);
    return s.phaseNs + rel;
  }

  #ticks(nowNs: number): number {
    return ticksAt(this.#totalNs(nowNs), RTC_HZ);
  }

  /** The periodic interrupt's period in 32768 Hz ticks, 0 when off. */
  #period(): number {
    const rate = this.state.ram[REG_A] & 0x0f;
    if (rate === 0) return 0;
    // Rates 1 and 2 repeat rates 8 and 9 with the 32.768 kHz time base.
    return 2 ** ((rate < 3 ? rate + 7 : rate) - 1);
  }

  #seconds(nowNs: number): number {
    return this.state.baseSeconds + Math.floor(this.#totalNs(nowNs) / NS_PER_SECOND);
  }

  #binary(): boolean {
    return (this.state.ram[REG_B] & B_BINARY) !== 0;
  }

  #enc(n: number): number {
    return this.#binary() ? n : toBcd(n);
  }

  #dec(v: number): number {
    return this.#binary() ? v : fromBcd(v);
  }

  /** The time register `index` for Unix second `seconds`, in register B's format. */
  #timeField(index: number, seconds: number): number {
    const d = new Date(seconds * 1000);
    switch (index) {
      case 0x00:
        return this.#enc(d.getUTCSeconds());
      case 0x02:
        return this.#enc(d.getUTCMinutes());
      case 0x04: {
        const h = d.getUTCHours();
        if (this.state.ram[REG_B] & B_24H) return this.#enc(h);
        return this.#enc(h % 12 || 12) | (h >= 12 ? 0x80 : 0);
      }
      case 0x06:
        return d.getUTCDay() + 1;
      case 0x07:
        return this.#enc(d.getUTCDate());
      case 0x08:
        return this.#enc(d.getUTCMonth() + 1);
      case 0x09:
        return this.#enc(((d.getUTCFullYear() % 100) + 100) % 100);
      default: // century
        return this.#enc(Math.floor(d.getUTCFullYear() / 100) % 100);
    }
  }

  /** Copies the current time into the time registers (when SET freezes them). */
  #latchTime(nowNs: number): void {
    const sec = this.#seconds(nowNs);
    for (const r of TIME_REGS) this.state.ram[r] = this.#timeField(r, sec);
  }

  /** Takes the time registers as the new current time. */
  #commitTime(nowNs: number): void {
    const s = this.state;
    const ram = s.ram;
    let hours: number;
    if (ram[REG_B] & B_24H) hours = this.#dec(ram[0x04] & 0x7f);
    else hours = (this.#dec(ram[0x04] & 0x7f) % 12) + (ram[0x04] & 0x80 ? 12 : 0);
    const year = this.#dec(ram[CENTURY]) * 100 + this.#dec(ram[0x09]);
    const d = new Date(0);
    d.setUTCFullYear(year, this.#dec(ram[0x08]) - 1, this.#dec(ram[0x07]));
    d.setUTCHours(hours, this.#dec(ram[0x02]), this.#dec(ram[0x00]), 0);
    const ms = d.getTime();
    if (!Number.isFinite(ms)) return;
    const target = Math.floor(ms / 1000);
    s.baseSeconds = target - Math.floor(this.#totalNs(nowNs) / NS_PER_SECOND);
    s.lastSecond = target;
  }

  #readReg(index: number): number {
    const s = this.state;
    const now = this.#clock.now();
    switch (index) {
      case REG_A:
        return (s.ram[REG_A] & 0x7f) | (this.#uip(now) ? 0x80 : 0);
      case REG_C: {
        this.#accrue(now);
        const v = s.ram[REG_C];
        s.ram[REG_C] = 0;
        this.#setIrq(false);
        return v;
      }
      case REG_D:
        return 0x80;
    }
    if (TIME_REGS.has(index) && !(s.ram[REG_B] & B_SET)) {
      return this.#timeField(index, this.#seconds(now));
    }
    return s.ram[index & 0x7f];
  }

  #writeReg(index: number, v: number): void {
    const s = this.state;
    const now = this.#clock.now();
    if (TIME_REGS.has(index)) {
      if (s.ram[REG_B] & B_SET) {
        s.ram[index] = v;
      } else {
        // Setting one field while the clock runs: the others keep their values.
        this.#latchTime(now);
        s.ram[index] = v;
        this.#commitTime(now);
      }
      return;
    }
    switch (index) {
      case REG_A:
        this.#accrue(now);
        s.ram[REG_A] = v & 0x7f;
        return;
      case REG_B: {
        this.#accrue(now);
        const old = s.ram[REG_B];
        // SET stops updates and clears UIE.
        s.ram[REG_B] = (v & B_SET) ? v & ~B_UIE : v;
        if (!(old & B_SET) && (v & B_SET)) this.#latchTime(now);
        if ((old & B_SET) && !(v & B_SET)) this.#commitTime(now);
        this.#irqUpdate();
        return;
      }
      case REG_C:
      case REG_D:
        return; // read-only
    }
    s.ram[index & 0x7f] = v;
  }

  #uip(nowNs: number): boolean {
    const s = this.state;
    if (s.frozen || (s.ram[REG_B] & B_SET)) return false;
    const sub = this.#totalNs(nowNs) % NS_PER_SECOND;
    return sub >= NS_PER_SECOND - UIP_BEFORE_NS || sub < UIP_UPDATE_NS;
  }

  /** Sets PF, UF and AF for the time that passed up to `nowNs`. */
  #accrue(nowNs: number): void {
    const s = this.state;
    if (s.frozen) return;
    const ram = s.ram;
    const ticks = this.#ticks(nowNs);
    const period = this.#period();
    if (period > 0 && Math.floor(ticks / period) > Math.floor(s.periodicTick / period)) {
      ram[REG_C] |= 0x40;
    }
    s.periodicTick = Math.max(s.periodicTick, ticks);
    const sec = this.#seconds(nowNs);
    if (sec > s.lastSecond && !(ram[REG_B] & B_SET)) {
      ram[REG_C] |= 0x10;
      if (this.#alarmMatches(sec)) ram[REG_C] |= 0x20;
    }
    if (sec > s.lastSecond || (ram[REG_B] & B_SET)) s.lastSecond = sec;
    this.#irqUpdate();
  }

  /** Alarm registers match `seconds` (values 0xC0-0xFF match anything). */
  #alarmMatches(seconds: number): boolean {
    const ram = this.state.ram;
    for (const [alarm, field] of [[0x01, 0x00], [0x03, 0x02], [0x05, 0x04]]) {
      const a = ram[alarm];
      if ((a & 0xc0) === 0xc0) continue;
      if (a !== this.#timeField(field, seconds)) return false;
    }
    return true;
  }

  /** IRQF = an enabled flag is set; IRQ 8 follows it. */
  #irqUpdate(): void {
    const ram = this.state.ram;
    const pending = (ram[REG_C] & ram[REG_B] & (B_PIE | B_AIE | B_UIE)) !== 0;
    if (pending) ram[REG_C] |= 0x80;
    this.#setIrq((ram[REG_C] & 0x80) !== 0);
  }

  #setIrq(level: boolean): void {
    if (level === this.state.irq) return;
    this.state.irq = level;
    this.#irq?.(level);
  }
}
