/**
 * The block translator against the interpreter: random loops of the
 * instructions it translates (and some it leaves to the interpreter) must
 * end in the same registers, flags, memory and instruction count; stores
 * into translated code, host writes, faults and MMIO inside blocks must
 * behave as they do without translation.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "@std/assert";
import type { VcpuExit } from "../../lib/vcpu/contract.ts";
import { prng } from "../../tools/fuzz/cases.ts";
import { randomInstruction } from "../../tools/fuzz/programs.ts";
import {
  asmMachine,
  machine,
  type MachineOptions,
  reg,
  setVector,
  type TestMachine,
} from "./helpers.ts";

const CODE = 0x1000;
/** Data segment of the random programs: 1000:0000, 64 KiB of random bytes. */
const DATA_SEG = 0x1000;
const RAM = 0x30000;
const INTERPRET: MachineOptions = { translation: null };
const TRANSLATE: MachineOptions = { translation: { threshold: 1 } };

/** A loop of random instructions, run `iterations` times by BP, then HLT; a subroutine after it. */
function randomProgram(seed: number, is386: boolean): { code: number[]; iterations: number } {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const body: number[] = [];
  const calls: number[] = [];
  const length = 1 + int(24);
  for (let i = 0; i < length; i++) {
    const ins = randomInstruction(int, is386);
    if (ins[0] === 0xe8) calls.push(body.length);
    body.push(...ins);
  }
  const iterations = 1 + int(40);
  const head = [0xbd, iterations & 0xff, iterations >> 8]; // mov bp, n
  const loopStart = head.length;
  const tail = [0x4d, 0x0f, 0x85, 0, 0]; // dec bp; jnz near loop
  const code = [...head, ...body, ...tail, 0xf4]; // hlt
  const jnzEnd = loopStart + body.length + tail.length;
  const rel = loopStart - jnzEnd;
  code[jnzEnd - 2] = rel & 0xff;
  code[jnzEnd - 1] = (rel >> 8) & 0xff;
  // The subroutine: shl ax, 1; adc dx, 0; ret
  const sub = code.length;
  code.push(0xd1, 0xe0, 0x83, 0xd2, 0x00, 0xc3);
  for (const at of calls) {
    const from = loopStart + at + 3;
    const d = sub - from;
    code[loopStart + at + 1] = d & 0xff;
    code[loopStart + at + 2] = (d >> 8) & 0xff;
  }
  if (!is386) {
    // The 8086 has no near Jcc: jnz over a near jmp back.
    const fix = [0x4d, 0x74, 0x03, 0xe9, 0, 0];
    const at = loopStart + body.length;
    code.splice(at, tail.length, ...fix);
    const end = at + fix.length;
    const back = loopStart - end;
    code[end - 2] = back & 0xff;
    code[end - 1] = (back >> 8) & 0xff;
    const sub8086 = code.length - 6;
    for (const c of calls) {
      const from = loopStart + c + 3;
      const d = sub8086 - from;
      code[loopStart + c + 1] = d & 0xff;
      code[loopStart + c + 2] = (d >> 8) & 0xff;
    }
  }
  return { code, iterations };
}

/** The observable end state of a run. */
function snapshot(m: TestMachine, exits: string[]) {
  const regs = m.vcpu.getRegs();
  return {
    exits,
    regs: ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "rip", "rflags"].map((n) =>
      regs.get32(n as "rax")
    ),
    instructions: m.vcpu.instructions,
    ram: Array.from(m.ram),
  };
}

