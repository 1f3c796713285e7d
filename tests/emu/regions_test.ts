/**
 * Blocks that are regions of traces (translate.ts): loops with branches
 * inside, recursion through the return-site lookup, and slices that end
 * inside a region and come back at one of its other traces. Each program
 * runs translated and interpreted, in slices of several lengths, and must
 * end in the same registers, flags, instruction count and memory at every
 * slice boundary; and the translations must really be regions (jumps
 * between their traces, entries at their other traces).
 */
import { deepStrictEqual as assertEquals, ok as assert } from "@std/assert";
import type { Translation } from "../../lib/emu/translate.ts";
import { Lazy } from "../../lib/emu/cpu.ts";
import { withCount } from "../../bench/lib/guests.ts";
import { assemblePrograms, program } from "../../bench/lib/programs.ts";
import { asmMachine, assemble, machine, type MachineOptions, reg, word } from "./helpers.ts";

const bytecodeImage = (await assemblePrograms(["bytecode"])).get("bytecode")!;

/** OF, SF, ZF, AF, PF and CF in FLAGS. */
const ARITHMETIC_FLAGS = 0x8d5;

/** The arithmetic flags of the 16-bit subtraction `a - b` (CMP's), a model of the CPU's. */
function subFlags16(a: number, b: number): number {
  const r = (a - b) & 0xffff;
  let parity = 1;
  for (let v = r & 0xff; v !== 0; v >>= 1) parity ^= v & 1;
  const overflow = ((a ^ b) & (a ^ r) & 0x8000) !== 0;
  return (a < b ? 0x01 : 0) | (parity ? 0x04 : 0) | ((a ^ b ^ r) & 0x10) | (r === 0 ? 0x40 : 0) |
    (r & 0x8000 ? 0x80 : 0) | (overflow ? 0x800 : 0);
}

/** The dispatch of the jump-table programs: the next of 16 codes, through a table of 4. */
const DISPATCH = `next:
    mov bl, [code + si]
    and bx, 3
    shl bx, 1
    inc si
    and si, 15
    jmp [table + bx]`;
/** Their 16 codes. */
const CODE = "code: db 0, 1, 3, 2, 0, 0, 3, 1, 2, 2, 0, 3, 1, 0, 2, 1";

