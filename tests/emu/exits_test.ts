import { deepStrictEqual as assertEquals } from "@std/assert";
import { KvmRegs, KvmSregs } from "../../lib/kvm/structs.ts";
import { asmMachine, machine, reg, setReg, setVector, word } from "./helpers.ts";

// These tests assemble with nasm (a prerequisite, installed by CI): without it they fail.
const opts = {};

Deno.test("OUT exits after the instruction with its data", () => {
  // mov al, 0x41; out 0xe9, al; hlt
  const { vcpu } = machine([0xb0, 0x41, 0xe6, 0xe9, 0xf4]);
  const exit = vcpu.run();
  assertEquals(exit.kind, "io");
  if (exit.kind !== "io") return;
  assertEquals([exit.isWrite, exit.port, exit.size, exit.count], [true, 0xe9, 1, 1]);
  assertEquals([...exit.data], [0x41]);
  assertEquals(reg(vcpu, "rip"), 0x1004);
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals(reg(vcpu, "rip"), 0x1005);
});

Deno.test("IN exits and completes with the data filled in", () => {
  // mov dx, 0x60; in ax, dx; hlt
  const { vcpu } = machine([0xba, 0x60, 0x00, 0xed, 0xf4]);
  const exit = vcpu.run();
  if (exit.kind !== "io") throw new Error(`expected io, got ${exit.kind}`);
  assertEquals([exit.isWrite, exit.port, exit.size, exit.count], [false, 0x60, 2, 1]);
  assertEquals(reg(vcpu, "rip"), 0x1003); // not executed yet
  exit.data.set([0x34, 0x12]);
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals(reg(vcpu, "rax") & 0xffff, 0x1234);
});

Deno.test("REP OUTSB reports count > 1, at most one page per exit", () => {
  // mov si, 0x2000; mov cx, 5000; mov dx, 0x3f8; cld; rep outsb; hlt
  const { vcpu, ram } = machine([
    0xbe,
    0x00,
    0x20,
    0xb9,
    0x88,
    0x13,
    0xba,
    0xf8,
    0x03,
    0xfc,
    0xf3,
    0x6e,
    0xf4,
  ]);
  for (let i = 0; i < 5000; i++) ram[0x2000 + i] = i & 0xff;
  const first = vcpu.run();
  if (first.kind !== "io") throw new Error(`expected io, got ${first.kind}`);
  assertEquals([first.isWrite, first.port, first.size, first.count], [true, 0x3f8, 1, 4096]);
  assertEquals(first.data[4095], 4095 & 0xff);
  const second = vcpu.run();
  if (second.kind !== "io") throw new Error(`expected io, got ${second.kind}`);
  assertEquals(second.count, 5000 - 4096);
  assertEquals(second.data[0], 4096 & 0xff);
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals(reg(vcpu, "rcx") & 0xffff, 0);
  assertEquals(reg(vcpu, "rsi") & 0xffff, 0x2000 + 5000);
});

Deno.test("REP INSW takes a batch of data in one exit", () => {
  // mov di, 0x3000; mov cx, 3; mov dx, 0x1f0; cld; rep insw; hlt
  const { vcpu, ram } = machine([
    0xbf,
    0x00,
    0x30,
    0xb9,
    0x03,
    0x00,
    0xba,
    0xf0,
    0x01,
    0xfc,
    0xf3,
    0x6d,
    0xf4,
  ]);
  const exit = vcpu.run();
  if (exit.kind !== "io") throw new Error(`expected io, got ${exit.kind}`);
  assertEquals([exit.isWrite, exit.port, exit.size, exit.count], [false, 0x1f0, 2, 3]);
  exit.data.set([1, 2, 3, 4, 5, 6]);
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals([...ram.subarray(0x3000, 0x3006)], [1, 2, 3, 4, 5, 6]);
  assertEquals(reg(vcpu, "rdi") & 0xffff, 0x3006);
});

