// Task switches, the I/O permission bitmap and virtual-8086 mode state of the
// 386 model, driven directly (guests/pm-tasks.asm and pm-v86.asm run the rest
// through instructions: tests/support/pm_cases.ts).
import { deepStrictEqual as assertEquals } from "@std/assert";
import { Cpu, CS, ESP, SS } from "../../lib/emu/cpu.ts";
import { VM } from "../../lib/emu/flags.ts";
import { PhysMemory } from "../../lib/emu/memory.ts";
import { updateMode } from "../../lib/emu/mode.ts";
import { translate } from "../../lib/emu/paging.ts";
import { EXT, readDescriptor, sysLoad, sysSelector, TR } from "../../lib/emu/protected.ts";
import { farToTask, interruptTask, ioAllowed, TaskVia } from "../../lib/emu/tasks.ts";
import { EmuVm } from "../../lib/emu/mod.ts";
import { KvmSregs } from "../../lib/kvm/structs.ts";
import { fault } from "./helpers.ts";

const GDT = 0x1000, TSS0 = 0x3000, TSS1 = 0x3200;

/** A segment or system descriptor as two dwords. */
function desc(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) |
    (access << 8) | ((base >> 16) & 0xff);
  return [lo >>> 0, hi >>> 0];
}

/**
 * A CPU in protected mode at CPL 0 with a flat code (0x08) and data (0x10)
 * segment, a 32-bit TSS at TSS0 as TR (0x18) and `more` descriptors from 0x20.
 */
function pmCpu(more: [number, number][] = []): { c: Cpu; mem: DataView } {
  const m = new PhysMemory();
  const bytes = m.addSlot(0, 0x800000, false);
  const mem = new DataView(bytes.buffer);
  const c = new Cpu("386", m);
  const all = [
    [0, 0],
    desc(0, 0xfffff, 0x9a, 0xc),
    desc(0, 0xfffff, 0x92, 0xc),
    desc(TSS0, 0x67 + 0x20, 0x89, 0),
    ...more,
  ];
  all.forEach(([lo, hi], i) => {
    mem.setUint32(GDT + i * 8, lo, true);
    mem.setUint32(GDT + i * 8 + 4, hi, true);
  });
  c.gdtBase = GDT;
  c.gdtLimit = all.length * 8 - 1;
  c.cr0 = 0x11;
  for (let s = 0; s < 6; s++) {
    const d = readDescriptor(c, s === CS ? 0x08 : 0x10);
    c.sel[s] = s === CS ? 0x08 : 0x10;
    c.base[s] = 0;
    c.limit[s] = 0xffffffff;
    c.attrs.set([(d.hi >> 8) & 0xf, 1, 0, 1, 1, 0, 1, 0, 0], s * 9);
  }
  c.r32[ESP] = 0x9000;
  updateMode(c);
  // TR: the TSS at 0x18, busy, as LTR leaves it.
  const tr = readDescriptor(c, 0x18);
  tr.hi |= 0x200;
  mem.setUint32(tr.at + 4, tr.hi, true);
  sysLoad(c, TR, 0x18, tr);
  return { c, mem };
}

/** Fills a 32-bit TSS at `at`: EIP, ESP, CS, SS, the data segments, LDT, CR3, EFLAGS. */
function tss32(
  mem: DataView,
  at: number,
  f: { eip: number; esp: number; cs?: number; ss?: number; ds?: number; ldt?: number },
  cr3 = 0,
  eflags = 2,
) {
  mem.setUint32(at + 0x1c, cr3, true);
  mem.setUint32(at + 0x20, f.eip, true);
  mem.setUint32(at + 0x24, eflags, true);
  mem.setUint32(at + 0x38, f.esp, true);
  const ds = f.ds ?? 0x10;
  [ds, f.cs ?? 0x08, f.ss ?? 0x10, ds, ds, ds].forEach((s, i) =>
    mem.setUint16(at + 0x48 + i * 4, s, true)
  );
  mem.setUint16(at + 0x60, f.ldt ?? 0, true);
}