const PROGRAMS: Record<string, string> = {
  // A bitwise CRC: an inner loop with a conditional XOR, inside two more loops.
  crc: `
    mov ax, 0x2000
    mov ds, ax
    mov di, 6
  round:
    mov eax, 0xffffffff
    xor si, si
  next_byte:
    xor al, [si]
    mov cl, 8
  bit:
    shr eax, 1
    jnc skip
    xor eax, 0xedb88320
  skip:
    dec cl
    jnz bit
    inc si
    cmp si, 300
    jb next_byte
    mov [si], eax
    dec di
    jnz round
    hlt`,
  // Recursive Fibonacci: calls back into the region's start and returns to its return sites.
  fib: `
    mov ax, 15
    call fib
    hlt
  fib:
    cmp ax, 2
    jb .leaf
    push ax
    dec ax
    call fib
    pop bx
    push dx
    mov ax, bx
    sub ax, 2
    call fib
    pop bx
    add dx, bx
    ret
  .leaf:
    mov dx, ax
    ret`,
  // Jumps that carry each kind of flags (a sum, a difference, INC's kept CF, ADC/SBB, a
  // shift) to short traces that read CF first (ADC, SBB, RCL, DEC keeping it, JC); those
  // traces are copied into the jumps' traces.
  // A CMP's flags handed over in locals to a trace that loads before it replaces them. In every
  // 8th round the load faults (#GP: a 32-bit address past 64 KiB); the #GP pushes FLAGS, which
  // must be the CMP's, and the handler sums them in DI and brings the address back in range.
  handover: `
    mov word [13 * 4], fault
    mov word [13 * 4 + 2], 0
    mov ax, 0x2000
    mov ds, ax
    xor esi, esi
    xor edi, edi
    mov cx, 400
  round:
    mov ebx, esi
    and ebx, 0xfe
    test cl, 7
    jnz .near
    or ebx, 0x10000
  .near:
    add si, 7
    cmp cx, 203
    jne .load
    add si, 3
  .load:
    mov ax, [ebx]
    add dx, ax
    xor [ebx + 2], dx
    rol dx, 1
    sub dx, cx
    mov [ebx + 4], si
    inc bp
    loop round
    hlt
  fault:
    push bp
    mov bp, sp
    mov ax, [bp + 6]
    and ax, ${ARITHMETIC_FLAGS}
    add di, ax
    pop bp
    and ebx, 0xffff
    iret`,
  // Linear probing into a table of 16 words (pmhash's shape): the store and the LOOP after an
  // empty slot are copies pasted one into the other; INC INC AND after a CMP fetch no CF, and
  // INC DEC ADC after a CMP must keep the CMP's CF through both.
  probes: `
    mov ax, 0x2000
    mov ds, ax
    mov bp, 40
    mov si, 0x5a5a
  round:
    xor di, di
  clear:
    mov word [di], 0
    add di, 2
    cmp di, 32
    jb clear
    mov cx, 12
  insert:
    imul si, si, 25173
    add si, 13849
    mov ax, si
    or ax, 1
    mov bx, ax
    shr bx, 12
  probe:
    mov di, bx
    shl di, 1
    cmp word [di], 0
    je empty
    cmp [di], ax
    je found
    inc dx
    inc bx
    and bx, 15
    cmp ax, [di]
    inc dx
    dec dx
    adc dx, 0
    jmp probe
  empty:
    mov [di], ax
  found:
    loop insert
    dec bp
    jnz round
    hlt`,
  carries: `
    mov ax, 0x2000
    mov ds, ax
    mov cx, 2500
    xor bx, bx
    xor dx, dx
    mov si, 0x1234
    mov di, 7
  top:
    add si, di
    jc .add
    sub di, 3
    jnc .sub
    inc bx
    jmp .inc
  .add:
    adc bx, 5
    jmp .carry
  .sub:
    sbb bx, si
    jmp .carry
  .inc:
    rcl si, 1
    jmp .store
  .carry:
    dec dx
    jc .store
    shr dx, 1
    jnc .store
    adc dx, 0x100
  .store:
    and bx, 0x7ffe
    mov [bx], si
    loop top
    hlt`,
  // A bubble sort: data-dependent swaps, an early exit, three loops one after another.
  sort: `
    mov ax, 0x2000
    mov ds, ax
    mov di, 0x1234
    mov bp, 3
  again:
    xor bx, bx
  fill:
    mov ax, di
    imul ax, ax, 25173
    add ax, 13849
    mov di, ax
    mov [bx], ax
    add bx, 2
    cmp bx, 120
    jb fill
    mov cx, 59
  pass:
    xor bx, bx
    xor dx, dx
    push cx
  compare:
    mov ax, [bx]
    cmp ax, [bx + 2]
    jbe noswap
    xchg ax, [bx + 2]
    mov [bx], ax
    inc dx
  noswap:
    add bx, 2
    loop compare
    pop cx
    test dx, dx
    jz sorted
    loop pass
  sorted:
    xor bx, bx
    mov cx, 60
  sum:
    add si, [bx]
    adc si, 0
    add bx, 2
    loop sum
    dec bp
    jnz again
    hlt`,
  // A bytecode loop dispatching through a jump table (JMP [mem]), and calls through a register
  // and through memory (CALL r/m); near the end a 32-bit call target beyond 64 KiB raises #GP
  // (vector 13) in real mode from code that has been translated by then.
  dispatch: `
    mov word [13 * 4], fault
    mov word [13 * 4 + 2], 0
    xor si, si
    mov cx, 400
    xor ax, ax
    mov edx, twice
  ${DISPATCH}
  op0:
    add ax, si
    jmp done
  op1:
    cmp cx, 3
    jae .call
    mov edx, 0x10000
  .call:
    call edx
    jmp done
  op2:
    call [ptr]
    jmp done
  op3:
    xor ax, 0x5a5a
  done:
    loop next
    hlt
  fault:
    hlt
  twice:
    shl ax, 1
    ret
  thrice:
    imul ax, ax, 3
    ret
  table: dw op0, op1, op2, op3
  ptr: dw thrice
  ${CODE}`,
  // A jump table's handlers, long enough for the blocks to be translated again with the
  // places their computed jumps went to (blocks.ts: RETARGET_AFTER): rotates and IMUL whose
  // flags are used, in the handlers the lookup reaches.
  table: `
    xor si, si
    mov cx, 1500
    mov ax, 1
    xor dx, dx
  ${DISPATCH}
  op0:
    rol dx, 7
    add ax, si
    jmp check
  op1:
    ror ax, 1
    jno .even
    inc dx
  .even:
    adc dx, 0
    jmp check
  op2:
    rol ax, 3
    jo .odd
    inc dx
  .odd:
    adc dx, 0
    jmp check
  op3:
    imul bx, ax, 0x7321
    adc dx, bx
    imul ax, dx
    sbb dx, 0
  check:
    loop next
    hlt
  table: dw op0, op1, op2, op3
  ${CODE}`,
  // REPNE SCASB, REPE CMPSB/CMPSW forwards and backwards (the CMPSB equal up to the copies' end,
  // then a zero against a nonzero byte: its flags are a subtraction's), a zero count, then a loop of 32-bit
  // address REPE CMPSB, each 5 bytes further on, the 50th of which runs past 64 KiB: #GP
  // (vector 13) in its 12th iteration.
  // Real-mode segment loads and stores inside a loop: DS from a register, ES from memory, FS
  // from DS's selector (MOV r/m, Sreg to a 32-bit register and to memory), and the loads'
  // bases used at once by the accesses after them.
  segments: `
    mov ax, 0x2000
    mov ds, ax
    mov word [0x14], 0x2100
    mov ax, 0x2300
    mov ds, ax
    mov word [0x14], 0x2200
    mov cx, 3000
    mov bx, 0x2000
  again:
    mov ds, bx
    mov [0x10], cx
    add word [0x12], cx
    mov es, [0x14]
    mov dx, es
    mov [0x16], es
    mov edi, ds
    mov fs, di
    add si, [fs:0x10]
    add si, [es:0x10]
    add ebp, edi
    add bp, dx
    xor bx, 0x0300
    loop again
    mov ax, ds
    hlt`,
  strings: `
    mov word [13 * 4], fault
    mov word [13 * 4 + 2], 0
    mov ax, 0x2000
    mov ds, ax
    mov es, ax
    xor di, di
    mov cx, 256
    mov al, 1
  fill:
    stosb
    add al, 7
    jnz .nz
    inc al
  .nz:
    loop fill
    mov byte [200], 0
    mov bp, 60
  round:
    xor di, di
    mov cx, 0xffff
    xor al, al
    repne scasb
    add [300], cx
    lea si, [bp + 0x101]
    lea di, [bp + 2]
    mov cx, 80
    repe cmpsb
    pushf
    pop ax
    add [302], ax
    mov si, bp
    mov di, 17
    mov cx, 80
    repne cmpsw
    add [304], cx
    std
    mov di, 250
    mov cx, 100
    mov al, [ds:bp + 20]
    repne scasb
    cld
    add [306], cx
    add [308], di
    xor cx, cx
    cmp ax, ax
    repne scasb
    adc [310], bp
    inc byte [ds:bp]
    mov al, [ds:bp + 1]
    mov [ds:bp + 0x100], al
    dec bp
    jnz round
    mov ebx, 0xff00
  further:
    mov esi, ebx
    mov edi, 0x8000
    mov ecx, 16
    mov ax, 0x8000
    or ax, ax
    a32 repe cmpsb
    add ebx, 5
    jmp further
    hlt
  fault:
    hlt`,
};

