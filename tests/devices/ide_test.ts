import { deepStrictEqual, strictEqual } from "@std/assert";
import { IdeController } from "../../lib/devices/ide.ts";
import { Bus } from "../../lib/machine/bus.ts";
import { Disk } from "../../lib/loader/disk.ts";
import { numbered } from "../support/disks.ts";
import { portIo } from "../support/ports.ts";

/** A controller on a port bus with the given drives, and its interrupt lines' levels. */
function rig(drives: (Disk | undefined)[]) {
  const irq = new Map<number, boolean>();
  const ide = new IdeController({ drives, setIrq: (n, l) => irq.set(n, l) });
  const bus = new Bus("io", 0x10000);
  for (const [i, base, ctl] of [[0, 0x1f0, 0x3f6], [1, 0x170, 0x376]] as const) {
    const p = ide.channelPorts(i);
    bus.register(base, 8, p.command, "ide");
    bus.register(ctl, 1, p.control, "ide ctl");
  }
  const { out, outw, inb } = portIo(bus);
  const inw = (port: number) => {
    const d = new Uint8Array(2);
    bus.read(port, d);
    return d[0] | d[1] << 8;
  };
  const readSector = (base = 0x1f0) => {
    const s = new Uint8Array(512);
    for (let i = 0; i < 256; i++) {
      const w = inw(base);
      s[2 * i] = w & 0xff;
      s[2 * i + 1] = w >> 8;
    }
    return s;
  };
  return { ide, irq, out, outw, inb, inw, readSector };
}

Deno.test("ide: IDENTIFY gives the geometry, LBA28 and LBA48 sizes", () => {
  const disk = Disk.fromImage(numbered(2000));
  const { out, inb, inw, irq } = rig([disk]);
  out(0x1f6, 0xa0);
  out(0x1f7, 0xec);
  strictEqual(irq.get(14), true);
  strictEqual(inb(0x3f6), 0x58, "alt status: DRDY DSC DRQ, interrupt kept");
  strictEqual(irq.get(14), true);
  strictEqual(inb(0x1f7), 0x58);
  strictEqual(irq.get(14), false, "reading status lowers INTRQ");
  const words: number[] = [];
  for (let i = 0; i < 256; i++) words.push(inw(0x1f0));
  strictEqual(words[0], 0x0040);
  strictEqual(words[1], disk.geometry.cylinders);
  strictEqual(words[3], 16);
  strictEqual(words[6], 63);
  strictEqual(words[60] | words[61] << 16, 2000);
  strictEqual(words[100], 2000);
  strictEqual(words[83] & 0x400, 0x400);
  strictEqual(String.fromCharCode(words[27] >> 8, words[27] & 0xff), "pi");
  strictEqual(inb(0x1f7), 0x50, "DRQ off after 256 words");
});

Deno.test("ide: READ SECTORS in LBA28 and CHS, one interrupt per sector", () => {
  const { out, inb, irq, readSector } = rig([Disk.fromImage(numbered(200))]);
  out(0x1f2, 2);
  out(0x1f3, 5);
  out(0x1f4, 0);
  out(0x1f5, 0);
  out(0x1f6, 0xe0);
  out(0x1f7, 0x20);
  strictEqual(irq.get(14), true);
  strictEqual(inb(0x1f7), 0x58);
  deepStrictEqual(readSector(), new Uint8Array(512).fill(5));
  strictEqual(irq.get(14), true, "second sector ready");
  strictEqual(inb(0x1f7), 0x58);
  deepStrictEqual(readSector(), new Uint8Array(512).fill(6));
  strictEqual(irq.get(14), false);
  strictEqual(inb(0x1f7), 0x50);
  // CHS: cylinder 0, head 1, sector 3 = LBA 63 + 2 = 65.
  out(0x1f2, 1);
  out(0x1f3, 3);
  out(0x1f4, 0);
  out(0x1f5, 0);
  out(0x1f6, 0xa1);
  out(0x1f7, 0x20);
  inb(0x1f7);
  deepStrictEqual(readSector(), new Uint8Array(512).fill(65));
});

Deno.test("ide: READ SECTORS EXT takes the LBA48 high bytes from the second writes", () => {
  const { out, inb, readSector } = rig([Disk.fromImage(numbered(0x20000))]);
  out(0x1f6, 0x40);
  out(0x1f2, 0); // count high
  out(0x1f2, 1); // count low
  out(0x1f3, 0); // LBA 24-31
  out(0x1f3, 0x34); // LBA 0-7
  out(0x1f4, 0);
  out(0x1f4, 0x12); // LBA 8-15
  out(0x1f5, 0);
  out(0x1f5, 0x01); // LBA 16-23
  out(0x1f7, 0x24);
  strictEqual(inb(0x1f7), 0x58);
  deepStrictEqual(readSector(), new Uint8Array(512).fill(0x11234 & 0xff));
  out(0x3f6, 0x80); // HOB: the previous values
  strictEqual(inb(0x1f3), 0);
  out(0x3f6, 0);
  strictEqual(inb(0x1f3), 0x34);
});

