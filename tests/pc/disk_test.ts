import { deepStrictEqual, match, strictEqual, throws } from "@std/assert";
import { Guest } from "../../mod.ts";
import { openDiskFile } from "../../lib/loader/disk-file.ts";
import { numberDrives, openDisk } from "../../lib/loader/drives.ts";
import { bootSector, DRIVES_GUEST, numbered } from "../support/disks.ts";
import { picovmm } from "../support/cli.ts";
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
  strictEqual(forced.sectorCount * 512, 163840, "padded to the smallest floppy");
  deepStrictEqual(forced.sector(2), new Uint8Array(512), "past the image: zeros");
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

// ---- Disks read on demand, overlays, write-through, several drives.

Deno.test("disk: writes go to an overlay by default, into the bytes when writable", () => {
  const bytes = numbered(100);
  const overlaid = Disk.fromImage(bytes);
  overlaid.write(3, new Uint8Array(1024).fill(0xee));
  strictEqual(overlaid.sector(3)[0], 0xee);
  strictEqual(overlaid.sector(4)[511], 0xee);
  strictEqual(overlaid.sector(5)[0], 5);
  strictEqual(bytes[3 * 512], 3, "the caller's bytes are unchanged");
  strictEqual(overlaid.overlaySectors, 2);
  const into = new Uint8Array(3 * 512);
  overlaid.read(2, into);
  deepStrictEqual([into[0], into[512], into[1024]], [2, 0xee, 0xee]);
  const through = Disk.fromImage(bytes, { writable: true });
  through.write(7, new Uint8Array(512).fill(0x11));
  strictEqual(bytes[7 * 512 + 100], 0x11, "written into the caller's bytes");
  strictEqual(through.overlaySectors, 0);
  throws(() => through.write(100, new Uint8Array(512)), RangeError);
  throws(() => through.write(0, new Uint8Array(100)), RangeError);
  throws(() => through.read(99, new Uint8Array(1024)), RangeError);
});

