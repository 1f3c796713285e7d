// A bzImage made byte by byte whose two kernels say which one ran: the protected-mode code at
// 1 MiB (what a PC's boot runs: the kernel's decompressor) writes "guest\n" to the debug
// console (port 0xE9); the payload, an ELF32 whose code runs at 16 MiB, checks that ESI points
// at a zero page (the "HdrS" magic at 0x202) and writes "host\n", or "no zero page\n".
// Both then halt with interrupts off. The payload is compressed with `xz --x86 --lzma2`, as
// Linux's build does, or given as it is (e.g. gzip) to see it left to the guest.
import { elfImage } from "../loader/fixtures.ts";
import { xzCompress } from "./xz.ts";

/** Where the payload's ELF code runs (Linux's usual LOAD_PHYSICAL_ADDR). */
export const TINY_VMLINUX_ADDRESS = 0x1000000;
/** RAM that holds it and the init_size the header asks for. */
export const TINY_LINUX_MEMORY = 32 << 20;

/** 32-bit code: write `text` to port 0xE9. */
function say(text: string): number[] {
  const code = [0x66, 0xba, 0xe9, 0x00]; // mov dx, 0xe9
  for (const c of new TextEncoder().encode(text)) code.push(0xb0, c, 0xee); // mov al, c; out dx, al
  return code;
}
const HALT = [0xfa, 0xf4]; // cli; hlt

/** The ELF32 "vmlinux" of the payload. */
export function tinyVmlinux(): Uint8Array {
  const bad = [...say("no zero page\n"), ...HALT];
  const good = [...say("host\n"), ...HALT];
  const code = [
    0x81,
    0xbe,
    0x02,
    0x02,
    0x00,
    0x00,
    0x48,
    0x64,
    0x72,
    0x53, // cmp dword [esi+0x202], "HdrS"
    0x75,
    good.length, // jne bad
    ...good,
    ...bad,
  ];
  return elfImage({ paddr: TINY_VMLINUX_ADDRESS, payload: Uint8Array.from(code), bss: 0x1000 })
    .bytes;
}

/** The bzImage around `payload` (by default the XZ-compressed {@link tinyVmlinux}). */
export async function tinyBzImage(payload?: Uint8Array): Promise<Uint8Array> {
  const compressed = payload ??
    await xzCompress(tinyVmlinux(), ["--check=crc32", "--x86", "--lzma2"]);
  const decompressor = Uint8Array.from([...say("guest\n"), ...HALT]);
  const setupSects = 1;
  const kernelOffset = (setupSects + 1) * 512;
  const payloadOffset = 0x100; // within the protected-mode code, after the "decompressor"
  const image = new Uint8Array(kernelOffset + payloadOffset + compressed.length + 4);
  const v = new DataView(image.buffer);
  image[0x1f1] = setupSects;
  v.setUint16(0x1fe, 0xaa55, true);
  image.set([0xeb, 0x6a], 0x200); // the jump: protocol 2.15's header ends at 0x26c
  v.setUint32(0x202, 0x53726448, true); // "HdrS"
  v.setUint16(0x206, 0x020f, true);
  image[0x211] = 0x01; // LOADED_HIGH
  v.setUint32(0x214, 0x100000, true);
  v.setUint32(0x22c, 0x7fffffff, true); // initrd_addr_max
  v.setUint32(0x230, 0x200000, true); // kernel_alignment
  image[0x234] = 1; // relocatable
  v.setUint32(0x238, 2047, true); // cmdline_size
  v.setUint32(0x248, payloadOffset, true);
  v.setUint32(0x24c, compressed.length + 4, true);
  v.setBigUint64(0x258, BigInt(TINY_VMLINUX_ADDRESS), true); // pref_address
  v.setUint32(0x260, 0x200000, true); // init_size
  image.set(decompressor, kernelOffset);
  image.set(compressed, kernelOffset + payloadOffset);
  // The build appends the decompressed size.
  v.setUint32(image.length - 4, tinyVmlinux().length, true);
  return image;
}

/** Boots `image` with `options` on `accel`; returns the debug console's text and the stop. */
export async function bootTinyLinux(
  image: Uint8Array,
  accel: "emu" | "kvm",
  linuxDecompress?: "auto" | "host" | "guest",
): Promise<{ said: string; stop: string; exitStatus: number }> {
  const { Guest } = await import("../../mod.ts");
  using guest = Guest.create(image, {
    accel,
    memory: TINY_LINUX_MEMORY,
    append: "console=ttyS0",
    linuxDecompress,
  });
  const result = await guest.run({ timeoutMs: 20_000 });
  return { said: guest.debugconText(), stop: result.stop.kind, exitStatus: result.exitStatus };
}

/** gzip data (CompressionStream), as a kernel built with CONFIG_KERNEL_GZIP carries. */
export async function gzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data.slice()]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The cases both accelerators run: by default (`auto`) the XZ payload is decompressed on the
 * host on the software CPU and left to the kernel's decompressor on KVM; `host` and `guest`
 * force either; a gzip payload is always left to the kernel.
 */
export const TINY_LINUX_CASES: {
  name: string;
  image: () => Promise<Uint8Array>;
  linuxDecompress?: "auto" | "host" | "guest";
  /** What the kernel that ran writes, by accelerator. */
  said: (accel: "emu" | "kvm") => string;
}[] = [
  {
    name: "by default an XZ payload is decompressed on the host on the software CPU only",
    image: tinyBzImage,
    said: (accel) => accel === "emu" ? "host\n" : "guest\n",
  },
  {
    name: 'linuxDecompress: "host" decompresses an XZ payload and enters its vmlinux',
    image: tinyBzImage,
    linuxDecompress: "host",
    said: () => "host\n",
  },
  {
    name: 'linuxDecompress: "guest" runs the kernel\'s own decompressor',
    image: tinyBzImage,
    linuxDecompress: "guest",
    said: () => "guest\n",
  },
  {
    name: "a gzip payload is left to the kernel's decompressor",
    image: async () => tinyBzImage(await gzip(tinyVmlinux())),
    linuxDecompress: "host",
    said: () => "guest\n",
  },
];
