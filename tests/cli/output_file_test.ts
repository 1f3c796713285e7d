// Output files named on the command line (--serial FILE, --debugcon FILE): a
// regular file is replaced whole when the run ends; a device, a FIFO or the
// target of a symlink is written where it is, and never replaced; a directory
// is refused before the guest runs.
import { match, ok, strictEqual } from "@std/assert";
import { picovmm } from "../support/cli.ts";

const SERIAL = "Hello from COM1!\r\n";
const run = (flag: string, path: string) =>
  picovmm([
    "--accel",
    "emu",
    "--display",
    "none",
    flag,
    path,
    "--boot",
    "flat",
    "guests/serial.bin",
  ]);

async function inTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("output file: a FIFO is written to, and stays a FIFO", async () => {
  await inTempDir(async (dir) => {
    const fifo = `${dir}/com1.fifo`;
    const mkfifo = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    strictEqual(mkfifo.code, 0);
    const reader = new Deno.Command("timeout", { args: ["20", "cat", fifo], stdout: "piped" })
      .output();
    const r = await run("--serial", fifo);
    strictEqual(r.code, 0, r.stderr);
    strictEqual(new TextDecoder().decode((await reader).stdout), SERIAL);
    ok(Deno.lstatSync(fifo).isFifo, "still a FIFO");
    strictEqual(names(dir).join(), "com1.fifo", "no partial file");
  });
});

Deno.test("output file: a symlink stays a symlink; its target gets the output", async () => {
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/target.txt`, "old contents\n");
    Deno.symlinkSync(`${dir}/target.txt`, `${dir}/link.txt`);
    const r = await run("--serial", `${dir}/link.txt`);
    strictEqual(r.code, 0, r.stderr);
    ok(Deno.lstatSync(`${dir}/link.txt`).isSymlink, "still a symlink");
    strictEqual(await Deno.readTextFile(`${dir}/target.txt`), SERIAL);
    strictEqual(names(dir).join(), "link.txt,target.txt", "no partial file");
  });
});

Deno.test("output file: a character device stays a character device", async () => {
  await inTempDir(async (dir) => {
    // A private copy of /dev/null (1, 3) where mknod is allowed (as root); /dev/null itself otherwise.
    const mknod = await new Deno.Command("mknod", { args: [`${dir}/null`, "c", "1", "3"] })
      .output().catch(() => undefined);
    const device = mknod?.code === 0 ? `${dir}/null` : "/dev/null";
    const before = Deno.statSync(device);
    ok(before.isCharDevice);
    const r = await run("--serial", device);
    strictEqual(r.code, 0, r.stderr);
    const after = Deno.lstatSync(device);
    ok(after.isCharDevice, `${device} is still a character device`);
    strictEqual(after.ino, before.ino, "the same inode");
    strictEqual(after.rdev, before.rdev);
    // (Listing /dev itself needs more than the test's permissions; the private copy is listed.)
    if (device !== "/dev/null") strictEqual(names(dir).join(), "null", "no partial file");
  });
});

Deno.test("output file: a directory is refused before the run, with status 2", async () => {
  await inTempDir(async (dir) => {
    const r = await picovmm([
      "--accel",
      "emu",
      "--serial",
      dir,
      "--timeout",
      "5",
      "--boot",
      "flat",
      "guests/spin.bin",
    ]);
    strictEqual(r.code, 2, r.stderr);
    strictEqual(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
    match(r.stderr, /^picovmm: cannot write serial output to '.*': it is a directory/);
    strictEqual(names(dir).length, 0);
    const parent = dir.slice(0, dir.lastIndexOf("/"));
    const base = dir.slice(dir.lastIndexOf("/") + 1);
    ok(!names(parent).some((n) => n.startsWith(`${base}.partial`)), "no partial file beside it");
  });
});

Deno.test("output file: a regular file is replaced only when the run ends", async () => {
  await inTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/out.txt`, "old\n");
    const r = await run("--serial", `${dir}/out.txt`);
    strictEqual(r.code, 0, r.stderr);
    strictEqual(await Deno.readTextFile(`${dir}/out.txt`), SERIAL);
    strictEqual(names(dir).join(), "out.txt");
  });
});

Deno.test("output file: --serial and --debugcon naming one file share it", async () => {
  await inTempDir(async (dir) => {
    const r = await picovmm([
      "--accel",
      "emu",
      "--display",
      "none",
      "--serial",
      `${dir}/both.txt`,
      "--debugcon",
      `${dir}/both.txt`,
      "--timeout",
      "0.5",
      "--boot",
      "flat",
      "guests/busy-output.bin",
    ]);
    strictEqual(r.code, 124, r.stderr);
    strictEqual(await Deno.readTextFile(`${dir}/both.txt`), "serial so far\r\ndebugcon so far\n");
    strictEqual(names(dir).join(), "both.txt");
  });
});