/** Runs to HLT (or 64 exits), `slice` instructions per run() call; returns the end state. */
function runToHalt(
  code: number[],
  model: "8086" | "386",
  options: MachineOptions,
  seed: number,
  slice: number,
) {
  const m = machine(code, { model, ramSize: RAM, origin: CODE, ...options });
  // Every interrupt vector points at a HLT: a program that faults stops there (the pushed
  // FLAGS, CS and IP are compared with the rest of RAM) instead of sliding through zeroes.
  m.ram[0x500] = 0xf4;
  for (let v = 0; v < 256; v++) setVector(m.ram, v, 0, 0x500);
  const rand = prng(seed ^ 0x5eed);
  for (let a = DATA_SEG << 4; a < (DATA_SEG << 4) + 0x10000; a++) {
    m.ram[a] = Math.floor(rand() * 256);
  }
  const regs = m.vcpu.getRegs();
  for (const n of ["rax", "rbx", "rcx", "rdx", "rsi", "rdi"] as const) {
    regs.set(n, Math.floor(rand() * 2 ** 32));
  }
  regs.set("rsp", 0x7000);
  m.vcpu.setRegs(regs);
  const s = m.vcpu.getSregs();
  s.ds.setRealMode(DATA_SEG);
  s.es.setRealMode(DATA_SEG);
  m.vcpu.setSregs(s);
  m.vcpu.sliceLimit = slice;
  const exits: string[] = [];
  for (let i = 0; i < 100_000; i++) {
    const e = m.vcpu.run();
    if (e.kind === "intr") continue;
    exits.push(describe(e));
    if (e.kind !== "io" || exits.length > 64) break;
  }
  return { m, state: snapshot(m, exits) };
}

function describe(e: VcpuExit): string {
  return e.kind === "io" ? `io ${e.isWrite ? "out" : "in"} ${e.port}` : e.kind;
}

for (const model of ["386", "8086"] as const) {
  Deno.test(`${model}: random loops end the same translated as interpreted`, () => {
    let translated = 0;
    for (let seed = 1; seed <= 250; seed++) {
      const { code } = randomProgram(seed, model === "386");
      const slice = [1 << 20, 64, 100][seed % 3];
      const want = runToHalt(code, model, INTERPRET, seed, slice).state;
      const got = runToHalt(code, model, TRANSLATE, seed, slice);
      translated += got.m.vcpu.cpu.blocks?.translated ?? 0;
      assertEquals(got.state.exits, want.exits, `seed ${seed}: exits`);
      assertEquals(got.state.regs.map(hex), want.regs.map(hex), `seed ${seed}: registers`);
      assertEquals(got.state.instructions, want.instructions, `seed ${seed}: instructions`);
      const diff = got.state.ram.findIndex((b, i) => b !== want.ram[i]);
      assertEquals(diff, -1, `seed ${seed}: RAM differs at ${diff.toString(16)}`);
    }
    assert(translated > 250, `only ${translated} blocks were translated`);
  });
}

function hex(v: number): string {
  return v.toString(16);
}

/** Runs NASM source to its HLT; returns where it stopped, AX, the count and the block cache. */
function runSource(source: string, options: MachineOptions) {
  const m = asmMachine(source, options);
  assertEquals(m.vcpu.run().kind, "hlt");
  return {
    ip: m.vcpu.cpu.ip,
    ax: reg(m.vcpu, "rax") & 0xffff,
    n: m.vcpu.instructions,
    blocks: m.vcpu.cpu.blocks,
  };
}

Deno.test("a store into a translated loop's own code takes effect on the next pass", () => {
  // The loop rewrites the immediate of its own `add ax, imm8` (83 C0 ib) each pass.
  const source = `
    mov cx, 10
    xor ax, ax
    mov bl, 1
  top:
    add ax, 1
    inc bl
    mov [top + 2], bl      ; the next pass adds bl instead
    dec cx
    jnz top
    hlt`;
  const want = runSource(source, INTERPRET);
  const got = runSource(source, TRANSLATE);
  assertEquals(want.ax, 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10);
  assertEquals(got.ax, want.ax);
  assertEquals(got.n, want.n);
  assert((got.blocks?.invalidated ?? 0) >= 9, "each pass should drop the block it patched");
});

Deno.test("a store next to translated code (same page) does not drop the code", () => {
  const source = `
    mov cx, 1000
  top:
    mov [var], cx
    dec cx
    jnz top
    hlt
  var: dw 0`;
  const m = asmMachine(source, TRANSLATE);
  assertEquals(m.vcpu.run().kind, "hlt");
  assertEquals(m.vcpu.cpu.blocks?.invalidated, 0);
  assert((m.vcpu.cpu.blocks?.translated ?? 0) >= 1);
});

