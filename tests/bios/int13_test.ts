import { deepStrictEqual, strictEqual } from "@std/assert";
import { BDA } from "../../lib/bios/bda.ts";
import { regs, testBios } from "./support.ts";

/** A disk of `sectors` sectors, each filled with its LBA number. */
function numberedDisk(sectors: number): Uint8Array {
  const image = new Uint8Array(sectors * 512);
  for (let i = 0; i < sectors; i++) image.fill(i & 0xff, i * 512, (i + 1) * 512);
  return image;
}

Deno.test("int13: CHS read, write and verify on a hard disk; the image is never changed", () => {
  const image = numberedDisk(200);
  const original = image.slice();
  const { bios, memory, disk } = testBios(image);
  // Cylinder 0, head 1, sector 5: LBA 63 + 4 = 67; three sectors to 0x1000:0x0000.
  const r = regs({ ax: 0x0203, cx: 0x0005, dx: 0x0180, es: 0x1000, bx: 0 });
  bios.call(0x13, r);
  strictEqual(r.cf, false);
  strictEqual(r.ax, 0x0003);
  strictEqual(memory.readU8(0x10000), 67);
  strictEqual(memory.readU8(0x10000 + 1023), 68);
  strictEqual(memory.readU8(0x10000 + 1535), 69);
  // Write sector LBA 1 from 0x2000 and read it back elsewhere.
  memory.view(0x2000, 512).fill(0xab);
  const w = regs({ ax: 0x0301, cx: 0x0002, dx: 0x0080, es: 0, bx: 0x2000 });
  bios.call(0x13, w);
  strictEqual(w.cf, false);
  strictEqual(disk!.sector(1)[100], 0xab);
  deepStrictEqual(image, original, "the image bytes are a copy");
  const v = regs({ ax: 0x0401, cx: 0x0002, dx: 0x0080 });
  bios.call(0x13, v);
  strictEqual(v.cf, false);
  strictEqual(v.al, 1);
});

Deno.test("int13: bad requests fail with CF=1 and the status code, never an exception", () => {
  const { bios, memory } = testBios(numberedDisk(64));
  const call = (values: Parameters<typeof regs>[0]) => {
    const r = regs(values);
    bios.call(0x13, r);
    return r;
  };
  let r = call({ ax: 0x0200, cx: 0x0001, dx: 0x0080, bx: 0x1000 }); // zero sectors
  strictEqual(r.cf, true);
  strictEqual(r.ah, 0x01);
  r = call({ ax: 0x0201, cx: 0x0000, dx: 0x0080, bx: 0x1000 }); // sector 0
  strictEqual(r.ah, 0x04);
  r = call({ ax: 0x0201, cx: 0x0040 | 1, dx: 0x0080, bx: 0x1000 }); // cylinder 256
  strictEqual(r.ah, 0x04);
  r = call({ ax: 0x0205, cx: 0x003f, dx: 0x0080, bx: 0x1000 }); // runs off the 64-sector disk
  strictEqual(r.cf, true);
  strictEqual(r.ah, 0x04);
  strictEqual(r.al, 2, "sectors 62 and 63 were read");
  // A buffer that runs into the ROM or off RAM.
  r = call({ ax: 0x0201, cx: 0x0001, dx: 0x0080, es: 0xf000, bx: 0 });
  strictEqual(r.cf, true);
  strictEqual(r.ah, 0x09);
  r = call({ ax: 0x0204, cx: 0x0001, dx: 0x0080, es: 0x9fe0, bx: 0 });
  strictEqual(r.al, 1, "one sector fits below 0xA0000");
  strictEqual(r.ah, 0x09);
  r = call({ ax: 0x0201, cx: 0x0001, dx: 0x0081 }); // no such drive
  strictEqual(r.cf, true);
  r = call({ ax: 0x7700, dx: 0x0080 }); // unknown function
  strictEqual(r.ah, 0x01);
  strictEqual(memory.readU8(BDA.HDD_STATUS), 0x01);
  r = call({ ax: 0x0100, dx: 0x0080 });
  strictEqual(r.ah, 0x01);
  strictEqual(r.cf, true);
  r = call({ ax: 0x1500, dx: 0x0081 });
  strictEqual(r.ah, 0, "AH=15h: no such drive");
});

