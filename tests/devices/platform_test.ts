// The legacy devices wired together as a PC has them, driven as a BIOS and
// an interrupt-driven guest would drive them.
import { deepStrictEqual, strictEqual } from "@std/assert";
import { ManualClock, type TimedDevice } from "../../lib/devices/clock.ts";
import { Cmos } from "../../lib/devices/cmos.ts";
import { I8042 } from "../../lib/devices/i8042.ts";
import { Pic } from "../../lib/devices/pic.ts";
import { Pit } from "../../lib/devices/pit.ts";
import { Port61, Port92 } from "../../lib/devices/port61.ts";
import { VgaPorts } from "../../lib/devices/vga-ports.ts";
import { Bus } from "../../lib/machine/bus.ts";
import { portIo } from "../support/ports.ts";

function pc() {
  const clock = new ManualClock();
  const pic = new Pic();
  const pit = new Pit({
    clock,
    irq: (level) => pic.setIrq(0, level),
    irqPending: () => pic.isRequested(0),
  });
  const kbc = new I8042({
    irq1: (level) => pic.setIrq(1, level),
    irq12: (level) => pic.setIrq(12, level),
  });
  const rtc = new Cmos({
    clock,
    start: Date.UTC(2000, 0, 1, 0, 0, 0),
    irq: (level) => pic.setIrq(8, level),
  });
  const io = new Bus("io", 0x10000);
  io.register(0x20, 2, pic.master, "pic1");
  io.register(0xa0, 2, pic.slave, "pic2");
  io.register(0x4d0, 2, pic.elcr, "elcr");
  io.register(0x40, 4, pit, "pit");
  io.register(0x60, 1, kbc.data, "kbc-data");
  io.register(0x64, 1, kbc.command, "kbc-cmd");
  io.register(0x61, 1, new Port61({ pit }), "port61");
  io.register(0x92, 1, new Port92(), "port92");
  io.register(0x70, 2, rtc, "rtc");
  io.register(0x3c0, 0x20, new VgaPorts({ clock }), "vga");
  const timed: TimedDevice[] = [pit, rtc];
  const { out, inb } = portIo(io);
  return { clock, pic, kbc, timed, out, inb };
}

Deno.test("platform: BIOS setup, then timer, keyboard and RTC interrupts reach the CPU", () => {
  const m = pc();
  // The BIOS: PIC, 18.2 Hz timer, RTC periodic interrupt at 2 Hz, keyboard reset.
  for (const [port, v] of [[0x20, 0x11], [0x21, 0x08], [0x21, 0x04], [0x21, 0x01]]) m.out(port, v);
  for (const [port, v] of [[0xa0, 0x11], [0xa1, 0x70], [0xa1, 0x02], [0xa1, 0x01]]) m.out(port, v);
  m.out(0x21, 0x00);
  m.out(0xa1, 0x00);
  m.out(0x43, 0x36);
  m.out(0x40, 0x00);
  m.out(0x40, 0x00);
  m.out(0x70, 0x0a);
  m.out(0x71, 0x2f);
  m.out(0x70, 0x0b);
  m.out(0x71, 0x42);
  m.out(0x60, 0xff); // keyboard reset: ACK and BAT arrive through IRQ 1
  m.kbc.type("ok\n");

  // The guest: take interrupts as they come, as its handlers would.
  const seen = new Map<number, number>();
  const keys: number[] = [];
  for (let ms = 0; ms <= 1000; ms++) {
    m.clock.set(ms * 1_000_000);
    for (const d of m.timed) d.update(m.clock.now());
    while (m.pic.hasInterrupt()) {
      const vector = m.pic.acknowledge();
      seen.set(vector, (seen.get(vector) ?? 0) + 1);
      if (vector === 0x09) keys.push(m.inb(0x60));
      if (vector === 0x70) {
        m.out(0x70, 0x0c);
        m.inb(0x71);
        m.out(0xa0, 0x20);
      }
      m.out(0x20, 0x20);
    }
  }
  strictEqual(seen.get(0x08), 18); // 1 s of the 18.2 Hz tick
  strictEqual(seen.get(0x70), 2); // 2 Hz RTC
  deepStrictEqual(keys, [0xfa, 0xaa, 0x18, 0x98, 0x25, 0xa5, 0x1c, 0x9c]);
  strictEqual([...seen.keys()].sort((a, b) => a - b).join(), [0x08, 0x09, 0x70].join());
});
