// SYSENTER and SYSEXIT on the 386 model (a P6's): the MSRs, the flat segment
// caches they set without reading descriptors, CPL, the flags, and #GP(0) in
// real mode, in virtual-8086 mode and with a null SYSENTER_CS. guests/pm-sysenter.asm
// runs the ring 0 -> 3 -> 0 round trip on KVM too (tests/support/pm_cases.ts).
import { deepStrictEqual as assertEquals, ok as assert, throws } from "@std/assert";
import { CpuFault } from "../../lib/emu/cpu.ts";
import { sysenter, sysexit } from "../../lib/emu/protected.ts";
import { applyProtectedModeEntry } from "../../lib/loader/entry.ts";
import { KvmSregs } from "../../lib/kvm/structs.ts";
import { asmMachine, machine, type MachineOptions, reg, setVector, word } from "./helpers.ts";

/** Flat 32-bit protected mode at CPL 0 running NASM source from 0x3000 (the loader's GDT). */
function pmMachine(source: string, options: MachineOptions = {}) {
  const bin = asmMachine(`bits 32\n${source}`, { translation: null, origin: 0x3000 }).ram;
  const m = machine([...bin.subarray(0x3000, 0x4000)], {
    ramSize: 0x20000,
    origin: 0x3000,
    ...options,
  });
  const s = new KvmSregs();
  const regs = applyProtectedModeEntry({ eip: 0x3000, esp: 0x9000 }, s);
  m.vcpu.setSregs(s);
  m.vcpu.setRegs(regs);
  return m;
}

Deno.test("SYSENTER/SYSEXIT: the MSRs read back what WRMSR wrote (low halves), CPUID reports SEP", () => {
  const m = pmMachine(`
    mov ecx, 0x174
    mov eax, 0x12345673
    mov edx, 0xffffffff
    wrmsr
    mov ecx, 0x175
    mov eax, 0x8000
    wrmsr
    mov ecx, 0x176
    mov eax, 0xc0001000
    wrmsr
    mov ecx, 0x174
    rdmsr
    mov esi, eax
    mov edi, edx
    mov ecx, 0x176
    rdmsr
    mov ebp, eax
    mov eax, 1
    cpuid
    hlt`);
  assertEquals(m.vcpu.run().kind, "hlt");
  const c = m.vcpu.cpu;
  assertEquals([c.sysenterCs, c.sysenterEsp, c.sysenterEip], [0x12345673, 0x8000, 0xc0001000]);
  assertEquals([reg(m.vcpu, "rsi"), reg(m.vcpu, "rdi"), reg(m.vcpu, "rbp")], [
    0x12345673,
    0,
    0xc0001000,
  ]);
  assertEquals((reg(m.vcpu, "rdx") >> 11) & 1, 1);
});

