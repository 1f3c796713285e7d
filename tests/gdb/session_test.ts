// Debian's gdb drives picovmm's software CPU through a scripted session on a
// boot sector: break, step, read and write registers and memory, monitor
// commands, continue to the guest's end.
import { match, strictEqual } from "@std/assert";
import { gdbSession } from "../support/gdb.ts";
import { BOOT_SECTOR_COMMANDS, checkBootSectorSession } from "../support/gdb_cases.ts";

const COUNT = "guests/gdb-count.bin";

Deno.test("gdb on the software CPU: a boot sector session ends with the status the edits give", async () => {
  const t = await gdbSession(["--accel", "emu", "--timeout", "30", COUNT], BOOT_SECTOR_COMMANDS);
  console.log(t.transcript);
  checkBootSectorSession(t);
});

Deno.test("gdb: after detach the guest runs to its end without the breakpoints", async () => {
  const t = await gdbSession(["--accel", "emu", "--timeout", "30", COUNT], [
    "break *0x7c0b",
    "continue",
    "detach",
  ]);
  match(t.transcript, /Breakpoint 1, 0x00007c0b/);
  match(t.transcript, /Detaching from program|\[Inferior 1 \(Remote target\) detached\]/);
  strictEqual(t.status, (3 << 1) | 1, t.stderr);
});

Deno.test("gdb: attaching to a running guest stops it; the magic breakpoint stops into gdb; kill ends picovmm", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // 0: jmp 0 (spins until gdb attaches and moves IP) / 2: xchg bx, bx / 4: hlt
    await Deno.writeFile(`${dir}/spin.bin`, new Uint8Array([0xeb, 0xfe, 0x87, 0xdb, 0xf4]));
    const t = await gdbSession(
      ["--accel", "emu", "--boot", "flat", "--magic-break", "--timeout", "30", `${dir}/spin.bin`],
      ["info registers eip", "set $eip = 2", "continue", "info registers eip", "kill"],
      { wait: false },
    );
    console.log(t.transcript);
    match(t.transcript, /eip\s+0x0\s+0x0/, "stopped in the spin loop");
    match(
      t.transcript,
      /Program received signal SIGTRAP[^]*eip\s+0x4\s+0x4/,
      "stopped after xchg bx, bx",
    );
    match(t.transcript, /Kill the program being debugged\? [^]*Remote connection closed/);
    strictEqual(t.status, 0, t.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
