/**
 * Assembles every guests/*.asm into guests/*.bin with NASM (`deno task guests`),
 * and builds the test kernels of guests/kernels/ (NASM entry code and
 * freestanding C, `gcc -m32` or `-m64`, linked by `ld` with kernel.ld). Rebuilds only
 * what is older than its source or than any guests/*.inc it may include
 * (NASM searches guests/ for includes); a kernel is rebuilt when any file in
 * guests/kernels/ is newer (its entry code includes guests/kernels/start-common.inc).
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

/** A test kernel: its entry assembly, its C files, and how it is linked. */
interface KernelBuild {
  output: string;
  asm: string;
  c: string[];
  /** Link to a flat binary instead of ELF (a Multiboot a.out-kludge kernel). */
  binary?: boolean;
  /** A 64-bit kernel (ELF64, x86-64 code). */
  wide?: boolean;
}

const KERNELS: KernelBuild[] = [
  { output: "kernel-mb1.elf", asm: "mb1-start.asm", c: ["mb1.c", "lib.c"] },
  { output: "kernel-mb1-aout.bin", asm: "mb1-aout-start.asm", c: ["mb1.c", "lib.c"], binary: true },
  { output: "kernel-mb2.elf", asm: "mb2-start.asm", c: ["mb2.c", "lib.c"] },
  { output: "kernel-pvh.elf", asm: "pvh-start.asm", c: ["pvh.c", "lib.c"] },
  { output: "kernel-mb2-64.elf", asm: "mb2-64-start.asm", c: ["mb2.c", "lib.c"], wide: true },
  { output: "kernel-pvh-64.elf", asm: "pvh-64-start.asm", c: ["pvh.c", "lib.c"], wide: true },
  { output: "kernel-lm64.elf", asm: "lm64-start.asm", c: ["lm64.c", "lib.c"], wide: true },
  { output: "kernel-fb.elf", asm: "fb-start.asm", c: ["fb.c", "lib.c"] },
];

const CFLAGS = [
  "-ffreestanding",
  "-fno-builtin",
  "-nostdlib",
  "-fno-pic",
  "-fno-pie",
  "-fno-stack-protector",
  "-fno-asynchronous-unwind-tables",
  "-mgeneral-regs-only",
  "-O2",
  // Symbols and line tables for the gdb sessions (the code is the same without them).
  "-g",
  "-Wall",
  "-Wextra",
  "-Werror",
];

/** Runs a build tool: true when it succeeded, false when it failed, "missing" when absent. */
async function tool(command: string, args: string[]): Promise<boolean | "missing"> {
  let result;
  try {
    result = await new Deno.Command(command, { args }).output();
  } catch {
    return "missing";
  }
  if (!result.success) console.error(new TextDecoder().decode(result.stderr).trimEnd());
  return result.success;
}

const kernelDir = new URL("kernels/", dir);

/**
 * Builds what is out of date (see the module's comment); errors go to stderr.
 * `quiet` leaves out the summary line when nothing needed building.
 * Resolves to false when a build failed or NASM is missing.
 */
export async function buildGuests({ quiet = false } = {}): Promise<boolean> {
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
      return false;
    }
    if (!result.success) {
      failed++;
      console.error(new TextDecoder().decode(result.stderr).trimEnd());
    } else {
      built++;
    }
  }
  let newestKernelSource = 0;
  for await (const entry of Deno.readDir(kernelDir)) {
    if (entry.isFile) {
      newestKernelSource = Math.max(
        newestKernelSource,
        await mtime(new URL(entry.name, kernelDir)),
      );
    }
  }
  // Without gcc or ld the kernels are left out (the boot sectors need only NASM); the
  // kernel tests then fail on the missing files.
  const missing = new Set<string>();
  const work = await Deno.makeTempDir({ prefix: "picovmm-kernels-" });
  try {
    for (const k of KERNELS) {
      const output = new URL(k.output, dir).pathname;
      if (await mtime(new URL(k.output, dir)) >= newestKernelSource) continue;
      const src = (name: string) => new URL(name, kernelDir).pathname;
      const objects = [`${work}/${k.asm}.o`, ...k.c.map((c) => `${work}/${c}.o`)];
      const arch = k.wide ? ["-m64", "-mno-red-zone", "-mcmodel=small"] : ["-m32", "-march=i686"];
      const steps: [string, string[]][] = [
        // -I: the entry files include start-common.inc from their own folder.
        ["nasm", [
          "-f",
          k.wide ? "elf64" : "elf32",
          "-I",
          kernelDir.pathname,
          "-o",
          objects[0],
          src(k.asm),
        ]],
        ...k.c.map((c, i): [string, string[]] => [
          "gcc",
          [...arch, ...CFLAGS, "-c", "-o", objects[i + 1], src(c)],
        ]),
      ];
      steps.push(["ld", [
        "-m",
        k.wide ? "elf_x86_64" : "elf_i386",
        "-nostdlib",
        "--build-id=none",
        "-T",
        src("kernel.ld"),
        ...(k.binary ? ["--oformat", "binary"] : []),
        "-o",
        output,
        ...objects,
      ]]);
      let ok: boolean | "missing" = true;
      for (const [command, args] of steps) {
        ok = await tool(command, args);
        if (ok !== true) {
          if (ok === "missing") missing.add(command);
          break;
        }
      }
      if (ok === true) built++;
      else if (ok === false) failed++;
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }

  if (missing.size) {
    console.error(
      `build-guests: test kernels not built: ${[...missing].join(", ")} not found ` +
        "(install gcc-multilib and binutils)",
    );
  }
  if (built || failed || !quiet) {
    console.error(`build-guests: ${built} built${failed ? `, ${failed} failed` : ""}`);
  }
  return failed === 0;
}

if (import.meta.main) Deno.exit(await buildGuests() ? 0 : 1);