Deno.test("SYSEXIT then SYSENTER: flat CPL 3 and CPL 0 caches, ESP/EIP, IF cleared, the rest of EFLAGS kept", () => {
  for (const translation of [null, { threshold: 1 }]) {
    const m = pmMachine(
      `
      mov ecx, 0x174
      mov eax, 0x23            ; RPL bits: SYSENTER masks them, SYSEXIT ORs 3 in
      xor edx, edx
      wrmsr
      mov ecx, 0x175
      mov eax, 0x7000
      wrmsr
      mov ecx, 0x176
      mov eax, kernel
      wrmsr
      push 0x2c3               ; IF ZF SF CF
      popfd
      mov ecx, 0x8800
      mov edx, user
      sysexit
    user:
      jmp user
    kernel:
      hlt`,
      { translation },
    );
    const c = m.vcpu.cpu;
    m.vcpu.sliceLimit = 16;
    for (let i = 0; i < 100 && !(c.cpl === 3); i++) m.vcpu.run();
    assertEquals(c.cpl, 3);
    const s = m.vcpu.getSregs();
    assertEquals([s.cs.selector, s.ss.selector], [0x33, 0x3b]);
    for (const [seg, type] of [[s.cs, 0xb], [s.ss, 0x3]] as const) {
      assertEquals(
        [seg.base, seg.limit, seg.type, seg.s, seg.dpl, seg.present, seg.db, seg.g, seg.unusable],
        [0n, 0xffffffff, type, 1, 3, 1, 1, 1, 0],
      );
    }
    assertEquals([reg(m.vcpu, "rsp"), reg(m.vcpu, "rflags") & 0xfff], [0x8800, 0x2c3]);
    // SYSENTER from here (ring 3, no descriptors read: the loader's GDT has no 0x20-0x38).
    const user = reg(m.vcpu, "rip");
    m.ram.set([0x0f, 0x34], user); // JMP $ becomes SYSENTER
    c.blocks?.flush();
    m.vcpu.sliceLimit = 1;
    m.vcpu.run();
    const k = m.vcpu.getSregs();
    assertEquals([k.cs.selector, k.ss.selector, c.cpl], [0x20, 0x28, 0]);
    assertEquals([k.cs.dpl, k.ss.dpl, k.cs.db, k.ss.db, k.cs.limit], [0, 0, 1, 1, 0xffffffff]);
    assertEquals([reg(m.vcpu, "rsp"), reg(m.vcpu, "rflags") & 0xfff], [0x7000, 0x0c3]);
    m.vcpu.sliceLimit = 1000;
    assertEquals(m.vcpu.run().kind, "hlt");
    assertEquals(reg(m.vcpu, "rip"), user + 3);
  }
});

Deno.test("SYSENTER and SYSEXIT in real mode: #GP(0) through the IVT", () => {
  for (const op of [0x34, 0x35]) {
    const m = machine([0x0f, op, 0xf4]);
    m.vcpu.cpu.sysenterCs = 0x08;
    setVector(m.ram, 13, 0, 0x2000);
    m.ram[0x2000] = 0xf4;
    assertEquals(m.vcpu.run().kind, "hlt");
    assertEquals(reg(m.vcpu, "rip"), 0x2001);
    assertEquals(word(m.ram, 0xfff0 - 6), 0x1000, "the return address is the instruction");
  }
});

Deno.test("SYSENTER from virtual-8086 mode clears VM; SYSEXIT there, at CPL > 0 or with a null SYSENTER_CS is #GP(0)", () => {
  const m = pmMachine("hlt");
  const c = m.vcpu.cpu;
  const s = new KvmSregs();
  s.cs.setRealMode(0x100, true);
  for (const n of ["ds", "es", "ss", "fs", "gs"] as const) s[n].setRealMode(0x200);
  s.setControl("cr0", 0x11);
  m.vcpu.setSregs(s);
  const r = m.vcpu.getRegs();
  r.set("rflags", 0x33202);
  m.vcpu.setRegs(r);
  assert(c.vm);
  const gp = (e: unknown) => e instanceof CpuFault && e.vector === 13 && e.code === 0;
  c.sysenterCs = 0x10;
  throws(() => sysexit(c), gp);
  c.sysenterCs = 0x3;
  throws(() => sysenter(c), gp);
  c.sysenterCs = 0x10;
  c.sysenterEsp = 0x5000;
  c.sysenterEip = 0x6000;
  sysenter(c);
  assertEquals([c.vm, c.pmode, c.cpl, c.def32, c.ss32], [false, true, 0, true, true]);
  assertEquals(c.readFlags() & 0x33200, 0x3000); // VM, RF, IF cleared; IOPL kept
  assertEquals([c.sel[1], c.sel[2], c.sel[3], c.base[3]], [0x10, 0x18, 0x200, 0x2000]);
  assertEquals([c.ip, c.r32[4]], [0x6000, 0x5000]);
  c.sysenterCs = 0;
  throws(() => sysexit(c), gp);
  c.sysenterCs = 0x10;
  c.r32[1] = 0x1234; // ECX
  c.r32[2] = 0x5678; // EDX
  sysexit(c);
  assertEquals([c.sel[1], c.sel[2], c.cpl, c.ip, c.r32[4]], [0x23, 0x2b, 3, 0x5678, 0x1234]);
  throws(() => sysexit(c), gp);
});
