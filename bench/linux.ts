/**
 * `deno task bench:linux`: seconds from process start to the shell marker of
 * Debian's stock x86_64 kernel with a busybox initramfs, for picovmm on KVM
 * and for `qemu-system-x86_64 -accel kvm` on the same kernel, initramfs and
 * command line, in the same run; then each answers `echo $((6*7))` and
 * powers off (`poweroff -f`), and the exit status is checked.
 *
 * The kernels: the bzImage (Linux boot protocol; the kernel decompresses its
 * XZ payload itself) and the uncompressed vmlinux through its PVH entry.
 * QEMU gets `-cpu host` and its default PC (ACPI, local APIC, SeaBIOS);
 * picovmm its PC without BIOS (8259 PIC, no APIC).
 *
 * On a host whose /dev/kvm is PVM (too slow for a kernel boot) or missing,
 * the script runs itself inside kvm-in-qemu (../shared/kvm-in-qemu/run.sh),
 * where both VMMs get the nested (QEMU-emulated AMD SVM) KVM.
 *
 * Options: --reps N (1), --kernels bzimage,vmlinux (both), --no-qemu, --compare DIR (also
 * time the picovmm whose main.ts is in DIR, e.g. an older checkout, on the same kernels; a kernel
 * it cannot boot is shown as "—").
 *
 * @module
 */

import { parseArgs } from "@std/cli";
import {
  busyboxInitramfs,
  debianLinux,
  LINUX_CMDLINE,
  picovmmLinuxArgs,
} from "../tests/support/linux_guest.ts";
import { bootToShell } from "./lib/linux-boot.ts";

const root = new URL("../", import.meta.url).pathname;
const { values } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "1" },
    kernels: { type: "string", default: "bzimage,vmlinux" },
    "no-qemu": { type: "boolean", default: false },
    compare: { type: "string" },
  },
});

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

const INSIDE = "PICOVMM_BENCH_LINUX_INSIDE";
if (!Deno.env.get(INSIDE) && (exists("/sys/module/kvm_pvm") || !exists("/dev/kvm"))) {
  console.error("bench:linux: this host's KVM is PVM or missing: running inside kvm-in-qemu");
  const cache = Deno.env.get("KVMQ_CACHE") ?? "/tmp/kvm-in-qemu-cache";
  // The guest's output arrives at the end; progress goes to a shared file meanwhile.
  const logDir = await Deno.makeTempDir({ prefix: "picovmm-bench-linux-log-" });
  console.error(`bench:linux: progress in ${logDir}/progress.log`);
  const out = await new Deno.Command(`${root}../shared/kvm-in-qemu/run.sh`, {
    args: [
      "-t",
      "1500",
      "-c",
      cache,
      "-w",
      logDir,
      "--",
      Deno.execPath(),
      "run",
      "-A",
      "--no-check",
      new URL(import.meta.url).pathname,
      ...Deno.args,
    ],
    env: { [INSIDE]: `${logDir}/progress.log` },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(out.code);
}

/** One progress line, to stderr and (inside kvm-in-qemu) to the shared log. */
function progress(line: string): void {
  console.error(line);
  const log = Deno.env.get(INSIDE);
  if (log && log !== "1") Deno.writeTextFileSync(log, `${line}\n`, { append: true });
}
const boot = (command: string, args: string[]) => bootToShell(command, args, progress);

const linux = await debianLinux();
const dir = await Deno.makeTempDir({ prefix: "picovmm-bench-linux-" });
const initrdPath = `${dir}/initrd.cpio`;
await Deno.writeFile(initrdPath, busyboxInitramfs(await Deno.readFile(linux.busybox)));
const kernels = String(values.kernels).split(",").map((k: string) => {
  if (k === "bzimage") return { name: "bzImage", path: linux.bzImage };
  if (k === "vmlinux" && linux.vmlinux) return { name: "vmlinux (PVH)", path: linux.vmlinux };
  throw new Error(`unknown or missing kernel '${k}'`);
});

const picovmmArgs = (kernel: string, tree = root, flags: string[] = []) =>
  picovmmLinuxArgs(`${tree}/main.ts`, kernel, initrdPath, flags);
const qemuArgs = (kernel: string) => [
  "-accel",
  "kvm",
  "-cpu",
  "host",
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
  kernel,
  "-initrd",
  initrdPath,
  "-append",
  LINUX_CMDLINE,
];

/**
 * Untimed: the first process in a fresh kvm-in-qemu guest reads Deno's module cache and the
 * kernel over 9p, cold (about 15 s more). One short picovmm run per kernel and QEMU's start
 * bring both VMMs' files into the page cache before anything is timed.
 */
async function warmUp(kernel: string): Promise<void> {
  await new Deno.Command(Deno.execPath(), {
    args: picovmmArgs(kernel, root, ["--timeout", "2"]),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  await Deno.readFile(kernel);
  if (!values["no-qemu"]) {
    await new Deno.Command("qemu-system-x86_64", { args: ["--version"], stdout: "null" }).output();
  }
}

const rows: string[] = [];
try {
  for (const kernel of kernels) await warmUp(kernel.path);
  for (const kernel of kernels) {
    for (let rep = 0; rep < Number(values.reps); rep++) {
      const p = await boot(Deno.execPath(), picovmmArgs(kernel.path));
      const q = values["no-qemu"]
        ? undefined
        : await boot("qemu-system-x86_64", qemuArgs(kernel.path));
      const ratio = q ? (p.markerS / q.markerS).toFixed(2) : "—";
      let other = "";
      if (values.compare) {
        const c = await boot(Deno.execPath(), picovmmArgs(kernel.path, String(values.compare)))
          .catch(() => undefined);
        other = ` ${c ? c.markerS.toFixed(1) : "—"} |`;
      }
      rows.push(
        `| ${kernel.name} | ${p.markerS.toFixed(1)} | ${p.answerS.toFixed(1)} | ${p.code} | ` +
          `${q ? q.markerS.toFixed(1) : "—"} | ${q ? q.answerS.toFixed(1) : "—"} | ` +
          `${q ? q.code : "—"} | ${ratio} |${other}`,
      );
      progress(rows.at(-1)!);
    }
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
console.log(
  "| kernel | picovmm: s to marker | s to answer | status | QEMU -accel kvm: s to marker | " +
    "s to answer | status | picovmm / QEMU |" + (values.compare ? " --compare: s to marker |" : ""),
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|" + (values.compare ? "---:|" : ""));
for (const r of rows) console.log(r);
