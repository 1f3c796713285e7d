/**
 * A local APIC for one CPU, as an MMIO device of 4 KiB (at 0xFEE00000):
 * ID, version, TPR/PPR, EOI, LDR/DFR, SVR (software enable), ISR/TMR/IRR,
 * ESR, ICR (fixed interrupts to itself), the LVT (timer, thermal, perf,
 * LINT0, LINT1, error) and the timer's divide, initial and current count in
 * one-shot and periodic modes.
 *
 * The timer counts a 1 GHz bus clock (one tick a nanosecond, as QEMU's)
 * divided by the divide configuration; it is a {@link TimedDevice} without
 * an interrupt line, whose event is the next expiry while its LVT entry is
 * unmasked. Interrupts are taken by {@link acknowledge} (the highest IRR
 * vector above the processor priority moves to the ISR) and ended by a write
 * to EOI, which tells `onEoi` the vector (the IOAPIC clears remote IRR).
 *
 * A periodic tick that falls due while the last one is still pending or in
 * service is held back, and the period starts again at that tick's EOI. On
 * hardware it would wait in the IRR and be taken right after the EOI; a
 * guest whose timer handler takes longer than the period (xv6 under nested
 * KVM, where each of its local APIC reads is a slow exit) then ran nothing
 * but timer interrupts. Held back, it gets a full period between ticks.
 *
 * On KVM the page can also be read without exits: {@link attachMirror} gives
 * the APIC a read-only guest page that {@link publish} fills with every
 * register before each run (writes still exit). xv6 reads the APIC ID in
 * every lock, each read an exit otherwise. The current count read there is
 * the one at the last exit: a guest that polls it without leaving the CPU
 * sees it move at the run loop's kicks (every 10 ms).
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";
import type { Clock, TimedDevice } from "./clock.ts";
import { LAPIC_VERSION } from "../bios/mptable.ts";

const REG_ID = 0x02;
const REG_VERSION = 0x03;
const REG_TPR = 0x08;
const REG_PPR = 0x0a;
const REG_EOI = 0x0b;
const REG_LDR = 0x0d;
const REG_DFR = 0x0e;
const REG_SVR = 0x0f;
const REG_ISR = 0x10;
const REG_TMR = 0x18;
const REG_IRR = 0x20;
const REG_ESR = 0x28;
const REG_ICR_LOW = 0x30;
const REG_ICR_HIGH = 0x31;
const REG_LVT_TIMER = 0x32;
const REG_LVT_LAST = 0x37;
const REG_TIMER_INITIAL = 0x38;
const REG_TIMER_CURRENT = 0x39;
const REG_TIMER_DIVIDE = 0x3e;
/** The LVT entries in register order: timer, thermal, perf, LINT0, LINT1, error. */
const LVT_COUNT = 6;
const LVT_TIMER = 0;
const LVT_LINT0 = 3;
const LVT_MASKED = 0x10000;
const LVT_PERIODIC = 0x20000;
const SVR_ENABLE = 0x100;
/** Writable bits of each LVT entry (timer: mode; LINTs: delivery mode, polarity, trigger). */
const LVT_WRITABLE = [0x310ff, 0x107ff, 0x107ff, 0x1a7ff, 0x1a7ff, 0x100ff];
/** Error status bit for a vector below 16 sent or received. */
const ESR_ILLEGAL_VECTOR = 0x40;

/** Options for {@link LocalApic}. */
export interface LocalApicOptions {
  /** The clock the timer counts on. */
  clock: Clock;
  /** Told when an interrupt became pending (to wake or kick the CPU). */
  onInterrupt?: () => void;
  /** Told the vector an EOI ends (level-triggered IOAPIC pins clear remote IRR). */
  onEoi?: (vector: number) => void;
  /**
   * Told when the timer's next event moved through a register write or an EOI
   * (MMIO, which the machine's timing ports do not cover).
   */
  onTimerChange?: () => void;
}

/** One CPU's local APIC. */
export class LocalApic implements BusDevice, TimedDevice {
  readonly alignedOnly = true;
  id = 0;
  tpr = 0;
  ldr = 0;
  dfr = 0xffffffff;
  svr = 0xff;
  esr = 0;
  #esrPending = 0;
  icrLow = 0;
  icrHigh = 0;
  readonly lvt = new Uint32Array(LVT_COUNT).fill(LVT_MASKED);
  readonly irr = new Uint32Array(8);
  readonly isr = new Uint32Array(8);
  readonly tmr = new Uint32Array(8);
  divide = 0;
  initialCount = 0;
  /** When the current count was loaded (the start of this period), or -1 when stopped. */
  #start = -1;
  /** A periodic tick came while the last was unfinished: the period restarts at its EOI. */
  #held = false;
  /** The read-only page the guest reads the registers from (see {@link attachMirror}). */
  #mirror: Uint32Array | undefined;
  /** A register may have changed since the last {@link publish}. */
  #dirty = true;
  readonly #options: LocalApicOptions;

  constructor(options: LocalApicOptions) {
    this.#options = options;
  }

