import { strictEqual } from "@std/assert";
import { LocalApic } from "../../lib/devices/lapic.ts";
import { ManualClock } from "../../lib/devices/clock.ts";

function rig() {
  const clock = new ManualClock();
  const eois: number[] = [];
  const apic = new LocalApic({ clock, onEoi: (v) => eois.push(v) });
  const write = (offset: number, v: number) =>
    apic.write(offset, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24));
  const read = (offset: number) => {
    const d = new Uint8Array(4);
    apic.read(offset, d);
    return new DataView(d.buffer).getUint32(0, true);
  };
  return { apic, clock, write, read, eois };
}

Deno.test("lapic: power-on registers; LVTs stay masked until SVR enables the APIC", () => {
  const { apic, write, read } = rig();
  strictEqual(read(0x20), 0);
  strictEqual(read(0x30) & 0xff, 0x14);
  strictEqual(read(0xe0), 0xffffffff);
  strictEqual(read(0xf0), 0xff);
  strictEqual(read(0x350), 0x10000);
  write(0x320, 0x40);
  strictEqual(read(0x320), 0x10040, "masked while software-disabled");
  write(0xf0, 0x13f);
  strictEqual(apic.enabled, true);
  write(0x320, 0x40);
  strictEqual(read(0x320), 0x40);
  write(0xd0, 0x01000000);
  strictEqual(read(0xd0), 0x01000000);
  write(0x20, 0x05000000);
  strictEqual(read(0x20), 0x05000000);
});

Deno.test("lapic: priority, acknowledge and EOI; TPR holds lower classes back", () => {
  const { apic, write, read, eois } = rig();
  write(0xf0, 0x1ff);
  apic.accept(0x31);
  apic.accept(0x52, true);
  strictEqual(read(0x200 + 0x10 * (0x52 >> 5)) >>> (0x52 & 31) & 1, 1, "IRR bit");
  strictEqual(apic.acknowledge(), 0x52);
  strictEqual(apic.hasInterrupt(), false, "0x31 is below the in-service class");
  strictEqual(read(0xa0), 0x50);
  write(0xb0, 0);
  strictEqual(eois.join(), String(0x52), "a level-triggered vector's EOI is told");
  write(0x80, 0x40);
  strictEqual(apic.hasInterrupt(), false, "TPR 40h blocks 31h");
  write(0x80, 0x20);
  strictEqual(apic.acknowledge(), 0x31);
  write(0xb0, 0);
  strictEqual(eois.length, 1, "an edge vector's EOI is not told");
  strictEqual(apic.acknowledge(), 0xff, "nothing pending: the spurious vector");
});

Deno.test("lapic: the timer in one-shot and periodic modes, with the divider", () => {
  const { apic, clock, write, read } = rig();
  write(0xf0, 0x1ff);
  write(0x3e0, 0x0); // divide by 2
  write(0x320, 0x40); // one-shot, vector 40h
  write(0x380, 1000);
  strictEqual(apic.nextEventNs(clock.now()), 2000);
  clock.advance(500);
  strictEqual(read(0x390), 750);
  clock.advance(1500);
  apic.update(clock.now());
  strictEqual(apic.acknowledge(), 0x40);
  write(0xb0, 0);
  strictEqual(read(0x390), 0);
  strictEqual(apic.nextEventNs(clock.now()), undefined, "one-shot: done");
  write(0x3e0, 0xb); // divide by 1
  write(0x320, 0x20041); // periodic, vector 41h
  write(0x380, 100);
  let count = 0;
  for (let i = 0; i < 10; i++) {
    clock.advance(100);
    apic.update(clock.now());
    if (apic.hasInterrupt()) {
      apic.acknowledge();
      write(0xb0, 0);
      count++;
    }
  }
  strictEqual(count, 10);
  clock.advance(30);
  strictEqual(read(0x390), 70);
  write(0x320, 0x30041); // masked: no event
  strictEqual(apic.nextEventNs(clock.now()), undefined);
});

