/**
 * The block translator in 32-bit protected mode, against the interpreter:
 * random loops (the real-mode set re-encoded for a 32-bit code segment) run
 * with paging off and on, through page tables with a read-only page, a page
 * that is not present and a page mapped elsewhere, with every exception
 * going to a HLT. Translated and interpreted runs must end in the same
 * registers, control registers, memory (page tables' accessed and dirty
 * bits included) and instruction count, at several run lengths.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "@std/assert";
import { applyProtectedModeEntry, GDT_ADDRESS } from "../../lib/loader/entry.ts";
import { KvmSregs } from "../../lib/kvm/structs.ts";
import { prng } from "../../tools/fuzz/cases.ts";
import { randomInstruction } from "../../tools/fuzz/programs.ts";
import { asmMachine, assemble, machine, type MachineOptions, reg } from "./helpers.ts";

const CODE = 0x3000;
/** The data segment: base 0x10000, limit 0xFFFF (16-bit offsets, as in the real-mode test). */
const DATA = 0x10000;
const PD = 0x20000, PT = 0x21000;
const IDT = 0x600, HANDLER = 0x500;
const RAM = 0x50000;
const INTERPRET: MachineOptions = { translation: null };
const TRANSLATE: MachineOptions = { translation: { threshold: 1 } };

/** A loop of random 32-bit-segment instructions run `iterations` times by BP, then HLT. */
function randomProgram32(seed: number): number[] {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const body: number[] = [];
  const length = 1 + int(24);
  for (let i = 0; i < length; i++) body.push(...randomInstruction(int, true, true));
  const iterations = 1 + int(40);
  const head = [0x66, 0xbd, iterations & 0xff, iterations >> 8]; // mov bp, n
  const tail = [0x66, 0x4d, 0x0f, 0x85, 0, 0, 0, 0]; // dec bp; jnz near (rel32) loop
  const code = [...head, ...body, ...tail, 0xf4];
  const rel = head.length - (head.length + body.length + tail.length);
  const at = head.length + body.length + 4;
  for (let i = 0; i < 4; i++) code[at + i] = (rel >> (8 * i)) & 0xff;
  return code;
}

/**
 * Flat 32-bit protected mode at CODE: CS and SS flat, DS and ES the data
 * segment, an IDT whose 256 interrupt gates lead to a HLT, and with
 * `paging` an identity map of the first 4 MiB with three exceptions in the
 * data segment: 0x1E000 read-only (CR0.WP on), 0x1F000 not present, 0x15000
 * mapped to 0x45000. No entry has its accessed or dirty bit set yet.
 */
function pmMachine(code: number[], options: MachineOptions, paging: boolean, seed: number) {
  const m = machine(code, { ramSize: RAM, origin: CODE, ...options });
  const view = new DataView(m.ram.buffer);
  view.setBigUint64(GDT_ADDRESS + 8, 0x00cf9b000000ffffn, true);
  view.setBigUint64(GDT_ADDRESS + 16, 0x00cf93000000ffffn, true);
  m.ram[HANDLER] = 0xf4;
  for (let v = 0; v < 256; v++) {
    view.setUint32(IDT + v * 8, 0x80000 | HANDLER, true); // selector 8, offset low
    view.setUint32(IDT + v * 8 + 4, 0x8e00, true); // present 32-bit interrupt gate
  }
  const rand = prng(seed ^ 0x5eed);
  for (let a = DATA; a < DATA + 0x10000; a++) m.ram[a] = Math.floor(rand() * 256);
  for (let a = 0x45000; a < 0x46000; a++) m.ram[a] = Math.floor(rand() * 256);
  const s = new KvmSregs();
  const regs = applyProtectedModeEntry({ eip: CODE, esp: 0x9000 }, s);
  for (const d of [s.ds, s.es]) {
    d.base = BigInt(DATA);
    d.limit = 0xffff;
    d.g = 0;
  }
  s.idt.base = BigInt(IDT);
  s.idt.limit = 256 * 8 - 1;
  s.gdt.limit = 23;
  if (paging) {
    view.setUint32(PD, PT | 3, true);
    for (let i = 0; i < 1024; i++) view.setUint32(PT + i * 4, (i << 12) | 3, true);
    view.setUint32(PT + 0x1e * 4, 0x1e000 | 1, true);
    view.setUint32(PT + 0x1f * 4, 0, true);
    view.setUint32(PT + 0x15 * 4, 0x45000 | 3, true);
    s.setControl("cr3", PD);
    s.setControl("cr0", 0x80010011); // PG | WP | ET | PE
  }
  for (const n of ["rax", "rbx", "rcx", "rdx", "rsi", "rdi"] as const) {
    regs.set(n, Math.floor(rand() * 2 ** 32));
  }
  m.vcpu.setSregs(s);
  m.vcpu.setRegs(regs);
  return m;
}

