/**
 * A 16550A UART (COM1 at 0x3F8). Transmission is instant: the transmitter is
 * always empty, so guests that poll LSR before each byte never wait.
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";

/** COM1's port base. */
export const COM1_PORT = 0x3f8;

const LSR_DATA_READY = 0x01;
const LSR_OVERRUN = 0x02;
const LSR_THR_EMPTY = 0x20;
const LSR_TX_IDLE = 0x40;
const IER_RX = 0x01;
const IER_THRE = 0x02;
const IIR_NONE = 0x01;
const IIR_THRE = 0x02;
const IIR_RX = 0x04;
const MCR_LOOPBACK = 0x10;
const LCR_DLAB = 0x80;

/** Options for a UART. */
export interface SerialOptions {
  /** Receives each transmitted byte. */
  onOutput?: (byte: number) => void;
  /** Drives the interrupt line (IRQ4 for COM1). */
  setIrq?: (level: boolean) => void;
  /** Most bytes of input held before further input is dropped. */
  inputLimit?: number;
}

/** The UART's registers as a port-bus device of 8 ports. */
export class Serial16550 implements BusDevice {
  ier = 0;
  lcr = 0x03;
  mcr = 0;
  scr = 0;
  fcr = 0;
  divisor = 12; // 9600 baud
  overrun = false;
  #thrInterrupt = false;
  readonly #input: number[] = [];
  readonly #options: SerialOptions;

  constructor(options: SerialOptions = {}) {
    this.#options = options;
  }

  /** Queues bytes for the guest to receive; returns how many were taken. */
  receive(bytes: Uint8Array | number[]): number {
    const limit = this.#options.inputLimit ?? 4096;
    let taken = 0;
    for (const b of bytes) {
      if (this.#input.length >= limit) {
        this.overrun = true;
        break;
      }
      this.#input.push(b & 0xff);
      taken++;
    }
    this.#updateIrq();
    return taken;
  }

  /** Bytes waiting to be read by the guest. */
  get pendingInput(): number {
    return this.#input.length;
  }

  /** Port read at `offset` (0-7). */
  read(offset: number, data: Uint8Array): void {
    data.fill(0);
    data[0] = this.#readRegister(offset & 7);
  }

  /** Port write at `offset` (0-7); wider accesses write consecutive registers. */
  write(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.#writeRegister((offset + i) & 7, data[i]);
  }

  #dlab(): boolean {
    return (this.lcr & LCR_DLAB) !== 0;
  }

  #readRegister(reg: number): number {
    switch (reg) {
      case 0: {
        if (this.#dlab()) return this.divisor & 0xff;
        const b = this.#input.shift() ?? 0;
        this.#updateIrq();
        return b;
      }
      case 1:
        return this.#dlab() ? this.divisor >> 8 : this.ier;
      case 2: {
        const id = this.#interruptId();
        if (id === IIR_THRE) this.#thrInterrupt = false; // reading IIR clears THRE
        this.#updateIrq();
        return id | (this.fcr & 1 ? 0xc0 : 0);
      }
      case 3:
        return this.lcr;
      case 4:
        return this.mcr;
      case 5: {
        let lsr = LSR_THR_EMPTY | LSR_TX_IDLE;
        if (this.#input.length > 0) lsr |= LSR_DATA_READY;
        if (this.overrun) lsr |= LSR_OVERRUN;
        this.overrun = false;
        return lsr;
      }
      case 6:
        // In loopback the modem inputs mirror MCR; otherwise report CTS, DSR, DCD.
        if (this.mcr & MCR_LOOPBACK) {
          return ((this.mcr & 0x02) << 3) | ((this.mcr & 0x01) << 5) |
            ((this.mcr & 0x04) << 4) | ((this.mcr & 0x08) << 4);
        }
        return 0xb0;
      default:
        return this.scr;
    }
  }

  #writeRegister(reg: number, value: number): void {
    switch (reg) {
      case 0:
        if (this.#dlab()) {
          this.divisor = (this.divisor & 0xff00) | value;
        } else if (this.mcr & MCR_LOOPBACK) {
          this.receive([value]);
        } else {
          this.#options.onOutput?.(value);
          this.#thrInterrupt = true;
        }
        break;
      case 1:
        if (this.#dlab()) {
          this.divisor = (this.divisor & 0xff) | (value << 8);
        } else {
          // Enabling the THRE interrupt with an empty transmitter raises it at once.
          if (value & IER_THRE && !(this.ier & IER_THRE)) this.#thrInterrupt = true;
          this.ier = value & 0x0f;
        }
        break;
      case 2:
        this.fcr = value;
        if (value & 0x02) this.#input.length = 0; // clear receive FIFO
        break;
      case 3:
        this.lcr = value;
        break;
      case 4:
        this.mcr = value & 0x1f;
        break;
      case 7:
        this.scr = value;
        break;
    }
    this.#updateIrq();
  }

  /** The level last driven on the IRQ line (undefined before the first update). */
  #irqLevel: boolean | undefined;

  #interruptId(): number {
    if (this.ier & IER_RX && this.#input.length > 0) return IIR_RX;
    if (this.ier & IER_THRE && this.#thrInterrupt) return IIR_THRE;
    return IIR_NONE;
  }

  /** Drives the IRQ line when its level changes (a register write mostly changes nothing). */
  #updateIrq(): void {
    const level = this.#interruptId() !== IIR_NONE;
    if (level === this.#irqLevel) return;
    this.#irqLevel = level;
    this.#options.setIrq?.(level);
  }
}