  /**
   * Serves the guest's register reads from `page` (4 KiB of read-only guest
   * memory at the APIC's address), kept current by {@link publish}.
   */
  attachMirror(page: Uint8Array): void {
    this.#mirror = new Uint32Array(page.buffer, page.byteOffset, 0x400);
    this.publish(this.#options.clock.now());
  }

  /**
   * Brings the mirror page up to date for a read at `nowNs`: every register
   * after a change, else only the running timer's current count (this runs
   * before every KVM_RUN, so it must cost next to nothing when nothing moved).
   */
  publish(nowNs: number): void {
    const mirror = this.#mirror;
    if (!mirror) return;
    if (this.#dirty) {
      this.#dirty = false;
      for (let r = 0; r < 0x40; r++) mirror[r * 4] = this.#readRegister(r, nowNs);
    } else if (this.#start >= 0) {
      mirror[REG_TIMER_CURRENT * 4] = this.currentCount(nowNs);
    }
  }

  /** Whether the guest set SVR's software-enable bit. */
  get enabled(): boolean {
    return (this.svr & SVR_ENABLE) !== 0;
  }

  /** Whether the 8259A's interrupts reach the CPU through LINT0 (unmasked, ExtINT). */
  get extIntOpen(): boolean {
    const lint0 = this.lvt[LVT_LINT0];
    return !this.enabled || ((lint0 & LVT_MASKED) === 0 && ((lint0 >> 8) & 7) === 7);
  }

  /** Makes `vector` pending (from the IOAPIC, the timer, an IPI); `level` marks it in TMR. */
  accept(vector: number, level = false): void {
    this.#dirty = true;
    if (vector < 16) {
      this.#esrPending |= ESR_ILLEGAL_VECTOR;
      return;
    }
    if (!this.enabled) return;
    setBit(this.irr, vector);
    if (level) setBit(this.tmr, vector);
    else clearBit(this.tmr, vector);
    this.#options.onInterrupt?.();
  }

  /** The processor priority: the higher of TPR and the highest in-service class. */
  get ppr(): number {
    const isr = highest(this.isr);
    const tpr = this.tpr & 0xff;
    return (tpr >> 4) >= (isr >> 4) ? tpr : isr & 0xf0;
  }

  /** Whether an IRR vector is above the processor priority. */
  hasInterrupt(): boolean {
    if (!this.enabled) return false;
    const v = highest(this.irr);
    return v >= 16 && (v >> 4) > (this.ppr >> 4);
  }

  /** Takes the highest pending vector into service; the spurious vector when none is deliverable. */
  acknowledge(): number {
    this.#dirty = true;
    if (!this.hasInterrupt()) return this.svr & 0xff;
    const v = highest(this.irr);
    clearBit(this.irr, v);
    setBit(this.isr, v);
    return v;
  }

  read(offset: number, data: Uint8Array): void {
    const v = offset & 0xf ? 0 : this.#readRegister(offset >> 4, this.#options.clock.now());
    const bytes = Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
    data.fill(0);
    data.set(bytes.subarray(0, Math.min(4, data.length)));
  }

  write(offset: number, data: Uint8Array): void {
    this.#dirty = true;
    if (offset & 0xf || data.length < 4) return;
    const v = (data[0] | data[1] << 8 | data[2] << 16 | data[3] << 24) >>> 0;
    this.#writeRegister(offset >> 4, v);
  }

  update(nowNs: number): void {
    if (this.#start < 0 || this.#held) return;
    const period = this.#periodNs();
    if (nowNs < this.#start + period) return;
    this.#dirty = true;
    const entry = this.lvt[LVT_TIMER];
    const vector = entry & 0xff;
    if (entry & LVT_PERIODIC) {
      if (testBit(this.irr, vector) || testBit(this.isr, vector)) {
        this.#held = true;
        return;
      }
      this.#start += Math.floor((nowNs - this.#start) / period) * period;
    } else {
      this.#start = -1;
    }
    if (!(entry & LVT_MASKED)) this.accept(vector);
  }

  nextEventNs(_nowNs: number): number | undefined {
    if (this.#start < 0 || this.#held || this.lvt[LVT_TIMER] & LVT_MASKED) return undefined;
    return this.#start + this.#periodNs();
  }

  /** The timer's current count at `nowNs` (0 once a one-shot count ran out). */
  currentCount(nowNs: number): number {
    if (this.#start < 0 || this.initialCount === 0) return 0;
    const ticks = Math.floor((nowNs - this.#start) / this.#divisor());
    if (ticks >= this.initialCount) {
      return this.lvt[LVT_TIMER] & LVT_PERIODIC ? this.initialCount - ticks % this.initialCount : 0;
    }
    return this.initialCount - ticks;
  }

  #divisor(): number {
    const v = (this.divide & 3) | ((this.divide >> 1) & 4);
    return v === 7 ? 1 : 2 << v;
  }

  #periodNs(): number {
    return this.initialCount * this.#divisor();
  }

  #readRegister(r: number, nowNs: number): number {
    if (r >= REG_ISR && r < REG_ISR + 8) return this.isr[r - REG_ISR];
    if (r >= REG_TMR && r < REG_TMR + 8) return this.tmr[r - REG_TMR];
    if (r >= REG_IRR && r < REG_IRR + 8) return this.irr[r - REG_IRR];
    if (r >= REG_LVT_TIMER && r <= REG_LVT_LAST) return this.lvt[r - REG_LVT_TIMER];
    switch (r) {
      case REG_ID:
        return this.id << 24 >>> 0;
      case REG_VERSION:
        return LAPIC_VERSION;
      case REG_TPR:
        return this.tpr;
      case REG_PPR:
        return this.ppr;
      case REG_LDR:
        return this.ldr;
      case REG_DFR:
        return this.dfr;
      case REG_SVR:
        return this.svr;
      case REG_ESR:
        return this.esr;
      case REG_ICR_LOW:
        return this.icrLow & ~0x1000; // delivery is instant: never "send pending"
      case REG_ICR_HIGH:
        return this.icrHigh;
      case REG_TIMER_INITIAL:
        return this.initialCount;
      case REG_TIMER_CURRENT:
        return this.currentCount(nowNs);
      case REG_TIMER_DIVIDE:
        return this.divide;
      default:
        return 0;
    }
  }

  #writeRegister(r: number, v: number): void {
    if (r >= REG_LVT_TIMER && r <= REG_LVT_LAST) {
      const i = r - REG_LVT_TIMER;
      const wasTimer = this.lvt[LVT_TIMER];
      // A software-disabled APIC keeps every LVT entry masked.
      this.lvt[i] = (v & LVT_WRITABLE[i]) | (this.enabled ? 0 : LVT_MASKED);
      if (i === LVT_TIMER) {
        if ((wasTimer ^ this.lvt[i]) & LVT_PERIODIC) this.#start = -1;
        this.#held = false;
        this.#options.onTimerChange?.();
      }
      return;
    }
    switch (r) {
      case REG_ID:
        this.id = v >>> 24;
        return;
      case REG_TPR:
        this.tpr = v & 0xff;
        this.#options.onInterrupt?.(); // a lower priority may let an interrupt through
        return;
      case REG_EOI: {
        const v = highest(this.isr);
        if (v < 0) return;
        clearBit(this.isr, v);
        if (testBit(this.tmr, v)) this.#options.onEoi?.(v);
        if (this.#held && v === (this.lvt[LVT_TIMER] & 0xff)) {
          this.#held = false;
          this.#start = this.#options.clock.now();
          this.#options.onTimerChange?.();
        }
        this.#options.onInterrupt?.();
        return;
      }
      case REG_LDR:
        this.ldr = v & 0xff000000;
        return;
      case REG_DFR:
        this.dfr = v | 0x0fffffff;
        return;
      case REG_SVR:
        this.svr = v & 0x3ff;
        if (!this.enabled) { for (let i = 0; i < LVT_COUNT; i++) this.lvt[i] |= LVT_MASKED; }
        this.#options.onInterrupt?.();
        return;
      case REG_ESR:
        this.esr = this.#esrPending;
        this.#esrPending = 0;
        return;
      case REG_ICR_HIGH:
        this.icrHigh = v & 0xff000000;
        return;
      case REG_ICR_LOW:
        this.icrLow = v & 0xcfff;
        this.#sendIpi();
        return;
      case REG_TIMER_INITIAL:
        this.initialCount = v;
        this.#start = v === 0 ? -1 : this.#options.clock.now();
        this.#held = false;
        this.#options.onTimerChange?.();
        return;
      case REG_TIMER_DIVIDE:
        this.divide = v & 0xb;
        this.#options.onTimerChange?.();
        return;
    }
  }

  /** ICR: fixed interrupts that reach this CPU (self, all, or its own ID); INIT/SIPI are ignored. */
  #sendIpi(): void {
    const mode = (this.icrLow >> 8) & 7;
    if (mode !== 0) return; // one CPU: INIT, startup, NMI and SMI IPIs have nobody else to reach
    const shorthand = (this.icrLow >> 18) & 3;
    const dest = this.icrHigh >>> 24;
    const logical = (this.icrLow & 0x800) !== 0;
    const toSelf = shorthand === 1 || shorthand === 2 ||
      (shorthand === 0 &&
        (logical ? (dest & (this.ldr >>> 24)) !== 0 : dest === this.id || dest === 0xff));
    if (toSelf) this.accept(this.icrLow & 0xff);
  }
}

function setBit(bits: Uint32Array, v: number): void {
  bits[v >> 5] |= 1 << (v & 31);
}

function clearBit(bits: Uint32Array, v: number): void {
  bits[v >> 5] &= ~(1 << (v & 31));
}

function testBit(bits: Uint32Array, v: number): boolean {
  return (bits[v >> 5] & (1 << (v & 31))) !== 0;
}

/** The highest set vector, or -1. */
function highest(bits: Uint32Array): number {
  for (let w = 7; w >= 0; w--) {
    if (bits[w] !== 0) return w * 32 + 31 - Math.clz32(bits[w]);
  }
  return -1;
}
