// The Linux boot protocol on hand-made bzImages: the setup header's checks
// (each broken field refused in one line, guest memory untouched), the zero
// page field by field, the initrd's placement, the 64-bit and 32-bit entries,
// and detection ahead of the boot-sector signature.
import { deepStrictEqual, strictEqual, throws } from "@std/assert";
import {
  BootParams,
  LINUX_HEADER_MAGIC,
  loadLinux,
  parseLinuxHeader,
  XLF_KERNEL_64,
} from "../../lib/loader/linux.ts";
import { detectImage, loadKernel } from "../../lib/loader/kernel.ts";
import { LoaderError } from "../../lib/loader/entry.ts";
import { elfImage, pcMemory, untouched } from "./fixtures.ts";
import { unpackLinux } from "../../lib/loader/linux-unpack.ts";
import { gzip, TINY_VMLINUX_ADDRESS, tinyBzImage, tinyVmlinux } from "../support/tiny_linux.ts";
import { xzCompress } from "../support/xz.ts";

/** Fields of a hand-made bzImage's setup header. */
interface BzOptions {
  version?: number;
  setupSects?: number;
  loadflags?: number;
  xloadflags?: number;
  relocatable?: boolean;
  kernelAlignment?: number;
  prefAddress?: number;
  initSize?: number;
  initrdAddrMax?: number;
  cmdlineSize?: number;
  /** The jump's offset byte: the header ends at 0x202 + this. */
  headerLength?: number;
  bootFlag?: number;
  magic?: number;
  /** Bytes of protected-mode kernel after the setup sectors. */
  kernelBytes?: number;
}

/** A bzImage: boot sector, setup sectors, and a protected-mode kernel of counting bytes. */
function bzImage(o: BzOptions = {}): Uint8Array {
  const setupSects = o.setupSects ?? 2;
  const kernelBytes = o.kernelBytes ?? 0x800;
  const image = new Uint8Array((setupSects + 1) * 512 + kernelBytes);
  const v = new DataView(image.buffer);
  image[BootParams.SETUP_SECTS] = setupSects;
  v.setUint16(BootParams.BOOT_FLAG, o.bootFlag ?? 0xaa55, true);
  image[BootParams.JUMP] = 0xeb;
  image[BootParams.JUMP + 1] = o.headerLength ?? 0x6a; // 2.15: header to 0x26c
  v.setUint32(BootParams.HEADER, o.magic ?? LINUX_HEADER_MAGIC, true);
  v.setUint16(BootParams.VERSION, o.version ?? 0x020f, true);
  image[BootParams.LOADFLAGS] = o.loadflags ?? 0x01;
  v.setUint32(BootParams.CODE32_START, 0x100000, true);
  v.setUint32(BootParams.INITRD_ADDR_MAX, o.initrdAddrMax ?? 0x7fffffff, true);
  v.setUint32(BootParams.KERNEL_ALIGNMENT, o.kernelAlignment ?? 0x200000, true);
  image[BootParams.RELOCATABLE_KERNEL] = o.relocatable ?? true ? 1 : 0;
  v.setUint16(BootParams.XLOADFLAGS, o.xloadflags ?? XLF_KERNEL_64, true);
  v.setUint32(BootParams.CMDLINE_SIZE, o.cmdlineSize ?? 2047, true);
  v.setBigUint64(BootParams.PREF_ADDRESS, BigInt(o.prefAddress ?? 0x200000), true);
  v.setUint32(BootParams.INIT_SIZE, o.initSize ?? 0x100000, true);
  for (let i = 0; i < kernelBytes; i++) image[(setupSects + 1) * 512 + i] = i & 0xff;
  return image;
}

const options = (bytes: number, initrd?: Uint8Array, cmdline = "console=ttyS0") => ({
  memoryBytes: bytes,
  cmdline,
  modules: initrd ? [{ data: initrd, cmdline: "initrd" }] : [],
});

