// The same boot sectors under QEMU's own BIOS (SeaBIOS), as a reference: the
// guests check the BIOS services by the PC's rules, not by picovmm's, so they
// must pass there too. Needs qemu-system-x86_64 (a prerequisite of the tests,
// installed by CI): without it these tests fail rather than pass unseen.
import { match } from "@std/assert";
import { guestImage } from "../support/guest_cases.ts";

const QEMU = "qemu-system-x86_64";

/** Boots `name` in QEMU until its console shows `done` (or FAIL, or 60 s pass). */
async function bootInQemu(name: string, done: RegExp): Promise<string> {
  const dir = await Deno.makeTempDir();
  const disk = `${dir}/${name}.img`;
  await Deno.writeFile(disk, guestImage(name));
  const child = new Deno.Command(QEMU, {
    args: [
      "-nographic",
      "-monitor",
      "none",
      "-serial",
      "stdio",
      "-m",
      "16",
      "-drive",
      `file=${disk},format=raw,if=ide`,
      "-device",
      "isa-debug-exit,iobase=0xf4,iosize=0x04",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let text = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) {
      // The console carries ANSI sequences (ESC [ ...); keep the characters.
      // deno-lint-ignore no-control-regex
      text += decoder.decode(chunk, { stream: true }).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
      if (done.test(text) || /FAIL/.test(text)) break;
    }
  } finally {
    clearTimeout(timer);
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
  return text;
}

// QEMU mirrors the screen to its serial console with sgabios, which sends the
// last character only on a later interrupt; the guests end with interrupts
// off, so the patterns stop one character short. A guest's own COM1 output
// (INT 14h) interleaves with that mirror, so each pattern is only the guest's
// final success line: a failed check prints FAIL, which ends the wait and fails.
const CASES: [string, RegExp][] = [
  ["boot-hello", /Boot drive: 8/],
  ["boot-disk", /disk O/],
  ["boot-services", /services O/],
  ["boot-timer", /timer O/],
];

for (const [name, done] of CASES) {
  Deno.test({
    name: `qemu reference: ${name} passes under SeaBIOS too`,
    sanitizeResources: false,
    async fn() {
      const console = await bootInQemu(name, done);
      match(console, done, console);
    },
  });
}
