/**
 * Assembles every guests/*.asm into guests/*.bin with NASM (`deno task guests`).
 * Rebuilds only what is older than its source.
 *
 * @module
 */

const dir = new URL("../guests/", import.meta.url);

async function mtime(url: URL): Promise<number> {
  try {
    return (await Deno.stat(url)).mtime?.getTime() ?? 0;
  } catch {
    return -1;
  }
}

let failed = 0;
let built = 0;
for await (const entry of Deno.readDir(dir)) {
  if (!entry.isFile || !entry.name.endsWith(".asm")) continue;
  const source = new URL(entry.name, dir);
  const output = new URL(entry.name.replace(/\.asm$/, ".bin"), dir);
  if (await mtime(output) >= await mtime(source)) continue;
  let result;
  try {
    result = await new Deno.Command("nasm", {
      args: ["-f", "bin", "-o", output.pathname, source.pathname],
    }).output();
  } catch {
    console.error("build-guests: nasm not found (install it: apt-get install nasm)");
    Deno.exit(1);
  }
  if (!result.success) {
    failed++;
    console.error(new TextDecoder().decode(result.stderr).trimEnd());
  } else {
    built++;
  }
}
console.error(`build-guests: ${built} assembled${failed ? `, ${failed} failed` : ""}`);
Deno.exit(failed ? 1 : 0);