Deno.test("disk files: read on demand, never written unless writable, one-line errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/disk.img`;
    await Deno.writeFile(path, numbered(64, 1).subarray(0, 64 * 512 - 100)); // a partial last sector
    const disk = openDiskFile(path);
    strictEqual(disk.type, "hdd");
    strictEqual(disk.sectorCount, 64);
    strictEqual(disk.sector(10)[0], 11);
    deepStrictEqual([...disk.sector(63).subarray(410, 414)], [64, 64, 0, 0], "zeros past the end");
    disk.write(10, new Uint8Array(512).fill(0x99));
    strictEqual(disk.sector(10)[0], 0x99);
    disk.close();
    strictEqual((await Deno.readFile(path))[10 * 512], 11, "the file is unchanged");
    const rw = openDiskFile(path, { writable: true });
    rw.write(10, new Uint8Array(512).fill(0x99));
    rw.close();
    strictEqual((await Deno.readFile(path))[10 * 512], 0x99, "written through");
    await Deno.writeFile(`${dir}/empty.img`, new Uint8Array(0));
    const cases: [string, RegExp][] = [
      [`${dir}/missing.img`, /^cannot read disk '.*missing.img': no such file$/],
      [dir, /^disk '.*' is a directory$/],
      [`${dir}/empty.img`, /^disk '.*empty.img' is empty$/],
      ["/dev/null", /^disk '\/dev\/null' is not a regular file$/],
    ];
    for (const [p, pattern] of cases) {
      throws(() => openDiskFile(p, { role: "disk" }), (e: Error) => {
        strictEqual(e instanceof LoaderError, true, `${p}: ${e}`);
        match(e.message, pattern);
        return true;
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("drives: numbered by kind in order, the boot disk first", () => {
  const floppy = () => Disk.fromImage(new Uint8Array(1474560));
  const hdd = () => Disk.fromImage(new Uint8Array(1 << 20));
  deepStrictEqual([...numberDrives(floppy(), [hdd(), floppy(), hdd()]).keys()], [0, 0x80, 1, 0x81]);
  deepStrictEqual([...numberDrives(hdd(), [hdd(), hdd()]).keys()], [0x80, 0x81, 0x82]);
  throws(() => numberDrives(hdd(), Array.from({ length: 16 }, hdd)), /at most 16 hard disks/);
  const floppySized = { bytes: new Uint8Array(1474560) };
  strictEqual(openDisk(floppySized, "disk 1").type, "hdd", "a hard disk whatever its size");
  strictEqual(openDisk({ ...floppySized, type: "floppy" }, "disk 1").type, "floppy");
  throws(() => openDisk({ ...floppySized, type: "cdrom" as "hdd" }, "disk 3"), /disk 3: type/);
  throws(() => openDisk({}, "disk 1"), /disk 1: give either a path or bytes/);
  throws(() => openDisk({ path: "a", bytes: new Uint8Array(1) }, "disk 2"), /either/);
});

Deno.test("drives: the API's disks are 81h and 82h, reported by the BDA and INT 13h", async () => {
  const second = numbered(8);
  const third = numbered(4096, 0x40);
  using guest = Guest.create(DRIVES_GUEST, {
    accel: "emu",
    disks: [{ bytes: second }, { bytes: third }],
  });
  const r = await guest.run({ timeoutMs: 10_000 });
  strictEqual(r.exitStatus, 1, Guest.describe(r));
  strictEqual(second[512], 1, "the overlay kept the write");
  using writing = Guest.create(DRIVES_GUEST, {
    accel: "emu",
    disks: [{ bytes: second }, { bytes: third }],
    diskWrite: true,
  });
  strictEqual((await writing.run({ timeoutMs: 10_000 })).exitStatus, 1);
  strictEqual(second[512], 0x5a, "diskWrite: written into the bytes");
});

Deno.test("drives: --disk files on the command line; --disk-write writes them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/boot.img`, DRIVES_GUEST);
    await Deno.writeFile(`${dir}/b.img`, numbered(8));
    await Deno.writeFile(`${dir}/c.img`, numbered(4096, 0x40));
    const args = ["--accel", "emu", "--display", "none", `${dir}/boot.img`];
    const disks = ["--disk", `${dir}/b.img`, "--disk", `${dir}/c.img`];
    let r = await picovmm([...args, ...disks]);
    strictEqual(r.code, 1, r.stderr);
    strictEqual((await Deno.readFile(`${dir}/b.img`))[512], 1, "unchanged without --disk-write");
    r = await picovmm([...args, ...disks, "--disk-write"]);
    strictEqual(r.code, 1, r.stderr);
    strictEqual((await Deno.readFile(`${dir}/b.img`))[512], 0x5a, "written with --disk-write");
    r = await picovmm([...args, "--disk", `${dir}/b.img`]);
    strictEqual(r.code, (1 << 1) | 1, "one disk too few: check 1 fails");
    r = await picovmm([...args, "--disk", `${dir}/none.img`]);
    strictEqual(r.code, 2);
    match(r.stderr, /^picovmm: cannot read disk '.*none.img': no such file\n$/);
    r = await picovmm(["--boot", "flat", "--disk", `${dir}/b.img`, `${dir}/boot.img`]);
    strictEqual(r.code, 2);
    match(r.stderr, /--disk needs --boot bios or auto/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("disk files: a 4 GiB sparse image boots through the command line in under 100 MB", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/big.img`;
    const file = await Deno.open(path, { write: true, create: true });
    await file.write(bootSector("mov al, 0x21\nout 0xf4, al\nhlt"));
    await file.truncate(4 * 1024 ** 3);
    file.close();
    // The command line's main() in a process that reports its own peak RSS afterwards.
    const script = `
      import { main } from ${JSON.stringify(new URL("../../main.ts", import.meta.url).href)};
      const status = await main(["--accel", "emu", "--display", "none", ${JSON.stringify(path)}]);
      const hwm = /VmHWM:\\s+(\\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))[1];
      console.error("status " + status + " peak " + hwm);`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-check", script],
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    const m = /status (\d+) peak (\d+)/.exec(stderr);
    strictEqual(m?.[1], String((0x21 << 1) | 1), stderr);
    const peakMb = Number(m![2]) / 1024;
    strictEqual(peakMb < 100, true, `peak RSS ${peakMb.toFixed(1)} MB`);
    strictEqual((await Deno.stat(path)).size, 4 * 1024 ** 3, "the image is untouched");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
