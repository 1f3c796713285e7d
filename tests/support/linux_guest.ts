// Debian's stock x86_64 kernel and an initramfs built from Debian's
// busybox-static, for the Linux tests and bench/linux.ts. The packages come
// from the kvm-in-qemu cache when it has them (prepare.sh downloads the same
// two), else `apt-get download` into $PICOVMM_LINUX_CACHE
// (/tmp/picovmm-linux-cache) and `dpkg-deb -x`.

import { basename } from "node:path";
import type { Guest, RunResult } from "../../mod.ts";
import { parseLinuxHeader, XLF_KERNEL_64 } from "../../lib/loader/linux.ts";
import { unpackLinux } from "../../lib/loader/linux-unpack.ts";

/** The marker /init prints just before it starts the shell. */
export const SHELL_MARKER = "picovmm-linux: shell ready";

/** The kernel command line of the tests and the benchmark. */
export const LINUX_CMDLINE = "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 pci=off noapic " +
  "i8042.noaux i8042.nomux i8042.dumbkbd cryptomgr.notests rdinit=/init";

/**
 * The `deno` arguments that boot `kernel` through picovmm's command line as the tests and
 * the benchmarks do: KVM (or `accel`), no display, 256 MiB, {@link LINUX_CMDLINE} and the
 * initramfs at `initrd`. `main` is the main.ts to run (another checkout's, to compare);
 * `flags` go before the kernel.
 */
export function picovmmLinuxArgs(
  main: string,
  kernel: string,
  initrd: string,
  flags: readonly string[] = [],
  accel: "kvm" | "emu" = "kvm",
): string[] {
  return [
    "run",
    "-A",
    "--no-check",
    main,
    "--accel",
    accel,
    "--display",
    "none",
    "--memory",
    "256M",
    "--append",
    LINUX_CMDLINE,
    "--initrd",
    initrd,
    ...flags,
    kernel,
  ];
}

/** Where the Debian files are. */
export interface DebianLinux {
  /** The bzImage (vmlinuz). */
  bzImage: string;
  /** The uncompressed ELF vmlinux with its PVH note, when one was extracted. */
  vmlinux?: string;
  /** busybox from busybox-static. */
  busybox: string;
}

const KVMQ_CACHE = "/tmp/kvm-in-qemu-cache";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function firstMatch(dir: string, pattern: RegExp): string | undefined {
  try {
    for (const e of Deno.readDirSync(dir)) if (pattern.test(e.name)) return `${dir}/${e.name}`;
  } catch {
    // no such directory
  }
  return undefined;
}