Deno.test("an MMIO read exits and completes with the caller's data", () => {
  // mov ax, 0xb000; mov ds, ax; mov ax, [0x10]; add ax, 1; hlt  (0xB0010 is not RAM)
  const { vcpu } = machine([
    0xb8,
    0x00,
    0xb0,
    0x8e,
    0xd8,
    0xa1,
    0x10,
    0x00,
    0x05,
    0x01,
    0x00,
    0xf4,
  ]);
  const exit = vcpu.run();
  if (exit.kind !== "mmio") throw new Error(`expected mmio, got ${exit.kind}`);
  assertEquals([exit.address, exit.isWrite, exit.data.length], [0xb0010, false, 2]);
  exit.data.set([0xff, 0x12]);
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals(reg(vcpu, "rax") & 0xffff, 0x1300);
});

Deno.test("an MMIO write exits after the instruction with the bytes", () => {
  // mov ax, 0xb800; mov es, ax; mov word [es:0x20], 0x0741; hlt
  const { vcpu } = machine([
    0xb8,
    0x00,
    0xb8,
    0x8e,
    0xc0,
    0x26,
    0xc7,
    0x06,
    0x20,
    0x00,
    0x41,
    0x07,
    0xf4,
  ]);
  const exit = vcpu.run();
  if (exit.kind !== "mmio") throw new Error(`expected mmio, got ${exit.kind}`);
  assertEquals([exit.address, exit.isWrite, [...exit.data]], [0xb8020, true, [0x41, 0x07]]);
  assertEquals(reg(vcpu, "rip"), 0x100c);
  assertEquals(vcpu.run().kind, "hlt");
});

Deno.test("writes to a read-only slot are MMIO writes and leave it unchanged", () => {
  const { vm, vcpu } = machine([
    0xb8,
    0x00,
    0xf0,
    0x8e,
    0xc0,
    0x26,
    0xc6,
    0x06,
    0x00,
    0x00,
    0x99,
    0xf4,
  ]);
  const rom = vm.addMemory(0xf0000, 0x10000, { readonly: true });
  rom[0] = 0x11;
  const exit = vcpu.run();
  if (exit.kind !== "mmio") throw new Error(`expected mmio, got ${exit.kind}`);
  assertEquals([exit.address, exit.isWrite, [...exit.data]], [0xf0000, true, [0x99]]);
  assertEquals(rom[0], 0x11);
});

Deno.test("HLT exits with RIP after it and continues there", () => {
  const { vcpu } = machine([0xf4, 0x40, 0xf4]);
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals(reg(vcpu, "rip"), 0x1001);
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals(reg(vcpu, "rax") & 0xffff, 1);
});

Deno.test("the interrupt window opens after the STI shadow", () => {
  // sti; nop; nop; hlt
  const { vcpu } = machine([0xfb, 0x90, 0x90, 0xf4]);
  vcpu.runState.requestInterruptWindow = true;
  const exit = vcpu.run();
  assertEquals(exit.kind, "irq-window-open");
  assertEquals(reg(vcpu, "rip"), 0x1002); // STI and the NOP in its shadow ran
  assertEquals(vcpu.runState.ifFlag, true);
  assertEquals(vcpu.runState.readyForInterruptInjection, true);
});

