import { deepStrictEqual, strictEqual } from "@std/assert";
import { ManualClock } from "../../lib/devices/clock.ts";
import { Cmos, type CmosOptions } from "../../lib/devices/cmos.ts";
import { Bus } from "../../lib/machine/bus.ts";
import { portIo } from "../support/ports.ts";

const START = Date.UTC(2026, 10, 24, 21, 45, 7); // Tuesday 2026-11-24 21:45:07 UTC

function machine(options: Partial<CmosOptions> = {}) {
  const clock = new ManualClock(5_000_000_000);
  const irqs: boolean[] = [];
  const rtc = new Cmos({ clock, start: START, irq: (l) => irqs.push(l), ...options });
  const bus = new Bus("io", 0x10000);
  bus.register(0x70, 2, rtc, "rtc");
  const { out, inb } = portIo(bus);
  const reg = (index: number) => {
    out(0x70, index);
    return inb(0x71);
  };
  const set = (index: number, value: number) => {
    out(0x70, index);
    out(0x71, value);
  };
  const time = () => [0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32].map(reg);
  return { clock, rtc, irqs, out, inb, reg, set, time };
}

Deno.test("cmos: a fixed date reads back in BCD, 24 hour", () => {
  const m = machine();
  deepStrictEqual(m.time(), [0x07, 0x45, 0x21, 3, 0x24, 0x11, 0x26, 0x20]);
  strictEqual(m.reg(0x0a) & 0x7f, 0x26); // UIP may be set: the second just began
  strictEqual(m.reg(0x0b), 0x02);
  strictEqual(m.reg(0x0d), 0x80);
});

Deno.test("cmos: binary and 12 hour formats follow register B", () => {
  const m = machine();
  m.set(0x0b, 0x04); // binary, 12 hour
  deepStrictEqual(m.time(), [7, 45, 9 | 0x80, 3, 24, 11, 26, 20]);
  m.set(0x0b, 0x06); // binary, 24 hour
  strictEqual(m.reg(0x04), 21);
  m.set(0x0b, 0x00); // BCD, 12 hour
  strictEqual(m.reg(0x04), 0x89);
});

Deno.test("cmos: time advances with the clock and rolls over the century", () => {
  const m = machine({ start: Date.UTC(2099, 11, 31, 23, 59, 58) });
  deepStrictEqual(m.time(), [0x58, 0x59, 0x23, 5, 0x31, 0x12, 0x99, 0x20]);
  m.clock.advance(2_500_000_000);
  deepStrictEqual(m.time(), [0x00, 0x00, 0x00, 6, 0x01, 0x01, 0x00, 0x21]);
  strictEqual(m.rtc.timeMs(), Date.UTC(2100, 0, 1, 0, 0, 0, 500));
});

Deno.test("cmos: frozen time does not move", () => {
  const m = machine({ frozen: true });
  m.clock.advance(10_000_000_000);
  strictEqual(m.reg(0x00), 0x07);
  strictEqual(m.reg(0x0a) & 0x80, 0);
});

Deno.test("cmos: the guest sets the time with the SET bit", () => {
  const m = machine();
  m.set(0x0b, 0x82); // SET, BCD, 24 hour
  m.clock.advance(3_000_000_000); // frozen while SET
  strictEqual(m.reg(0x00), 0x07);
  m.set(0x00, 0x30);
  m.set(0x02, 0x15);
  m.set(0x04, 0x08);
  m.set(0x07, 0x29);
  m.set(0x08, 0x02);
  m.set(0x09, 0x24);
  m.set(0x32, 0x20);
  m.set(0x0b, 0x02); // run
  deepStrictEqual(m.time(), [0x30, 0x15, 0x08, 5, 0x29, 0x02, 0x24, 0x20]);
  m.clock.advance(1_000_000_000);
  strictEqual(m.reg(0x00), 0x31);
  strictEqual(m.rtc.timeMs(), Date.UTC(2024, 1, 29, 8, 15, 31));
});

Deno.test("cmos: writing one field while running keeps the others", () => {
  const m = machine();
  m.set(0x02, 0x10);
  deepStrictEqual(m.time(), [0x07, 0x10, 0x21, 3, 0x24, 0x11, 0x26, 0x20]);
  m.set(0x0b, 0x06); // binary
  m.set(0x09, 30);
  deepStrictEqual(m.time(), [7, 10, 21, 1, 24, 11, 30, 20]); // 2030-11-24 is a Sunday
});

Deno.test("cmos: UIP is set just before and during the update", () => {
  const m = machine();
  const origin = m.clock.now(); // the guest's second began here
  m.clock.set(origin + 500_000_000);
  strictEqual(m.reg(0x0a) & 0x80, 0);
  m.clock.set(origin + 999_800_000);
  strictEqual(m.reg(0x0a) & 0x80, 0x80);
  strictEqual(m.reg(0x00), 0x07);
  m.clock.set(origin + 1_001_000_000);
  strictEqual(m.reg(0x0a) & 0x80, 0x80);
  strictEqual(m.reg(0x00), 0x08);
  m.clock.set(origin + 1_002_000_000);
  strictEqual(m.reg(0x0a) & 0x80, 0);
});