async function sh(args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(args[0], { args: args.slice(1), cwd, stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * Finds (or downloads and unpacks) linux-image-amd64's kernel and
 * busybox-static. Throws with the reason when neither works.
 */
export async function debianLinux(): Promise<DebianLinux> {
  const kvmq = Deno.env.get("KVMQ_CACHE") ?? KVMQ_CACHE;
  const fromKvmq = (root: string): DebianLinux | undefined => {
    const bzImage = firstMatch(`${root}/extract/boot`, /^vmlinuz-/);
    const busybox = `${root}/extract/bin/busybox`;
    if (!bzImage || !exists(busybox)) return undefined;
    const vmlinux = root === kvmq && exists(`${root}/vmlinux`) ? `${root}/vmlinux` : undefined;
    return { bzImage, vmlinux, busybox };
  };
  const cache = Deno.env.get("PICOVMM_LINUX_CACHE") ?? "/tmp/picovmm-linux-cache";
  // kvm-in-qemu's cache may lack its vmlinux (prepare.sh could not extract it, or is making it
  // again): the kernel's own extraction then goes into this cache.
  const found = fromKvmq(kvmq) ?? fromKvmq(cache);
  if (found) return await withVmlinux(found, cache);
  await Deno.mkdir(`${cache}/debs`, { recursive: true });
  const depends = await sh(["apt-cache", "depends", "linux-image-amd64"]);
  const kernel = depends.match(/Depends: (linux-image-[0-9]\S*)/)?.[1];
  if (!kernel) throw new Error("apt-cache cannot resolve linux-image-amd64");
  await sh(["apt-get", "download", kernel, "busybox-static"], `${cache}/debs`);
  for (const e of Deno.readDirSync(`${cache}/debs`)) {
    if (e.name.endsWith(".deb")) {
      await sh(["dpkg-deb", "-x", `${cache}/debs/${e.name}`, `${cache}/extract`]);
    }
  }
  const got = fromKvmq(cache);
  if (!got) throw new Error(`no kernel or busybox in ${cache}/extract after unpacking`);
  return await withVmlinux(got, cache);
}

/**
 * `linux` with the uncompressed ELF vmlinux of its bzImage, decompressed by
 * picovmm's own loader (lib/loader/linux-unpack.ts) into `cache`, named after
 * the bzImage's version. Without it a test boots the bzImage, whose
 * decompression in the guest alone takes KVM's emulator on PVM longer than the
 * tests wait. Unchanged when the payload is not one picovmm decompresses.
 */
async function withVmlinux(linux: DebianLinux, cache: string): Promise<DebianLinux> {
  if (linux.vmlinux) return linux;
  const path = `${cache}/${basename(linux.bzImage).replace(/^vmlinuz/, "vmlinux")}`;
  if (exists(path)) return { ...linux, vmlinux: path };
  const image = await Deno.readFile(linux.bzImage);
  const header = parseLinuxHeader(image);
  const payload = { offset: header.payloadOffset, length: header.payloadLength };
  const unpacked = unpackLinux(image, payload, (header.xloadflags & XLF_KERNEL_64) !== 0);
  if (typeof unpacked === "string") return linux;
  await Deno.writeFile(`${path}.tmp`, unpacked.image);
  await Deno.rename(`${path}.tmp`, path);
  return { ...linux, vmlinux: path };
}

/**
 * Finds (or downloads and unpacks) Debian's i386 kernel (linux-image-686) and
 * busybox-static:i386, for the software CPU's Linux test. The i386 package
 * lists must be there: `dpkg --add-architecture i386 && apt-get update` as
 * root (the CI does it); else this throws with that command.
 */
export async function debianLinux32(): Promise<DebianLinux> {
  const cache = Deno.env.get("PICOVMM_LINUX32_CACHE") ?? "/tmp/picovmm-linux32-cache";
  const unpacked = (): DebianLinux | undefined => {
    const bzImage = firstMatch(`${cache}/extract/boot`, /^vmlinuz-/);
    const busybox = `${cache}/extract/bin/busybox`;
    return bzImage && exists(busybox) ? { bzImage, busybox } : undefined;
  };
  const found = unpacked();
  if (found) return found;
  let depends: string;
  try {
    depends = await sh(["apt-cache", "depends", "linux-image-686:i386"]);
  } catch {
    throw new Error(
      "no i386 package lists: run `dpkg --add-architecture i386 && apt-get update` as root",
    );
  }
  const kernel = depends.match(/Depends: (linux-image-[0-9]\S*)/)?.[1];
  if (!kernel) throw new Error("apt-cache cannot resolve linux-image-686:i386");
  await Deno.mkdir(`${cache}/debs`, { recursive: true });
  const pkg = kernel.endsWith(":i386") ? kernel : `${kernel}:i386`;
  await sh(["apt-get", "download", pkg, "busybox-static:i386"], `${cache}/debs`);
  for (const e of Deno.readDirSync(`${cache}/debs`)) {
    if (e.name.endsWith(".deb")) {
      await sh(["dpkg-deb", "-x", `${cache}/debs/${e.name}`, `${cache}/extract`]);
    }
  }
  const got = unpacked();
  if (!got) throw new Error(`no kernel or busybox in ${cache}/extract after unpacking`);
  return got;
}

/** One file of a newc cpio archive. */
export interface CpioEntry {
  path: string;
  /** st_mode: type and permission bits (0o100755 a program, 0o40755 a directory). */
  mode: number;
  data?: Uint8Array;
  /** Character devices: major and minor number. */
  device?: [number, number];
}

const encoder = new TextEncoder();

/** A "new ASCII" (newc, magic 070701) cpio archive, as the kernel's initramfs unpacker reads. */
export function newcArchive(entries: readonly CpioEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 0;
  const push = (b: Uint8Array) => {
    parts.push(b);
    size += b.length;
    const pad = (4 - (size % 4)) % 4;
    if (pad) {
      parts.push(new Uint8Array(pad));
      size += pad;
    }
  };
  const hex8 = (n: number) => n.toString(16).padStart(8, "0");
  const all = [...entries, { path: "TRAILER!!!", mode: 0 }];
  all.forEach((e, i) => {
    const data = e.data ?? new Uint8Array(0);
    const name = encoder.encode(e.path + "\0");
    const fields = [
      i + 1, // ino
      e.mode,
      0, // uid
      0, // gid
      (e.mode & 0o170000) === 0o40000 ? 2 : 1, // nlink
      0, // mtime
      data.length,
      0, // devmajor
      0, // devminor
      e.device?.[0] ?? 0,
      e.device?.[1] ?? 0,
      name.length,
      0, // check
    ];
    // The 110-byte header and the name are padded together to 4 bytes, then the data.
    push(concat(encoder.encode("070701" + fields.map(hex8).join("")), name));
    if (data.length) push(data);
  });
  return concat(...parts);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The /init: mounts, prints the marker, runs a shell on the console (ttyS0). */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "${SHELL_MARKER}"
exec sh
`;

/** The initramfs: busybox as /bin/busybox, the /init above, /dev/console. */
export function busyboxInitramfs(busybox: Uint8Array): Uint8Array {
  return newcArchive([
    { path: "bin", mode: 0o40755 },
    { path: "dev", mode: 0o40755 },
    { path: "dev/console", mode: 0o20600, device: [5, 1] },
    { path: "proc", mode: 0o40755 },
    { path: "sys", mode: 0o40755 },
    { path: "bin/busybox", mode: 0o100755, data: busybox },
    { path: "init", mode: 0o100755, data: encoder.encode(INIT_SCRIPT) },
  ]);
}

/**
 * Drives a booted test kernel through the API: waits for the shell marker,
 * types each command and waits for its answer, then `poweroff -f`; returns
 * the run's result and the milliseconds to the marker. The run is stopped
 * when anything times out.
 */
export async function shellSession(
  guest: Guest,
  exchanges: readonly (readonly [string, RegExp])[],
  bootTimeoutMs: number,
  answerTimeoutMs: number,
): Promise<{ result: RunResult; shellMs: number }> {
  const started = performance.now();
  const done = guest.run({ timeoutMs: bootTimeoutMs + answerTimeoutMs * (exchanges.length + 1) });
  let shellMs = 0;
  try {
    await guest.waitForSerial(SHELL_MARKER, { timeoutMs: bootTimeoutMs });
    shellMs = performance.now() - started;
    for (const [command, answer] of exchanges) {
      guest.sendSerial(`${command}\n`);
      await guest.waitForSerial(answer, { timeoutMs: answerTimeoutMs });
    }
    guest.sendSerial("poweroff -f\n");
  } catch (e) {
    guest.stop();
    await done;
    throw e;
  }
  return { result: await done, shellMs };
}
