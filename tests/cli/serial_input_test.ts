// `--serial stdio` feeds stdin to COM1's receiver: a guest that echoes what
// it receives until a line feed gives the typed line back on stdout.
import { strictEqual } from "@std/assert";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("cli: --serial stdio sends stdin to COM1", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--no-check",
      `${root}main.ts`,
      "--accel",
      "emu",
      "--boot",
      "flat",
      "--display",
      "none",
      "--timeout",
      "20",
      `${root}guests/serial-line-echo.bin`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode("echo $((6*7))\nnot read\n"));
  await writer.close();
  const out = await child.output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  strictEqual(decode(out.stdout), "echo $((6*7))\n", decode(out.stderr));
  strictEqual(out.code, 0, decode(out.stderr));
});
