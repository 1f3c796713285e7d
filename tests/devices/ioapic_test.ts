import { deepStrictEqual, strictEqual } from "@std/assert";
import { IoApic } from "../../lib/devices/ioapic.ts";

function rig() {
  const sent: [number, boolean][] = [];
  const io = new IoApic({ deliver: (v, l) => sent.push([v, l]) });
  const w32 = (offset: number, v: number) =>
    io.write(offset, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24));
  const r32 = (offset: number) => {
    const d = new Uint8Array(4);
    io.read(offset, d);
    return new DataView(d.buffer).getUint32(0, true);
  };
  const reg = (r: number, v?: number) => {
    w32(0, r);
    if (v !== undefined) w32(0x10, v);
    return r32(0x10);
  };
  return { io, sent, reg };
}

Deno.test("ioapic: ID, version with 24 pins, entries masked at power-on", () => {
  const { reg } = rig();
  strictEqual(reg(0) >>> 24, 1);
  strictEqual(reg(1), 0x170011);
  strictEqual((reg(1) >> 16 & 0xff) + 1, 24);
  strictEqual(reg(0x10), 0x10000);
  strictEqual(reg(0x10 + 2 * 23), 0x10000);
  reg(0, 0x0a000000);
  strictEqual(reg(0) >>> 24, 0xa);
});

Deno.test("ioapic: edge pins send on a rising edge only while unmasked", () => {
  const { io, sent, reg } = rig();
  io.setPin(1, true);
  io.setPin(1, false);
  deepStrictEqual(sent, [], "masked");
  reg(0x12, 0x21);
  reg(0x13, 0);
  strictEqual(reg(0x12), 0x21);
  io.setPin(1, true);
  io.setPin(1, true);
  io.setPin(1, false);
  io.setPin(1, true);
  deepStrictEqual(sent, [[0x21, false], [0x21, false]]);
});

Deno.test("ioapic: level pins send once until EOI clears remote IRR", () => {
  const { io, sent, reg } = rig();
  reg(0x10 + 2 * 14, 0x8000 | 0x2e);
  io.setPin(14, true);
  io.setPin(14, true);
  deepStrictEqual(sent, [[0x2e, true]]);
  strictEqual(reg(0x10 + 2 * 14) & 0x4000, 0x4000, "remote IRR");
  io.eoi(0x2e);
  deepStrictEqual(sent, [[0x2e, true], [0x2e, true]], "still high: sent again");
  io.setPin(14, false);
  io.eoi(0x2e);
  strictEqual(sent.length, 2);
  strictEqual(reg(0x10 + 2 * 14) & 0x4000, 0);
});
