/**
 * The live display gives the terminal back however the process ends. Each case runs a small
 * program in a child Deno process, with pipes standing in for the terminal.
 */
import { ok, strictEqual } from "@std/assert";

const LIVE = new URL("../../lib/display/live.ts", import.meta.url).href;
const LEAVE = "\x1b[0m\x1b[0 q\x1b[?25h\x1b[?7h\x1b[?1049l";
const ENTER = "\x1b[?1049h";

/** Runs `body` after opening a LiveTerminal; returns the exit code, stdout and stderr. */
async function runChild(body: string, signal?: Deno.Signal) {
  const dir = await Deno.makeTempDir();
  try {
    const script = `${dir}/child.ts`;
    await Deno.writeTextFile(
      script,
      `import { LiveTerminal } from "${LIVE}";\n` +
        `const live = LiveTerminal.open({ size: () => ({ columns: 80, rows: 25 }) });\n` +
        `live.draw({ rows: 1, columns: 1, cell: () => ({ char: 0x41, attr: 7 }) });\n` +
        `console.error("ready");\n${body}\n`,
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-check", "--allow-read", script],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const errReader = child.stderr.getReader();
    let stderr = "";
    // Wait until the child has taken the terminal over, then signal it if asked to.
    while (!stderr.includes("ready")) {
      const { value, done } = await errReader.read();
      if (done) break;
      stderr += new TextDecoder().decode(value);
    }
    if (signal) child.kill(signal);
    for (;;) {
      const { value, done } = await errReader.read();
      if (done) break;
      stderr += new TextDecoder().decode(value);
    }
    const stdout = new TextDecoder().decode(
      await new Response(child.stdout).arrayBuffer(),
    );
    await child.stdin.close().catch(() => {});
    const status = await child.status;
    return { code: status.code, stdout, stderr };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("restored on SIGTERM (exit 143 without an onQuit)", async () => {
  const r = await runChild("await new Promise(() => {});", "SIGTERM");
  ok(r.stdout.startsWith(ENTER), JSON.stringify(r.stdout.slice(0, 40)));
  ok(r.stdout.endsWith(LEAVE), JSON.stringify(r.stdout.slice(-40)));
  strictEqual(r.code, 143);
});

Deno.test("restored on SIGHUP (exit 129)", async () => {
  const r = await runChild("await new Promise(() => {});", "SIGHUP");
  ok(r.stdout.endsWith(LEAVE));
  strictEqual(r.code, 129);
});

Deno.test("restored when the program throws", async () => {
  const r = await runChild(`setTimeout(() => { throw new Error("boom"); }, 10);`);
  ok(r.stdout.endsWith(LEAVE));
  ok(r.stderr.includes("boom"));
  strictEqual(r.code, 1);
});

Deno.test("restored on Deno.exit", async () => {
  const r = await runChild("Deno.exit(7);");
  ok(r.stdout.endsWith(LEAVE));
  strictEqual(r.code, 7);
});

Deno.test("restored once when the program closes it itself", async () => {
  const r = await runChild("live.close();");
  ok(r.stdout.endsWith(LEAVE));
  strictEqual(r.stdout.split(LEAVE).length, 2);
  strictEqual(r.code, 0);
});
