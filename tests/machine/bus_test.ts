import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { Bus, type BusDevice, BusError } from "../../lib/machine/bus.ts";

/** A device that records offsets and answers reads with its offset. */
class Recorder implements BusDevice {
  reads: number[] = [];
  writes: [number, number[]][] = [];
  read(offset: number, data: Uint8Array): void {
    this.reads.push(offset);
    data.fill(offset);
  }
  write(offset: number, data: Uint8Array): void {
    this.writes.push([offset, [...data]]);
  }
}

Deno.test("bus: a device sees offsets inside its range", () => {
  const bus = new Bus("ports", 0x10000);
  const dev = new Recorder();
  bus.register(0x3f8, 8, dev, "COM1");
  bus.write(0x3fd, new Uint8Array([7]));
  const data = new Uint8Array(1);
  bus.read(0x3f9, data);
  deepStrictEqual(dev.writes, [[5, [7]]]);
  deepStrictEqual(dev.reads, [1]);
  strictEqual(data[0], 1);
});

Deno.test("bus: overlapping, empty and out-of-bounds ranges are rejected", () => {
  const bus = new Bus("ports", 0x10000);
  bus.register(0x60, 1, new Recorder(), "kbd");
  throws(() => bus.register(0x5f, 2, new Recorder(), "x"), BusError);
  throws(() => bus.register(0x70, 0, new Recorder(), "x"), BusError);
  throws(() => bus.register(0xffff, 2, new Recorder(), "x"), BusError);
  throws(() => bus.register(-1, 1, new Recorder(), "x"), BusError);
  bus.register(0x61, 1, new Recorder(), "adjacent is fine");
  strictEqual(bus.ranges.length, 2);
});

Deno.test("bus: unclaimed reads give 0xFF and are counted", () => {
  const bus = new Bus("ports", 0x10000);
  const seen: number[] = [];
  bus.onUnhandled = (a) => seen.push(a);
  const data = new Uint8Array(2);
  bus.read(0x80, data);
  deepStrictEqual([...data], [0xff, 0xff]);
  bus.write(0x80, new Uint8Array([1]));
  strictEqual(bus.unhandled.get(0x80), 2);
  deepStrictEqual(seen, [0x80, 0x81, 0x80]);
});

Deno.test("bus: an access running past a device's end never reaches it out of range", () => {
  const bus = new Bus("mmio", 2 ** 32);
  const dev = new Recorder();
  bus.register(0x1000, 4, dev, "dev");
  const data = new Uint8Array(4);
  bus.read(0x1002, data);
  deepStrictEqual(dev.reads, [2, 3]);
  deepStrictEqual([...data], [2, 3, 0xff, 0xff]);
  bus.write(0x1003, new Uint8Array([1, 2, 3, 4]));
  deepStrictEqual(dev.writes, [[3, [1]]]);
});

Deno.test("bus: find uses binary search over many ranges", () => {
  const bus = new Bus("ports", 0x10000);
  for (let i = 0; i < 100; i++) bus.register(i * 16, 8, new Recorder(), `d${i}`);
  strictEqual(bus.find(16 * 50 + 7)?.name, "d50");
  strictEqual(bus.find(16 * 50 + 8), undefined);
  strictEqual(bus.find(0xffff), undefined);
});

Deno.test("bus: an alignedOnly device takes aligned accesses inside its range and nothing else", () => {
  const bus = new Bus("ports", 0x10000);
  const seen: string[] = [];
  bus.register(0xf4, 4, {
    alignedOnly: true,
    read: (o, d) => d.fill(o),
    write: (o, d) => seen.push(`${o}:${d.length}`),
  }, "aligned");
  for (
    const [at, n] of [[0xf4, 2], [0xf6, 2], [0xf5, 1], [0xf4, 4], [0xf5, 2], [0xf7, 2], [0xf3, 2], [
      0xf6,
      4,
    ]]
  ) {
    bus.write(at, new Uint8Array(n));
  }
  deepStrictEqual(seen, ["0:2", "2:2", "1:1", "0:4"]);
  const word = new Uint8Array(2);
  bus.read(0xf7, word);
  deepStrictEqual([...word], [0xff, 0xff]);
  bus.read(0xf6, word);
  deepStrictEqual([...word], [2, 2]);
});
