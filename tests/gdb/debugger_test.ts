// The debugger surface on the software CPU: exact breakpoints inside
// translated code, steps of one instruction, the magic breakpoint, page walks,
// and the stub's answers for what the software CPU cannot do.
import { deepStrictEqual, strictEqual } from "@std/assert";
import "../../lib/machine/all-code.ts";
import { MachineDebugger } from "../../lib/gdb/debugger.ts";
import { GdbStub } from "../../lib/gdb/stub.ts";
import type { EmuVcpu } from "../../lib/emu/vcpu.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { walkPageTables } from "../../lib/machine/page-walk.ts";

// 0: mov cx, 1000 / 3: add ax, 1 / 6: add bx, 2 / 9: inc dx / 10: loop 3 / 12: hlt
const LOOP = [0xb9, 0xe8, 0x03, 0x83, 0xc0, 0x01, 0x83, 0xc3, 0x02, 0x42, 0xe2, 0xf7, 0xf4];
// The same with mov cx, 3000: hot enough to be translated (blocks.ts THRESHOLD) and run on.
const HOT_LOOP = [0xb9, 0xb8, 0x0b, ...LOOP.slice(3)];

function flatMachine(code: number[]) {
  const image = new Uint8Array(4096);
  image.set(code);
  return createMachine({ image, accel: "emu", boot: "flat" }).machine;
}

Deno.test("debugger (software CPU): a breakpoint inside a translated block stops exactly there", async () => {
  const machine = flatMachine(HOT_LOOP);
  await machine.run({ instructions: 6000 });
  const emu = machine.vcpu as EmuVcpu;
  strictEqual(emu.cpu.blocks!.translated > 0, true, "the loop was translated");
  const dbg = new MachineDebugger(machine);
  strictEqual(dbg.addBreakpoint("software", 9), true);
  const stop = await dbg.resume(false);
  deepStrictEqual(stop, { kind: "breakpoint", pc: 9, hardware: false });
  const regs = machine.vcpu.getRegs();
  strictEqual(
    regs.get32("rax") & 0xffff,
    regs.get32("rbx") / 2,
    "stopped between ADD BX and INC DX",
  );
  strictEqual((regs.get32("rdx") & 0xffff) + 1, regs.get32("rax") & 0xffff);
  // Each resume runs the instruction under the breakpoint and stops at it on the next
  // pass, also once the loop is hot again (translation is refused over the breakpoint).
  const before = regs.get32("rcx");
  for (let pass = 1; pass <= 50; pass++) {
    deepStrictEqual(await dbg.resume(false), { kind: "breakpoint", pc: 9, hardware: false });
    strictEqual(machine.vcpu.getRegs().get32("rcx"), before - pass);
  }
  dbg.removeBreakpoint("software", 9);
  const end = await dbg.resume(false);
  strictEqual(end.kind === "ended" && end.reason.kind, "halt");
  strictEqual(machine.vcpu.getRegs().get32("rdx") & 0xffff, 3000);
});

Deno.test("debugger (software CPU): a step runs exactly one instruction", async () => {
  const machine = flatMachine(LOOP);
  const dbg = new MachineDebugger(machine);
  const pcs = [];
  for (let i = 0; i < 6; i++) pcs.push((await dbg.resume(true)).kind === "step" ? dbg.pc() : -1);
  deepStrictEqual(pcs, [3, 6, 9, 10, 3, 6]);
  strictEqual((machine.vcpu as EmuVcpu).instructions, 6);
});

Deno.test("debugger (software CPU): xchg bx, bx stops after it with --magic-break, also in hot code", async () => {
  // 0: mov cx, 100 / 3: xchg bx, bx / 5: loop 3 / 7: hlt
  const machine = flatMachine([0xb9, 0x64, 0x00, 0x87, 0xdb, 0xe2, 0xfc, 0xf4]);
  const dbg = new MachineDebugger(machine);
  strictEqual(dbg.enableMagicBreak(), true);
  let stops = 0;
  for (;;) {
    const stop = await dbg.resume(false);
    if (stop.kind === "ended") break;
    strictEqual(stop.kind, "magic");
    strictEqual(dbg.pc(), 5);
    stops++;
  }
  strictEqual(stops, 100);
});

Deno.test("debugger: watchpoints are unsupported on the software CPU (empty reply), Z0 and Z1 are OK", () => {
  const machine = flatMachine(LOOP);
  const stub = new GdbStub(new MachineDebugger(machine));
  const ask = (p: string) => {
    const a = stub.handle(new TextEncoder().encode(p));
    return a.kind === "reply" ? a.text : a.kind;
  };
  strictEqual(ask("Z2,100,2"), "");
  strictEqual(ask("Z0,9,1"), "OK");
  strictEqual(ask("Z1,6,1"), "OK");
  strictEqual(ask("z0,9,1"), "OK");
  strictEqual(ask("m0,3"), "b9e803");
  strictEqual(ask("m100000,4"), "E14");
  strictEqual(ask("M20,2:abcd"), "OK");
  strictEqual(ask("m20,2"), "abcd");
  strictEqual(ask("qXfer:features:read:target.xml:0,40").startsWith("m<?xml"), true);
  strictEqual(ask("g").length, (16 * 4 + 8 * 10 + 8 * 4 + 8 * 16 + 4) * 2);
  strictEqual(ask("vCont;s:1;c"), "resume");
});

Deno.test("page walk: 32-bit with a 4 MiB page, PAE and 4-level tables from memory", () => {
  const mem = new Map<number, bigint>();
  const read = (a: number) => mem.get(a) ?? 0n;
  // 32-bit: CR3 0x1000; PDE 1 (0x400000-) a 4 MiB page at 0x800000; PDE 0 -> PT 0x2000, PTE 5 -> 0x9000.
  mem.set(0x1000 + 4, 0x800000n | 0x83n);
  mem.set(0x1000, 0x2000n | 1n);
  mem.set(0x2000 + 5 * 4, 0x9000n | 1n);
  const pg = { cr0: 0x80000001n, cr3: 0x1000n, cr4: 0x10n, efer: 0n };
  strictEqual(walkPageTables(0x400123, pg, read).physical, 0x800123);
  strictEqual(walkPageTables(0x5abc, pg, read).physical, 0x9abc);
  strictEqual(walkPageTables(0x7000, pg, read).fault, "PTE not present");
  // 4-level: CR3 0x10000 -> PDPT 0x11000 -> PD 0x12000 with a 2 MiB page at 0x600000.
  mem.set(0x10000, 0x11000n | 1n);
  mem.set(0x11000, 0x12000n | 1n);
  mem.set(0x12000 + 8, 0x600000n | 0x81n);
  const lm = { cr0: 0x80000001n, cr3: 0x10000n, cr4: 0x20n, efer: 0x500n };
  strictEqual(walkPageTables(0x2abcde, lm, read).physical, 0x6abcde);
  // PAE: CR3 0x20000 -> PDPTE 0 -> PD 0x12000 (shared).
  mem.set(0x20000, 0x12000n | 1n);
  const pae = { cr0: 0x80000001n, cr3: 0x20000n, cr4: 0x20n, efer: 0n };
  strictEqual(walkPageTables(0x201000, pae, read).physical, 0x601000);
  strictEqual(walkPageTables(0x1234, { ...pg, cr0: 1n }, read).physical, 0x1234);
});
