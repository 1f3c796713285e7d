// .xz data made by the `xz` command (xz-utils), for tests of picovmm's decoder and of kernels
// with XZ payloads.

/** `data` compressed by `xz --format=xz FLAGS`; throws, naming the package, without `xz`. */
export async function xzCompress(data: Uint8Array, flags: readonly string[]): Promise<Uint8Array> {
  let child;
  try {
    child = new Deno.Command("xz", {
      args: ["--format=xz", ...flags, "-c"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    throw new Error(`the xz command (Debian package xz-utils) is needed: ${e}`);
  }
  const writer = child.stdin.getWriter();
  const written = writer.write(data).then(() => writer.close());
  const [out] = await Promise.all([child.output(), written]);
  if (!out.success) {
    throw new Error(`xz ${flags.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return out.stdout;
}
