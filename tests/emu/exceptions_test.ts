import { deepStrictEqual as assertEquals } from "@std/assert";
import { machine, reg, setVector, word } from "./helpers.ts";

const HANDLER = 0x3000;

/** A machine with every vector pointing at a handler that stores the vector number then halts. */
function withHandlers(code: number[], model: "8086" | "386" = "386") {
  const m = machine(code, { model });
  for (let v = 0; v < 32; v++) {
    const at = HANDLER + v * 4;
    // mov bl, v; hlt
    m.ram.set([0xb3, v, 0xf4, 0x90], at);
    setVector(m.ram, v, 0, at);
  }
  return m;
}

/** Runs to HLT; returns [vector the handler saw, pushed IP]. */
function trap(m: ReturnType<typeof withHandlers>): [number, number] {
  assertEquals(m.vcpu.run().kind, "hlt");
  return [reg(m.vcpu, "rbx") & 0xff, word(m.ram, reg(m.vcpu, "rsp") & 0xffff)];
}

Deno.test("#DE: the 386 pushes the faulting IP, the 8086 the next one", () => {
  // mov bl, 0xff; xor ax, ax; div al
  const code = [0xb3, 0xff, 0x31, 0xc0, 0xf6, 0xf0, 0xf4];
  assertEquals(trap(withHandlers(code, "386")), [0, 0x1004]);
  assertEquals(trap(withHandlers(code, "8086")), [0, 0x1006]);
});

Deno.test("#UD on the 386 for undefined opcodes; INT n, INT3, INTO", () => {
  assertEquals(trap(withHandlers([0x0f, 0x0b])), [6, 0x1000]); // UD2
  assertEquals(trap(withHandlers([0xff, 0xff])), [6, 0x1000]); // FF /7
  assertEquals(trap(withHandlers([0xcd, 0x11])), [0x11, 0x1002]);
  assertEquals(trap(withHandlers([0xcc])), [3, 0x1001]);
  // mov al, 0x7f; add al, 1 (OF); into
  assertEquals(trap(withHandlers([0xb0, 0x7f, 0x04, 0x01, 0xce])), [4, 0x1005]);
});

Deno.test("BOUND raises #BR (vector 5) outside the bounds", () => {
  // mov word [0x2000], 10; mov word [0x2002], 20; mov ax, 21; bound ax, [0x2000]
  const code = [
    0xc7,
    0x06,
    0x00,
    0x20,
    10,
    0,
    0xc7,
    0x06,
    0x02,
    0x20,
    20,
    0,
    0xb8,
    21,
    0,
    0x62,
    0x06,
    0x00,
    0x20,
    0xf4,
  ];
  assertEquals(trap(withHandlers(code)), [5, 0x100f]);
  code[13] = 15; // in bounds: no exception, BL stays 0
  const m = withHandlers(code);
  assertEquals(m.vcpu.run().kind, "hlt");
  assertEquals(reg(m.vcpu, "rbx") & 0xff, 0);
});

Deno.test("a word at offset 0xFFFF: #GP on the 386, wraps in the segment on the 8086", () => {
  // mov bx, 0xffff; mov ax, [bx]
  const code = [0xbb, 0xff, 0xff, 0x8b, 0x07, 0xf4];
  assertEquals(trap(withHandlers(code, "386")), [13, 0x1003]);
  const m = withHandlers(code, "8086");
  m.ram[0xffff] = 0x34;
  m.ram[0x0000] = 0x12; // the high byte comes from DS:0000 (vector 0's offset)
  assertEquals(m.vcpu.run().kind, "hlt");
  assertEquals(reg(m.vcpu, "rax") & 0xffff, 0x1234);
});

Deno.test("a vector beyond the IDT limit becomes #GP, then #DF, then shutdown", () => {
  const m = withHandlers([0xcd, 0x30]); // int 0x30
  const s = m.vcpu.getSregs();
  s.idt.limit = 4 * 9 - 1; // vectors 0-8 only: #GP (13) is out too, #DF (8) is in
  m.vcpu.setSregs(s);
  assertEquals(trap(m)[0], 8);
  const n = withHandlers([0xcd, 0x30]);
  const t = n.vcpu.getSregs();
  t.idt.limit = 4 * 8 - 1;
  n.vcpu.setSregs(t);
  assertEquals(n.vcpu.run().kind, "shutdown");
});

Deno.test("the IDT base is honoured in real mode", () => {
  const m = withHandlers([0xcd, 0x02]);
  setVector(m.ram, 0x100 + 2, 0, HANDLER + 7 * 4); // vector 2 of a table at 0x400
  const s = m.vcpu.getSregs();
  s.idt.base = 0x400n;
  m.vcpu.setSregs(s);
  assertEquals(trap(m)[0], 7);
});

Deno.test("FPU escapes: the 8086 model ignores them, the 386's x87 runs them; #NM with CR0.EM", () => {
  // mov word [0x2000], 0x5a5a; fnstsw [0x2000]; hlt
  const code = [0xc7, 0x06, 0x00, 0x20, 0x5a, 0x5a, 0xdd, 0x3e, 0x00, 0x20, 0xf4];
  const old = withHandlers(code, "8086");
  assertEquals(old.vcpu.run().kind, "hlt");
  assertEquals([reg(old.vcpu, "rip"), word(old.ram, 0x2000)], [0x100b, 0x5a5a]);
  const m = withHandlers(code);
  assertEquals(m.vcpu.run().kind, "hlt");
  assertEquals([reg(m.vcpu, "rip"), word(m.ram, 0x2000)], [0x100b, 0]);
  const n = withHandlers(code);
  const s = n.vcpu.getSregs();
  s.setControl("cr0", 0x60000014); // EM
  n.vcpu.setSregs(s);
  assertEquals(trap(n), [7, 0x1006]);
});