Deno.test("an injected interrupt goes through the IVT and IRET returns", () => {
  // main: sti; nop; hlt   handler at 0x2000: mov al, 7; out 0x80, al; iret
  const { vcpu, ram } = machine([0xfb, 0x90, 0xf4]);
  ram.set([0xb0, 0x07, 0xe6, 0x80, 0xcf], 0x2000);
  setVector(ram, 0x08, 0, 0x2000);
  vcpu.runState.requestInterruptWindow = true;
  assertEquals(vcpu.run().kind, "irq-window-open");
  vcpu.runState.requestInterruptWindow = false;
  vcpu.interrupt(0x08);
  const exit = vcpu.run();
  if (exit.kind !== "io") throw new Error(`expected io, got ${exit.kind}`);
  assertEquals([exit.port, exit.data[0]], [0x80, 7]);
  // The frame: IP, CS, FLAGS (IF set) below the old SP.
  assertEquals(word(ram, 0xffea), 0x1002);
  assertEquals(word(ram, 0xffec), 0);
  assertEquals(word(ram, 0xffee) & 0x200, 0x200);
  assertEquals(vcpu.runState.ifFlag, false); // IF is clear in the handler
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals(reg(vcpu, "rip"), 0x1003);
});

Deno.test("MOV SS shadows the next instruction", () => {
  // mov ax, 0; mov ss, ax; mov sp, 0x8000; hlt  with IF=1
  const { vcpu } = machine([0xb8, 0, 0, 0x8e, 0xd0, 0xbc, 0x00, 0x80, 0xf4]);
  const r = vcpu.getRegs();
  r.set("rflags", 0x202);
  vcpu.setRegs(r);
  vcpu.sliceLimit = 2;
  assertEquals(vcpu.run().kind, "intr");
  assertEquals(vcpu.runState.readyForInterruptInjection, false);
  vcpu.sliceLimit = 1;
  assertEquals(vcpu.run().kind, "intr");
  assertEquals(vcpu.runState.readyForInterruptInjection, true);
});

Deno.test("a vector beyond the IDT limit triple-faults", () => {
  const { vcpu } = machine([0xcc]); // INT3
  const s = vcpu.getSregs();
  s.idt.limit = 0;
  vcpu.setSregs(s);
  assertEquals(vcpu.run().kind, "shutdown");
});

Deno.test("immediate exit returns at once without running", () => {
  const { vcpu } = machine([0x40, 0xf4]);
  vcpu.runState.immediateExit = true;
  assertEquals(vcpu.run().kind, "intr");
  assertEquals(reg(vcpu, "rip"), 0x1000);
  vcpu.runState.immediateExit = false;
  assertEquals(vcpu.run().kind, "hlt");
});

Deno.test("the time slice ends a run with intr and counts instructions", () => {
  const { vcpu } = machine([0xeb, 0xfe]); // jmp $
  vcpu.sliceLimit = 1000;
  assertEquals(vcpu.run().kind, "intr");
  assertEquals(vcpu.instructions, 1000);
  assertEquals(vcpu.run().kind, "intr");
  assertEquals(vcpu.instructions, 2000);
});

Deno.test("step runs a whole REP instruction", () => {
  // mov cx, 100; mov di, 0x3000; mov al, 0xaa; rep stosb; hlt
  const { vcpu, ram } = machine([0xb9, 100, 0, 0xbf, 0, 0x30, 0xb0, 0xaa, 0xf3, 0xaa, 0xf4]);
  for (let i = 0; i < 3; i++) assertEquals(vcpu.step().kind, "intr");
  assertEquals(vcpu.step().kind, "intr");
  assertEquals(reg(vcpu, "rip"), 0x100a);
  assertEquals(ram[0x3000 + 99], 0xaa);
  assertEquals(vcpu.instructions, 3 + 100); // REP iterations count one each
});

Deno.test("setting CR0.PE enters protected mode: segment loads read the GDT", () => {
  // A GDT at 0x2000 with a data segment (base 0x30000) as selector 8; set PE; load DS; store.
  const { vcpu, ram } = asmMachine(
    `
    lgdt [gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    mov ax, 8
    mov ds, ax
    mov byte [0x10], 0x5a
    hlt
    gdtr: dw 15
          dd 0x2000`,
    { ramSize: 0x40000 },
  );
  ram.set([0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0x00, 0x00, 0x03, 0x92, 0x00, 0x00], 0x2000);
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals(ram[0x30010], 0x5a);
  assertEquals(ram[0x200d], 0x93); // the descriptor's accessed bit
  assertEquals(Number(vcpu.getSregs().getControl("cr0")) & 1, 1);
});

