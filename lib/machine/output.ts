/**
 * A bounded byte buffer for guest output (serial): it keeps the first
 * `limit` bytes and counts the rest, so a guest that writes forever cannot
 * grow the VMM's memory without bound.
 *
 * @module
 */

/** Collected guest output. */
export class OutputBuffer {
  #bytes: Uint8Array;
  #length = 0;
  /** Bytes not kept because the buffer was full. */
  dropped = 0;

  constructor(readonly limit = 1 << 20) {
    this.#bytes = new Uint8Array(Math.min(limit, 4096));
  }

  /** Appends one byte. */
  push(byte: number): void {
    if (this.#length >= this.limit) {
      this.dropped++;
      return;
    }
    if (this.#length === this.#bytes.length) {
      const grown = new Uint8Array(Math.min(this.limit, this.#bytes.length * 2));
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    this.#bytes[this.#length++] = byte;
  }

  /** The bytes kept so far (a copy). */
  get bytes(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }

  /** Number of bytes kept. */
  get length(): number {
    return this.#length;
  }

  /** The kept bytes decoded as UTF-8 (invalid sequences replaced). */
  text(): string {
    return new TextDecoder().decode(this.#bytes.subarray(0, this.#length));
  }
}