Deno.test("8086 model quirks: POP CS, SALC, PUSH SP, unmasked shift counts", () => {
  // push sp; pop ax; stc; salc (d6); mov cl, 33; mov dx, 1; shl dx, cl; hlt
  const code = [0x54, 0x58, 0xf9, 0xd6, 0xb1, 33, 0xba, 1, 0, 0xd3, 0xe2, 0xf4];
  const old = machine(code, { model: "8086" });
  assertEquals(old.vcpu.run().kind, "hlt");
  assertEquals(reg(old.vcpu, "rax") & 0xffff, 0xffff); // AL=FF from SALC, AH from SP-2 (0xffee)
  assertEquals(reg(old.vcpu, "rdx") & 0xffff, 0);
  const neu = machine(code, { model: "386" });
  assertEquals(neu.vcpu.run().kind, "hlt");
  assertEquals(reg(neu.vcpu, "rax") & 0xffff, 0xffff);
  assertEquals(reg(neu.vcpu, "rdx") & 0xffff, 2); // count masked to 1
  // PUSH SP: 8086 pushes the decremented SP, the 386 the old one.
  const a = machine([0x54, 0x58, 0xf4], { model: "8086" });
  a.vcpu.run();
  assertEquals(reg(a.vcpu, "rax") & 0xffff, 0xffee);
  const b = machine([0x54, 0x58, 0xf4], { model: "386" });
  b.vcpu.run();
  assertEquals(reg(b.vcpu, "rax") & 0xffff, 0xfff0);
  // POP CS (0F) on the 8086: push 0x0200; pop cs -> continues at 0200:IP
  const p = machine([0xb8, 0x00, 0x02, 0x50, 0x0f], { model: "8086" });
  p.ram[0x2000 + 0x1005] = 0xf4;
  assertEquals(p.vcpu.run().kind, "hlt");
  assertEquals(p.vcpu.getSregs().cs.selector, 0x200);
});

Deno.test("FLAGS: bits 12-15 read as ones on the 8086, clear on the 386", () => {
  const code = [0x9c, 0x58, 0xf4]; // pushf; pop ax
  const a = machine(code, { model: "8086" });
  a.vcpu.run();
  assertEquals(reg(a.vcpu, "rax") & 0xf000, 0xf000);
  const b = machine(code, { model: "386" });
  b.vcpu.run();
  assertEquals(reg(b.vcpu, "rax") & 0xf000, 0);
});

Deno.test("any byte sequence ends in guest-visible behaviour, never a host exception", () => {
  // Deterministic pseudo-random RAM contents run on both models from many seeds.
  let executed = 0;
  for (const model of ["8086", "386"] as const) {
    for (let seed0 = 1; seed0 <= 40; seed0++) {
      let seed = seed0;
      const m = machine([], { model, ramSize: 0x10000 });
      for (let i = 0; i < m.ram.length; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        m.ram[i] = seed >>> 24;
      }
      m.vcpu.sliceLimit = 2000;
      for (let k = 0; k < 50; k++) {
        const exit = m.vcpu.run();
        if (exit.kind === "internal-error") {
          assertEquals(exit.suberror, 1); // only the documented protected-mode stop
          break;
        }
        if (exit.kind === "shutdown") break;
        if (exit.kind === "io" && !exit.isWrite) exit.data.fill(0xff);
        if (exit.kind === "mmio" && !exit.isWrite) exit.data.fill(0);
        const c = m.vcpu.cpu;
        assertEquals(Number.isInteger(c.ip) && c.ip >= 0 && c.ip <= 0xffff, true);
        assertEquals(Number.isInteger(c.flags) && c.flags >= 0, true);
      }
      executed += m.vcpu.instructions;
    }
  }
  assertEquals(executed > 10000, true);
});

Deno.test("endless prefixes: #GP past 15 bytes on the 386, bounded steps on the 8086", () => {
  const m = machine([], { model: "386" });
  m.ram.fill(0x26, 0x1000, 0x1020);
  setVector(m.ram, 13, 0, 0x3000);
  m.ram[0x3000] = 0xf4;
  assertEquals(m.vcpu.run().kind, "hlt");
  assertEquals(word(m.ram, reg(m.vcpu, "rsp") & 0xffff), 0x1000);
  const old = machine([], { model: "8086" });
  old.ram.fill(0x26);
  old.vcpu.sliceLimit = 1000;
  assertEquals(old.vcpu.run().kind, "intr");
});

Deno.test("TF: single-step trap after the instruction following POPF", () => {
  // pushf; pop ax; or ax, 0x100; push ax; popf; nop; nop; hlt
  const code = [0x9c, 0x58, 0x0d, 0x00, 0x01, 0x50, 0x9d, 0x90, 0x90, 0xf4];
  for (const model of ["8086", "386"] as const) {
    const m = withHandlers(code, model);
    assertEquals(trap(m), [1, 0x1008]); // after the first NOP
    assertEquals(reg(m.vcpu, "rflags") & 0x100, 0); // the handler runs with TF clear
    assertEquals(word(m.ram, (reg(m.vcpu, "rsp") & 0xffff) + 4) & 0x100, 0x100);
  }
});