function runToHalt(code: number[], options: MachineOptions, paging: boolean, seed: number) {
  const m = pmMachine(code, options, paging, seed);
  m.vcpu.sliceLimit = [1 << 20, 64, 100][seed % 3];
  const exits: string[] = [];
  for (let i = 0; i < 100_000; i++) {
    const e = m.vcpu.run();
    if (e.kind === "intr") continue;
    exits.push(e.kind);
    break;
  }
  const r = m.vcpu.getRegs();
  const s = m.vcpu.getSregs();
  return {
    m,
    state: {
      exits,
      regs: ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "rip", "rflags"].map((n) =>
        r.get32(n as "rax").toString(16)
      ),
      cr2: s.getControl("cr2").toString(16),
      instructions: m.vcpu.instructions,
      ram: m.ram.slice(),
    },
  };
}

for (const paging of [false, true]) {
  Deno.test(`32-bit protected mode${paging ? " with paging" : ""}: random loops end the same translated as interpreted`, () => {
    let translated = 0, faulted = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const code = randomProgram32(seed);
      const want = runToHalt(code, INTERPRET, paging, seed).state;
      const got = runToHalt(code, TRANSLATE, paging, seed);
      translated += got.m.vcpu.cpu.blocks?.translated ?? 0;
      if (Number.parseInt(want.regs[8], 16) === HANDLER + 1) faulted++;
      assertEquals(got.state.exits, want.exits, `seed ${seed}: exits`);
      assertEquals(got.state.regs, want.regs, `seed ${seed}: registers`);
      assertEquals(got.state.cr2, want.cr2, `seed ${seed}: CR2`);
      assertEquals(got.state.instructions, want.instructions, `seed ${seed}: instructions`);
      const diff = got.state.ram.findIndex((b, i) => b !== want.ram[i]);
      assertEquals(diff, -1, `seed ${seed}: RAM differs at ${diff.toString(16)}`);
    }
    assert(translated > 200, `only ${translated} blocks were translated`);
    // With paging both kinds of run must be exercised: loops that end at their HLT and
    // loops that fault (without it, only a word at offset 0xFFFF faults).
    if (paging) assert(faulted > 10 && faulted < 190, `${faulted} of 200 programs faulted`);
  });
}

/** 32-bit NASM source run from CODE in flat protected mode; returns EAX and the count. */
function runSource32(source: string, options: MachineOptions, paging: boolean) {
  const bin = asmMachine(`bits 32\n${source}`, { ...INTERPRET, origin: CODE }).ram;
  const code = [...bin.subarray(CODE, CODE + 0x1000)];
  const m = pmMachine(code, options, paging, 1);
  assertEquals(m.vcpu.run().kind, "hlt");
  return {
    eax: reg(m.vcpu, "rax"),
    eip: reg(m.vcpu, "rip"),
    esp: reg(m.vcpu, "rsp"),
    n: m.vcpu.instructions,
    blocks: m.vcpu.cpu.blocks,
  };
}

Deno.test("32-bit protected mode: calls, returns and recursion run translated with the same results", () => {
  // fib(15) by recursion: CALL rel32 / RET through a 32-bit stack.
  const source = `
    mov esp, 0x9000
    mov ecx, 20
  again:
    mov eax, 15
    call fib
    dec ecx
    jnz again
    hlt
  fib:
    cmp eax, 2
    jb .done
    push eax
    dec eax
    call fib
    xchg eax, [esp]
    sub eax, 2
    call fib
    pop edx
    add eax, edx
  .done:
    ret`;
  for (const paging of [false, true]) {
    const want = runSource32(source, INTERPRET, paging);
    assertEquals(want.eax, 610);
    const got = runSource32(source, TRANSLATE, paging);
    assertEquals([got.eax, got.eip, got.esp, got.n], [want.eax, want.eip, want.esp, want.n]);
    assert((got.blocks?.translated ?? 0) > 0);
  }
});

