// A guest that never stops, ended by a signal: the output so far is on stdout
// (streamed while it ran) or in the file, the screen is printed as the
// display would have printed it, no partial file is left, and the exit
// status is 128 + the signal's number.
import { match, ok, strictEqual } from "@std/assert";
import { RunningPicovmm } from "../support/spawn.ts";

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

const cases: { signal: keyof typeof SIGNAL_NUMBERS; display: string; boot: string }[] = [
  { signal: "SIGINT", display: "text", boot: "flat" },
  { signal: "SIGTERM", display: "ansi", boot: "bios" },
  { signal: "SIGHUP", display: "none", boot: "flat" },
  { signal: "SIGINT", display: "text", boot: "bios" },
];

for (const { signal, display, boot } of cases) {
  Deno.test(`signals: ${signal} with --display ${display}, ${boot} boot`, async () => {
    const vm = new RunningPicovmm([
      "--accel",
      "emu",
      "--display",
      display,
      "--boot",
      boot,
      "guests/busy-output.bin",
    ]);
    // Serial and debug console output stream while the guest runs (no timeout given).
    await vm.waitFor("serial so far\r\n");
    await vm.waitFor("debugcon so far\n");
    vm.child.kill(signal);
    const r = await vm.finish();
    strictEqual(r.code, 128 + SIGNAL_NUMBERS[signal], r.stderr);
    ok(r.stdout.startsWith("serial so far\r\ndebugcon so far\n"), JSON.stringify(r.stdout));
    if (display === "none") ok(!r.stdout.includes("still running"), r.stdout);
    else match(r.stdout, /still running/);
    if (display === "ansi") ok(r.stdout.includes("\x1b["), "ANSI colours");
    strictEqual(r.stderr.trim().split("\n").at(-1), `picovmm: stopped by ${signal}`);
  });
}

Deno.test("signals: SIGTERM with --serial FILE keeps what was written, no partial file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const vm = new RunningPicovmm([
      "--accel",
      "emu",
      "--serial",
      `${dir}/com1.txt`,
      "--boot",
      "flat",
      "guests/busy-output.bin",
    ]);
    await vm.waitFor("debugcon so far\n");
    // The serial file is flushed while the guest runs too.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const partial = [...Deno.readDirSync(dir)].find((e) => e.name.startsWith("com1.txt.partial"));
      if (partial && Deno.readTextFileSync(`${dir}/${partial.name}`).length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    vm.child.kill("SIGTERM");
    const r = await vm.finish();
    strictEqual(r.code, 143, r.stderr);
    strictEqual(await Deno.readTextFile(`${dir}/com1.txt`), "serial so far\r\n");
    strictEqual([...Deno.readDirSync(dir)].map((e) => e.name).join(), "com1.txt");
    match(r.stdout, /still running/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("signals: SIGTERM with --display live restores the terminal, prints, exits 143", async () => {
  // `script` gives the command a terminal (a pty) of a known size.
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const guest = new URL("../../guests/busy-output.bin", import.meta.url).pathname;
  const dir = await Deno.makeTempDir();
  // The shell notes its process id, which picovmm keeps through exec.
  const command = `stty rows 30 cols 80; echo $$ > ${dir}/pid; exec ${Deno.execPath()} run -A ` +
    `--no-check ${main} --accel emu --display live --boot flat ${guest}`;
  const vm = new RunningPicovmm([], { program: "script", args: ["-qec", command, "/dev/null"] });
  let r;
  try {
    await vm.waitFor("still running");
    const picovmm = Number(Deno.readTextFileSync(`${dir}/pid`).trim());
    ok(picovmm > 0);
    Deno.kill(picovmm, "SIGTERM");
    r = await vm.finish();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  strictEqual(r.code, 143, r.stdout);
  const after = r.stdout.slice(r.stdout.lastIndexOf("\x1b[?1049l") + 8).replaceAll("\r", "");
  // Output meant for stdout is printed once the terminal is back, then the screen.
  strictEqual(
    after,
    "serial so far\ndebugcon so far\nstill running\npicovmm: stopped by SIGTERM\n",
  );
});
