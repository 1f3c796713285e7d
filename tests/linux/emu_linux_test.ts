// Debian's stock i386 kernel (linux-image-686, bookworm) with an initramfs
// built from Debian's busybox-static:i386, on the software CPU: through the
// Linux boot protocol to a shell on ttyS0, a typed command answered, and
// `poweroff -f` ending the run with status 0 (HLT with interrupts off). Its XZ
// payload is decompressed on the host (the default here), and by the kernel's own
// decompressor in the guest (`linuxDecompress: "guest"`), whose 2.3 G
// instructions run through every part of the software CPU. Needs the Debian
// packages (see debianLinux32 in tests/support/linux_guest.ts);
// `deno task test:linux`.
import { strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import {
  busyboxInitramfs,
  debianLinux32,
  LINUX_CMDLINE,
  shellSession,
} from "../support/linux_guest.ts";

const linux = await debianLinux32();
const initrd = busyboxInitramfs(await Deno.readFile(linux.busybox));
/** A loaded machine takes a few times longer than the idle one's minute or so. */
const BOOT_TIMEOUT_MS = 480_000;
/** The answer and the machine: 42, then i686 on the next line. */
const ANSWER = /^42\r?\ni686\r?$/m;

for (
  const [linuxDecompress, where] of [
    ["auto", "on the host, the default here"],
    ["guest", "in the guest"],
  ] as const
) {
  Deno.test(`emu linux: the i386 bzImage boots to a shell, answers a command, powers off with 0 (its payload decompressed ${where})`, async () => {
    using guest = Guest.create(await Deno.readFile(linux.bzImage), {
      accel: "emu",
      memory: 256 << 20,
      append: LINUX_CMDLINE,
      initrd,
      linuxDecompress,
    });
    const { result, shellMs } = await shellSession(
      guest,
      [["echo $((6*7)); uname -m", ANSWER]],
      BOOT_TIMEOUT_MS,
      60_000,
    );
    console.log(`shell after ${(shellMs / 1000).toFixed(1)} s`);
    strictEqual(result.stop.kind, "halt", Guest.describe(result));
    strictEqual(result.exitStatus, 0);
    const log = guest.serialText();
    strictEqual(log.includes("Linux version"), true);
    strictEqual(log.includes("unchecked MSR access"), false, "no refused MSR");
    strictEqual(log.includes("invalid opcode"), false, "no #UD");
  });
}
