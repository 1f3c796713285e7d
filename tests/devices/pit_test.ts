import { deepStrictEqual, ok, strictEqual } from "@std/assert";
import { ManualClock, nsAtTick, ticksAt } from "../../lib/devices/clock.ts";
import { Pic } from "../../lib/devices/pic.ts";
import { Pit, PIT_HZ } from "../../lib/devices/pit.ts";
import { Port61 } from "../../lib/devices/port61.ts";
import { Bus } from "../../lib/machine/bus.ts";
import { portIo } from "../support/ports.ts";

function machine(options: { maxBacklog?: number; withPic?: boolean } = {}) {
  const clock = new ManualClock();
  const pic = new Pic({ pcDefaults: true });
  let irqs = 0;
  const pit = new Pit({
    clock,
    irq: (level) => {
      if (level) irqs++;
      if (options.withPic) pic.setIrq(0, level);
    },
    irqPending: options.withPic ? () => pic.isRequested(0) : undefined,
    maxBacklog: options.maxBacklog,
  });
  const port61 = new Port61({ pit });
  const bus = new Bus("io", 0x10000);
  bus.register(0x40, 4, pit, "pit");
  bus.register(0x61, 1, port61, "port61");
  const { out, inb } = portIo(bus);
  /** Moves the clock to PIT tick `t`. */
  const at = (t: number) => clock.set(nsAtTick(t, PIT_HZ));
  return { clock, pic, pit, out, inb, at, irqs: () => irqs };
}

Deno.test("clock: tick conversions are exact both ways", () => {
  for (const t of [0, 1, 2, 1193, 65536, PIT_HZ - 1, PIT_HZ, PIT_HZ * 3600 + 12345]) {
    strictEqual(ticksAt(nsAtTick(t, PIT_HZ), PIT_HZ), t);
    strictEqual(ticksAt(nsAtTick(t, PIT_HZ) - 1, PIT_HZ), Math.max(0, t - 1));
  }
  strictEqual(ticksAt(1_000_000_000, PIT_HZ), PIT_HZ);
  strictEqual(ticksAt(1_000_000_000, 32768), 32768);
});

Deno.test("clock: manual clock only moves forward", () => {
  const c = new ManualClock(10);
  c.advance(5);
  strictEqual(c.now(), 15);
  c.set(3);
  strictEqual(c.now(), 15);
  c.advance(-4);
  c.advance(Number.NaN);
  strictEqual(c.now(), 15);
});

Deno.test("pit: mode 2 at ~1 kHz raises IRQ 0 once per period", () => {
  const m = machine();
  m.out(0x43, 0x34); // channel 0, lo/hi, mode 2, binary
  m.out(0x40, 1193 & 0xff);
  m.out(0x40, 1193 >> 8);
  m.at(1192);
  m.pit.update(m.clock.now());
  strictEqual(m.irqs(), 0);
  m.at(1193);
  m.pit.update(m.clock.now());
  strictEqual(m.irqs(), 1);
  // Step through one second in 100 us slices: exactly 1000 interrupts in all
  // (1193182 / 1193 = 1000.15).
  for (let ns = 0; ns <= 1_000_000_000; ns += 100_000) {
    m.clock.set(ns);
    m.pit.update(ns);
  }
  strictEqual(m.irqs(), Math.floor(PIT_HZ / 1193));
});

Deno.test("pit: mode 3 with count 0 is the 18.2 Hz BIOS tick", () => {
  const m = machine();
  m.out(0x43, 0x36);
  m.out(0x40, 0);
  m.out(0x40, 0);
  for (let ms = 0; ms <= 10_000; ms++) {
    m.clock.set(ms * 1_000_000);
    m.pit.update(m.clock.now());
  }
  strictEqual(m.irqs(), Math.floor((10 * PIT_HZ) / 65536)); // 182
  strictEqual(m.pit.frequencyHz(0), PIT_HZ / 65536);
});

Deno.test("pit: pcDefaults programs channel 0 like the BIOS", () => {
  const clock = new ManualClock();
  let irqs = 0;
  const pit = new Pit({ clock, irq: (l) => l && irqs++, pcDefaults: true });
  clock.set(nsAtTick(65536, PIT_HZ));
  pit.update(clock.now());
  strictEqual(irqs, 1);
});