Deno.test("A20 off wraps addresses at 1 MiB on the 386 model", () => {
  // mov ax, 0xffff; mov ds, ax; mov byte [0x10], 0x5a; hlt
  const code = [0xb8, 0xff, 0xff, 0x8e, 0xd8, 0xc6, 0x06, 0x10, 0x00, 0x5a, 0xf4];
  const on = machine(code, { ramSize: 0x200000 });
  assertEquals(on.vcpu.run().kind, "hlt");
  assertEquals([on.ram[0x100000], on.ram[0]], [0x5a, 0]);
  const off = machine(code, { ramSize: 0x200000 });
  off.vm.setA20(false);
  assertEquals(off.vcpu.run().kind, "hlt");
  assertEquals([off.ram[0x100000], off.ram[0]], [0, 0x5a]);
});

Deno.test("the 8086 model wraps at 1 MiB", () => {
  const { vcpu, ram } = machine(
    [0xb8, 0xff, 0xff, 0x8e, 0xd8, 0xc6, 0x06, 0x10, 0x00, 0x5a, 0xf4],
    { model: "8086", ramSize: 0x100000 },
  );
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals(ram[0], 0x5a);
});

Deno.test("registers round-trip through kvm_regs and kvm_sregs", () => {
  const { vcpu } = machine([0xf4]);
  setReg(vcpu, "rbx", 0xdeadbeef);
  const s = vcpu.getSregs();
  s.ds.selector = 0x1234;
  s.ds.base = 0x100000n; // an unreal cache: selector and base disagree
  s.ds.limit = 0xffffffff;
  vcpu.setSregs(s);
  const back = vcpu.getSregs();
  assertEquals([back.ds.selector, back.ds.base, back.ds.limit], [0x1234, 0x100000n, 0xffffffff]);
  assertEquals(reg(vcpu, "rbx"), 0xdeadbeef);
  assertEquals(new KvmSregs(back.bytes.slice()).cs.present, 1);
});

Deno.test("MMIO reads in a string copy complete one element per exit", opts, () => {
  const { vcpu, ram } = asmMachine(`
    mov ax, 0xc000
    mov ds, ax
    xor si, si
    mov di, 0x3000
    mov cx, 3
    cld
    rep movsb
    hlt`);
  for (let i = 0; i < 3; i++) {
    const exit = vcpu.run();
    if (exit.kind !== "mmio") throw new Error(`expected mmio, got ${exit.kind}`);
    assertEquals([exit.address, exit.isWrite], [0xc0000 + i, false]);
    exit.data[0] = 0x10 + i;
  }
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals([...ram.subarray(0x3000, 0x3003)], [0x10, 0x11, 0x12]);
});

Deno.test("a REP OUTS batch cut by a fault still leaves as an exit", opts, () => {
  const { vcpu, ram } = asmMachine(`
    mov esi, 0xfffe
    mov ecx, 4
    mov dx, 0xe9
    cld
    a32 rep outsb
    hlt`);
  ram[0xfffe] = 0x61;
  ram[0xffff] = 0x62;
  setVector(ram, 13, 0, 0x2000);
  ram[0x2000] = 0xf4; // the #GP handler halts
  const exit = vcpu.run();
  if (exit.kind !== "io") throw new Error(`expected io, got ${exit.kind}`);
  assertEquals([exit.count, [...exit.data]], [2, [0x61, 0x62]]);
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals(reg(vcpu, "rip"), 0x2001); // in the #GP handler
  assertEquals(reg(vcpu, "rcx"), 2);
});

