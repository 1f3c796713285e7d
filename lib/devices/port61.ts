/**
 * The PC's system control ports: port B at 0x61 ({@link Port61}: PIT channel
 * 2's gate and output, the speaker, the refresh toggle) and port A at 0x92
 * ({@link Port92}: fast A20 and fast reset).
 *
 * @example
 * ```ts
 * import { ManualClock } from "./clock.ts";
 * import { Pit } from "./pit.ts";
 * import { Port61, Port92 } from "./port61.ts";
 * const pit = new Pit({ clock: new ManualClock() });
 * const portB = new Port61({ pit }); // register at 0x61, length 1
 * const portA = new Port92({ onA20: (on) => console.log("A20", on) }); // at 0x92, length 1
 * ```
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";
import type { Pit } from "./pit.ts";

/** What port B needs of the PIT: channel 2's gate and output. */
export type Port61Timer = Pick<Pit, "setGate" | "gate" | "output">;

/** Options for {@link Port61}. */
export interface Port61Options {
  /** The PIT whose channel 2 the port gates and reads. */
  pit: Port61Timer;
  /** Called when the speaker turns on or off (gate and data both set). */
  onSpeaker?: (on: boolean) => void;
}

/** Port B's state, as plain data. */
export interface Port61State {
  /** Bit 1: speaker data enable. */
  speakerData: boolean;
  /** Bit 4: the refresh toggle, flipped on every read. */
  refresh: boolean;
  /** Bits 2-3 (parity and channel check disable) kept as written. */
  checks: number;
}

/**
 * System control port B (0x61). Reads: bit 0 PIT channel 2 gate, bit 1
 * speaker data, bits 2-3 as written, bit 4 refresh toggle, bit 5 channel 2's
 * OUT, bits 6-7 (parity/channel check) 0. Writes set bits 0-3.
 */
export class Port61 implements BusDevice {
  /** The port's own state; the gate lives in the PIT. */
  state: Port61State = { speakerData: false, refresh: false, checks: 0 };
  readonly #pit: Port61Timer;
  readonly #onSpeaker?: (on: boolean) => void;

  /** Wires the port to `options.pit`'s channel 2. */
  constructor(options: Port61Options) {
    this.#pit = options.pit;
    this.#onSpeaker = options.onSpeaker;
  }

  /** True while the speaker is driven by channel 2 (gate and data set). */
  get speakerOn(): boolean {
    return this.state.speakerData && this.#pit.gate(2);
  }

  /** Reads the port; each read flips the refresh bit, as delay loops poll it. */
  read(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      if (offset + i !== 0) {
        data[i] = 0xff;
        continue;
      }
      const s = this.state;
      s.refresh = !s.refresh;
      data[i] = (this.#pit.gate(2) ? 0x01 : 0) | (s.speakerData ? 0x02 : 0) | (s.checks & 0x0c) |
        (s.refresh ? 0x10 : 0) | (this.#pit.output(2) ? 0x20 : 0);
    }
  }

  /** Writes the port: bit 0 channel 2 gate, bit 1 speaker data, bits 2-3 kept. */
  write(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      if (offset + i !== 0) continue;
      const v = data[i];
      const was = this.speakerOn;
      this.state.speakerData = (v & 0x02) !== 0;
      this.state.checks = v & 0x0c;
      this.#pit.setGate(2, (v & 0x01) !== 0);
      const now = this.speakerOn;
      if (now !== was) this.#onSpeaker?.(now);
    }
  }

  /** A copy of the state. */
  snapshot(): Port61State {
    return { ...this.state };
  }

  /** Replaces the state with a copy of `state`. */
  restore(state: Port61State): void {
    this.state = { ...state };
  }
}

/** Options for {@link Port92}. */
export interface Port92Options {
  /** The A20 gate at power-on (default enabled). */
  a20?: boolean;
  /** Called when the guest changes bit 1 (A20 gate). */
  onA20?: (enabled: boolean) => void;
  /** Called when the guest sets bit 0 (fast reset). */
  onReset?: () => void;
}

/**
 * System control port A (0x92): bit 1 the fast A20 gate, bit 0 fast reset
 * (a 0 to 1 transition resets the CPU). Other bits read as written.
 * The machine combines this A20 with the keyboard controller's.
 */
export class Port92 implements BusDevice {
  /** The last value written (bit 0 clears again once the reset has fired). */
  state: { value: number };
  readonly #onA20?: (enabled: boolean) => void;
  readonly #onReset?: () => void;

  /** Makes the port with A20 as `options.a20` says (default enabled). */
  constructor(options: Port92Options = {}) {
    this.state = { value: (options.a20 ?? true) ? 0x02 : 0 };
    this.#onA20 = options.onA20;
    this.#onReset = options.onReset;
  }

  /** The A20 gate as this port sets it. */
  get a20(): boolean {
    return (this.state.value & 0x02) !== 0;
  }

  /** Reads the port. */
  read(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) data[i] = offset + i === 0 ? this.state.value : 0xff;
  }

  /** Writes the port. */
  write(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      if (offset + i !== 0) continue;
      const old = this.state.value;
      const v = data[i];
      this.state.value = v;
      if ((old ^ v) & 0x02) this.#onA20?.((v & 0x02) !== 0);
      if ((v & 0x01) && !(old & 0x01)) {
        // The reset line is pulsed; bit 0 reads 0 again afterwards.
        this.state.value &= ~0x01;
        this.#onReset?.();
      }
    }
  }

  /** A copy of the state. */
  snapshot(): { value: number } {
    return { ...this.state };
  }

  /** Replaces the state with a copy of `state`. */
  restore(state: { value: number }): void {
    this.state = { ...state };
  }
}
