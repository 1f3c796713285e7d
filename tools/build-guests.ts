/**
 * Assembles every guests/*.asm into guests/*.bin with NASM (`deno task guests`).
 * Rebuilds only what is older than its source or than any guests/*.inc it
 * may include (NASM searches guests/ for includes).
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

// Shared include files: a change to one rebuilds every guest.
let newestInclude = 0;
for await (const entry of Deno.readDir(dir)) {
  if (entry.isFile && entry.name.endsWith(".inc")) {
    newestInclude = Math.max(newestInclude, await mtime(new URL(entry.name, dir)));
  }
}

let failed = 0;
let built = 0;
for await (const entry of Deno.readDir(dir)) {
  if (!entry.isFile || !entry.name.endsWith(".asm")) continue;
  const source = new URL(entry.name, dir);
  const output = new URL(entry.name.replace(/\.asm$/, ".bin"), dir);
  if (await mtime(output) >= Math.max(await mtime(source), newestInclude)) continue;
  let result;
  try {
    result = await new Deno.Command("nasm", {
      args: ["-f", "bin", "-I", dir.pathname, "-o", output.pathname, source.pathname],
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
