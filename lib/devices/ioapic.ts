/**
 * An I/O APIC with 24 pins, as an MMIO device (at 0xFEC00000): IOREGSEL at
 * offset 0, IOWIN at 0x10; registers ID (0), version (1), arbitration (2)
 * and the redirection table (0x10 + 2 * pin, low and high dword).
 *
 * A pin's interrupt goes to the one local APIC with the entry's vector
 * (fixed and lowest-priority delivery; the destination field names the only
 * CPU there is). Edge-triggered pins send on a rising edge; level-triggered
 * ones send while the line is high and remote IRR is clear, which the local
 * APIC's EOI of that vector clears ({@link IoApic.eoi}).
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";
import { IOAPIC_ID, IOAPIC_VERSION } from "../bios/mptable.ts";

/** Pins on the IOAPIC. */
export const IOAPIC_PINS = 24;
const MASKED = 0x10000;
const LEVEL = 0x8000;
const REMOTE_IRR = 0x4000;
/** Writable bits of an entry's low dword (delivery status and remote IRR are read-only). */
const LOW_WRITABLE = 0x1afff;

/** Options for {@link IoApic}. */
export interface IoApicOptions {
  /** Hands a vector to the local APIC (`level` for level-triggered pins). */
  deliver: (vector: number, level: boolean) => void;
}

/** The IOAPIC's registers and pins. */
export class IoApic implements BusDevice {
  readonly alignedOnly = true;
  id = IOAPIC_ID;
  select = 0;
  /** Redirection entries: low dword, high dword per pin. */
  readonly table = new Uint32Array(IOAPIC_PINS * 2);
  readonly #lines = new Uint8Array(IOAPIC_PINS);
  readonly #options: IoApicOptions;

  constructor(options: IoApicOptions) {
    this.#options = options;
    for (let pin = 0; pin < IOAPIC_PINS; pin++) this.table[pin * 2] = MASKED;
  }

  /** Whether pin `pin` is unmasked (a device on it can interrupt). */
  unmasked(pin: number): boolean {
    return pin >= 0 && pin < IOAPIC_PINS && (this.table[pin * 2] & MASKED) === 0;
  }

  /** Drives pin `pin`'s line. */
  setPin(pin: number, level: boolean): void {
    if (pin < 0 || pin >= IOAPIC_PINS) return;
    const was = this.#lines[pin] !== 0;
    this.#lines[pin] = level ? 1 : 0;
    const low = this.table[pin * 2];
    if (low & LEVEL) this.#sendLevel(pin);
    else if (level && !was) this.#send(pin);
  }

  /** The local APIC ended `vector`: level pins with that vector may send again. */
  eoi(vector: number): void {
    for (let pin = 0; pin < IOAPIC_PINS; pin++) {
      const low = this.table[pin * 2];
      if ((low & 0xff) !== vector || !(low & REMOTE_IRR)) continue;
      this.table[pin * 2] = low & ~REMOTE_IRR;
      this.#sendLevel(pin);
    }
  }

  read(offset: number, data: Uint8Array): void {
    const v = offset === 0 ? this.select : offset === 0x10 ? this.#readRegister(this.select) : 0;
    data.fill(0);
    for (let i = 0; i < Math.min(4, data.length); i++) data[i] = (v >>> (8 * i)) & 0xff;
  }

  write(offset: number, data: Uint8Array): void {
    if (data.length < 4) {
      if (offset === 0) this.select = data[0];
      return;
    }
    const v = (data[0] | data[1] << 8 | data[2] << 16 | data[3] << 24) >>> 0;
    if (offset === 0) this.select = v & 0xff;
    else if (offset === 0x10) this.#writeRegister(this.select, v);
  }

  #readRegister(r: number): number {
    if (r === 0) return this.id << 24;
    if (r === 1) return IOAPIC_VERSION;
    if (r === 2) return this.id << 24;
    const i = r - 0x10;
    return i >= 0 && i < this.table.length ? this.table[i] : 0;
  }

  #writeRegister(r: number, v: number): void {
    if (r === 0) {
      this.id = (v >>> 24) & 0xf;
      return;
    }
    const i = r - 0x10;
    if (i < 0 || i >= this.table.length) return;
    if (i & 1) {
      this.table[i] = v & 0xff000000;
      return;
    }
    this.table[i] = (this.table[i] & REMOTE_IRR) | (v & LOW_WRITABLE);
    if (!(v & LEVEL)) this.table[i] &= ~REMOTE_IRR;
    // An unmasked level pin that is high sends now.
    if (v & LEVEL) this.#sendLevel(i >> 1);
  }

  #sendLevel(pin: number): void {
    const low = this.table[pin * 2];
    if (!this.#lines[pin] || low & REMOTE_IRR || low & MASKED) return;
    this.table[pin * 2] = low | REMOTE_IRR;
    this.#options.deliver(low & 0xff, true);
  }

  #send(pin: number): void {
    const low = this.table[pin * 2];
    if (low & MASKED) return;
    const mode = (low >> 8) & 7;
    if (mode > 1) return; // SMI, NMI, INIT, ExtINT: not modelled
    this.#options.deliver(low & 0xff, false);
  }
}
