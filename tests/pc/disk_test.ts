import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import { BOOT_ADDRESS, loadBootSector } from "../../lib/loader/bootsector.ts";
import { Disk, FLOPPY_FORMATS } from "../../lib/loader/disk.ts";
import { LoaderError } from "../../lib/loader/entry.ts";
import { GuestMemory } from "../../lib/machine/memory.ts";

Deno.test("disk: floppy sizes are floppies with their geometry; the rest hard disks", () => {
  for (const f of FLOPPY_FORMATS) {
    const d = Disk.fromImage(new Uint8Array(f.bytes));
    strictEqual(d.type, "floppy", String(f.bytes));
    strictEqual(d.geometry.cylinders * d.geometry.heads * d.geometry.sectors * 512, f.bytes);
  }
  const hdd = Disk.fromImage(new Uint8Array(10 * 1024 * 1024 + 1));
  strictEqual(hdd.type, "hdd");
  deepStrictEqual(hdd.geometry, { cylinders: 21, heads: 16, sectors: 63 });
  strictEqual(hdd.sectorCount, 20481, "a partial last sector is padded");
  const forced = Disk.fromImage(new Uint8Array(1000), { type: "floppy" });
  strictEqual(forced.data.length, 163840, "padded to the smallest floppy");
  const hddFloppySize = Disk.fromImage(new Uint8Array(1474560), { type: "hdd" });
  strictEqual(hddFloppySize.type, "hdd");
  throws(() => Disk.fromImage(new Uint8Array(0)), LoaderError);
  throws(() => Disk.fromImage(new Uint8Array(2949121), { type: "floppy" }), LoaderError);
});

Deno.test("disk: CHS addresses outside the geometry are -1; sector() is bounds-checked", () => {
  const d = Disk.fromImage(new Uint8Array(1474560));
  strictEqual(d.chsToLba(0, 0, 1), 0);
  strictEqual(d.chsToLba(79, 1, 18), 2879);
  for (const [c, h, s] of [[80, 0, 1], [0, 2, 1], [0, 0, 0], [0, 0, 19], [-1, 0, 1]]) {
    strictEqual(d.chsToLba(c, h, s), -1, `${c}/${h}/${s}`);
  }
  strictEqual(d.has(2879), true);
  strictEqual(d.has(2880), false);
  strictEqual(d.has(2879, 2), false);
  throws(() => d.sector(2880), RangeError);
  throws(() => d.sector(-1), RangeError);
});

Deno.test("bootsector: sector 0 at 0x7C00 with DL, or a clear error without 0x55AA", () => {
  const memory = new GuestMemory();
  memory.addRegion(0, new Uint8Array(0x10000));
  const image = new Uint8Array(1474560);
  image.set([0xeb, 0xfe], 0);
  throws(() => loadBootSector(memory, Disk.fromImage(image)), /boot signature/);
  strictEqual(memory.readU8(BOOT_ADDRESS), 0, "nothing written for a bad image");
  const entry = loadBootSector(memory, Disk.fromImage(image), { noSignatureCheck: true });
  strictEqual(memory.readU16(BOOT_ADDRESS), 0xfeeb);
  strictEqual(entry.cs * 16 + entry.ip, 0x7c00);
  strictEqual(entry.regs?.rdx, 0x00);
  image[510] = 0x55;
  image[511] = 0xaa;
  const hdd = Disk.fromImage(image, { type: "hdd" });
  strictEqual(loadBootSector(memory, hdd).regs?.rdx, 0x80);
  const small = new GuestMemory();
  small.addRegion(0, new Uint8Array(0x4000));
  throws(() => loadBootSector(small, hdd), /0x7E00/);
});