Deno.test("int13: parameters, EDD check, packets and the drive table", () => {
  const { bios, memory } = testBios(numberedDisk(2000));
  const p = regs({ ax: 0x0800, dx: 0x0080 });
  bios.call(0x13, p);
  strictEqual(p.cf, false);
  strictEqual(p.dh, 15);
  strictEqual(p.cl & 0x3f, 63);
  strictEqual(p.ch | ((p.cl & 0xc0) << 2), 1, "2 cylinders: maximum 1");
  strictEqual(p.dl, 1);
  const check = regs({ ax: 0x4100, bx: 0x55aa, dx: 0x0080 });
  bios.call(0x13, check);
  strictEqual(check.bx, 0xaa55);
  strictEqual(check.cf, false);
  // Packet at 0:0600: 2 sectors from LBA 1500 to 0x3000:0.
  const dap = 0x600;
  memory.write(dap, Uint8Array.of(0x10, 0, 2, 0, 0, 0, 0, 0x30, 0xdc, 0x05, 0, 0, 0, 0, 0, 0));
  const readPacket = () => {
    const r = regs({ ax: 0x4200, dx: 0x0080, ds: 0, si: dap });
    bios.call(0x13, r);
    return r;
  };
  strictEqual(readPacket().cf, false);
  strictEqual(memory.readU8(0x30000), 1500 & 0xff);
  strictEqual(memory.readU8(0x30200), 1501 & 0xff);
  // Past the end: one sector done, then "not found"; the packet says how many.
  memory.writeU32(dap + 8, 1999);
  strictEqual(readPacket().cf, true);
  strictEqual(memory.readU16(dap + 2), 1);
  // A 64-bit flat buffer address (FFFF:FFFF) in a 24-byte packet.
  memory.write(dap, Uint8Array.of(0x18, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 7, 0, 0, 0, 0, 0, 0, 0));
  memory.writeU32(dap + 16, 0x40000);
  memory.writeU32(dap + 20, 0);
  strictEqual(readPacket().cf, false);
  strictEqual(memory.readU8(0x40000), 7);
  // A packet outside RAM, or too short.
  const outside = regs({ ax: 0x4200, dx: 0x0080, ds: 0xffff, si: 0xfffe });
  bios.call(0x13, outside);
  strictEqual(outside.cf, true);
  memory.writeU8(dap, 8);
  strictEqual(readPacket().cf, true);
  const table = 0x700;
  memory.writeU16(table, 0x1e);
  const params = regs({ ax: 0x4800, dx: 0x0080, ds: 0, si: table });
  bios.call(0x13, params);
  strictEqual(params.cf, false);
  params.ah = 0x48;
  strictEqual(memory.readU32(table + 16), 2000);
  strictEqual(memory.readU16(table + 24), 512);
  memory.writeU16(table, 0x10);
  bios.call(0x13, params);
  strictEqual(params.cf, true, "a buffer too small for the table");
});

Deno.test("int13: a 1.44 MB floppy: geometry, type, the diskette table, no EDD", () => {
  const { bios } = testBios(new Uint8Array(1474560));
  const p = regs({ ax: 0x0800, dx: 0x0000 });
  bios.call(0x13, p);
  strictEqual(p.bl, 4);
  strictEqual(p.ch, 79);
  strictEqual(p.cl, 18);
  strictEqual(p.dh, 1);
  strictEqual(p.es, 0xf000);
  strictEqual(p.di, bios.rom.diskParams);
  const t = regs({ ax: 0x1500, dx: 0 });
  bios.call(0x13, t);
  strictEqual(t.ah, 0x02);
  const edd = regs({ ax: 0x4100, bx: 0x55aa, dx: 0 });
  bios.call(0x13, edd);
  strictEqual(edd.cf, true);
  // Head 1, sector 18 of cylinder 79 is the last sector.
  const last = regs({ ax: 0x0201, cx: (79 << 8) | 18, dx: 0x0100, bx: 0x1000 });
  bios.call(0x13, last);
  strictEqual(last.cf, false);
  const past = regs({ ax: 0x0201, cx: (79 << 8) | 19, dx: 0x0100, bx: 0x1000 });
  bios.call(0x13, past);
  strictEqual(past.ah, 0x04);
});
