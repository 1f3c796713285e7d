/**
 * The gdb remote protocol's framing: `$data#cs` packets with a modulo-256
 * checksum, `}`-escaping of `#$}*`, acknowledgements (`+`/`-`) until no-ack
 * mode, and the raw 0x03 byte gdb sends to interrupt a running target.
 *
 * @module
 */

/** The byte gdb sends (outside any packet) to stop a running target. */
export const INTERRUPT_BYTE = 0x03;

const DOLLAR = 0x24, HASH = 0x23, ESCAPE = 0x7d, STAR = 0x2a;

/** The checksum of a packet's data: the sum of its bytes modulo 256. */
export function checksum(data: Uint8Array): number {
  let sum = 0;
  for (const b of data) sum = (sum + b) & 0xff;
  return sum;
}

/** Escapes `$`, `#`, `}` and `*` as `}` followed by the byte XOR 0x20. */
export function escape(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (const b of data) {
    if (b === DOLLAR || b === HASH || b === ESCAPE || b === STAR) out.push(ESCAPE, b ^ 0x20);
    else out.push(b);
  }
  return new Uint8Array(out);
}

/** Undoes {@link escape} (binary data of `X` packets and replies). */
export function unescape(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < data.length; i++) {
    if (data[i] === ESCAPE && i + 1 < data.length) out.push(data[++i] ^ 0x20);
    else out.push(data[i]);
  }
  return new Uint8Array(out);
}

/** Frames `data` (already escaped where needed) as `$data#cs`. */
export function frame(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 4);
  out[0] = DOLLAR;
  out.set(data, 1);
  out[data.length + 1] = HASH;
  const cs = checksum(data).toString(16).padStart(2, "0");
  out[data.length + 2] = cs.charCodeAt(0);
  out[data.length + 3] = cs.charCodeAt(1);
  return out;
}

/** Frames a text packet (escaping it). */
export function frameText(text: string): Uint8Array {
  return frame(escape(new TextEncoder().encode(text)));
}

/** What the reader found in the byte stream. */
export type Incoming =
  /** A packet with a good checksum; `data` still escaped (binary packets unescape it). */
  | { kind: "packet"; data: Uint8Array }
  /** A packet whose checksum did not match (answer `-` while acks are on). */
  | { kind: "bad-checksum" }
  | { kind: "ack" }
  | { kind: "nack" }
  | { kind: "interrupt" };

/** Most bytes one packet may have: what qSupported announces as PacketSize. */
export const PACKET_SIZE = 0x4000;

/**
 * Splits the byte stream from gdb into packets, acks and interrupts. Bytes
 * arrive in any chunks; noise between packets is skipped; an over-long
 * packet is dropped as a bad one.
 */
export class PacketReader {
  #state: "idle" | "data" | "cs1" | "cs2" = "idle";
  #data: number[] = [];
  #cs = "";

  /** Feeds bytes; returns what they completed, in order. */
  push(bytes: Uint8Array): Incoming[] {
    const out: Incoming[] = [];
    for (const b of bytes) {
      switch (this.#state) {
        case "idle":
          if (b === DOLLAR) {
            this.#state = "data";
            this.#data = [];
          } else if (b === 0x2b) out.push({ kind: "ack" });
          else if (b === 0x2d) out.push({ kind: "nack" });
          else if (b === INTERRUPT_BYTE) out.push({ kind: "interrupt" });
          break;
        case "data":
          if (b === HASH) this.#state = "cs1";
          else if (this.#data.length > PACKET_SIZE) {
            this.#state = "idle";
            out.push({ kind: "bad-checksum" });
          } else this.#data.push(b);
          break;
        case "cs1":
          this.#cs = String.fromCharCode(b);
          this.#state = "cs2";
          break;
        case "cs2": {
          this.#state = "idle";
          const data = new Uint8Array(this.#data);
          const cs = parseInt(this.#cs + String.fromCharCode(b), 16);
          out.push(cs === checksum(data) ? { kind: "packet", data } : { kind: "bad-checksum" });
          break;
        }
      }
    }
    return out;
  }
}

/** Bytes as lowercase hex, two digits each. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Hex text to bytes; null when it is not an even number of hex digits. */
export function fromHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Text as hex (qRcmd output, `O` packets). */
export function textToHex(text: string): string {
  return toHex(new TextEncoder().encode(text));
}

/** A little-endian value of `bytes` bytes as hex (register values). */
export function leHex(value: bigint, bytes: number): string {
  let s = "";
  let v = BigInt.asUintN(bytes * 8, value);
  for (let i = 0; i < bytes; i++) {
    s += Number(v & 0xffn).toString(16).padStart(2, "0");
    v >>= 8n;
  }
  return s;
}

/** Little-endian hex back to a value (register writes). */
export function parseLeHex(text: string): bigint | null {
  const bytes = fromHex(text);
  if (bytes === null) return null;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  return v;
}
