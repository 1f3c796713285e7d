// The scripted gdb sessions run on both accelerators (tests/gdb/, tests/kvm/gdb_test.ts).
import { match, strictEqual } from "@std/assert";

/** The boot-sector session (also run on KVM by tests/kvm/gdb_test.ts). */
export const BOOT_SECTOR_COMMANDS = [
  "info registers eip",
  "x/3i 0x7c00",
  "break *0x7c07",
  "continue",
  "info registers eip ecx",
  "continue",
  "info registers ecx",
  "stepi",
  "x/1xh 0x7c14",
  "p $pc",
  // At the DEC: with CX = 1 the loop ends now, and the count written is 0x41.
  "set $ecx = 1",
  "set {short}0x7c14 = 0x41",
  "monitor info registers",
  "monitor walk 07c0:0014",
  "monitor pic",
  "delete",
  "continue",
];

/** What the boot-sector session must show; its exit status is (0x41 << 1) | 1. */
export function checkBootSectorSession(t: { transcript: string; status: number; stderr: string }) {
  const out = t.transcript;
  match(out, /eip\s+0x7c00/, "stopped before the first instruction (-S)");
  match(out, /0x7c00:\s+xor\s+%ax,%ax/, "16-bit disassembly (i8086 description)");
  match(out, /Breakpoint 1, 0x00007c07/);
  match(out, /ecx\s+0x3\s+3/, "first hit: CX = 3");
  match(out, /ecx\s+0x2\s+2/, "second hit: CX = 2");
  match(out, /0x7c14:\s+0x0002/, "the step ran the INC: count 2");
  match(out, /\$1 = .*0x7c0b/, "stepi moved to the next instruction");
  match(out, /CS:IP 0000:7c0b = linear 00007c0b \(i8086\)/);
  match(out, /linear 0x7c14: paging none\n\s+physical 0x7c14/);
  match(out, /master: irr=.. isr=.. imr=/);
  // gdb prints the exit code in octal: 0203 = 131 = (0x41 << 1) | 1.
  match(out, /exited with code 0203\]/);
  strictEqual(t.status, (0x41 << 1) | 1, t.stderr);
}
