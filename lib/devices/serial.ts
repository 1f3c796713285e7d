/**
 * A 16550A UART (COM1 at 0x3F8). Transmission is instant: the transmitter is
 * always empty, so guests that poll LSR before each byte never wait.
 *
 * Reception: bytes the host hands over ({@link Serial16550.receive}) wait in
 * an unbounded queue and reach the guest one at a time through RBR, in
 * order, with LSR data-ready and (IER bit 0) the receive interrupt while any
 * is waiting. Nothing given to the UART is dropped: as a character device
 * holds input back until the UART can take it, the queue stands for the
 * 16-byte FIFO and whatever the host has not delivered yet, so a FIFO reset
 * (FCR bit 1) does not discard host input.
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";

/** COM1's port base. */
export const COM1_PORT = 0x3f8;

const LSR_DATA_READY = 0x01;
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
}

/** The UART's registers as a port-bus device of 8 ports. */
export class Serial16550 implements BusDevice {
  ier = 0;
  lcr = 0x03;
  mcr = 0;
  scr = 0;
  fcr = 0;
  divisor = 12; // 9600 baud
  #thrInterrupt = false;
  readonly #input = new ByteQueue();
  readonly #options: SerialOptions;

  constructor(options: SerialOptions = {}) {
    this.#options = options;
  }

  /**
   * Queues bytes for the guest to receive, after any still waiting; returns
   * how many were queued (all of them).
   */
  receive(bytes: Uint8Array | readonly number[]): number {
    this.#input.push(bytes);
    this.#updateIrq();
    return bytes.length;
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
        const b = this.#input.shift();
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
          this.receive(Uint8Array.of(value));
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
        // Bit 1 (receive FIFO reset) keeps host input: see the module comment.
        this.fcr = value;
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

/** A FIFO of bytes in chunks: pushing and taking cost O(1) a byte however much is waiting. */
class ByteQueue {
  readonly #chunks: Uint8Array[] = [];
  #head = 0; // read position in the first chunk
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(bytes: Uint8Array | readonly number[]): void {
    if (bytes.length === 0) return;
    this.#chunks.push(Uint8Array.from(bytes)); // a copy: the caller may reuse its buffer
    this.#length += bytes.length;
  }

  /** The next byte, or 0 when empty (RBR of an empty UART). */
  shift(): number {
    const chunk = this.#chunks[0];
    if (chunk === undefined) return 0;
    const b = chunk[this.#head++];
    this.#length--;
    if (this.#head === chunk.length) {
      this.#chunks.shift();
      this.#head = 0;
    }
    return b;
  }
}