Deno.test("cmos: periodic interrupt at 1024 Hz on IRQ 8, served by reading register C", () => {
  const m = machine();
  const origin = m.clock.now();
  strictEqual(m.rtc.nextEventNs(origin), undefined); // nothing enabled
  m.set(0x0b, 0x42); // PIE
  strictEqual(m.rtc.nextEventNs(origin), origin + 976_563);
  let served = 0;
  for (let us = 0; us <= 1_000_000; us += 100) {
    m.clock.set(origin + us * 1000);
    m.rtc.update(m.clock.now());
    if (m.irqs.at(-1) === true) {
      strictEqual(m.reg(0x0c) & 0xc0, 0xc0);
      served++;
    }
  }
  strictEqual(served, 1024);
  strictEqual(m.irqs.length, 2048);
});

Deno.test("cmos: IRQ 8 stays high until register C is read", () => {
  const m = machine();
  m.set(0x0b, 0x42);
  m.clock.advance(10_000_000);
  m.rtc.update(m.clock.now());
  m.clock.advance(10_000_000);
  m.rtc.update(m.clock.now());
  deepStrictEqual(m.irqs, [true]);
  strictEqual(m.rtc.nextEventNs(m.clock.now()), undefined);
  strictEqual(m.reg(0x0c), 0xc0);
  deepStrictEqual(m.irqs, [true, false]);
  strictEqual(m.reg(0x0c), 0x00);
});

Deno.test("cmos: PF is set without PIE and raises IRQ 8 once PIE is enabled", () => {
  const m = machine();
  m.set(0x0a, 0x2f); // 2 Hz
  m.clock.advance(600_000_000);
  m.rtc.update(m.clock.now());
  deepStrictEqual(m.irqs, []);
  m.set(0x0b, 0x42);
  deepStrictEqual(m.irqs, [true]);
  strictEqual(m.reg(0x0c), 0xc0);
});

Deno.test("cmos: update-ended and alarm interrupts", () => {
  const m = machine();
  const origin = m.clock.now();
  m.set(0x01, 0x09); // alarm at xx:xx:09 (hours and minutes don't care)
  m.set(0x03, 0xc0);
  m.set(0x05, 0xff);
  m.set(0x0b, 0x32); // AIE, UIE
  strictEqual(m.rtc.nextEventNs(origin), origin + 1_000_000_000);
  m.clock.set(origin + 1_000_000_000);
  m.rtc.update(m.clock.now());
  strictEqual(m.reg(0x0c) & 0xb0, 0x90); // second 08: update only (PF runs too)
  m.clock.set(origin + 2_000_000_000);
  m.rtc.update(m.clock.now());
  strictEqual(m.reg(0x0c) & 0xb0, 0xb0); // second 09: update and alarm
});

Deno.test("cmos: index bit 7 masks NMI; RAM is 128 bytes; word writes set index then data", () => {
  const nmi: boolean[] = [];
  const m = machine({ onNmiMask: (d) => nmi.push(d) });
  m.out(0x70, 0x80 | 0x40);
  m.out(0x71, 0x5a);
  strictEqual(m.rtc.nmiDisabled, true);
  strictEqual(m.reg(0x40), 0x5a);
  strictEqual(m.rtc.nmiDisabled, false);
  deepStrictEqual(nmi, [true, false]);
  m.rtc.write(0, Uint8Array.of(0x41, 0xa5)); // out 0x70, ax
  strictEqual(m.rtc.getByte(0x41), 0xa5);
  strictEqual(m.inb(0x70), 0xff);
  m.set(0x0c, 0xff); // read-only
  m.set(0x0d, 0x00);
  strictEqual(m.reg(0x0c), 0x00);
  strictEqual(m.reg(0x0d), 0x80);
});

Deno.test("cmos: configure fills memory sizes, drives and the checksum", () => {
  const m = machine();
  m.rtc.configure({ memoryBytes: 64 << 20, floppies: [4, 0], hardDisks: [0, 0] });
  const word = (i: number) => m.reg(i) | (m.reg(i + 1) << 8);
  strictEqual(word(0x15), 640);
  strictEqual(word(0x17), (63 << 20) / 1024);
  strictEqual(word(0x30), (63 << 20) / 1024);
  strictEqual(word(0x34), (48 << 20) / 65536);
  strictEqual(m.reg(0x10), 0x40);
  strictEqual(m.reg(0x14), 0x01);
  let sum = 0;
  for (let i = 0x10; i <= 0x2d; i++) sum += m.reg(i);
  strictEqual((m.reg(0x2e) << 8) | m.reg(0x2f), sum);
  m.rtc.configure({ memoryBytes: 512 * 1024 });
  strictEqual(word(0x15), 512);
  strictEqual(word(0x17), 0);
  strictEqual(word(0x34), 0);
  m.rtc.configure({ memoryBytes: 8 * 2 ** 30 }); // capped
  strictEqual(word(0x17), 0xffff);
  strictEqual(word(0x34), 0xffff);
  m.rtc.configure({ hardDisks: [47, 2] });
  strictEqual(m.reg(0x12), 0xf2);
  strictEqual(m.reg(0x19), 47);
});

Deno.test("cmos: odd accesses never throw", () => {
  const m = machine();
  for (let i = 0; i < 256; i++) {
    for (const v of [0x00, 0x7f, 0x80, 0xff, i]) {
      m.set(i, v);
      m.reg(i);
    }
    m.clock.advance(333_333_333);
    m.rtc.update(m.clock.now());
    m.rtc.nextEventNs(m.clock.now());
  }
  const d = new Uint8Array(4);
  m.rtc.read(0, d);
  m.rtc.write(1, d);
  m.rtc.setByte(999, 1);
  m.rtc.getByte(-1);
});