Deno.test("host writes through EmuVm.memoryWritten drop stale translations", () => {
  // mov ax, 1; hlt, run hot, then the host rewrites the immediate.
  const m = machine([0xb8, 0x01, 0x00, 0xf4], { ...TRANSLATE });
  const again = () => {
    const r = m.vcpu.getRegs();
    r.set("rip", CODE);
    m.vcpu.setRegs(r);
    assertEquals(m.vcpu.run().kind, "hlt");
    return reg(m.vcpu, "rax") & 0xffff;
  };
  assertEquals(again(), 1);
  assertEquals(again(), 1);
  m.ram[CODE + 1] = 7;
  m.vm.memoryWritten(CODE + 1, 1);
  assertEquals(again(), 7);
  // Host writes (loaders, disk reads) never make the CPU give up translating a page.
  for (let v = 10; v < 40; v++) {
    m.ram[CODE + 1] = v;
    m.vm.memoryWritten(CODE + 1, 1);
    assertEquals(again(), v);
  }
  assert((m.vcpu.cpu.blocks?.translated ?? 0) >= 32);
});

Deno.test("a fault inside a translated loop is delivered as the interpreter delivers it", () => {
  // The loop's load walks up to offset 0xFFFF, where a word read is #GP on the 386.
  const source = `
    mov si, 0xfff0
    mov cx, 100
  top:
    add dx, cx
    mov ax, [si]
    inc si
    dec cx
    jnz top
    hlt`;
  const run = (options: MachineOptions) => {
    const m = asmMachine(source, options);
    m.ram.set([0xb3, 0x0d, 0xf4], 0x3000); // the #GP handler: mov bl, 13; hlt
    setVector(m.ram, 13, 0, 0x3000);
    assertEquals(m.vcpu.run().kind, "hlt");
    const sp = reg(m.vcpu, "rsp") & 0xffff;
    return {
      bl: reg(m.vcpu, "rbx") & 0xff,
      si: reg(m.vcpu, "rsi") & 0xffff,
      dx: reg(m.vcpu, "rdx") & 0xffff,
      pushed: [...m.ram.subarray(sp, sp + 6)],
      n: m.vcpu.instructions,
    };
  };
  const want = run(INTERPRET);
  assertEquals(want.bl, 13);
  assertEquals(want.si, 0xffff);
  assertEquals(run(TRANSLATE), want);
});

Deno.test("MMIO loads and stores inside a translated loop leave as the same exits", () => {
  // Reads and writes the word at A000:0000 (no RAM there) in a loop.
  const source = `
    mov ax, 0xa000
    mov es, ax
    mov cx, 5
  top:
    mov bx, [es:0]
    add bx, cx
    mov [es:2], bx
    dec cx
    jnz top
    hlt`;
  const run = (options: MachineOptions) => {
    const m = asmMachine(source, options);
    const log: string[] = [];
    for (let i = 0; i < 100; i++) {
      const e = m.vcpu.run();
      if (e.kind === "mmio") {
        if (!e.isWrite) e.data.set([0x34, 0x12]);
        log.push(`${e.isWrite ? "w" : "r"} ${e.address.toString(16)} ${[...e.data]}`);
        continue;
      }
      log.push(e.kind);
      if (e.kind !== "intr") break;
    }
    return { log, n: m.vcpu.instructions };
  };
  const want = run(INTERPRET);
  assertEquals(want.log.length, 11);
  assertEquals(run(TRANSLATE), want);
});

Deno.test("OUT inside a translated loop exits after the instruction", () => {
  const source = `
    mov cx, 3
  top:
    mov al, cl
    out 0xe9, al
    dec cx
    jnz top
    hlt`;
  const m = asmMachine(source, TRANSLATE);
  const out: number[] = [];
  for (let i = 0; i < 10; i++) {
    const e = m.vcpu.run();
    if (e.kind === "hlt") break;
    if (e.kind === "io") out.push(e.data[0]);
  }
  assertEquals(out, [3, 2, 1]);
});

Deno.test("code that keeps rewriting itself goes back to the interpreter", () => {
  const source = `
    mov cx, 2000
    xor ax, ax
  top:
    add ax, 1
    mov [top + 2], cl      ; patches the immediate every pass
    dec cx
    jnz top
    hlt`;
  const want = runSource(source, INTERPRET);
  const got = runSource(source, TRANSLATE);
  assertEquals(got.ax, want.ax);
  assertEquals(got.n, want.n);
  // A few translations, then none: not one per pass.
  assert((got.blocks?.translated ?? 0) < 40, `${got.blocks?.translated} translations`);
});

