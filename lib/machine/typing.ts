/**
 * Keys typed by the host (a script or the live display) reach the guest at
 * the pace it reads them: one scan code at a time into the keyboard
 * controller, and, while the BIOS's keyboard handler is in charge, only when
 * its 15-key buffer has room. A real keyboard's typist is slow enough that
 * the buffer never overflows; a script typing a long line is not.
 *
 * @module
 */

import type { I8042 } from "../devices/i8042.ts";

/** Most scan codes held for the guest before further typing is refused. */
export const TYPING_QUEUE_LIMIT = 1 << 16;

/** Holds typed scan codes until the guest can take them. */
export class TypingQueue {
  readonly #codes: number[] = [];
  #head = 0;

  /**
   * @param kbc the keyboard controller the codes go to
   * @param hasRoom whether the guest can take another key press now
   */
  constructor(readonly kbc: I8042, readonly hasRoom: () => boolean) {}

  /** Queues scan codes; returns how many were taken (the rest exceed the limit). */
  push(codes: Iterable<number>): number {
    let taken = 0;
    for (const code of codes) {
      if (this.pending >= TYPING_QUEUE_LIMIT) break;
      this.#codes.push(code & 0xff);
      taken++;
    }
    this.update();
    return taken;
  }

  /** Scan codes not yet handed to the controller. */
  get pending(): number {
    return this.#codes.length - this.#head;
  }

  /** Hands the next code to the controller when it and the guest are ready for it. */
  update(): void {
    if (this.pending === 0 || this.kbc.pendingInput > 0) return;
    const code = this.#codes[this.#head];
    // Releases (bit 7) and 0xE0 prefixes add nothing to the BIOS buffer; presses need room.
    const press = code < 0x80;
    if (press && !this.hasRoom()) return;
    this.kbc.sendScancodes([code]);
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#codes.length) {
      this.#codes.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /** Due at once while a code can move; otherwise the guest's next read moves it. */
  nextEventNs(nowNs: number): number | undefined {
    return this.pending > 0 && this.kbc.pendingInput === 0 && this.hasRoom() ? nowNs : undefined;
  }
}