Deno.test("lapic: a periodic tick due while the last is unfinished waits, and the period restarts at its EOI", () => {
  let changes = 0;
  const clock = new ManualClock();
  const apic = new LocalApic({ clock, onTimerChange: () => changes++ });
  const write = (offset: number, v: number) =>
    apic.write(offset, Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24));
  write(0xf0, 0x1ff);
  write(0x3e0, 0xb); // divide by 1
  write(0x320, 0x20041); // periodic, vector 41h
  write(0x380, 100);
  strictEqual(changes, 3, "LVT, divide and initial count writes move the schedule");
  clock.advance(100);
  apic.update(clock.now());
  strictEqual(apic.acknowledge(), 0x41, "the first tick");
  // The handler runs for three periods: no tick queues up behind it.
  clock.advance(300);
  apic.update(clock.now());
  strictEqual(apic.hasInterrupt(), false, "held back while in service");
  strictEqual(apic.nextEventNs(clock.now()), undefined, "no event until the EOI");
  write(0xb0, 0);
  strictEqual(changes, 4, "the EOI restarts the period");
  strictEqual(apic.nextEventNs(clock.now()), 500, "a full period after the EOI");
  clock.advance(99);
  apic.update(clock.now());
  strictEqual(apic.hasInterrupt(), false);
  clock.advance(1);
  apic.update(clock.now());
  strictEqual(apic.acknowledge(), 0x41, "the next tick");
  write(0xb0, 0);
  // A tick the CPU has not taken yet (IRR) holds the next one back too.
  clock.advance(100);
  apic.update(clock.now());
  clock.advance(100);
  apic.update(clock.now());
  strictEqual(apic.acknowledge(), 0x41);
  strictEqual(apic.hasInterrupt(), false, "one tick, not two");
});

Deno.test("lapic: a self IPI by shorthand and by ID; an illegal vector sets ESR", () => {
  const { apic, write, read } = rig();
  write(0xf0, 0x1ff);
  write(0x300, 0x40060); // self shorthand, fixed, vector 60h
  strictEqual(apic.acknowledge(), 0x60);
  write(0xb0, 0);
  write(0x310, 0);
  write(0x300, 0x61); // destination ID 0 = this CPU
  strictEqual(apic.acknowledge(), 0x61);
  write(0xb0, 0);
  write(0x300, 0x40005); // vector 5: illegal
  strictEqual(apic.hasInterrupt(), false);
  write(0x280, 0);
  strictEqual(read(0x280), 0x40);
  strictEqual(read(0x300) & 0x1000, 0, "never send-pending");
});

Deno.test("lapic: LINT0 ExtINT lets the 8259A through; disabled means virtual wire", () => {
  const { apic, write } = rig();
  strictEqual(apic.extIntOpen, true, "software-disabled: the PIC goes straight to the CPU");
  write(0xf0, 0x1ff);
  strictEqual(apic.extIntOpen, false, "LINT0 masked at power-on");
  write(0x350, 0x700);
  strictEqual(apic.extIntOpen, true);
});

Deno.test("lapic: the mirror page shows every register after a change, and the running count", () => {
  const { apic, clock, write, read } = rig();
  const page = new Uint8Array(4096);
  const word = (offset: number) => new DataView(page.buffer).getUint32(offset, true);
  apic.attachMirror(page);
  strictEqual(word(0x30), read(0x30), "the version at once");
  write(0xf0, 0x1ff);
  write(0x80, 0x20);
  write(0x3e0, 0xb);
  write(0x320, 0x20041);
  write(0x380, 1000);
  apic.accept(0x52);
  apic.publish(clock.now());
  for (const offset of [0x20, 0x30, 0x80, 0xa0, 0xf0, 0x200 + 0x20, 0x320, 0x380, 0x390, 0x3e0]) {
    strictEqual(word(offset), read(offset), `register ${offset.toString(16)}`);
  }
  clock.advance(300);
  apic.publish(clock.now());
  strictEqual(word(0x390), 700, "the current count moves with nothing else changed");
  strictEqual(word(0x390), read(0x390));
});