Deno.test("pit: nextEventNs points at the next period", () => {
  const m = machine();
  strictEqual(m.pit.nextEventNs(0), undefined);
  m.out(0x43, 0x34);
  m.out(0x40, 100);
  m.out(0x40, 0);
  strictEqual(m.pit.nextEventNs(0), nsAtTick(100, PIT_HZ));
  m.at(150);
  m.pit.update(m.clock.now());
  strictEqual(m.irqs(), 1);
  strictEqual(m.pit.nextEventNs(m.clock.now()), nsAtTick(200, PIT_HZ));
});

Deno.test("pit: a host that falls behind catches up a bounded backlog", () => {
  const m = machine({ maxBacklog: 4 });
  m.out(0x43, 0x34);
  m.out(0x40, 100);
  m.out(0x40, 0);
  m.at(100 * 50); // 50 periods late
  const now = m.clock.now();
  m.pit.update(now);
  strictEqual(m.irqs(), 1);
  strictEqual(m.pit.nextEventNs(now), now); // more are due
  for (let i = 0; i < 10; i++) m.pit.update(now);
  strictEqual(m.irqs(), 4); // the other 46 were coalesced
  strictEqual(m.pit.nextEventNs(now), nsAtTick(5100, PIT_HZ));
});

Deno.test("pit: with irqPending no tick is lost while the guest is slow", () => {
  const m = machine({ withPic: true });
  m.out(0x43, 0x34);
  m.out(0x40, 100);
  m.out(0x40, 0);
  m.at(350); // three periods
  const now = m.clock.now();
  m.pit.update(now);
  m.pit.update(now);
  strictEqual(m.irqs(), 1); // the second waits: IRQ 0 not taken yet
  const acked: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (m.pic.hasInterrupt()) {
      acked.push(m.pic.acknowledge());
      m.pic.master.write(0, Uint8Array.of(0x20));
    }
    m.pit.update(now);
  }
  deepStrictEqual(acked, [8, 8, 8]);
  strictEqual(m.irqs(), 3);
});

Deno.test("pit: counter latch freezes the count until both bytes are read", () => {
  const m = machine();
  m.out(0x43, 0x34);
  m.out(0x40, 1000 & 0xff);
  m.out(0x40, 1000 >> 8);
  m.at(300);
  m.out(0x43, 0x00); // latch channel 0
  m.at(500);
  const lo = m.inb(0x40);
  m.at(600);
  const hi = m.inb(0x40);
  strictEqual(lo | (hi << 8), 700);
  // Unlatched reads follow the clock.
  m.at(900);
  strictEqual(m.inb(0x40) | (m.inb(0x40) << 8), 100);
  // Mode 2 reloads after the count reaches 1.
  m.at(1000);
  strictEqual(m.inb(0x40) | (m.inb(0x40) << 8), 1000);
  m.at(1999);
  strictEqual(m.inb(0x40) | (m.inb(0x40) << 8), 1);
});

Deno.test("pit: LSB-only and MSB-only access", () => {
  const m = machine();
  m.out(0x43, 0x50); // channel 1, LSB only, mode 0
  m.out(0x41, 0x80);
  m.at(0x10);
  strictEqual(m.inb(0x41), 0x70);
  strictEqual(m.inb(0x41), 0x70);
  m.out(0x43, 0x64); // channel 1, MSB only, mode 2
  m.out(0x41, 0x02); // count 0x200
  m.at(0x10 + 0x100);
  strictEqual(m.inb(0x41), 0x01);
});

Deno.test("pit: read-back returns status then count", () => {
  const m = machine();
  m.out(0x43, 0xb0); // channel 2, lo/hi, mode 0
  m.out(0x43, 0xe8); // read-back status only, channel 2
  strictEqual(m.inb(0x42), 0x70); // OUT low, null count, lo/hi, mode 0
  m.out(0x42, 0x34);
  m.out(0x42, 0x12);
  m.out(0x43, 0xc8); // read-back count and status
  strictEqual(m.inb(0x42), 0x30); // count loaded: null count clear
  strictEqual(m.inb(0x42), 0x34); // the gate is low: the count waits
  strictEqual(m.inb(0x42), 0x12);
  m.out(0x43, 0xd2); // read-back: latch the count of channel 0 only
  m.out(0x43, 0xe2); // status of channel 0 (never programmed)
  strictEqual(m.inb(0x40) & 0x3f, 0x30);
});

