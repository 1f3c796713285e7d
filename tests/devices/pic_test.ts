import { deepStrictEqual, strictEqual } from "@std/assert";
import { Pic } from "../../lib/devices/pic.ts";
import { Bus } from "../../lib/machine/bus.ts";
import { portIo } from "../support/ports.ts";

/** A PIC on a port bus, driven as a guest would. */
function machine(options: ConstructorParameters<typeof Pic>[0] = {}) {
  const pic = new Pic(options);
  const bus = new Bus("io", 0x10000);
  bus.register(0x20, 2, pic.master, "pic1");
  bus.register(0xa0, 2, pic.slave, "pic2");
  bus.register(0x4d0, 2, pic.elcr, "elcr");
  const { out, inb } = portIo(bus);
  return { pic, out, inb };
}

/** The BIOS's initialisation sequence, spelled out. */
function initLikeBios(out: (port: number, value: number) => void) {
  out(0x20, 0x11);
  out(0x21, 0x08);
  out(0x21, 0x04);
  out(0x21, 0x01);
  out(0xa0, 0x11);
  out(0xa1, 0x70);
  out(0xa1, 0x02);
  out(0xa1, 0x01);
  out(0x21, 0x00);
  out(0xa1, 0x00);
}

Deno.test("pic: uninitialised chips deliver nothing", () => {
  const { pic } = machine();
  pic.setIrq(0, true);
  strictEqual(pic.hasInterrupt(), false);
});

Deno.test("pic: ICW sequence sets the vector bases and IMR", () => {
  const { pic, out, inb } = machine();
  initLikeBios(out);
  out(0x21, 0xfa);
  strictEqual(inb(0x21), 0xfa);
  strictEqual(inb(0xa1), 0x00);
  out(0x21, 0x00);
  pic.setIrq(1, true);
  strictEqual(pic.hasInterrupt(), true);
  strictEqual(pic.acknowledge(), 0x09);
  pic.setIrq(14, true);
  // IRQ 14 waits: IRQ 1 (higher priority) is in service.
  strictEqual(pic.hasInterrupt(), false);
  out(0x20, 0x20); // EOI
  strictEqual(pic.hasInterrupt(), true);
  strictEqual(pic.acknowledge(), 0x76);
});

Deno.test("pic: pcDefaults option matches the BIOS sequence", () => {
  const a = machine({ pcDefaults: true });
  const b = machine();
  initLikeBios(b.out);
  deepStrictEqual(a.pic.snapshot(), b.pic.snapshot());
  const c = machine({ pcDefaults: { masterMask: 0xb8, slaveMask: 0x8f } });
  strictEqual(c.inb(0x21), 0xb8);
  strictEqual(c.inb(0xa1), 0x8f);
});

Deno.test("pic: an edge request needs its line held until INTA, then a new edge", () => {
  const { pic, out } = machine({ pcDefaults: true });
  pic.setIrq(0, true);
  pic.setIrq(0, false); // dropped before INTA: withdrawn
  strictEqual(pic.hasInterrupt(), false);
  strictEqual(pic.acknowledge(), 0x0f); // an INTA now finds nothing: spurious IRQ 7
  pic.setIrq(3, true);
  strictEqual(pic.acknowledge(), 0x0b);
  out(0x20, 0x20);
  pic.setIrq(3, true); // still high: no new edge
  strictEqual(pic.hasInterrupt(), false);
  pic.setIrq(3, false);
  pic.setIrq(3, true);
  strictEqual(pic.hasInterrupt(), true);
});

Deno.test("pic: priority, nesting and non-specific EOI", () => {
  const { pic, out, inb } = machine({ pcDefaults: true });
  pic.setIrq(5, true);
  pic.setIrq(3, true);
  strictEqual(pic.acknowledge(), 0x0b); // IRQ 3 beats IRQ 5
  strictEqual(pic.hasInterrupt(), false); // IRQ 5 is lower than IRQ 3 in service
  pic.setIrq(1, true);
  strictEqual(pic.acknowledge(), 0x09); // IRQ 1 nests
  out(0x20, 0x0b); // OCW3: read ISR
  strictEqual(inb(0x20), 0x0a);
  out(0x20, 0x0a); // OCW3: read IRR
  strictEqual(inb(0x20), 0x20); // IRQ 5 still requested
  out(0x20, 0x20); // EOI clears IRQ 1
  out(0x20, 0x0b);
  strictEqual(inb(0x20), 0x08);
  out(0x20, 0x20); // EOI clears IRQ 3
  strictEqual(pic.acknowledge(), 0x0d);
});

