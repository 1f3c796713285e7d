// The packet layer: checksums, framing, escaping, the stream reader.
import { deepStrictEqual, strictEqual } from "@std/assert";
import {
  checksum,
  escape,
  frameText,
  fromHex,
  leHex,
  PacketReader,
  parseLeHex,
  unescape,
} from "../../lib/gdb/packet.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("gdb packets: checksum and framing as the protocol defines them", () => {
  strictEqual(checksum(bytes("OK")), 0x9a);
  strictEqual(text(frameText("OK")), "$OK#9a");
  strictEqual(text(frameText("")), "$#00");
  strictEqual(text(frameText("qSupported")), "$qSupported#37");
});

Deno.test("gdb packets: $ # } * are escaped as } and the byte xor 0x20, and back", () => {
  deepStrictEqual([...escape(bytes("a$b#c}d*"))], [...bytes("a}\x04b}\x03c}]d}\x0a")]);
  deepStrictEqual(text(unescape(escape(bytes("$#}*x")))), "$#}*x");
});

Deno.test("gdb packets: the reader splits acks, interrupts and packets in any chunks", () => {
  const r = new PacketReader();
  const all = [...r.push(bytes("+$g#6")), ...r.push(bytes("7-\x03$m0,1#00"))];
  deepStrictEqual(all.map((i) => i.kind), ["ack", "packet", "nack", "interrupt", "bad-checksum"]);
  const p = all[1];
  strictEqual(p.kind === "packet" ? text(p.data) : "", "g");
});

Deno.test("gdb packets: an over-long packet is dropped as a bad one, the next is read", () => {
  const r = new PacketReader();
  const long = "$" + "a".repeat(0x5000) + "#00$?#3f";
  deepStrictEqual(r.push(bytes(long)).map((i) => i.kind), ["bad-checksum", "packet"]);
});

Deno.test("gdb packets: hex helpers, little-endian register values", () => {
  strictEqual(leHex(0x12345678n, 4), "78563412");
  strictEqual(parseLeHex("78563412"), 0x12345678n);
  strictEqual(fromHex("zz"), null);
  strictEqual(fromHex("abc"), null);
  deepStrictEqual([...fromHex("00ff")!], [0, 255]);
});