Deno.test("ide: WRITE SECTORS goes to the disk's overlay, interrupt after each sector", () => {
  const image = numbered(16);
  const disk = Disk.fromImage(image);
  const { out, outw, inb, irq, readSector } = rig([disk]);
  out(0x1f2, 2);
  out(0x1f3, 3);
  out(0x1f4, 0);
  out(0x1f5, 0);
  out(0x1f6, 0xe0);
  out(0x1f7, 0x30);
  strictEqual(inb(0x1f7), 0x58, "DRQ for the first sector");
  strictEqual(irq.get(14) ?? false, false, "no interrupt before the first sector");
  for (let i = 0; i < 256; i++) outw(0x1f0, 0xa5a5);
  strictEqual(irq.get(14), true);
  strictEqual(inb(0x1f7), 0x58);
  for (let i = 0; i < 256; i++) outw(0x1f0, 0x5a5a);
  strictEqual(irq.get(14), true);
  strictEqual(inb(0x1f7), 0x50);
  deepStrictEqual(disk.sector(3), new Uint8Array(512).fill(0xa5));
  deepStrictEqual(disk.sector(4), new Uint8Array(512).fill(0x5a));
  strictEqual(image[3 * 512], 3, "the image bytes are not changed");
  out(0x1f2, 1);
  out(0x1f3, 4);
  out(0x1f7, 0x20);
  inb(0x1f7);
  deepStrictEqual(readSector(), new Uint8Array(512).fill(0x5a));
});

Deno.test("ide: a command write clears the interrupt left pending by a write nobody acknowledged", () => {
  const disk = Disk.fromImage(numbered(16));
  const levels: boolean[] = [];
  const ide = new IdeController({ drives: [disk], setIrq: (_n, l) => levels.push(l) });
  const bus = new Bus("io", 0x10000);
  bus.register(0x1f0, 8, ide.channelPorts(0).command, "ide");
  const { out, outw } = portIo(bus);
  // As xv6 writes a block: the command, the data, and no status read after the interrupt.
  out(0x1f2, 1);
  out(0x1f6, 0xe0);
  out(0x1f7, 0x30);
  for (let i = 0; i < 256; i++) outw(0x1f0, 0x1234);
  strictEqual(levels.at(-1), true, "the write's interrupt");
  const before = levels.length;
  out(0x1f7, 0x20); // the next command: a read
  // The line drops at the command write and rises again when the data is ready: an edge.
  deepStrictEqual(levels.slice(before).filter((l, i, all) => i === 0 || l !== all[i - 1]), [
    false,
    true,
  ]);
});

Deno.test("ide: out-of-range sectors and unknown commands set ERR", () => {
  const { out, inb } = rig([Disk.fromImage(numbered(16))]);
  out(0x1f2, 2);
  out(0x1f3, 15);
  out(0x1f4, 0);
  out(0x1f5, 0);
  out(0x1f6, 0xe0);
  out(0x1f7, 0x20);
  strictEqual(inb(0x1f7), 0x51);
  strictEqual(inb(0x1f1), 0x10, "IDNF");
  out(0x1f7, 0xa1); // IDENTIFY PACKET DEVICE: not an ATAPI drive
  strictEqual(inb(0x1f7), 0x51);
  strictEqual(inb(0x1f1), 0x04, "ABRT");
});

Deno.test("ide: nIEN keeps the line low; SRST resets the signature", () => {
  const { out, inb, irq } = rig([Disk.fromImage(numbered(16))]);
  out(0x3f6, 0x02);
  out(0x1f7, 0xe7);
  strictEqual(irq.get(14), false);
  out(0x3f6, 0x00);
  strictEqual(irq.get(14), true, "the pending interrupt shows once nIEN clears");
  out(0x3f6, 0x04);
  strictEqual(inb(0x1f7) & 0x80, 0x80, "BSY during reset");
  out(0x3f6, 0x00);
  strictEqual(irq.get(14), false);
  strictEqual(inb(0x1f7), 0x50);
  deepStrictEqual([inb(0x1f1), inb(0x1f2), inb(0x1f3), inb(0x1f4), inb(0x1f5)], [1, 1, 1, 0, 0]);
});

Deno.test("ide: the slave and the secondary channel; an absent drive shows status 0", () => {
  const { out, inb, irq, readSector } = rig([
    undefined,
    Disk.fromImage(numbered(8, 0x10)),
    Disk.fromImage(numbered(8, 0x20)),
  ]);
  out(0x1f6, 0xe0);
  strictEqual(inb(0x1f7), 0, "no master");
  out(0x1f6, 0xf0);
  strictEqual(inb(0x1f7), 0x50);
  out(0x1f2, 1);
  out(0x1f3, 1);
  out(0x1f4, 0);
  out(0x1f5, 0);
  out(0x1f7, 0x20);
  inb(0x1f7);
  deepStrictEqual(readSector(), new Uint8Array(512).fill(0x11));
  out(0x172, 1);
  out(0x173, 2);
  out(0x174, 0);
  out(0x175, 0);
  out(0x176, 0xe0);
  out(0x177, 0x20);
  strictEqual(irq.get(15), true);
  inb(0x177);
  deepStrictEqual(readSector(0x170), new Uint8Array(512).fill(0x22));
});

Deno.test("ide: READ MULTIPLE moves blocks of the SET MULTIPLE size", () => {
  const { out, inb, readSector } = rig([Disk.fromImage(numbered(16))]);
  out(0x1f2, 3);
  out(0x1f7, 0xc4);
  strictEqual(inb(0x1f7), 0x51, "before SET MULTIPLE: aborted");
  out(0x1f2, 2);
  out(0x1f7, 0xc6);
  strictEqual(inb(0x1f7), 0x50);
  out(0x1f2, 3);
  out(0x1f3, 0);
  out(0x1f4, 0);
  out(0x1f5, 0);
  out(0x1f6, 0xe0);
  out(0x1f7, 0xc4);
  strictEqual(inb(0x1f7), 0x58);
  deepStrictEqual(readSector(), new Uint8Array(512).fill(0));
  strictEqual(inb(0x1f7), 0x58, "the block has two sectors: no new interrupt in the middle");
  deepStrictEqual(readSector(), new Uint8Array(512).fill(1));
  strictEqual(inb(0x1f7), 0x58, "the last, shorter block");
  deepStrictEqual(readSector(), new Uint8Array(512).fill(2));
  strictEqual(inb(0x1f7), 0x50);
});
