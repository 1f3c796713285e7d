import { deepStrictEqual, strictEqual } from "@std/assert";
import { BDA } from "../../lib/bios/bda.ts";
import { TICK_NS } from "../../lib/bios/int14.ts";
import { Serial16550 } from "../../lib/devices/serial.ts";
import { int1a, Rtc, timerTick } from "../../lib/bios/time.ts";
import { regs, testBios } from "./support.ts";

Deno.test("int11/int12/int15: equipment, memory sizes, E820 map and configuration", () => {
  const { bios, memory } = testBios(undefined, 15 * 1024 * 1024);
  const eq = regs({});
  bios.call(0x11, eq);
  strictEqual(eq.ax & 0x30, 0x20);
  strictEqual(eq.ax & 1, 0, "no floppy drive");
  const kb = regs({});
  bios.call(0x12, kb);
  strictEqual(kb.ax, 639);
  const ext = regs({ ax: 0x8800 });
  bios.call(0x15, ext);
  strictEqual(ext.ax, 15 * 1024);
  const e801 = regs({ ax: 0xe801 });
  bios.call(0x15, e801);
  strictEqual(e801.ax, 15 * 1024);
  strictEqual(e801.bx, 0);
  const map: number[][] = [];
  let next = 0;
  do {
    const r = regs({ di: 0x500 });
    r.eax = 0xe820;
    r.edx = 0x534d4150;
    r.ecx = 24;
    r.ebx = next;
    bios.call(0x15, r);
    strictEqual(r.cf, false);
    strictEqual(r.eax, 0x534d4150);
    strictEqual(r.ecx, 24);
    map.push([memory.readU32(0x500), memory.readU32(0x508), memory.readU32(0x510)]);
    next = r.ebx;
  } while (next !== 0 && map.length < 10);
  deepStrictEqual(map, [
    [0, 0x9fc00, 1],
    [0x9fc00, 0x400, 2],
    [0xf0000, 0x10000, 2],
    [0x100000, 15 * 1024 * 1024, 1],
  ]);
  // Bad signature, index past the end, a buffer in ROM: CF=1.
  for (const [edx, ebx, es] of [[0, 0, 0], [0x534d4150, 9, 0], [0x534d4150, 0, 0xf000]]) {
    const r = regs({ es, di: 0 });
    r.eax = 0xe820;
    r.edx = edx;
    r.ebx = ebx;
    r.ecx = 20;
    bios.call(0x15, r);
    strictEqual(r.cf, true, `${edx} ${ebx} ${es}`);
  }
  const config = regs({ ax: 0xc000 });
  bios.call(0x15, config);
  strictEqual(config.cf, false);
  strictEqual(memory.readU8(config.es * 16 + config.bx + 2), 0xfc);
  const unknown = regs({ ax: 0x9900 });
  bios.call(0x15, unknown);
  strictEqual(unknown.cf, true);
  strictEqual(unknown.ah, 0x86);
  const a20 = regs({ ax: 0x2400 });
  bios.call(0x15, a20);
  const status = regs({ ax: 0x2402 });
  bios.call(0x15, status);
  strictEqual(status.al, 0);
  strictEqual(memory.readU16(BDA.MEMORY_KB), 639);
});

Deno.test("int15 AH=86h: waits in the ROM loop until the clock passes the end", () => {
  const { bios, clock } = testBios();
  const call = () => {
    const r = regs({ ax: 0x8600, cx: 0x0000, dx: 1000 }); // 1 ms
    bios.call(0x15, r);
    return r;
  };
  let r = call();
  strictEqual(r.cs, 0xf000, "waiting");
  strictEqual(bios.nextEventNs(0), 1_000_000);
  clock.advance(999_999);
  r = call();
  strictEqual(r.cs, 0xf000, "still waiting");
  clock.advance(1);
  r = call();
  strictEqual(r.cs, 0, "done: returns to the caller");
  strictEqual(r.cf, false);
  strictEqual(bios.nextEventNs(0), undefined);
});

