// Debian's stock x86_64 kernel with an initramfs built from Debian's
// busybox-static: to a shell on ttyS0, a typed command answered, `poweroff -f`
// ending the run with status 0 (HLT with interrupts off). The bzImage goes
// through the Linux boot protocol (API, sendSerial), its XZ payload
// decompressed in the guest by its own decompressor (the default on KVM) and
// on the host (the 64-bit vmlinux entered at startup_64); the uncompressed PVH
// vmlinux through the command line (stdin to COM1). Needs /dev/kvm and the
// Debian packages (the kvm-in-qemu cache, or apt-get download).
//
// On PVM (module kvm_pvm) the guest kernel's code runs through KVM's
// instruction emulator and a boot takes minutes (and stops at a CMPXCHG16B
// the emulator lacks), so there the test asserts the shorter goal its name
// says: the kernel's first console line.
import "../support/built_guests.ts";
import { strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import {
  busyboxInitramfs,
  debianLinux,
  LINUX_CMDLINE,
  picovmmLinuxArgs,
  SHELL_MARKER,
  shellSession,
} from "../support/linux_guest.ts";

const root = new URL("../../", import.meta.url).pathname;
const linux = await debianLinux();
const initrd = busyboxInitramfs(await Deno.readFile(linux.busybox));
const MEMORY = 256 << 20;
const BOOT_TIMEOUT_MS = 150_000;
const ANSWER = /^42\r?$/m;

function onPvm(): boolean {
  try {
    return Deno.statSync("/sys/module/kvm_pvm").isDirectory;
  } catch {
    return false;
  }
}

if (!onPvm()) {
  const bzImageBoots = (linuxDecompress: "auto" | "host", where: string) =>
    Deno.test(`kvm linux: the bzImage boots to a shell, answers a command, powers off with 0 (its payload decompressed ${where})`, async () => {
      using guest = Guest.create(await Deno.readFile(linux.bzImage), {
        accel: "kvm",
        memory: MEMORY,
        append: LINUX_CMDLINE,
        initrd,
        linuxDecompress,
      });
      const { result } = await shellSession(
        guest,
        [["echo $((6*7))", ANSWER]],
        BOOT_TIMEOUT_MS,
        20_000,
      );
      strictEqual(result.stop.kind, "halt", Guest.describe(result));
      strictEqual(result.exitStatus, 0);
      const log = guest.serialText();
      strictEqual(log.includes("Linux version"), true);
      // The 8259 carries the interrupts: Linux saw no local APIC to poll.
      strictEqual(log.includes("APIC: Keep in PIC mode(8259)"), true, "PIC mode");
      strictEqual(log.includes("unchecked MSR access"), false, "no refused MSR");
    });

  bzImageBoots("auto", "in the guest, the default on KVM");

  Deno.test("kvm linux: the command line feeds stdin to ttyS0 (PVH vmlinux), status 0", async () => {
    const kernel = linux.vmlinux ?? linux.bzImage;
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(`${dir}/initrd`, initrd);
      const child = new Deno.Command(Deno.execPath(), {
        args: picovmmLinuxArgs(`${root}main.ts`, kernel, `${dir}/initrd`, [
          "--timeout",
          String((BOOT_TIMEOUT_MS + 30_000) / 1000),
        ]),
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stdin = child.stdin.getWriter();
      let out = "";
      const reading = (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of child.stdout) out += decoder.decode(chunk, { stream: true });
      })();
      const waitFor = async (pattern: RegExp | string, ms: number) => {
        const deadline = performance.now() + ms;
        const seen = () => typeof pattern === "string" ? out.includes(pattern) : pattern.test(out);
        while (!seen()) {
          if (performance.now() > deadline) throw new Error(`no ${pattern} in:\n${out}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      try {
        await waitFor(SHELL_MARKER, BOOT_TIMEOUT_MS);
        await stdin.write(new TextEncoder().encode("echo $((6*7))\n"));
        await waitFor(ANSWER, 20_000);
        await stdin.write(new TextEncoder().encode("poweroff -f\n"));
      } catch (e) {
        child.kill();
        throw e;
      } finally {
        await stdin.close().catch(() => {});
      }
      const [status, stderr] = await Promise.all([
        child.status,
        new Response(child.stderr).text(),
        reading,
      ]);
      strictEqual(status.code, 0, stderr);
      strictEqual(out.includes("reboot: System halted"), true);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  // The 64-bit vmlinux entered at startup_64 over picovmm's identity map.
  bzImageBoots("host", "on the host");
} else {
  Deno.test("kvm linux on PVM (a boot to the shell is too slow here): the kernel's first console line", async () => {
    // The uncompressed vmlinux: the bzImage's own XZ decompressor would take KVM's emulator
    // longer than this test waits.
    if (!linux.vmlinux) {
      throw new Error(`no vmlinux could be extracted from ${linux.bzImage} (xz?)`);
    }
    using guest = Guest.create(await Deno.readFile(linux.vmlinux), {
      accel: "kvm",
      memory: MEMORY,
      append: LINUX_CMDLINE,
      initrd,
    });
    // The first line takes 23-45 s here on an idle machine (KVM's emulator runs the kernel's
    // early code) and longer under load: 60 s failed when other jobs shared the 2 cores.
    const done = guest.run({ timeoutMs: BOOT_TIMEOUT_MS + 30_000 });
    try {
      await guest.waitForSerial(/Linux version \S+[^]*Command line: [^\n]*\n/, {
        timeoutMs: BOOT_TIMEOUT_MS,
      });
    } finally {
      guest.stop();
    }
    const result = await done;
    strictEqual(result.stop.kind, "stopped", Guest.describe(result));
    strictEqual(guest.serialText().includes(`Command line: ${LINUX_CMDLINE}`), true);
  });
}
