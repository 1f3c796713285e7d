// A user's script in its own folder, with no deno.json, that imports this checkout's mod.ts by
// path or by file:// URL: it boots a PC guest, waits for its screen, types, and saves a PNG.
// Shared by the software-CPU test here and its KVM twin in tests/kvm/.
import { deepStrictEqual, match, strictEqual } from "@std/assert";

const ROOT = new URL("../../", import.meta.url);

/** What the outside script reports on stdout. */
interface OutsideReport {
  accelerator: string;
  stop: string;
  exitStatus: number;
  typed: string;
  screen: string;
  png: number[];
}

/** The script a user would write, importing picovmm from `specifier`. */
function userScript(specifier: string, image: string): string {
  return `import { Guest } from ${JSON.stringify(specifier)};

const accel = Deno.args[0] as "kvm" | "emu";
using guest = Guest.create(await Deno.readFile(${JSON.stringify(image)}), { accel });
const running = guest.run({ timeoutMs: 120_000 });
await guest.waitForScreen(/Type a line/, { timeoutMs: 60_000 });
guest.keyboard.type("from outside{Enter}");
const typed = await guest.waitForScreen(/keys OK/, { timeoutMs: 60_000 });
const result = await running;
await guest.saveScreenshot("screen.png");
const png = await guest.screenPng();
console.log(JSON.stringify({
  accelerator: guest.accelerator,
  stop: result.stop.kind,
  exitStatus: result.exitStatus,
  typed,
  screen: guest.screenText(),
  png: [...png],
}));
`;
}

/**
 * Writes the script into a fresh temporary folder (no deno.json anywhere above it that Deno
 * would use), runs it there with `deno run` as a user would, and checks everything it reports.
 */
export async function runOutsideScript(accel: "kvm" | "emu", how: "path" | "url"): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "picovmm-outside-" });
  try {
    const mod = new URL("mod.ts", ROOT);
    const specifier = how === "url" ? mod.href : mod.pathname;
    strictEqual(specifier.startsWith(how === "url" ? "file:///" : "/"), true);
    const image = new URL("guests/boot-keys.bin", ROOT).pathname;
    await Deno.writeTextFile(`${dir}/script.ts`, userScript(specifier, image));
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-ffi",
        "script.ts",
        accel,
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    strictEqual(out.code, 0, `the script failed:\n${stderr}`);
    const report: OutsideReport = JSON.parse(new TextDecoder().decode(out.stdout));
    strictEqual(report.accelerator, accel);
    strictEqual(report.stop, "halt");
    strictEqual(report.exitStatus, 0);
    match(report.typed, /Type a line: from outside\n[^]*You typed: from outside\n[^]*keys OK/);
    const saved = await Deno.readFile(`${dir}/screen.png`);
    deepStrictEqual([...saved], report.png, "saveScreenshot and screenPng give the same PNG");
    deepStrictEqual([...saved.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const ihdr = new DataView(saved.buffer, saved.byteOffset + 16, 8);
    deepStrictEqual([ihdr.getUint32(0), ihdr.getUint32(4)], [720, 400], "80x25 text at 9x16");
    const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    deepStrictEqual(
      files,
      ["screen.png", "script.ts"],
      "nothing else written in the user's folder",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
