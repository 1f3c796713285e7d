// Debian's gdb drives picovmm on KVM (KVM_SET_GUEST_DEBUG): single steps,
// registers, memory and monitor commands; breakpoints (0xCC, or DR0-DR3
// where KVM's emulator runs the guest) and a hardware breakpoint.
//
// Inside ../shared/kvm-in-qemu bring the loopback up first (the guest has no
// network): run.sh -- sh -c 'ip link set lo up && deno test ...'.
import "../support/built_guests.ts";
import { match, strictEqual } from "@std/assert";
import { gdbSession } from "../support/gdb.ts";
import { BOOT_SECTOR_COMMANDS, checkBootSectorSession } from "../support/gdb_cases.ts";

const COUNT = "guests/gdb-count.bin";

/**
 * QEMU's software emulation of AMD SVM (kvm-in-qemu) applies neither KVM's
 * #BP intercept to an INT3 nor DR0-DR3 to the nested guest: there the guest
 * takes the breakpoint itself. Single steps work there.
 */
function nestedInQemuTcg(): boolean {
  try {
    return Deno.readTextFileSync("/sys/class/dmi/id/sys_vendor").trim() === "QEMU";
  } catch {
    return false;
  }
}

Deno.test("gdb on KVM: steps, register and memory writes, continue to the end", async () => {
  const t = await gdbSession(["--accel", "kvm", "--timeout", "120", COUNT], [
    "stepi",
    "stepi",
    "stepi",
    "stepi",
    "info registers eip ecx",
    "x/1xh 0x7c14",
    "set $ecx = 1",
    "set {short}0x7c14 = 0x20",
    "monitor info registers",
    "continue",
  ]);
  console.log(t.transcript);
  match(t.transcript, /eip\s+0x7c0b\s+0x7c0b\necx\s+0x3\s+3/, "four steps: at the DEC, CX = 3");
  match(t.transcript, /0x7c14:\s+0x0001/, "the INC ran once");
  match(t.transcript, /CS:IP 0000:7c0b = linear 00007c0b \(i8086\)/);
  // gdb prints the exit code in octal: 0101 = 65 = (0x20 << 1) | 1.
  match(t.transcript, /exited with code 0101\]/);
  strictEqual(t.status, (0x20 << 1) | 1, t.stderr);
});

Deno.test("gdb on KVM: software and hardware breakpoints stop the guest (QEMU's SVM: named)", async () => {
  if (nestedInQemuTcg()) {
    const t = await gdbSession(["--accel", "kvm", "--timeout", "120", COUNT], [
      "hbreak *0x7c0b",
      "continue",
    ]);
    match(t.transcript, /exited with code 07\]/, "the guest ran through the breakpoint");
    strictEqual(t.status, (3 << 1) | 1, t.stderr);
    return;
  }
  const t = await gdbSession(["--accel", "kvm", "--timeout", "120", COUNT], BOOT_SECTOR_COMMANDS);
  console.log(t.transcript);
  checkBootSectorSession(t);
  const h = await gdbSession(["--accel", "kvm", "--timeout", "120", COUNT], [
    "hbreak *0x7c0b",
    "continue",
    "info registers ecx",
    "continue",
    "info registers ecx",
    "delete",
    "continue",
  ]);
  console.log(h.transcript);
  match(h.transcript, /Breakpoint 1, 0x00007c0b[^]*ecx\s+0x3\s+3[^]*ecx\s+0x2\s+2/);
  match(h.transcript, /exited with code 07\]/);
  strictEqual(h.status, (3 << 1) | 1, h.stderr);
});

Deno.test("gdb on KVM: a boot sector's switch from real to protected mode, stepped", async () => {
  const t = await gdbSession(["--accel", "kvm", "--timeout", "120", "guests/gdb-pmode.bin"], [
    "monitor mode",
    "x/1i $pc",
    "stepi 8",
    "info registers eip cs",
    "monitor mode",
    "set architecture i386",
    "x/1i $pc",
    "stepi 5",
    "info registers eax esp ds",
    "continue",
  ]);
  console.log(t.transcript);
  // gdb's monitor output and its own output are two streams: matched apart.
  match(t.transcript, /CPU mode: i8086/);
  match(t.transcript, /=> 0x7c00:\s+cli/);
  match(t.transcript, /the CPU is now in i386 mode; 'set architecture i386' disassembles it/);
  match(t.transcript, /eip\s+0x7c19\s+0x7c19\ncs\s+0x8\s+8/);
  match(t.transcript, /CPU mode: i386/);
  match(t.transcript, /=> 0x7c19:\s+mov\s+\$0x10,%ax/, "32-bit disassembly after the switch");
  match(t.transcript, /eax\s+0x12345678[^]*esp\s+0x7000[^]*ds\s+0x10/);
  match(t.transcript, /exited with code 0103\]/, "(0x21 << 1) | 1 = 67 = 0103");
  strictEqual(t.status, 67, t.stderr);
});

Deno.test("gdb on KVM: a 32-bit Multiboot kernel with symbols: break on a function, bt, finish", async () => {
  const kernel = "guests/kernel-mb1.elf";
  const commands = [`file ${kernel}`, "break check", "continue"];
  if (nestedInQemuTcg()) {
    const t = await gdbSession(["--accel", "kvm", "--timeout", "120", kernel], commands);
    console.log(t.transcript);
    // The kernel takes the INT3 itself; it has no IDT, so that is a triple fault.
    match(t.transcript, /exited with code 03\]/, "the guest took the INT3 itself");
    match(t.stderr, /triple fault/);
    strictEqual(t.status, 3, t.stderr);
    return;
  }
  const t = await gdbSession(["--accel", "kvm", "--timeout", "120", kernel], [
    ...commands,
    "bt",
    "p name",
    "finish",
    "delete",
    "continue",
  ]);
  console.log(t.transcript);
  match(t.transcript, /Breakpoint 1, check \(name=[^)]*"magic", ok=ok@entry=1\) at .*lib\.c:\d+/);
  match(
    t.transcript,
    /#0 {2}check \(.*\n#1 {2}0x[0-9a-f]+ in kmain \(magic=732803074, info=0x[0-9a-f]+\) at .*mb1\.c:\d+/,
  );
  match(t.transcript, /\$1 = 0x[0-9a-f]+ "magic"/);
  match(t.transcript, /Value returned is \$2 = 1/);
  match(t.transcript, /exited with code 0103\]/);
  strictEqual(t.status, 67, t.stderr);
});

Deno.test("gdb on KVM: a 64-bit kernel is described as i386:x86-64; step, 64-bit registers, 4-level walk", async () => {
  const kernel = "guests/kernel-lm64.elf";
  const t = await gdbSession(["--accel", "kvm", "--timeout", "120", kernel], [
    `file ${kernel}`,
    "monitor mode",
    "info registers rip cs",
    "stepi",
    "p/x $rip",
    "monitor walk 0x100000",
    "continue",
  ]);
  console.log(t.transcript);
  match(t.transcript, /CPU mode: i386:x86-64/);
  match(t.transcript, /rip\s+0x100000\s+0x100000 <load_start>/, "a 64-bit register layout");
  match(t.transcript, /\$1 = 0x10000a/);
  match(
    t.transcript,
    /linear 0x100000: paging 4-level\n\s+PML4E at [^\n]*\n\s+PDPTE at [^\n]*\n\s+PDE[^\n]*\n\s+physical 0x100000/,
  );
  match(t.transcript, /exited with code 0111\]/, "(0x24 << 1) | 1 = 73 = 0111");
  strictEqual(t.status, 73, t.stderr);
});