Deno.test("linux: the zero page carries the header, e820, command line and initrd", () => {
  const image = bzImage();
  const { memory, bytes } = pcMemory(8);
  const initrd = new Uint8Array(5000).fill(0x5a);
  const loaded = loadLinux(memory, image, parseLinuxHeader(image), options(bytes, initrd));
  const zp = loaded.info;
  strictEqual(zp % 4096, 0);
  deepStrictEqual(loaded.entry.regs, { rsi: zp });
  // The protected-mode kernel at 1 MiB.
  deepStrictEqual(memory.read(0x100000, 4), Uint8Array.of(0, 1, 2, 3));
  // The setup header copied, then the loader's fields.
  strictEqual(memory.readU32(zp + BootParams.HEADER), LINUX_HEADER_MAGIC);
  strictEqual(memory.readU16(zp + BootParams.VERSION), 0x020f);
  strictEqual(memory.readU16(zp + BootParams.VID_MODE), 0xffff);
  strictEqual(memory.read(zp + BootParams.TYPE_OF_LOADER, 1)[0], 0xff);
  strictEqual(memory.read(zp + BootParams.LOADFLAGS, 1)[0], 0x81);
  const cmd = memory.readU32(zp + BootParams.CMD_LINE_PTR);
  strictEqual(new TextDecoder().decode(memory.read(cmd, 14)), "console=ttyS0\0");
  // e820 from picovmm's memory map.
  strictEqual(memory.read(zp + BootParams.E820_ENTRIES, 1)[0], 3);
  const e820 = (i: number) => {
    const at = zp + BootParams.E820_TABLE + i * 20;
    return [memory.readU32(at), memory.readU32(at + 8), memory.readU32(at + 16)];
  };
  deepStrictEqual([e820(0), e820(1), e820(2)], [
    [0, 0xa0000, 1],
    [0xa0000, 0x60000, 2],
    [0x100000, 8 << 20, 1],
  ]);
  // The initrd page-aligned at the top of RAM.
  const start = memory.readU32(zp + BootParams.RAMDISK_IMAGE);
  strictEqual(memory.readU32(zp + BootParams.RAMDISK_SIZE), 5000);
  strictEqual(start, Math.floor((0x100000 + (8 << 20) - 5000) / 4096) * 4096);
  strictEqual(memory.read(start, 5000).every((b) => b === 0x5a), true);
  deepStrictEqual(loaded.modules, [{ start, end: start + 5000, cmdline: "initrd" }]);
});

Deno.test("linux: the 64-bit entry at load + 0x200 over page tables; else the 32-bit entry", () => {
  const { memory, bytes } = pcMemory(4);
  const image = bzImage();
  const long = loadLinux(memory, image, parseLinuxHeader(image), options(bytes)).entry;
  strictEqual(long.eip, 0x100200);
  strictEqual(typeof long.longModePml4, "number");
  // The identity map: PML4 -> PDPT -> a 2 MiB page at 0.
  const pdpt = memory.readU32(long.longModePml4!) & ~0xfff;
  const pd = memory.readU32(pdpt) & ~0xfff;
  strictEqual(memory.readU32(pd + 8), 0x200000 | 0x83);
  const i386 = bzImage({ xloadflags: 0 });
  const flat = loadLinux(pcMemory(4).memory, i386, parseLinuxHeader(i386), options(bytes)).entry;
  strictEqual(flat.eip, 0x100000);
  strictEqual(flat.longModePml4, undefined);
});

Deno.test("linux: the initrd stays below initrd_addr_max and above the kernel", () => {
  const image = bzImage({ initrdAddrMax: 0x37fffff });
  const { memory, bytes } = pcMemory(128);
  const initrd = new Uint8Array(100);
  const loaded = loadLinux(memory, image, parseLinuxHeader(image), options(bytes, initrd));
  strictEqual(loaded.modules[0].start, 0x3800000 - 4096);
  // init_size from pref_address leaves no room below the top; one page less would fit.
  const big = bzImage({ initSize: 0x2f0000 }); // runs at 0x200000, ends at 0x4f0000
  const small = pcMemory(4);
  throws(
    () =>
      loadLinux(
        small.memory,
        big,
        parseLinuxHeader(big),
        options(small.bytes, new Uint8Array(0x10001)),
      ),
    /the initrd \(65537 bytes\) does not fit between the kernel's end 0x4f0000/,
  );
});

Deno.test("linux: the header gives the compressed payload's place in the file", () => {
  const image = bzImage({ setupSects: 3 });
  const v = new DataView(image.buffer);
  v.setUint32(BootParams.PAYLOAD_OFFSET, 0x1c0, true);
  v.setUint32(BootParams.PAYLOAD_LENGTH, 0x345, true);
  const header = parseLinuxHeader(image);
  strictEqual(header.payloadOffset, 4 * 512 + 0x1c0); // after the boot sector and 3 setup sectors
  strictEqual(header.payloadLength, 0x345);
});