const RAM = 0x30000;
const SLICES = [1, 5, 63, 64, 65, 1000, 1_000_000];

/** Runs to HLT in slices of `slice` instructions; the state at every slice boundary. */
function run(source: string, options: MachineOptions, slice: number) {
  const m = asmMachine(source, { ramSize: RAM, ...options });
  m.vcpu.sliceLimit = slice;
  const states: string[] = [];
  for (let i = 0; i < 2_000_000; i++) {
    const e = m.vcpu.run();
    const r = m.vcpu.getRegs();
    const regs = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "rip", "rflags"]
      .map((n) => r.get32(n as "rax").toString(16));
    states.push(`${m.vcpu.instructions} ${regs.join(" ")}`);
    if (e.kind !== "intr") {
      assertEquals(e.kind, "hlt");
      break;
    }
  }
  return { states, ram: Array.from(m.ram) };
}

for (const [name, source] of Object.entries(PROGRAMS)) {
  Deno.test(`regions: ${name} runs the same translated as interpreted, sliced anywhere`, () => {
    const translations: Translation[] = [];
    for (const slice of SLICES) {
      const want = run(source, { translation: null }, slice);
      for (const threshold of [2, 16]) {
        const got = run(
          source,
          { translation: { threshold, onTranslate: (_, t) => translations.push(t) } },
          slice,
        );
        const at = `slice ${slice}, threshold ${threshold}`;
        assertEquals(got.states.length, want.states.length, `${at}: runs`);
        const diff = got.states.findIndex((s, i) => s !== want.states[i]);
        assertEquals(diff, -1, `${at}: run ${diff}: ${got.states[diff]} / ${want.states[diff]}`);
        const ram = got.ram.findIndex((b, i) => b !== want.ram[i]);
        assertEquals(ram, -1, `${at}: RAM differs at ${ram.toString(16)}`);
      }
    }
    if (["dispatch", "strings", "segments"].includes(name)) return; // not regions of note
    // They were regions: jumps between traces, and ways in at traces other than the first.
    assert(
      translations.some((t) => t.source.includes("continue region")),
      "no jump between traces",
    );
    assert(translations.some((t) => t.entries.length > 0), "no region with more than one entry");
  });
}