Deno.test("int14: COM1 through the UART's ports; missing ports time out", () => {
  const { bios, ports } = testBios();
  const sent: number[] = [];
  const uart = new Serial16550({ onOutput: (b) => sent.push(b) });
  ports.register(0x3f8, 8, uart, "COM1");
  const init = regs({ ax: 0x00e3, dx: 0 });
  bios.call(0x14, init);
  strictEqual(uart.divisor, 12);
  strictEqual(uart.lcr, 0x03);
  const send = regs({ ax: 0x0141, dx: 0 });
  bios.call(0x14, send);
  strictEqual(send.ah & 0x80, 0);
  deepStrictEqual(sent, [0x41]);
  uart.receive([0x7a]);
  const recv = regs({ ax: 0x0200, dx: 0 });
  bios.call(0x14, recv);
  strictEqual(recv.al, 0x7a);
  const com2 = regs({ ax: 0x0141, dx: 1 });
  bios.call(0x14, com2);
  strictEqual(com2.ah, 0x80);
  const com9 = regs({ ax: 0x0141, dx: 9 });
  bios.call(0x14, com9);
  strictEqual(com9.ah, 0x80);
});

Deno.test("int14 AH=02h: waits for a byte up to the BDA time-out, then reports it", () => {
  const { bios, ports, clock, memory } = testBios();
  const uart = new Serial16550();
  ports.register(0x3f8, 8, uart, "COM1");
  strictEqual(memory.readU8(BDA.COM_TIMEOUTS), 10, "POST: 10 ticks");
  const call = () => {
    const r = regs({ ax: 0x0200, dx: 0 });
    bios.call(0x14, r);
    return r;
  };
  let r = call();
  strictEqual(r.cs, 0xf000, "nothing received: waiting in the ROM loop");
  strictEqual(bios.nextEventNs(0), 10 * TICK_NS);
  clock.advance(5 * TICK_NS);
  uart.receive([0x41, 0x42]);
  r = call();
  strictEqual(r.cs, 0, "a byte ends the wait");
  deepStrictEqual([r.ah, r.al], [0x00, 0x41]);
  strictEqual(bios.nextEventNs(0), undefined);
  r = call();
  deepStrictEqual([r.ah, r.al], [0x00, 0x42]);
  r = call();
  strictEqual(r.cs, 0xf000, "waiting again");
  clock.advance(10 * TICK_NS);
  r = call();
  strictEqual(r.cs, 0);
  strictEqual(r.ah, 0x80, "time-out");
  memory.writeU8(BDA.COM_TIMEOUTS, 0);
  r = call();
  strictEqual(r.ah, 0x80, "a time-out of 0 ticks does not wait");
  const status = regs({ ax: 0x0300, dx: 0 });
  bios.call(0x14, status);
  strictEqual(status.ah & 0x61, 0x60, "AH=03h: transmitter empty, no data");
});

Deno.test("int1a: ticks with the midnight flag; RTC time and date in BCD", () => {
  const { bios, memory, clock } = testBios();
  const env = bios.env;
  memory.writeU32(BDA.TICKS, 0x1800af);
  memory.writeU8(BDA.MIDNIGHT, 0);
  timerTick(env); // IRQ 0's work: the last tick of the day rolls over
  strictEqual(memory.readU32(BDA.TICKS), 0);
  const ticks = regs({ ax: 0x0000 });
  bios.call(0x1a, ticks);
  strictEqual(ticks.al, 1, "midnight passed");
  strictEqual(ticks.cx, 0);
  strictEqual(memory.readU8(BDA.MIDNIGHT), 0, "reading clears the flag");
  bios.call(0x1a, regs({ ax: 0x0100, cx: 0x0012, dx: 0x3456 }));
  strictEqual(memory.readU32(BDA.TICKS), 0x123456);
  const rtc = new Rtc(() => clock.now(), Date.UTC(2024, 1, 29, 23, 59, 58));
  const time = regs({ ax: 0x0200 });
  int1a(time, env, rtc);
  strictEqual(time.cx, 0x2359);
  strictEqual(time.dh, 0x58);
  clock.advance(3e9); // three seconds later it is 1 March
  const date = regs({ ax: 0x0400 });
  int1a(date, env, rtc);
  strictEqual(date.cx, 0x2024);
  strictEqual(date.dx, 0x0301);
  const set = regs({ ax: 0x0300, cx: 0x0830, dx: 0x1500 });
  int1a(set, env, rtc);
  strictEqual(set.cf, false);
  int1a(time, env, rtc);
  strictEqual(time.cx, 0x0830);
  const bad = regs({ ax: 0x0300, cx: 0x2a00, dx: 0 });
  int1a(bad, env, rtc);
  strictEqual(bad.cf, true, "hour 2Ah is not BCD");
});