Deno.test("pic: specific EOI and masking", () => {
  const { pic, out, inb } = machine({ pcDefaults: true });
  out(0x21, 0x10); // mask IRQ 4
  pic.setIrq(4, true);
  strictEqual(pic.hasInterrupt(), false);
  out(0x21, 0x00);
  strictEqual(pic.hasInterrupt(), true);
  strictEqual(pic.acknowledge(), 0x0c);
  pic.setIrq(6, true);
  out(0x20, 0x60 | 6); // specific EOI for a level not in service: no effect
  out(0x20, 0x0b);
  strictEqual(inb(0x20), 0x10);
  out(0x20, 0x60 | 4);
  strictEqual(inb(0x20), 0x00);
  strictEqual(pic.acknowledge(), 0x0e);
});

Deno.test("pic: cascade delivers slave vectors and needs EOI on both chips", () => {
  const { pic, out, inb } = machine({ pcDefaults: true });
  pic.setIrq(8, true);
  strictEqual(pic.hasInterrupt(), true);
  strictEqual(pic.acknowledge(), 0x70);
  out(0x20, 0x0b);
  out(0xa0, 0x0b);
  strictEqual(inb(0x20), 0x04); // master: IR2 in service
  strictEqual(inb(0xa0), 0x01); // slave: IR0 in service
  pic.setIrq(12, true);
  strictEqual(pic.hasInterrupt(), false);
  out(0xa0, 0x20);
  strictEqual(pic.hasInterrupt(), false); // master still has IR2 in service
  out(0x20, 0x20);
  strictEqual(pic.hasInterrupt(), true);
  strictEqual(pic.acknowledge(), 0x74);
  // A master line above IR2 nests over the slave.
  pic.setIrq(1, true);
  strictEqual(pic.acknowledge(), 0x09);
});

Deno.test("pic: IRQ 2 from a device arrives as IRQ 9", () => {
  const { pic } = machine({ pcDefaults: true });
  pic.setIrq(2, true);
  strictEqual(pic.isRequested(9), true);
  strictEqual(pic.acknowledge(), 0x71);
});

Deno.test("pic: spurious IRQ 7 sets no ISR bit; a slave request that goes away is withdrawn", () => {
  const { pic, out, inb } = machine({ pcDefaults: true });
  strictEqual(pic.acknowledge(), 0x0f);
  out(0x20, 0x0b);
  strictEqual(inb(0x20), 0x00);
  pic.setIrq(10, true);
  strictEqual(pic.hasInterrupt(), true);
  out(0xa1, 0x04); // the guest masks IRQ 10: the slave's INT falls
  strictEqual(pic.hasInterrupt(), false);
  out(0x20, 0x0a);
  strictEqual(inb(0x20), 0x00); // the master's IR2 request is gone too
  out(0xa1, 0x00);
  strictEqual(pic.acknowledge(), 0x72);
  out(0xa0, 0x0b);
  strictEqual(inb(0xa0), 0x04);
  out(0x20, 0x0b);
  strictEqual(inb(0x20), 0x04); // the master's IR2 is in service too
});

Deno.test("pic: ELCR only accepts lines that may be level-triggered", () => {
  const { out, inb } = machine({ pcDefaults: true });
  out(0x4d0, 0xff);
  out(0x4d1, 0xff);
  strictEqual(inb(0x4d0), 0xf8);
  strictEqual(inb(0x4d1), 0xde);
});

Deno.test("pic: level mode (ICW1 LTIM) re-requests while the line stays high", () => {
  const { pic, out } = machine();
  out(0x20, 0x19); // ICW1: level, cascade, ICW4
  out(0x21, 0x20);
  out(0x21, 0x04);
  out(0x21, 0x01);
  out(0x21, 0x00);
  pic.setIrq(5, true);
  strictEqual(pic.acknowledge(), 0x25);
  out(0x20, 0x20);
  strictEqual(pic.hasInterrupt(), true); // still high
  strictEqual(pic.acknowledge(), 0x25);
  pic.setIrq(5, false);
  out(0x20, 0x20);
  strictEqual(pic.hasInterrupt(), false);
});

Deno.test("pic: automatic EOI leaves ISR clear", () => {
  const { pic, out, inb } = machine();
  out(0x20, 0x13); // single, ICW4
  out(0x21, 0x40);
  out(0x21, 0x03); // 8086, AEOI
  out(0x21, 0x00);
  pic.setIrq(0, true);
  strictEqual(pic.acknowledge(), 0x40);
  out(0x20, 0x0b);
  strictEqual(inb(0x20), 0x00);
  pic.setIrq(6, true);
  strictEqual(pic.acknowledge(), 0x46); // no in-service level holds it off
});

