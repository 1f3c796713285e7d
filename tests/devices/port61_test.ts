import { deepStrictEqual, strictEqual } from "@std/assert";
import { ManualClock } from "../../lib/devices/clock.ts";
import { Pit } from "../../lib/devices/pit.ts";
import { Port61, Port92 } from "../../lib/devices/port61.ts";

Deno.test("port61: gate and speaker bits read back, bits 2-3 kept", () => {
  const pit = new Pit({ clock: new ManualClock() });
  const p = new Port61({ pit });
  p.write(0, Uint8Array.of(0xff));
  strictEqual(pit.gate(2), true);
  const d = new Uint8Array(1);
  p.read(0, d);
  strictEqual(d[0] & 0xcf, 0x0f);
  p.write(0, Uint8Array.of(0x00));
  p.read(0, d);
  strictEqual(d[0] & 0xcf, 0x00);
  strictEqual(pit.gate(2), false);
});

Deno.test("port92: fast A20 and fast reset", () => {
  const a20: boolean[] = [];
  let resets = 0;
  const p = new Port92({ a20: false, onA20: (on) => a20.push(on), onReset: () => resets++ });
  const d = new Uint8Array(1);
  p.read(0, d);
  strictEqual(d[0], 0x00);
  p.write(0, Uint8Array.of(0x02));
  strictEqual(p.a20, true);
  p.read(0, d);
  strictEqual(d[0], 0x02);
  p.write(0, Uint8Array.of(0x02)); // no change, no callback
  p.write(0, Uint8Array.of(0x03)); // reset, A20 kept
  strictEqual(resets, 1);
  p.read(0, d);
  strictEqual(d[0], 0x02);
  p.write(0, Uint8Array.of(0x01)); // reset again, A20 off
  strictEqual(resets, 2);
  deepStrictEqual(a20, [true, false]);
  strictEqual(new Port92().a20, true);
});

Deno.test("port61/port92: wide and out-of-range accesses never throw", () => {
  const p61 = new Port61({ pit: new Pit({ clock: new ManualClock() }) });
  const p92 = new Port92();
  const d = new Uint8Array(4);
  p61.read(0, d);
  strictEqual(d[1], 0xff);
  p61.write(3, d);
  p92.read(0, d);
  p92.write(5, d);
});