Deno.test("32-bit protected mode with paging: a store into translated code through another linear alias drops it", () => {
  // Linear 0x15000 maps physical 0x45000: the loop runs there and patches its own
  // immediate through the identity-mapped address of the same byte.
  const loop = [
    0xb9,
    10,
    0,
    0,
    0, // mov ecx, 10
    0x31,
    0xc0, // xor eax, eax
    0xb3,
    0x01, // mov bl, 1
    // top (offset 9): add eax, 1 (83 C0 01)
    0x83,
    0xc0,
    0x01,
    0xfe,
    0xc3, // inc bl
    0x88,
    0x1d,
    0x0b,
    0x50,
    0x04,
    0x00, // mov [0x4500b], bl: the immediate, through 0x45000
    0x49, // dec ecx
    0x75,
    0xf2, // jnz top
    0xf4, // hlt
  ];
  const run = (options: MachineOptions) => {
    const m = pmMachine([0xe9, ...le32(0x15000 - (CODE + 5))], options, true, 1);
    // DS flat for the patching store (the alias is outside the data segment).
    const s = m.vcpu.getSregs();
    s.ds.base = 0n;
    s.ds.limit = 0xffffffff;
    s.ds.g = 1;
    m.vcpu.setSregs(s);
    m.ram.set(loop, 0x45000);
    assertEquals(m.vcpu.run().kind, "hlt");
    return { eax: reg(m.vcpu, "rax"), n: m.vcpu.instructions, blocks: m.vcpu.cpu.blocks };
  };
  const want = run(INTERPRET);
  assertEquals(want.eax, 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10);
  const got = run(TRANSLATE);
  assertEquals([got.eax, got.n], [want.eax, want.n]);
  assert((got.blocks?.invalidated ?? 0) >= 9, "each pass should drop the block it patched");
});

/** A second page directory: it maps linear 0x15000 to physical 0x46000, where PD maps 0x45000. */
const PD2 = 0x22000, PT2 = 0x23000;

/**
 * Runs `code` from CODE under PD with PD2 built as well, and `pages` at physical 0x45000 and
 * 0x46000 (linear 0x15000 under PD and under PD2), to its HLT: EBX, the count, the blocks.
 */
function runTwoMappings(code: number[], pages: number[][], options: MachineOptions) {
  const m = pmMachine(code, options, true, 1);
  const view = new DataView(m.ram.buffer);
  view.setUint32(PD2, PT2 | 3, true);
  for (let i = 0; i < 1024; i++) view.setUint32(PT2 + i * 4, (i << 12) | 3, true);
  view.setUint32(PT2 + 0x15 * 4, 0x46000 | 3, true);
  m.ram.set(pages[0], 0x45000);
  m.ram.set(pages[1], 0x46000);
  assertEquals(m.vcpu.run().kind, "hlt");
  return { ebx: reg(m.vcpu, "rbx"), n: m.vcpu.instructions, blocks: m.vcpu.cpu.blocks };
}

/**
 * `runTwoMappings` interpreted gives EBX `ebx`, and translated the same EBX and instruction
 * count, with at least `blocks` blocks translated.
 */
function sameUnderTwoMappings(code: number[], pages: number[][], ebx: number, blocks: number) {
  const want = runTwoMappings(code, pages, INTERPRET);
  assertEquals(want.ebx, ebx);
  const got = runTwoMappings(code, pages, TRANSLATE);
  assertEquals([got.ebx, got.n], [want.ebx, want.n]);
  assert((got.blocks?.translated ?? 0) >= blocks);
}

Deno.test("32-bit protected mode with paging: a CR3 switch runs the code the new tables map", () => {
  // Two page directories map linear 0x15000 to two different physical pages,
  // each holding "mov eax, N; ret"; the loop calls through 0x15000 under each.
  const main = assemble(
    `bits 32
    mov esi, 40
    xor ebx, ebx
  top:
    mov eax, ${PD}
    mov cr3, eax
    call 0x15000
    add ebx, eax
    mov eax, ${PD2}
    mov cr3, eax
    call 0x15000
    add ebx, eax
    dec esi
    jnz top
    hlt`,
    CODE,
  );
  const pages = [[0xb8, ...le32(1), 0xc3], [0xb8, ...le32(1000), 0xc3]]; // mov eax, N; ret
  sameUnderTwoMappings([...main], pages, 40 * 1001, 2);
});

Deno.test("32-bit protected mode with paging: an exit into another page follows that page's mapping as it is now", () => {
  // One CALL site, run under two page directories in turn that map its target 0x15000 to
  // two physical pages. Before each call a data read through the new tables refills the
  // TLB entry of the target page, so only the entry's contents tell the two apart: a
  // chained exit must not go on into the block of the other mapping.
  const source = `bits 32
    mov esi, 40
    xor ebx, ebx
    mov edi, ${PD}
  top:
    mov cr3, edi
    mov eax, [0x15000 - ${DATA}]
    call 0x15000
    add ebx, eax
    xor edi, ${PD ^ PD2}
    dec esi
    jnz top
    hlt`;
  const pages = [[0xb8, ...le32(1), 0xc3], [0xb8, ...le32(1000), 0xc3]]; // mov eax, N; ret
  sameUnderTwoMappings([...assemble(source, CODE)], pages, 20 * 1001, 3);
});

