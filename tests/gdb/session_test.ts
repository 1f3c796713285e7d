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