Deno.test("I/O bitmap: each bit of the port's bytes, the TSS limit, a 16-bit TSS, IOPL", () => {
  const { c, mem } = pmCpu([desc(TSS1, 0x2b, 0x81, 0)]);
  mem.setUint16(TSS0 + 0x66, 0x68, true); // the bitmap: 0x20 bytes (ports 0..0xFF) after the TSS
  for (let i = 0; i < 0x20; i++) mem.setUint8(TSS0 + 0x68 + i, 0xff);
  mem.setUint8(TSS0 + 0x68 + 0x10, 0xfe); // port 0x80 allowed
  mem.setUint8(TSS0 + 0x68 + 0x11, 0x00); // 0x88..0x8F allowed
  c.cpl = 3;
  ioAllowed(c, 0x80, 1);
  assertEquals(fault(() => ioAllowed(c, 0x81, 1)), [13, 0]);
  assertEquals(fault(() => ioAllowed(c, 0x80, 2)), [13, 0]); // 0x81 is the second byte
  ioAllowed(c, 0x88, 4);
  assertEquals(fault(() => ioAllowed(c, 0x87, 2)), [13, 0]); // across two bitmap bytes
  assertEquals(fault(() => ioAllowed(c, 0xf8, 1)), [13, 0]); // the word read passes the limit
  c.rawFlags |= 0x3000; // IOPL 3: no bitmap at CPL 3 in protected mode
  ioAllowed(c, 0x81, 1);
  c.rawFlags |= VM; // but always in virtual-8086 mode
  updateMode(c);
  assertEquals(fault(() => ioAllowed(c, 0x81, 1)), [13, 0]);
  ioAllowed(c, 0x80, 1);
  // A 16-bit TSS has no bitmap.
  c.rawFlags &= ~(VM | 0x3000);
  updateMode(c);
  c.cpl = 0;
  // (Its zeroed state has a null CS: #TS(0) after the commit, with TR loaded.)
  assertEquals(fault(() => farToTask(c, 0x20, readDescriptor(c, 0x20), TaskVia.JMP)), [10, 0]);
  assertEquals(sysSelector(c, "tr"), 0x20);
  c.cpl = 3;
  assertEquals(fault(() => ioAllowed(c, 0x80, 1)), [13, 0]);
});

Deno.test("faults before the commit point change nothing: TR, the old TSS, the busy bits", () => {
  const { c, mem } = pmCpu([
    desc(TSS1, 0x67, 0x89, 0), // 0x20 available
    [0x00200000, 0x00008500], // 0x28 task gate to 0x20, DPL 0
    [0x00200000, 0x00000500], // 0x30 task gate, not present
    desc(TSS1, 0x67, 0x09, 0), // 0x38 TSS, not present
    desc(TSS1, 0x50, 0x89, 0), // 0x40 below the minimum limit
  ]);
  const before = new Uint8Array(mem.buffer.slice(TSS0, TSS0 + 0x68));
  const gdtBefore = new Uint8Array(mem.buffer.slice(GDT, GDT + 0x48));
  const jump = (sel: number) => () => farToTask(c, sel, readDescriptor(c, sel), TaskVia.JMP);
  assertEquals(fault(jump(0x18)), [13, 0x18]); // the current task is busy
  assertEquals(fault(jump(0x30)), [11, 0x30]);
  assertEquals(fault(jump(0x38)), [11, 0x38]);
  assertEquals(fault(jump(0x40)), [10, 0x40]);
  c.cpl = 3; // DPL 0 targets from CPL 3
  assertEquals(fault(jump(0x20)), [13, 0x20]);
  assertEquals(fault(jump(0x28)), [13, 0x28]);
  c.cpl = 0;
  assertEquals(fault(jump(0x2b)), [13, 0x28]); // RPL 3
  assertEquals(sysSelector(c, "tr"), 0x18);
  assertEquals(c.taskSwitches, 0);
  assertEquals(new Uint8Array(mem.buffer.slice(TSS0, TSS0 + 0x68)), before);
  assertEquals(new Uint8Array(mem.buffer.slice(GDT, GDT + 0x48)), gdtBefore);
});

