// Runs the picovmm command line as a subprocess, for CLI tests.
const root = new URL("../../", import.meta.url).pathname;

/** Runs main.ts with the given arguments. */
export async function picovmm(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--no-check", `${root}main.ts`, ...args],
    env,
    cwd: root,
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}