Deno.test("32-bit protected mode with paging: a return to an address mapped anew runs the code mapped there now", () => {
  // The same RET returns, by turns, into one linear page that two page directories map to
  // two physical pages: the block a computed jump went to last is only taken again while
  // the page's TLB entry is the one it was found through.
  const FUNC = CODE + 0x100;
  const main = assemble(
    `bits 32
    mov esi, 40
    xor ebx, ebx
    mov edi, ${PD}
  top:
    mov cr3, edi
    call 0x15000
    add ebx, eax
    xor edi, ${PD ^ PD2}
    dec esi
    jnz top
    hlt
    times ${FUNC - CODE} - ($ - $$) db 0x90
    ret`,
    CODE,
  );
  const page = (value: number) =>
    assemble(`bits 32\n call ${FUNC}\n mov eax, ${value}\n ret`, 0x15000);
  sameUnderTwoMappings([...main], [[...page(1)], [...page(1000)]], 20 * 1001, 3);
});

function le32(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
}

Deno.test("32-bit protected mode with paging: a read-modify-write that faults on a read-only page changes no flags", () => {
  // CF set, ZF clear; then ADD/SHL/INC on the read-only page at 0x1E000 (DS base 0x10000).
  const source = `
    mov eax, 1
    cmp eax, 0          ; ZF clear, CF clear
    stc
    add dword [0xe010], 0x7fffffff
    hlt`;
  for (const options of [INTERPRET, TRANSLATE]) {
    for (
      const rmw of ["add dword [0xe010], 0x7fffffff", "shl byte [0xe010], 3", "inc word [0xe010]"]
    ) {
      const m = pmMachine(
        [
          ...asmMachine(`bits 32\n${source.replace("add dword [0xe010], 0x7fffffff", rmw)}`, {
            ...INTERPRET,
            origin: CODE,
          }).ram.subarray(CODE, CODE + 64),
        ],
        options,
        true,
        1,
      );
      const before = m.ram.slice(0x1e010, 0x1e014);
      assertEquals(m.vcpu.run().kind, "hlt");
      assertEquals(reg(m.vcpu, "rip"), HANDLER + 1, rmw);
      const esp = reg(m.vcpu, "rsp");
      const view = new DataView(m.ram.buffer);
      assertEquals(view.getUint32(esp, true), 3, `${rmw}: #PF error code (present, write)`);
      // The pushed EFLAGS: CF as STC left it, ZF/SF/OF clear as CMP left them.
      assertEquals(view.getUint32(esp + 12, true) & 0x8c1, 1, rmw);
      assertEquals(m.ram.slice(0x1e010, 0x1e014), before, `${rmw}: memory unchanged`);
    }
  }
});

Deno.test("REP string instructions run many iterations per step with the state single steps leave", () => {
  // REP STOSB, REPNE SCASB, then REP MOVSD from below the not-present page at 0x1F000 (a
  // #PF in the middle of the copy): a run in one slice against runs of 1 and 7 instructions.
  const source = `
    cld
    mov eax, 0x5a
    mov edi, 0xa000
    mov ecx, 0x200
    a16 rep stosb
    mov di, 0xb000
    mov cx, 0x400
    a16 repne scasb
    mov esi, 0xf000 - 0x40
    mov edi, 0xd000
    mov ecx, 0x100
    rep movsd             ; reads fault at DS:0xF000 (linear 0x1F000) after 16 dwords
    hlt`;
  const run = (slice: number, options = INTERPRET) => {
    const bin = asmMachine(`bits 32\n${source}`, { ...INTERPRET, origin: CODE }).ram;
    const m = pmMachine([...bin.subarray(CODE, CODE + 0x100)], options, true, 3);
    m.vcpu.sliceLimit = slice;
    for (let i = 0; i < 100_000; i++) {
      const e = m.vcpu.run();
      if (e.kind !== "intr") break;
    }
    const r = m.vcpu.getRegs();
    return {
      regs: ["rax", "rcx", "rsi", "rdi", "rsp", "rip", "rflags"].map((n) => r.get32(n as "rax")),
      cr2: m.vcpu.getSregs().getControl("cr2"),
      n: m.vcpu.instructions,
      ram: m.ram.slice(),
    };
  };
  const whole = run(1 << 20);
  assertEquals(whole.regs[5], HANDLER + 1); // stopped in the #PF handler
  assertEquals(whole.cr2, 0x1f000n);
  assertEquals(whole.regs[1], 0x100 - 16); // ECX: 16 dwords copied
  for (const [slice, options] of [[1, INTERPRET], [7, INTERPRET], [1 << 20, TRANSLATE]] as const) {
    const stepped = run(slice, options);
    assertEquals(stepped.regs, whole.regs, `slice ${slice}`);
    assertEquals(stepped.cr2, whole.cr2);
    assertEquals(stepped.n, whole.n, `slice ${slice}: instructions`);
    assertEquals(stepped.ram.findIndex((b, i) => b !== whole.ram[i]), -1);
  }
});