Deno.test("the instruction waiting for IN data completes before an injected interrupt", () => {
  // sti; nop; in al, 0x60; mov bl, al; hlt   handler: mov cl, al; iret
  const { vcpu, ram } = machine([0xfb, 0x90, 0xe4, 0x60, 0x88, 0xc3, 0xf4]);
  ram.set([0x88, 0xc1, 0xcf], 0x2000);
  setVector(ram, 8, 0, 0x2000);
  const exit = vcpu.run();
  if (exit.kind !== "io") throw new Error(`expected io, got ${exit.kind}`);
  assertEquals(vcpu.runState.readyForInterruptInjection, true);
  exit.data[0] = 0x42;
  vcpu.interrupt(8);
  assertEquals(vcpu.run().kind, "hlt");
  assertEquals(reg(vcpu, "rcx") & 0xff, 0x42); // the handler already saw the IN's result
  assertEquals(reg(vcpu, "rbx") & 0xff, 0x42);
});

Deno.test("a window requested with IF clear opens after a long CLI section", () => {
  // cli; mov cx, 5000; l: loop l; sti; nop; nop; hlt
  const { vcpu } = machine([0xfa, 0xb9, 0x88, 0x13, 0xe2, 0xfe, 0xfb, 0x90, 0x90, 0xf4]);
  vcpu.runState.requestInterruptWindow = true;
  const exit = vcpu.run();
  assertEquals(exit.kind, "irq-window-open");
  assertEquals(reg(vcpu, "rip"), 0x1008); // after STI and the NOP in its shadow
  assertEquals(vcpu.instructions, 2 + 5000 + 2);
});

Deno.test("POPF setting IF opens the window at once (no shadow)", () => {
  // cli; push 0x202; popf; nop; hlt
  const { vcpu } = machine([0xfa, 0x68, 0x02, 0x02, 0x9d, 0x90, 0xf4]);
  vcpu.runState.requestInterruptWindow = true;
  assertEquals(vcpu.run().kind, "irq-window-open");
  assertEquals(reg(vcpu, "rip"), 0x1005);
});

Deno.test("a REP OUTS batch after an IN starts with its own first byte", () => {
  // in al, 0x60; mov si, 0x2000; mov cx, 3; mov dx, 0xe9; rep outsb; hlt
  const { vcpu, ram } = machine([
    0xe4,
    0x60,
    0xbe,
    0x00,
    0x20,
    0xb9,
    0x03,
    0x00,
    0xba,
    0xe9,
    0x00,
    0xf3,
    0x6e,
    0xf4,
  ]);
  ram.set([0x61, 0x62, 0x63], 0x2000);
  const first = vcpu.run();
  if (first.kind !== "io") throw new Error(`expected io, got ${first.kind}`);
  first.data[0] = 0x99;
  const out = vcpu.run();
  if (out.kind !== "io") throw new Error(`expected io, got ${out.kind}`);
  assertEquals([out.isWrite, out.count, [...out.data]], [true, 3, [0x61, 0x62, 0x63]]);
});

Deno.test("getRegs/getSregs into a reused struct give exactly what a new one gets", () => {
  const m = machine([0xf4]);
  const s = m.vcpu.getSregs();
  s.ds.setRealMode(0x1234);
  s.fs.base = 0x56780n;
  m.vcpu.setSregs(s);
  setReg(m.vcpu, "rsi", 0xdeadbeef);
  const regs = new KvmRegs();
  const sregs = new KvmSregs();
  regs.bytes.fill(0xaa); // stale contents must not survive
  sregs.bytes.fill(0xaa);
  assertEquals(m.vcpu.getRegs(regs), regs);
  assertEquals(m.vcpu.getSregs(sregs), sregs);
  assertEquals([...regs.bytes], [...m.vcpu.getRegs().bytes]);
  assertEquals([...sregs.bytes], [...m.vcpu.getSregs().bytes]);
  assertEquals(regs.get32("rsi"), 0xdeadbeef);
  assertEquals(sregs.ds.selector, 0x1234);
  assertEquals(sregs.fs.base, 0x56780n);
});