Deno.test("linux: broken headers are refused in one line, before memory is touched", () => {
  const cases: [BzOptions, RegExp][] = [
    [{ magic: 0x12345678 }, /not a Linux bzImage \(no "HdrS"/],
    [{ version: 0x0209 }, /boot protocol 2\.09; picovmm needs 2\.10/],
    [{ bootFlag: 0 }, /lacks its 0xAA55 boot flag/],
    [{ loadflags: 0 }, /a zImage \(loaded below 1 MiB\)/],
    [{ setupSects: 60, kernelBytes: 0 }, /runs past the end of the file/],
    [{ kernelAlignment: 0x300000 }, /kernel_alignment 0x300000 is not a power of two/],
    [{ initSize: 0x10 }, /init_size 0x10 is smaller than its protected-mode kernel/],
    [{ headerLength: 0x40 }, /setup header ends at 0x242, before its init_size field/],
    [{ prefAddress: 2 ** 32 }, /above 4 GiB/],
  ];
  for (const [o, message] of cases) {
    const image = bzImage(o);
    throws(() => parseLinuxHeader(image), (e: Error) => {
      strictEqual(e instanceof LoaderError, true);
      strictEqual(e.message.includes("\n"), false);
      return message.test(e.message);
    }, JSON.stringify(o));
  }
  // Checks that need the options: memory, command line, modules.
  const loadCases: [BzOptions, ReturnType<typeof options>, RegExp][] = [
    [
      { initSize: 0x800000 },
      options(pcMemory(4).bytes),
      /needs RAM up to 0xa00000.*at least 10 MiB/,
    ],
    [{ cmdlineSize: 4 }, options(pcMemory(4).bytes), /13 bytes; this kernel takes at most 4/],
    [{}, {
      ...options(pcMemory(4).bytes),
      modules: [{ data: new Uint8Array(1), cmdline: "a" }, {
        data: new Uint8Array(1),
        cmdline: "b",
      }],
    }, /takes one initrd/],
  ];
  for (const [o, opts, message] of loadCases) {
    const { memory } = pcMemory(4);
    const image = bzImage(o);
    throws(() => loadLinux(memory, image, parseLinuxHeader(image), opts), message);
    strictEqual(untouched(memory), true, JSON.stringify(o));
  }
});

Deno.test("detect: a bzImage (which ends its boot sector with 0x55AA) is a Linux kernel", () => {
  const image = bzImage();
  strictEqual(image[510] === 0x55 && image[511] === 0xaa, true);
  strictEqual(detectImage(image, "auto").format, "linux");
  strictEqual(detectImage(image, "linux").format, "linux");
  strictEqual(detectImage(image, "bios").format, "bios");
  const disk = new Uint8Array(512);
  disk[510] = 0x55;
  disk[511] = 0xaa;
  strictEqual(detectImage(disk, "auto").format, "bios");
  throws(() => detectImage(disk, "linux"), /not a Linux bzImage/);
  // A broken bzImage is refused by auto, not booted as a disk.
  throws(() => detectImage(bzImage({ version: 0x0200 }), "auto"), /boot protocol 2\.00/);
  const { memory, bytes } = pcMemory(4);
  const loaded = loadKernel(memory, image, detectImage(image, "auto"), options(bytes));
  strictEqual(loaded.entry.eip, 0x100200);
});

Deno.test("linux unpack: the XZ payload's vmlinux, loaded at its addresses instead of 1 MiB", async () => {
  const image = await tinyBzImage();
  const header = parseLinuxHeader(image);
  const unpacked = unpackLinux(image, {
    offset: header.payloadOffset,
    length: header.payloadLength,
  }, false);
  if (typeof unpacked === "string") throw new Error(unpacked);
  deepStrictEqual(unpacked.image, tinyVmlinux());
  strictEqual(unpacked.entry, TINY_VMLINUX_ADDRESS);
  const { memory, bytes } = pcMemory(31);
  memory.view(TINY_VMLINUX_ADDRESS, 0x2000).fill(0xcc); // BSS left dirty by an earlier boot
  const loaded = loadLinux(memory, image, header, options(bytes), unpacked);
  strictEqual(loaded.entry.eip, TINY_VMLINUX_ADDRESS);
  deepStrictEqual(loaded.entry.regs, { rsi: loaded.info });
  strictEqual(loaded.entry.longModePml4, undefined);
  const segment = unpacked.elf.segments[0];
  deepStrictEqual(
    memory.read(segment.paddr, segment.fileSize),
    unpacked.image.subarray(segment.offset, segment.offset + segment.fileSize),
  );
  strictEqual(memory.read(segment.paddr + segment.fileSize, 0x1000).every((b) => b === 0), true);
  // The bzImage's own protected-mode code is not copied to 1 MiB.
  strictEqual(memory.read(0x100000, 0x100).every((b) => b === 0), true);
});

Deno.test("linux unpack: what is left to the kernel's decompressor says why", async () => {
  const vmlinux = tinyVmlinux();
  const reason = async (payload: Uint8Array, is64 = false) => {
    const image = await tinyBzImage(payload);
    const h = parseLinuxHeader(image);
    return unpackLinux(image, { offset: h.payloadOffset, length: h.payloadLength }, is64);
  };
  strictEqual(
    await reason(await gzip(vmlinux)),
    "the payload is gzip, which picovmm does not decompress",
  );
  const xz = await xzCompress(vmlinux, ["--check=crc32", "--x86", "--lzma2"]);
  strictEqual(
    await reason(xz, true),
    "the decompressed vmlinux is an ELF32, not what the header's entry needs",
  );
  const notElf = await xzCompress(new Uint8Array(100), ["--check=crc32"]);
  strictEqual(await reason(notElf), "the decompressed payload is not an ELF file");
  const low = elfImage({ paddr: 0x8000 }).bytes;
  strictEqual(
    await reason(await xzCompress(low, ["--check=crc32"])),
    "the decompressed vmlinux's entry or segments are not where a kernel runs",
  );
  const damaged = xz.slice();
  damaged[damaged.length - 20] ^= 0xff;
  strictEqual(
    /^its XZ payload could not be decoded here \(/.test(String(await reason(damaged))),
    true,
  );
  const image = await tinyBzImage();
  strictEqual(
    unpackLinux(image, { offset: image.length - 8, length: 100 }, false),
    "the setup header's payload fields do not describe a payload in the file",
  );
});