/** A case of a computed jump's lookup: an EIP, the flags passed on, the trace there. */
const LOOKUP_CASE = /case \d+: +(?:(?:lk|ls|c\.\w+) = [\w.]+; )*lbl = \d+; continue region;/g;

/** Runs a program to HLT translated; its machine and the translations made on the way. */
function translatedRun(source: string) {
  const translations: Translation[] = [];
  const m = asmMachine(source, {
    ramSize: RAM,
    // Translated after 16 arrivals, not the default: these programs are short.
    translation: { threshold: 16, onTranslate: (_, t) => translations.push(t) },
  });
  assertEquals(m.vcpu.run().kind, "hlt");
  return { m, translations };
}

Deno.test("regions: recursion stays inside one block through its return sites", () => {
  const { m, translations } = translatedRun(PROGRAMS.fib);
  assertEquals(m.vcpu.getRegs().get32("rdx"), 610); // fib(15)
  // The return lookup compares the popped address with the return sites of the region.
  assert(translations.some((t) => /switch \(w\) \{ case \d+:/.test(t.source)), "no return lookup");
});

Deno.test("regions: a jump table's handlers join the region its computed jumps look up", () => {
  const { translations } = translatedRun(PROGRAMS.table);
  // Some region has traces for at least three of the four handlers, in its lookup's cases.
  const lookup = translations.find((t) =>
    t.entries.length >= 3 && (t.source.match(LOOKUP_CASE) ?? []).length >= 3
  );
  assert(lookup !== undefined, "no region with the handlers in its lookup");
});

Deno.test("regions: a dispatch loop's first region holds all its handlers, each with its dispatch", () => {
  // bench/guests/bytecode.asm, 3,000 rounds, flat at 0000:0000: a stack machine's interpreter
  // whose ten handlers, each with a copy of the dispatch, are more than one region of the default
  // size holds. At the default threshold, as a guest runs it: each block start is translated
  // after a thousand arrivals (the round's start too, which dispatches into the handlers).
  const rounds = 3000;
  const translations: Translation[] = [];
  const m = machine(withCount(bytecodeImage, rounds), {
    ramSize: RAM,
    origin: 0,
    translation: { onTranslate: (_, t) => translations.push(t) },
  });
  let exitValue = -1;
  for (let i = 0; i < 100 && exitValue < 0; i++) {
    const e = m.vcpu.run();
    if (e.kind === "io" && e.isWrite && e.port === 0xf4) exitValue = e.data[0];
    else assert(e.kind === "intr" || (e.kind === "io" && e.port === 0x80), `exit ${e.kind}`);
  }
  assertEquals(exitValue, program("bytecode").expected(rounds).exitValue);
  // Each case of a lookup is a handler's EIP. Some region looks up all ten but HALT's, and holds
  // more than the default 64 instructions: each handler with its copy of the dispatch.
  const lookups = (t: Translation) => new Set(t.source.match(LOOKUP_CASE)).size;
  const instructions = (t: Translation) => t.entries.reduce((n, e) => n + e.count, t.count);
  const whole = translations.filter((t) => lookups(t) === 10 && instructions(t) > 64);
  const seen = `regions: ${translations.map((t) => `${lookups(t)}/${instructions(t)}`).join(" ")}`;
  assert(whole.length > 0, seen);
  // It is made once, by its first translation (the handlers read from the table), and is the
  // only region that looks them up: the handlers' own blocks are its traces, not regions of
  // the same handlers each (more functions for V8 to compile and warm up).
  assertEquals(translations.filter((t) => lookups(t) >= 3).length, 1, seen);
  assert(whole[0] === translations.find((t) => t.dispatches), seen);
  // Each handler jumps to a copy of the dispatch of its own, not through the region's switch.
  assert((whole[0].source.match(/switch \(w\)/g) ?? []).length >= 10, "handlers share a dispatch");
});

Deno.test("regions: a table entry that is a trace of the region already is looked up too", () => {
  // Code 0 goes straight back to the dispatch (a no-op opcode): the dispatch is the region's
  // first trace when the table is read, and a jump there must stay in the region.
  const source = PROGRAMS.table.replace("table: dw op0,", "table: dw next,");
  const image = assemble(`${source}\n dw next`);
  const next = word(image, image.length - 2);
  const { translations } = translatedRun(source);
  const region = translations.find((t) => t.table);
  if (region === undefined) throw new Error("no region read its jump table");
  assert(
    (region.source.match(LOOKUP_CASE) ?? []).some((c) => c.startsWith(`case ${next}:`)),
    `no lookup case for the dispatch at ${next.toString(16)}`,
  );
});

Deno.test("regions: real-mode MOV Sreg, r/m and MOV r/m, Sreg are translated inside the loop", () => {
  const { m, translations } = translatedRun(PROGRAMS.segments);
  assertEquals(reg(m.vcpu, "rax"), 0x2300); // 3,000 passes: DS ends where it began the last one
  const loop = translations.find((t) => t.source.includes("c.sel[3] = v; b3 = base[3] = v << 4;"));
  if (loop === undefined) throw new Error("MOV DS, r/m is not translated");
  assert(loop.source.includes("c.sel[0] = v; b0 = base[0] = v << 4;"), "MOV ES, m16");
  assert(loop.source.includes("c.sel[4] = v; b4 = base[4] = v << 4;"), "MOV FS, r16");
  assert(loop.source.includes("w = c.sel[0];"), "MOV m16, ES");
  assert(loop.source.includes("r7 = c.sel[3];"), "MOV r32, DS");
});

Deno.test("regions: a block whose chained exits are rare is not translated again", () => {
  // Two long loops a pass, each a block of its own, chained to each other about every 450
  // instructions: 4,500 passes are more than 4096 exits each, but not often enough to be worth
  // another function for V8 to warm up (see REGROW_SPAN in blocks.ts).
  const translated: number[] = [];
  const m = asmMachine(
    `
    mov dx, 4500
  top:
    mov cx, 300
  first:
    add ax, cx
    loop first
    %rep 70
    add bx, 1
    %endrep
    mov cx, 300
  second:
    xor ax, cx
    loop second
    dec dx
    jnz near top
    hlt`,
    { ramSize: RAM, translation: { threshold: 16, onTranslate: (p) => translated.push(p) } },
  );
  let exit = m.vcpu.run().kind;
  while (exit === "intr") exit = m.vcpu.run().kind; // slices of 2^20 instructions
  assertEquals(exit, "hlt");
  assertEquals(translated.length, new Set(translated).size, `translated again: ${translated}`);
});

Deno.test("regions: a block translated again that comes out the same keeps its function", () => {
  // A loop longer than a region: two blocks that chain to each other on every pass, each
  // translated again after 4096 chained exits (BlockCache.regrow), with nothing new to take.
  const translated: [number, Translation][] = [];
  const m = asmMachine(
    `
    mov cx, 5000
  top:
    %rep 40
    add ax, cx
    %endrep
    %rep 40
    xor bx, ax
    %endrep
    dec cx
    jnz near top
    hlt`,
    {
      ramSize: RAM,
      translation: { threshold: 16, onTranslate: (p, t) => translated.push([p, t]) },
    },
  );
  assertEquals(m.vcpu.run().kind, "hlt");
  const again = translated.filter(([p], i) => translated.findIndex(([q]) => q === p) < i);
  assert(again.length > 0, "no block was translated again");
  for (const [p, t] of again) {
    const first = translated.find(([q]) => q === p)![1];
    assertEquals(t.source, first.source, `${p.toString(16)}: another translation`);
    assert(t.run === first.run, `${p.toString(16)}: a new function for the same source`);
  }
});

Deno.test("regions: REPNE SCASB and REPE CMPSB are loops inside the block", () => {
  const { m, translations } = translatedRun(PROGRAMS.strings);
  // The #GP came in the 12th iteration (ESI 0xfff5 + 11 is beyond the limit): 11 were done.
  assertEquals(m.vcpu.getRegs().get32("rcx"), 16 - 11);
  assertEquals(m.vcpu.getRegs().get32("rsi"), 0x10000);
  assert(translations.some((t) => /while \(\(r1 & 0xffff\) !== 0\)/.test(t.source)), "no REP loop");
});

Deno.test("regions: flags reach a trace that reads CF first in locals, and short traces are copied into their jumps", () => {
  const { translations } = translatedRun(PROGRAMS.carries);
  const sources = translations.map((t) => t.source).join("\n");
  // A jump hands a sum's or a difference's flags over as the locals' kind...
  assert(/lk = [12]; ls = 2;/.test(sources), "no flags passed in locals");
  // ...and `.store` (two instructions, the program's one store) is copied into the traces that
  // jump there: a trace visits an instruction once, so only a copy puts it twice into one.
  const traces = translations.flatMap((t) => t.source.split(/case \d+:/));
  assert(
    traces.some((code) => (code.match(/rt\.store\(c, 2, 3, off, w\)/g) ?? []).length > 1),
    "no copy of a short trace",
  );
});

Deno.test("regions: a trace that only passes exits before it replaces the flags gets them in locals", () => {
  const { m, translations } = translatedRun(PROGRAMS.handover);
  // A fault in each round whose CX is a multiple of 8, each pushing the flags of CMP CX, 203.
  let sum = 0;
  for (let cx = 400; cx > 0; cx -= 8) sum += subFlags16(cx, 203) & ARITHMETIC_FLAGS;
  assertEquals(reg(m.vcpu, "rdi") & 0xffff, sum & 0xffff);
  // JNE's jump to .load leaves the CMP's flags in the locals (lk = 2: a difference), where a
  // trace that reads them would get them stored to the CPU.
  const sources = translations.map((t) => t.source).join("\n");
  assert(/lk = 2; ls = 2;/.test(sources), "flags not handed over in locals");
});

Deno.test("blocks start where control arrives, and again after each instruction the translator leaves", () => {
  // 0: mov si, 200 / 3: cpuid / 5: cpuid / 7: add di, 1 / 10: add bp, 2 / 13: dec si / 14: jnz 3
  const starts: number[] = [];
  const m = asmMachine(
    `mov si, 200
    top:
    cpuid
    cpuid
    add di, 1
    add bp, 2
    dec si
    jnz top
    hlt`,
    { ramSize: RAM, translation: { threshold: 16, onTranslate: (p) => starts.push(p - 0x1000) } },
  );
  assertEquals(m.vcpu.run().kind, "hlt");
  assertEquals(reg(m.vcpu, "rbp") & 0xffff, 400);
  // CPUID ends a block in front of it; the code behind the second one is a block of its own,
  // though the interpreter reaches it by falling through. Straight-line code beyond is not.
  assert(starts.includes(7), `blocks at ${starts}`);
  assert(!starts.includes(10) && !starts.includes(13), `blocks at ${starts}`);
});

Deno.test("blocks: code straight after a hot block's end is translated at once, past the size limit and past an instruction left out", () => {
  // call body at 3, body at 10: 200 x add di, 1 (3 bytes each), two CPUIDs at 610, 100 x add
  // si, 1 from 614, ret.
  const starts: number[] = [];
  const m = asmMachine(
    `mov bp, 20
    again:
    call body
    dec bp
    jnz again
    hlt
    body:
    %rep 200
    add di, 1
    %endrep
    cpuid
    cpuid
    %rep 100
    add si, 1
    %endrep
    ret`,
    { ramSize: RAM, translation: { threshold: 16, onTranslate: (p) => starts.push(p - 0x1000) } },
  );
  assertEquals(m.vcpu.run().kind, "hlt");
  assertEquals([reg(m.vcpu, "rdi") & 0xffff, reg(m.vcpu, "rsi") & 0xffff], [4000, 2000]);
  // The call is reached 16 times before its block (the call and 63 ADDs of the body); each
  // 64-instruction block after it, and the code after the CPUIDs, is translated the next time
  // the block before it runs to its end (not after 16 more calls each, which 20 do not reach).
  for (const at of [3, 10 + 63 * 3, 10 + 127 * 3, 10 + 191 * 3, 614, 614 + 64 * 3]) {
    assert(starts.includes(at), `no block at ${at}: blocks at ${starts}`);
  }
});

Deno.test("regions: copies of short traces paste the copies they jump to, and INC/DEC keep CF only where it is read", () => {
  const { translations } = translatedRun(PROGRAMS.probes);
  const traces = translations.flatMap((t) => t.source.split(/case \d+:/));
  // JE to an empty slot: the store's copy goes on into the LOOP's copy, with no pass through the
  // region's dispatch in between (the store's trace jumps to LOOP's: one copy, pasted into the other).
  const chained = new RegExp(
    String.raw`lb = 0; lr = \(la - lb\) & 65535;\s+if \(lr === 0\) \{` + // CMP WORD [DI], 0; JE
      String.raw`(?:(?!continue region)[^])*?rt\.store\(c, 2, 3, off, w\)\) ex = true;` + // its copy
      String.raw`(?:(?!continue region)[^])*?\(\(r1 & 0xffff\) - 1\)`, // and LOOP's, inside it
  );
  assert(traces.some((code) => chained.test(code)), "no copy pasted into a copy");
  const sources = translations.map((t) => t.source).join("\n");
  // INC DX; INC BX; AND BX, 15: neither INC fetches the CF that AND replaces...
  assert(/v = \(r2 & 0xffff\);\s+la = v; lr = \(v \+ 1\)/.test(sources), "INC DX fetched CF");
  assert(/v = \(r3 & 0xffff\);\s+la = v; lr = \(v \+ 1\)/.test(sources), "INC BX fetched CF");
  // ...while INC DX; DEC DX; ADC DX, 0 carries the CMP's CF through both.
  assert(
    /v = \(r2 & 0xffff\);\s+lcf = \(la < lb \? 1 : 0\);/.test(sources),
    "INC DX dropped a live CF",
  );
});

Deno.test("regions: every way out of a block assigns constants only (no V8 type feedback to miss)", () => {
  // An exit is cold code: optimized code that reaches one for the first time deoptimizes the
  // whole region if the exit does arithmetic or stores to the CPU (V8 has no type feedback
  // for them), and then the region is compiled again. So exits only set locals to constants
  // (or to the computed target in a local) and the epilogue does the rest; a REP that stops
  // at the budget also notes that it is pending.
  const exit = /^\s*((lk|ls|nx|xl) = -?\d+; |ni = \w+; |c\.repPending = true; )*break out;$/;
  let exits = 0;
  for (const [name, source] of Object.entries(PROGRAMS)) {
    for (const t of translatedRun(source).translations) {
      // The exits that are blocks of their own (`if (...) { ... break out; }`): the cold ones.
      for (const [, code] of t.source.matchAll(/\{([^{}]*break out;)/g)) {
        if (code.trim() === PRIMING_EXIT) continue; // the priming call's (see the next test)
        assert(exit.test(code), `${name}: exit \`${code.trim()}\``);
        exits++;
      }
    }
  }
  assert(exits > 50, `only ${exits} exits seen`);
});

/** The way out of a block called with entry -1, which only passes its epilogue. */
const PRIMING_EXIT = "ni = c.ip; xl = c.exitLink; break out;";

Deno.test("regions: a block called with entry -1 changes nothing (it only primes its epilogue)", () => {
  const { m, translations } = translatedRun(PROGRAMS.carries);
  const c = m.vcpu.cpu;
  assert(translations.length > 0 && translations.every((t) => t.source.includes(PRIMING_EXIT)));
  // Flags pending in the CPU, an exit link and registers the block would change.
  c.setLazy(Lazy.ADC, 2, 0xfff0, 0x20, 0x11, 1);
  c.exitLink = 7;
  const state = () =>
    JSON.stringify([
      [c.lop, c.lsize, c.la, c.lb, c.lr, c.lc, c.rawFlags],
      [...c.r32],
      [c.ip, c.instructions, c.exitLink],
    ]);
  for (const t of translations) {
    const before = state();
    assertEquals(t.run(c, 1000, -1), 0);
    assertEquals(state(), before);
  }
});