Deno.test("pit: mode 0 one-shot raises IRQ 0 once and re-arms on a new count", () => {
  const m = machine();
  m.out(0x43, 0x30); // channel 0, lo/hi, mode 0
  m.out(0x40, 50);
  m.out(0x40, 0);
  strictEqual(m.pit.output(0), false);
  m.at(49);
  m.pit.update(m.clock.now());
  strictEqual(m.pit.output(0), false);
  m.at(50);
  m.pit.update(m.clock.now());
  strictEqual(m.pit.output(0), true);
  m.at(500);
  m.pit.update(m.clock.now());
  strictEqual(m.irqs(), 1);
  strictEqual(m.pit.nextEventNs(m.clock.now()), undefined);
  // The counter keeps wrapping after terminal count.
  strictEqual(m.inb(0x40) | (m.inb(0x40) << 8), (50 - 500) & 0xffff);
  m.out(0x40, 20); // a new count (as a one-shot clockevent does)
  m.out(0x40, 0);
  strictEqual(m.pit.output(0), false);
  strictEqual(m.pit.nextEventNs(m.clock.now()), nsAtTick(520, PIT_HZ));
  m.at(520);
  m.pit.update(m.clock.now());
  strictEqual(m.irqs(), 2);
});

Deno.test("pit: mode 4 strobes after count + 1", () => {
  const m = machine();
  m.out(0x43, 0x38); // channel 0, lo/hi, mode 4
  m.out(0x40, 10);
  m.out(0x40, 0);
  m.at(10);
  strictEqual(m.pit.output(0), false);
  m.pit.update(m.clock.now());
  strictEqual(m.irqs(), 0);
  m.at(11);
  strictEqual(m.pit.output(0), true);
  m.pit.update(m.clock.now());
  strictEqual(m.irqs(), 1);
});

Deno.test("pit: mode 2 reload written while counting takes effect after the period", () => {
  const m = machine();
  m.out(0x43, 0x34);
  m.out(0x40, 100);
  m.out(0x40, 0);
  m.at(30);
  m.out(0x40, 10);
  m.out(0x40, 0);
  m.at(60);
  strictEqual(m.inb(0x40) | (m.inb(0x40) << 8), 40); // old period still running
  m.at(100);
  strictEqual(m.inb(0x40) | (m.inb(0x40) << 8), 10);
  m.at(125);
  m.pit.update(m.clock.now());
  m.pit.update(m.clock.now());
  m.pit.update(m.clock.now());
  strictEqual(m.irqs(), 3); // at 100, 110 and 120
});

Deno.test("pit: BCD counting", () => {
  const m = machine();
  m.out(0x43, 0x35); // channel 0, lo/hi, mode 2, BCD
  m.out(0x40, 0x00);
  m.out(0x40, 0x10); // 1000 decimal
  m.at(1);
  strictEqual(m.inb(0x40), 0x99);
  strictEqual(m.inb(0x40), 0x09); // 0999
  m.at(1000);
  m.pit.update(m.clock.now());
  strictEqual(m.irqs(), 1);
  m.out(0x43, 0x31); // mode 0, BCD, count 0 = 10000
  m.out(0x40, 0);
  m.out(0x40, 0);
  m.at(1000 + 1);
  strictEqual(m.inb(0x40) | (m.inb(0x40) << 8), 0x9999);
});

Deno.test("pit: channel 2 via port 0x61, the BIOS delay loop", () => {
  const m = machine();
  m.out(0x61, 0x00); // gate off
  m.out(0x43, 0xb0); // channel 2, lo/hi, mode 0
  m.out(0x42, 0xe8);
  m.out(0x42, 0x03); // 1000 ticks
  m.at(5000);
  strictEqual(m.inb(0x61) & 0x20, 0); // gate low: no counting
  m.out(0x61, 0x01); // gate on at tick 5000
  strictEqual(m.inb(0x61) & 0x21, 0x01);
  m.at(5999);
  strictEqual(m.inb(0x61) & 0x20, 0);
  m.at(6000);
  strictEqual(m.inb(0x61) & 0x20, 0x20);
  // Gate low pauses mode 0, gate high resumes it.
  m.out(0x43, 0xb0);
  m.out(0x42, 100);
  m.out(0x42, 0);
  m.at(6040);
  m.out(0x61, 0x00);
  m.at(9000);
  m.out(0x61, 0x01);
  m.at(9059);
  strictEqual(m.inb(0x61) & 0x20, 0);
  m.at(9060);
  strictEqual(m.inb(0x61) & 0x20, 0x20);
  strictEqual(m.irqs(), 0); // channel 2 raises no interrupt
});

