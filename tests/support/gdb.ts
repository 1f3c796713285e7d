// Runs picovmm with its gdb stub on a free port and Debian's gdb against it
// in batch mode: the transcript of gdb and picovmm's exit status.
const root = new URL("../../", import.meta.url).pathname;

/** The longest one session may take (kvm-in-qemu runs code 25-30x slower). */
const SESSION_LIMIT_MS = 240_000;

/** A finished scripted gdb session. */
export interface GdbSession {
  /** What gdb printed (stdout and stderr). */
  transcript: string;
  /** picovmm's exit status. */
  status: number;
  /** picovmm's stderr. */
  stderr: string;
}

/**
 * Starts `picovmm --gdb 127.0.0.1:0 -S ARGS` (without -S when `wait` is false), reads the bound port from its
 * stderr, runs `gdb -batch` with `target remote` and the commands, and
 * waits for both.
 */
export async function gdbSession(
  picovmmArgs: string[],
  commands: string[],
  options: { wait?: boolean } = {},
): Promise<GdbSession> {
  const vm = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--no-check",
      `${root}main.ts`,
      "--display",
      "none",
      "--gdb",
      "127.0.0.1:0",
      ...(options.wait === false ? [] : ["-S"]),
      ...picovmmArgs,
    ],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = vm.stderr.getReader();
  let stderr = "";
  let port: number | undefined;
  while (port === undefined) {
    const { value, done } = await reader.read();
    if (done) break;
    stderr += new TextDecoder().decode(value);
    const m = /gdb stub listening on [\d.]+:(\d+)/.exec(stderr);
    if (m) port = Number(m[1]);
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      stderr += new TextDecoder().decode(value);
    }
  })();
  if (port === undefined) {
    const status = (await vm.status).code;
    return { transcript: "", status, stderr };
  }
  const args = [
    "-nx",
    "-batch",
    "-ex",
    "set pagination off",
    "-ex",
    `target remote 127.0.0.1:${port}`,
  ];
  for (const c of commands) args.push("-ex", c);
  // A session that hangs (a loopback that is down, a stub that never answers) ends here.
  const watchdog = setTimeout(() => {
    try {
      vm.kill("SIGKILL");
    } catch { /* already gone */ }
  }, SESSION_LIMIT_MS);
  const gdb = await new Deno.Command("gdb", { args, stdout: "piped", stderr: "piped" }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  const status = (await vm.status).code;
  clearTimeout(watchdog);
  await rest;
  return { transcript: decode(gdb.stdout) + decode(gdb.stderr), status, stderr };
}