Deno.test("a CALL whose push overwrites translated code goes on at the call's target", () => {
  // SP points into the code: the return address lands on the immediate of
  // "mov cx, 40", translated with the first block, which must end after the
  // CALL, at its target.
  const source = `
    mov cx, 40
  top:
    mov sp, top
    call sub
    dec cx
    jnz top
    hlt
  sub:
    inc ax
    ret                   ; the return address comes back out of the code bytes
  `;
  const want = runSource(source, INTERPRET);
  assertEquals(want.ax, 40);
  const got = runSource(source, TRANSLATE);
  assertEquals([got.ip, got.ax, got.n], [want.ip, want.ax, want.n]);
});

Deno.test("a fault inside a block counts against the run's budget like any instruction", () => {
  // Each pass faults (#GP: a word read at offset 0xFFFF); the handler skips the
  // faulting instruction. Runs of 100 instructions must end at the same places.
  const source = `
    mov si, 0xffff
    mov cx, 300
  top:
    add dx, cx
    mov ax, [si]          ; 3 bytes: 8B 04 ... (the handler skips 2)
    inc bx
    dec cx
    jnz top
    hlt`;
  const run = (options: MachineOptions) => {
    const m = asmMachine(source, options);
    // #GP handler: add 2 to the pushed IP (skip "mov ax, [si]"), iret.
    m.ram.set([0x55, 0x89, 0xe5, 0x83, 0x46, 0x02, 0x02, 0x5d, 0xcf], 0x3000);
    setVector(m.ram, 13, 0, 0x3000);
    m.vcpu.sliceLimit = 100;
    const trail: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const e = m.vcpu.run();
      trail.push(`${m.vcpu.cpu.ip.toString(16)}@${m.vcpu.instructions}`);
      if (e.kind !== "intr") break;
    }
    return trail;
  };
  const want = run(INTERPRET);
  assertEquals(want.length > 20, true);
  assertEquals(run(TRANSLATE), want);
});

Deno.test("REP MOVS/STOS over RAM end as single steps end them: overlaps, wraps, code, budget", () => {
  // Fills, a copy, a copy onto itself shifted by one element (a pattern fill, element by
  // element), a copy over the loop's own code (translated), and offsets that reach 0xFFFF.
  const source = `
    mov ax, 0x2000
    mov es, ax
    mov ds, ax
    cld
    mov eax, 0x11223344
    xor di, di
    mov cx, 3000
    rep stosd
    mov si, 0
    mov di, 0x4000
    mov cx, 0x1800
    rep movsw
    mov si, 0x100
    mov di, 0x102
    mov cx, 500
    rep movsw
    mov di, 0xfff0
    mov cx, 100            ; DI wraps past 0xFFFF to 0 (16-bit addressing)
    mov al, 0x5a
    rep stosb
    hlt`;
  const run = (slice: number, options: MachineOptions) => {
    const m = asmMachine(source, { ...options, ramSize: 0x40000 });
    m.ram.set([0xb3, 0x0d, 0xf4], 0x3000); // #GP: mov bl, 13; hlt
    setVector(m.ram, 13, 0, 0x3000);
    m.vcpu.sliceLimit = slice;
    for (let i = 0; i < 1_000_000; i++) if (m.vcpu.run().kind !== "intr") break;
    return { regs: snapshot(m, []).regs.map(hex), n: m.vcpu.instructions, ram: [...m.ram] };
  };
  const whole = run(1 << 20, TRANSLATE);
  assertEquals([whole.regs[2], whole.regs[5]], ["0", "54"]); // CX done, DI wrapped: 100 - 16
  for (const [slice, options] of [[1, INTERPRET], [5, INTERPRET], [1 << 20, INTERPRET]] as const) {
    const other = run(slice, options);
    assertEquals(other.regs, whole.regs, `slice ${slice}`);
    assertEquals(other.n, whole.n, `slice ${slice}: instructions`);
    assertEquals(other.ram.findIndex((b, i) => b !== whole.ram[i]), -1, `slice ${slice}: RAM`);
  }
});
