/**
 * `deno task bench:linux-emu`: seconds from process start to the shell
 * marker of Debian's stock i386 kernel (linux-image-686) with a
 * busybox-static:i386 initramfs on picovmm's software CPU, against
 * `qemu-system-i386 -accel tcg` on the same kernel, initramfs and command
 * line, in the same run; each then answers `echo $((6*7))` and powers off
 * (`poweroff -f`), and the exit status is checked. picovmm decompresses the
 * kernel's XZ payload on the host (its default), and, in a second column,
 * leaves it to the kernel's own decompressor in the guest
 * (`--linux-decompress guest`), as QEMU does.
 *
 * Options: --reps N (1), --no-qemu, --no-guest (skip the second column),
 * --compare DIR (also the picovmm whose main.ts is in DIR, e.g. an older
 * checkout; "—" where it cannot boot it).
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import {
  busyboxInitramfs,
  debianLinux32,
  LINUX_CMDLINE,
  picovmmLinuxArgs,
} from "../tests/support/linux_guest.ts";
import { bootToShell } from "./lib/linux-boot.ts";

const root = new URL("../", import.meta.url).pathname;
const { values } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "1" },
    "no-qemu": { type: "boolean", default: false },
    "no-guest": { type: "boolean", default: false },
    compare: { type: "string" },
  },
});

const progress = (line: string) => console.error(line);
const linux = await debianLinux32();
const dir = await Deno.makeTempDir({ prefix: "picovmm-bench-linux-emu-" });
const initrd = `${dir}/initrd.cpio`;
await Deno.writeFile(initrd, busyboxInitramfs(await Deno.readFile(linux.busybox)));
const picovmm = (tree: string, flags: string[] = []) =>
  picovmmLinuxArgs(`${tree}/main.ts`, linux.bzImage, initrd, flags, "emu");
const qemu = [
  "-accel",
  "tcg",
  "-m",
  "256",
  "-display",
  "none",
  "-monitor",
  "none",
  "-serial",
  "stdio",
  "-no-reboot",
  "-kernel",
  linux.bzImage,
  "-initrd",
  initrd,
  "-append",
  LINUX_CMDLINE,
];

const rows: string[] = [];
try {
  for (let rep = 0; rep < Number(values.reps); rep++) {
    const p = await bootToShell(Deno.execPath(), picovmm(root), progress);
    const g = values["no-guest"] ? undefined : await bootToShell(
      Deno.execPath(),
      picovmm(root, ["--linux-decompress", "guest"]),
      progress,
    );
    const q = values["no-qemu"] ? undefined : await bootToShell("qemu-system-i386", qemu, progress);
    let other = "";
    if (values.compare) {
      const c = await bootToShell(Deno.execPath(), picovmm(String(values.compare)), progress)
        .catch(() => undefined);
      other = ` ${c ? c.markerS.toFixed(1) : "—"} |`;
    }
    rows.push(
      `| ${p.markerS.toFixed(1)} | ${p.answerS.toFixed(1)} | ${p.code} | ` +
        `${q ? q.markerS.toFixed(1) : "—"} | ${q ? q.answerS.toFixed(1) : "—"} | ` +
        `${q ? q.code : "—"} | ${q ? (p.markerS / q.markerS).toFixed(2) : "—"} | ` +
        `${g ? `${g.markerS.toFixed(1)} | ${g.code}` : "— | —"} | ` +
        `${g && q ? (g.markerS / q.markerS).toFixed(2) : "—"} |${other}`,
    );
    progress(rows.at(-1)!);
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
console.log(
  "| picovmm emu: s to marker | s to answer | status | QEMU TCG: s to marker | s to answer | " +
    "status | picovmm / QEMU | guest-decompressed: s to marker | status | its / QEMU |" +
    (values.compare ? " --compare: s to marker |" : ""),
);
console.log(
  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + (values.compare ? "---:|" : ""),
);
for (const r of rows) console.log(r);