Deno.test("pic: rotation on EOI and set-priority", () => {
  const { pic, out } = machine({ pcDefaults: true });
  pic.setIrq(1, true);
  strictEqual(pic.acknowledge(), 0x09);
  out(0x20, 0xa0); // rotate on non-specific EOI: IRQ 1 becomes the lowest
  pic.setIrq(1, false);
  pic.setIrq(1, true);
  pic.setIrq(4, true);
  strictEqual(pic.acknowledge(), 0x0c); // IRQ 4 now beats IRQ 1
  out(0x20, 0x20);
  strictEqual(pic.acknowledge(), 0x09);
  out(0x20, 0x20);
  out(0x20, 0xc0 | 5); // set priority: IRQ 5 lowest, IRQ 6 highest
  pic.setIrq(0, true);
  pic.setIrq(6, true);
  strictEqual(pic.acknowledge(), 0x0e);
});

Deno.test("pic: poll mode returns the level and acknowledges it", () => {
  const { pic, out, inb } = machine({ pcDefaults: true });
  out(0x20, 0x0c); // OCW3 poll
  strictEqual(inb(0x20), 0x00); // nothing pending
  pic.setIrq(3, true);
  out(0x20, 0x0c);
  strictEqual(inb(0x20), 0x83);
  out(0x20, 0x0b);
  strictEqual(inb(0x20), 0x08); // taken into ISR
  strictEqual(pic.hasInterrupt(), false);
});

Deno.test("pic: special mask mode lets lower levels in while the current one is masked", () => {
  const { pic, out } = machine({ pcDefaults: true });
  pic.setIrq(3, true);
  strictEqual(pic.acknowledge(), 0x0b);
  pic.setIrq(5, true);
  strictEqual(pic.hasInterrupt(), false);
  out(0x21, 0x08); // mask IRQ 3 (in service)
  out(0x20, 0x68); // OCW3: set special mask mode
  strictEqual(pic.hasInterrupt(), true);
  strictEqual(pic.acknowledge(), 0x0d);
  out(0x20, 0x48); // clear special mask mode
});

Deno.test("pic: onOutput reports INTR changes", () => {
  const seen: boolean[] = [];
  const { pic, out } = machine({ pcDefaults: true, onOutput: (p) => seen.push(p) });
  pic.setIrq(0, true);
  pic.acknowledge();
  out(0x20, 0x20);
  deepStrictEqual(seen, [true, false]);
});

Deno.test("pic: odd accesses never throw", () => {
  const { pic, out, inb } = machine({ pcDefaults: true });
  pic.setIrq(-1, true);
  pic.setIrq(16, true);
  pic.setIrq(1.5, true);
  strictEqual(pic.isRequested(99), false);
  for (let v = 0; v < 256; v++) {
    out(0x20, v);
    out(0x21, v);
    out(0xa0, v);
    out(0xa1, v);
    inb(0x20);
    inb(0xa0);
    pic.acknowledge();
  }
  const d = new Uint8Array(4);
  pic.master.read(0, d);
  pic.master.write(0, d);
  pic.elcr.read(0, d);
  pic.elcr.write(1, d);
});

Deno.test("pic: canDeliver follows the masks, the cascade and what is in service", () => {
  const pic = new Pic({ pcDefaults: { masterMask: 0xfa, slaveMask: 0xfe } }); // IRQ 0, 2, 8 open
  strictEqual(pic.canDeliver(0), true);
  strictEqual(pic.canDeliver(1), false);
  strictEqual(pic.canDeliver(8), true);
  strictEqual(pic.canDeliver(9), false);
  pic.setIrq(0, true);
  pic.acknowledge(); // IRQ 0 in service: nothing of lower or equal priority gets through
  strictEqual(pic.canDeliver(0), false);
  strictEqual(pic.canDeliver(8), false);
  pic.master.write(0, Uint8Array.of(0x20)); // EOI
  strictEqual(pic.canDeliver(0), true);
  strictEqual(pic.isRequested(0), false); // asking changed nothing
  pic.master.write(1, Uint8Array.of(0xfe)); // the cascade masked: slave lines are shut
  strictEqual(pic.canDeliver(8), false);
  strictEqual(pic.canDeliver(-1), false);
});