Deno.test("pit: channel 2 square wave and the speaker bits", () => {
  const speaker: boolean[] = [];
  const clock = new ManualClock();
  const pit = new Pit({ clock });
  const p61 = new Port61({ pit, onSpeaker: (on) => speaker.push(on) });
  pit.write(3, Uint8Array.of(0xb6)); // channel 2, lo/hi, mode 3
  pit.write(2, Uint8Array.of(0x33)); // 0x533: ~896 Hz beep
  pit.write(2, Uint8Array.of(0x05));
  strictEqual(pit.frequencyHz(2), 0); // gate still low
  p61.write(0, Uint8Array.of(0x03));
  ok(Math.abs(pit.frequencyHz(2) - PIT_HZ / 0x533) < 1e-9);
  strictEqual(p61.speakerOn, true);
  const d = new Uint8Array(1);
  p61.read(0, d);
  strictEqual(d[0] & 0x23, 0x23); // OUT high in the first half
  clock.set(nsAtTick(0x533 / 2 + 1, PIT_HZ));
  p61.read(0, d);
  strictEqual(d[0] & 0x23, 0x03); // OUT low in the second half
  p61.write(0, Uint8Array.of(0x00));
  deepStrictEqual(speaker, [true, false]);
});

Deno.test("pit: mode 1 one-shot is triggered by the gate", () => {
  const m = machine();
  m.out(0x43, 0xb2); // channel 2, lo/hi, mode 1
  m.out(0x42, 10);
  m.out(0x42, 0);
  m.at(100);
  strictEqual(m.pit.output(2), true);
  m.out(0x61, 0x01); // trigger at 100
  strictEqual(m.pit.output(2), false);
  m.at(110);
  strictEqual(m.pit.output(2), true);
  m.out(0x61, 0x00);
  m.at(200);
  m.out(0x61, 0x01); // retrigger
  strictEqual(m.pit.output(2), false);
});

Deno.test("port61: the refresh bit toggles on every read", () => {
  const m = machine();
  const a = m.inb(0x61) & 0x10;
  const b = m.inb(0x61) & 0x10;
  const c = m.inb(0x61) & 0x10;
  strictEqual(a !== b, true);
  strictEqual(a, c);
});

Deno.test("pit: odd accesses never throw", () => {
  const m = machine();
  for (let v = 0; v < 256; v++) {
    m.out(0x43, v);
    m.out(0x40, v);
    m.out(0x41, v);
    m.out(0x42, v);
    m.inb(0x40);
    m.inb(0x41);
    m.inb(0x42);
    m.inb(0x43);
    m.at(v * 97);
    m.pit.update(m.clock.now());
    m.pit.nextEventNs(m.clock.now());
  }
  const d = new Uint8Array(4);
  m.pit.read(0, d);
  m.pit.write(1, d);
  m.pit.setGate(7, true);
  strictEqual(m.pit.output(-1), false);
});

Deno.test("pit: IRQ 0 stays high after an edge and drops when reprogramming takes OUT low", () => {
  const m = machine({ withPic: true });
  m.out(0x43, 0x30); // mode 0
  m.out(0x40, 10);
  m.out(0x40, 0);
  m.at(10);
  m.pit.update(m.clock.now());
  strictEqual(m.pic.hasInterrupt(), true);
  m.out(0x43, 0x30); // reprogrammed before the guest took it: OUT low, request withdrawn
  strictEqual(m.pic.hasInterrupt(), false);
  m.out(0x40, 5);
  m.out(0x40, 0);
  m.at(15);
  m.pit.update(m.clock.now());
  strictEqual(m.pic.acknowledge(), 0x08);
  strictEqual(m.irqs(), 2);
});
