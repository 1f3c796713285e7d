// The test kernels of guests/kernels/ and what each must print and exit with,
// shared by the KVM tests and the QEMU reference so both are held to the same
// output. Each kernel checks the boot information it was handed and exits
// through debug-exit: 0x21 (Multiboot v1), 0x22 (Multiboot2), 0x23 (PVH), 0x24
// (plain ELF64, long mode) when every check passed. The ELF64 Multiboot2 and PVH
// kernels start at their 32-bit entry and enter long mode themselves.
// runKernelCase is the run and the checks both accelerators' tests make of each
// case.
import { strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";

const root = new URL("../../", import.meta.url);

/** The command line every case passes. */
export const APPEND = "hello world";
/** The initrd's bytes. */
export const INITRD = new TextEncoder().encode("INITRD data\n");
/** The second module's bytes and command line. */
export const MODULE = new TextEncoder().encode("MODULE-ONE contents\nsecond line\n");
export const MODULE_CMDLINE = "modarg";

/** One kernel and its expected output with {@link APPEND}, {@link INITRD} and {@link MODULE}. */
export interface KernelCase {
  name: string;
  /** File in guests/. */
  file: string;
  /** Debug-exit status: (value << 1) | 1. */
  exitStatus: number;
  /** COM1 output; the screen shows the same lines. */
  serial: string;
  /** QEMU binary that boots it with -kernel, when QEMU can. */
  qemu?: "qemu-system-i386" | "qemu-system-x86_64";
  /** Modules QEMU can pass (its PVH loader takes one initrd). */
  qemuModules?: 1 | 2;
}

const mb1Serial = [
  "Multiboot v1 kernel",
  "magic: ok",
  "memory: ok",
  `cmdline: ${APPEND}`,
  "modules: 2",
  "module: INITRD data",
  "module: MODULE-ONE contents",
  "memory map: ok",
  "",
].join("\n");

const mb2Serial = [
  "Multiboot2 kernel",
  "magic: ok",
  `cmdline: ${APPEND}`,
  "loader: picovmm",
  "module: INITRD data",
  "module cmdline: initrd",
  "module: MODULE-ONE contents",
  `module cmdline: ${MODULE_CMDLINE}`,
  "EGA text framebuffer: ok",
  "modules: 2",
  "memory: ok",
  "memory map: ok",
  "ELF sections: ok",
  "",
].join("\n");

const pvhSerial = [
  "PVH kernel",
  "magic: ok",
  "version: ok",
  `cmdline: ${APPEND}`,
  "modules: 2",
  "module: INITRD data",
  "module: MODULE-ONE contents",
  "memory map: ok",
  "",
].join("\n");

/**
 * The same kernel source built as ELF64 (guests/kernels/long-mode.inc takes it to long
 * mode): its banner says so and it checks long mode after the magic.
 */
function wideSerial(serial: string): string {
  const [banner, magic, ...rest] = serial.split("\n");
  return [`${banner}, 64-bit`, magic, "long mode: ok", ...rest].join("\n");
}

export const KERNEL_CASES: KernelCase[] = [
  {
    name: "Multiboot v1 ELF",
    file: "kernel-mb1.elf",
    exitStatus: (0x21 << 1) | 1,
    serial: mb1Serial,
    qemu: "qemu-system-i386",
    qemuModules: 2,
  },
  {
    name: "Multiboot v1 flat binary with address fields",
    file: "kernel-mb1-aout.bin",
    exitStatus: (0x21 << 1) | 1,
    serial: mb1Serial,
    qemu: "qemu-system-i386",
    qemuModules: 2,
  },
  {
    name: "Multiboot2 ELF",
    file: "kernel-mb2.elf",
    exitStatus: (0x22 << 1) | 1,
    serial: mb2Serial,
  },
  {
    name: "PVH ELF",
    file: "kernel-pvh.elf",
    exitStatus: (0x23 << 1) | 1,
    serial: pvhSerial,
    qemu: "qemu-system-x86_64",
    qemuModules: 1,
  },
  {
    name: "Multiboot2 ELF64 entering long mode itself",
    file: "kernel-mb2-64.elf",
    exitStatus: (0x22 << 1) | 1,
    serial: wideSerial(mb2Serial),
  },
  {
    name: "PVH ELF64 entering long mode itself",
    file: "kernel-pvh-64.elf",
    exitStatus: (0x23 << 1) | 1,
    serial: wideSerial(pvhSerial),
    qemu: "qemu-system-x86_64",
    qemuModules: 1,
  },
  {
    name: "plain ELF64 in long mode",
    file: "kernel-lm64.elf",
    exitStatus: (0x24 << 1) | 1,
    serial: [
      "64-bit kernel",
      "magic: ok",
      "long mode: ok",
      `cmdline: ${APPEND}`,
      "module: INITRD data",
      "module: MODULE-ONE contents",
      "modules: 2",
      "memory map: ok",
      "",
    ].join("\n"),
  },
];

/** The 64-bit kernels (ELF64): the software CPU refuses them. */
export function isWide(c: KernelCase): boolean {
  return c.file.includes("64");
}

/** The kernel's bytes (built by `deno task guests`). */
export function kernelImage(c: KernelCase): Uint8Array {
  return Deno.readFileSync(kernelPath(c));
}

/** The kernel's path. */
export function kernelPath(c: KernelCase): string {
  return new URL(`guests/${c.file}`, root).pathname;
}

/** The serial output with only the first `modules` modules passed (QEMU's PVH takes one). */
export function serialWithModules(c: KernelCase, modules: number): string {
  if (modules === 2) return c.serial;
  return c.serial.replace("modules: 2", `modules: ${modules}`)
    .replace("module: MODULE-ONE contents\n", "");
}

/**
 * Runs a case through the API with {@link APPEND}, {@link INITRD} and {@link MODULE} on
 * `accel`, and asserts its debug-exit stop, serial output, screen and exit status.
 */
export async function runKernelCase(c: KernelCase, accel: "kvm" | "emu"): Promise<void> {
  using guest = Guest.create(kernelImage(c), {
    accel,
    append: APPEND,
    initrd: INITRD,
    modules: [{ data: MODULE, cmdline: MODULE_CMDLINE }],
  });
  const result = await guest.run({ timeoutMs: 60_000 });
  strictEqual(result.stop.kind, "debug-exit", Guest.describe(result));
  strictEqual(guest.serialText(), c.serial);
  strictEqual(guest.screenText(), c.serial.trimEnd());
  strictEqual(result.exitStatus, c.exitStatus);
}
