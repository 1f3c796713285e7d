// The run kicker's signal (SIGUSR2 from a POSIX timer) must never end the
// process, even when it arrives after a run has ended and its kicker is
// closed: 50 consecutive runs of a guest that keeps the kicker armed, with
// both cores kept busy (a loaded host delays signal delivery and widens the
// window). Needs /dev/kvm.
import "../support/built_guests.ts";
import { deepStrictEqual, strictEqual } from "@std/assert";

const RUNS = 50;
const root = new URL("../../", import.meta.url).pathname;

/** Starts `n` busy loops; returns them for killing. */
function busyLoops(n: number): Deno.ChildProcess[] {
  return Array.from({ length: n }, () =>
    new Deno.Command("sh", {
      args: ["-c", "while :; do :; done"],
      stdout: "null",
      stderr: "null",
    }).spawn());
}

/** Runs the guest RUNS times in one child process, with `busy` busy loops beside it. */
async function runsWith(busy: number): Promise<void> {
  const load = busyLoops(busy);
  let out;
  try {
    out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-check", "tests/kvm/support/kick_runs.ts", String(RUNS)],
      cwd: root,
    }).output();
  } finally {
    for (const p of load) {
      p.kill("SIGKILL");
      await p.status;
    }
  }
  const stderr = new TextDecoder().decode(out.stderr);
  // A kick that reaches a process without a SIGUSR2 listener kills it: signal 12, status 140.
  strictEqual(out.signal, null, `the runs process died of ${out.signal}: ${stderr}`);
  strictEqual(out.code, 0, stderr);
  const statuses = new TextDecoder().decode(out.stdout).trim().split("\n").map(Number);
  deepStrictEqual(statuses, Array(RUNS).fill(67));
}

Deno.test(`kvm kick: ${RUNS} runs on an idle host end with the guest's status`, async () => {
  await runsWith(0);
});

Deno.test(`kvm kick: ${RUNS} runs under a 2-core busy load end with the guest's status`, async () => {
  await runsWith(2);
});