Deno.test("an exception's task with a bad LDT: #TS(LDT | EXT) in the new task, after the commit", () => {
  const { c, mem } = pmCpu([desc(TSS1, 0x67, 0x89, 0)]);
  tss32(mem, TSS1, { eip: 0x4444, esp: 0x7000, ldt: 0x10 }); // 0x10 is a data segment
  c.ip = 0x1234;
  assertEquals(fault(() => interruptTask(c, 0x20, 0, EXT)), [10, 0x10 | EXT]);
  assertEquals(sysSelector(c, "tr"), 0x20);
  assertEquals(c.taskSwitches, 1);
  assertEquals([c.ip, c.r32[ESP], c.insStart, c.savedSp], [0x4444, 0x7000, 0x4444, 0x7000]);
  assertEquals(mem.getUint32(TSS0 + 0x20, true), 0x1234); // the old task was saved
  assertEquals(mem.getUint16(TSS1, true), 0x18); // back-link
  assertEquals((mem.getUint32(GDT + 0x20 + 4, true) >> 8) & 0xf, 0xb); // busy
  assertEquals(c.cr0 & 8, 8); // TS
});

Deno.test("a 32-bit TSS loads CR3 with paging on (the TLB is dropped); its error code goes on the new stack", () => {
  const { c, mem } = pmCpu([desc(TSS1, 0x67, 0x89, 0)]);
  const PD0 = 0x10000, PT0 = 0x11000, PD1 = 0x12000, PT1 = 0x13000;
  mem.setUint32(PD0, PT0 | 3, true);
  mem.setUint32(PD1, PT1 | 3, true);
  for (let i = 0; i < 1024; i++) {
    mem.setUint32(PT0 + i * 4, (i << 12) | 3, true);
    mem.setUint32(PT1 + i * 4, (i << 12) | 3, true);
  }
  mem.setUint32(PT1 + 0x50 * 4, 0x60000 | 3, true); // 0x50000 -> 0x60000 in the new task
  c.cr3 = PD0;
  c.cr0 |= 0x80000000;
  updateMode(c);
  assertEquals(translate(c, 0x50000, false, false), 0x50000);
  tss32(mem, TSS1, { eip: 0x4444, esp: 0x7000 }, PD1);
  interruptTask(c, 0x20, 0xabcd, EXT);
  assertEquals(c.cr3, PD1);
  assertEquals(translate(c, 0x50000, false, false), 0x60000);
  assertEquals([c.r32[ESP], mem.getUint32(0x7000 - 4, true)], [0x6ffc, 0xabcd]);
  assertEquals([c.sel[CS], c.sel[SS], c.cpl], [0x08, 0x10, 0]);
});

Deno.test("virtual-8086 mode: setRegs with VM enters it, getRegs shows VM, POPF never changes it", () => {
  const vm = new EmuVm("386", null);
  vm.addMemory(0, 0x100000);
  const vcpu = vm.createVcpu();
  const s = new KvmSregs();
  s.cs.setRealMode(0x100, true);
  for (const n of ["ds", "es", "ss", "fs", "gs"] as const) s[n].setRealMode(0x200);
  s.setControl("cr0", 0x11);
  vcpu.setSregs(s);
  const r = vcpu.getRegs();
  r.set("rflags", 0x23002);
  vcpu.setRegs(r);
  const c = vcpu.cpu;
  assertEquals([c.vm, c.pmode, c.cpl, c.def32], [true, false, 3, false]);
  assertEquals(vcpu.getRegs().get32("rflags") & VM, VM);
  c.writeFlags(0x3002, true); // POPFD's image has VM clear: VM stays
  assertEquals(c.readFlags() & VM, VM);
  // Segment loads are real-mode ones.
  c.loadSeg(3, 0x1234);
  assertEquals([c.base[3], c.limit[3]], [0x12340, 0xffff]);
});
