import { deepStrictEqual as assertEquals } from "@std/assert";
import { asmMachine, machine, reg, setVector, word } from "./helpers.ts";

// These tests assemble with nasm (a prerequisite, installed by CI): without it they fail.
const opts = {};

/** Runs NASM source to its HLT on the 386 model and returns the vCPU. */
function run(source: string, ramSize?: number) {
  const m = asmMachine(source + "\nhlt", { ramSize });
  const exit = m.vcpu.run();
  assertEquals(exit.kind, "hlt");
  return m;
}

Deno.test("66 prefix: 32-bit registers and immediates", opts, () => {
  const { vcpu } = run(`
    mov eax, 0x12345678
    add eax, 0x0fffffff
    mov ebx, eax
    shr ebx, 28
    mov ecx, 0xffffffff
    inc ecx`);
  assertEquals(reg(vcpu, "rax"), 0x22345677);
  assertEquals(reg(vcpu, "rbx"), 2);
  assertEquals(reg(vcpu, "rcx"), 0);
  assertEquals(reg(vcpu, "rflags") & 0x41, 0x40); // ZF, INC keeps CF clear
});

Deno.test("67 prefix: 32-bit addressing with SIB and displacement", opts, () => {
  const { vcpu } = run(`
    mov dword [0x2010], 0xcafebabe
    mov eax, 0x2000
    mov ecx, 2
    mov ebx, [eax + ecx*4 + 8]
    lea edx, [eax + ecx*8 + 0x100]
    mov esi, 0x2010
    mov edi, [esi]`);
  assertEquals(reg(vcpu, "rbx"), 0xcafebabe);
  assertEquals(reg(vcpu, "rdx"), 0x2110);
  assertEquals(reg(vcpu, "rdi"), 0xcafebabe);
});

Deno.test("MOVZX, MOVSX, CWDE, CDQ", opts, () => {
  const { vcpu } = run(`
    mov byte [0x2000], 0x80
    movzx eax, byte [0x2000]
    movsx ebx, byte [0x2000]
    mov cx, 0x8001
    movsx ecx, cx
    mov ax, 0xfffe
    cwde
    cdq`);
  assertEquals(reg(vcpu, "rbx"), 0xffffff80);
  assertEquals(reg(vcpu, "rcx"), 0xffff8001);
  assertEquals(reg(vcpu, "rax"), 0xfffffffe);
  assertEquals(reg(vcpu, "rdx"), 0xffffffff);
});

Deno.test("BT, BTS, BTR, BTC, BSF, BSR", opts, () => {
  const { vcpu, ram } = run(`
    mov eax, 0x00010010
    bt eax, 4
    setc bl
    bts eax, 0
    btr eax, 16
    btc eax, 31
    mov word [0x2000], 0
    mov cx, 17
    bts word [0x2000], cx
    mov edx, 0x00f00000
    bsf esi, edx
    bsr edi, edx`);
  assertEquals(reg(vcpu, "rbx") & 0xff, 1);
  assertEquals(reg(vcpu, "rax"), 0x80000011);
  assertEquals(word(ram, 0x2002), 2); // bit 17 of the bit string is bit 1 of the next word
  assertEquals(reg(vcpu, "rsi"), 20);
  assertEquals(reg(vcpu, "rdi"), 23);
});

Deno.test("SHLD, SHRD, IMUL forms, XADD, BSWAP", opts, () => {
  const { vcpu } = run(`
    mov eax, 0x12345678
    mov ebx, 0x9abcdef0
    shld eax, ebx, 8
    mov ecx, 0x11223344
    mov edx, 0x55667788
    shrd ecx, edx, 16
    mov esi, -7
    imul esi, esi, 6
    mov edi, 1000
    imul edi, esi
    mov ebp, 5
    mov esp, 10
    xadd ebp, esp
    mov esp, 0xfff0
    bswap eax`);
  assertEquals(reg(vcpu, "rax"), 0x9a785634);
  assertEquals(reg(vcpu, "rcx"), 0x77881122);
  assertEquals(reg(vcpu, "rsi"), (-42) >>> 0);
  assertEquals(reg(vcpu, "rdi"), (-42000) >>> 0);
  assertEquals(reg(vcpu, "rbp"), 15);
});

Deno.test("CMPXCHG and CMOVcc", opts, () => {
  const { vcpu, ram } = run(`
    mov dword [0x2000], 5
    mov eax, 5
    mov ebx, 9
    cmpxchg [0x2000], ebx
    setz cl
    mov eax, 1
    cmpxchg [0x2000], ebx
    setz ch
    mov edx, 3
    cmp edx, 4
    cmovl esi, edx
    cmovg edi, edx`);
  assertEquals(word(ram, 0x2000), 9);
  assertEquals(reg(vcpu, "rcx") & 0xffff, 0x0001); // first equal, second not
  assertEquals(reg(vcpu, "rax"), 9);
  assertEquals(reg(vcpu, "rsi"), 3);
  assertEquals(reg(vcpu, "rdi"), 0);
});

Deno.test("CPUID reports the vendor and the ID flag toggles", opts, () => {
  const { vcpu } = run(`
    pushfd
    pop eax
    xor eax, 0x200000
    push eax
    popfd
    pushfd
    pop esi
    xor eax, eax
    cpuid`);
  const vendor = [reg(vcpu, "rbx"), reg(vcpu, "rdx"), reg(vcpu, "rcx")]
    .map((v) => String.fromCharCode(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24))
    .join("");
  assertEquals(vendor, "GenuineIntel");
  assertEquals(reg(vcpu, "rsi") & 0x200000, 0x200000);
});

Deno.test(
  "CPUID leaf 1 lists what the model implements: FPU, PSE, TSC, MSR, PAE, CX8, SEP, PGE, CMOV",
  opts,
  () => {
    const { vcpu } = run("mov eax, 1\ncpuid");
    assertEquals(
      reg(vcpu, "rdx"),
      1 | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 11) | (1 << 13) | (1 << 15),
    );
    assertEquals(reg(vcpu, "rax"), 0x0633); // family 6 model 3: not the Pentium Pro's errata
  },
);

Deno.test(
  "CMPXCHG8B: stores ECX:EBX when EDX:EAX matches, else loads EDX:EAX; only ZF changes",
  opts,
  () => {
    const { vcpu, ram } = run(`
    mov dword [0x2000], 0x11111111
    mov dword [0x2004], 0x22222222
    mov eax, 0x11111111
    mov edx, 0x22222222
    mov ebx, 0x33333333
    mov ecx, 0x44444444
    stc
    lock cmpxchg8b [0x2000]
    setz [0x2010]
    setc [0x2011]
    cmpxchg8b [0x2000]
    setz [0x2012]`);
    assertEquals([word(ram, 0x2000), word(ram, 0x2002), word(ram, 0x2004)], [
      0x3333,
      0x3333,
      0x4444,
    ]);
    assertEquals([ram[0x2010], ram[0x2011], ram[0x2012]], [1, 1, 0]);
    assertEquals([reg(vcpu, "rax"), reg(vcpu, "rdx")], [0x33333333, 0x44444444]);
  },
);

Deno.test(
  "CPUID extended leaves: up to 0x80000008, NX and no long mode, 36 physical bits",
  opts,
  () => {
    const { vcpu } = run(`
    mov eax, 0x80000000
    cpuid
    mov esi, eax
    mov eax, 0x80000001
    cpuid
    mov edi, edx
    mov eax, 0x80000008
    cpuid`);
    assertEquals(reg(vcpu, "rsi"), 0x80000008);
    assertEquals(reg(vcpu, "rdi"), 1 << 20); // NX only: no LM (29), no SYSCALL (11)
    assertEquals(reg(vcpu, "rax"), 0x2024); // 36 physical, 32 linear
  },
);

Deno.test("EFER: NXE reads back; LME and SCE raise #GP", opts, () => {
  const m = asmMachine(`
    mov word [13 * 4], handler
    mov word [13 * 4 + 2], 0
    mov ecx, 0xc0000080
    xor edx, edx
    mov eax, 0x800
    wrmsr
    xor eax, eax
    rdmsr
    mov esi, eax
    mov eax, 0x100
    wrmsr
    hlt
  handler:
    mov bx, 0x600d
    hlt`);
  assertEquals(m.vcpu.run().kind, "hlt");
  assertEquals(reg(m.vcpu, "rsi"), 0x800);
  assertEquals(reg(m.vcpu, "rbx") & 0xffff, 0x600d);
  assertEquals(m.vcpu.getSregs().getControl("efer"), 0x800n);
});

Deno.test("RDTSC counts retired instructions (deterministic)", opts, () => {
  const a = run("nop\nnop\nrdtsc");
  const b = run("nop\nnop\nrdtsc");
  assertEquals(reg(a.vcpu, "rax"), 2);
  assertEquals(reg(a.vcpu, "rax"), reg(b.vcpu, "rax"));
});

Deno.test("Jcc rel16, SETcc, PUSHA/POPA, ENTER/LEAVE, FS/GS", opts, () => {
  const { vcpu } = run(`
    mov ax, 1
    cmp ax, 2
    jl near .less
    mov bx, 0xbad
  .less:
    setl bl
    mov cx, 0x1111
    pusha
    mov cx, 0
    popa
    enter 8, 0
    mov dx, sp
    leave
    mov ax, 0x0200
    mov fs, ax
    mov byte [fs:0x10], 0x42
    mov gs, ax
    mov al, [gs:0x10]`);
  assertEquals(reg(vcpu, "rbx") & 0xff, 1);
  assertEquals(reg(vcpu, "rcx") & 0xffff, 0x1111);
  assertEquals(reg(vcpu, "rdx") & 0xffff, 0xfff0 - 2 - 8);
  assertEquals(reg(vcpu, "rsp") & 0xffff, 0xfff0);
  assertEquals(reg(vcpu, "rax") & 0xff, 0x42);
});

Deno.test("LGDT/SGDT, LIDT/SIDT, SMSW, CR moves, CLTS", opts, () => {
  const { vcpu, ram } = run(`
    mov word [0x2000], 0x27
    mov dword [0x2002], 0x00123456
    lgdt [0x2000]
    sgdt [0x2010]
    mov eax, cr0
    or eax, 8
    mov cr0, eax
    clts
    smsw bx
    mov ecx, 0x1000
    mov cr3, ecx
    mov edx, cr3
    wbinvd`);
  const s = vcpu.getSregs();
  assertEquals([s.gdt.base, s.gdt.limit], [0x123456n, 0x27]);
  assertEquals(word(ram, 0x2010), 0x27);
  assertEquals(word(ram, 0x2012), 0x3456);
  assertEquals(reg(vcpu, "rbx") & 8, 0);
  assertEquals(reg(vcpu, "rdx"), 0x1000);
});

Deno.test("RDMSR of an unknown MSR raises #GP through the IVT", opts, () => {
  const m = asmMachine(`
    mov ecx, 0x12345
    rdmsr
    hlt
  handler:
    mov bx, 0x600d
    hlt`);
  setVector(m.ram, 13, 0, 0x1009); // handler: after the 6-byte MOV, RDMSR and HLT
  assertEquals(m.vcpu.run().kind, "hlt");
  assertEquals(m.vcpu.instructions, 4);
  assertEquals(reg(m.vcpu, "rbx") & 0xffff, 0x600d);
  assertEquals(word(m.ram, 0xfff0 - 6), 0x1006); // IP of the faulting RDMSR
});

Deno.test("unreal mode set through setSregs reaches above 1 MiB", opts, () => {
  const m = asmMachine(
    `
    mov esi, 0x100000
    mov al, [esi]
    hlt`,
    { ramSize: 0x200000 },
  );
  m.ram[0x100000] = 0x77;
  const s = m.vcpu.getSregs();
  s.ds.limit = 0xffffffff;
  m.vcpu.setSregs(s);
  assertEquals(m.vcpu.run().kind, "hlt");
  assertEquals(reg(m.vcpu, "rax") & 0xff, 0x77);
});

Deno.test("MOV to/from CRn ignores the mod field (no displacement follows)", () => {
  // mov ecx, cr3 encoded with mod=00 (0F 20 19), then inc ax; hlt
  const m = machine([0x0f, 0x20, 0x19, 0x40, 0xf4]);
  const s = m.vcpu.getSregs();
  s.setControl("cr3", 0x5000);
  m.vcpu.setSregs(s);
  assertEquals(m.vcpu.run().kind, "hlt");
  assertEquals(reg(m.vcpu, "rcx"), 0x5000);
  assertEquals(reg(m.vcpu, "rax") & 0xffff, 1);
});

Deno.test("32-bit MUL/IMUL/DIV/IDIV keep all 64 bits", opts, () => {
  const { ram } = run(`
    mov eax, 0xfedcba98
    mov ebx, 0x87654321
    mul ebx
    mov [0x2000], eax
    mov [0x2004], edx
    mov eax, -123456789
    mov ebx, 987654321
    imul ebx
    mov [0x2008], eax
    mov [0x200c], edx
    mov edx, 0x12345678
    mov eax, 0x9abcdef0
    mov ebx, 0x87654321
    div ebx
    mov [0x2010], eax
    mov [0x2014], edx
    mov edx, 0xffffffff
    mov eax, -1000000007
    mov ebx, 12345
    idiv ebx
    mov [0x2018], eax
    mov [0x201c], edx`);
  const u64 = (a: number) => new DataView(ram.buffer).getBigUint64(a, true);
  const u32 = (a: number) => new DataView(ram.buffer).getUint32(a, true);
  assertEquals(u64(0x2000), 0xfedcba98n * 0x87654321n);
  assertEquals(u64(0x2008), BigInt.asUintN(64, -123456789n * 987654321n));
  const dividend = 0x123456789abcdef0n;
  assertEquals(u32(0x2010), Number(dividend / 0x87654321n));
  assertEquals(u32(0x2014), Number(dividend % 0x87654321n));
  assertEquals(u32(0x2018), Number(BigInt.asUintN(32, -1000000007n / 12345n)));
  assertEquals(u32(0x201c), Number(BigInt.asUintN(32, -1000000007n % 12345n)));
});

Deno.test("32-bit addressing in string ops, LOOP and JECXZ use ECX/ESI/EDI", opts, () => {
  const { vcpu, ram } = run(`
    mov esi, 0x2000
    mov edi, 0x3000
    mov ecx, 4
    cld
    a32 rep movsb
    mov ecx, 3
    xor ax, ax
  again:
    inc ax
    a32 loop again
    jecxz done
    mov ax, 0xbad
  done:
    mov bx, 0x10
    mov byte [0x2010 + 3], 0x5e
    mov al, 3
    mov ebx, 0x2010
    a32 xlatb
    mov word [0x2100], 0x1234
    mov word [0x2102], 0x0300
    lfs si, [0x2100]
    lgs di, [0x2100]`);
  assertEquals([...ram.subarray(0x3000, 0x3004)], [...ram.subarray(0x2000, 0x2004)]);
  assertEquals(reg(vcpu, "rax") & 0xff, 0x5e);
  assertEquals(reg(vcpu, "rcx"), 0);
  const s = vcpu.getSregs();
  assertEquals([s.fs.selector, s.gs.selector, s.fs.base], [0x300, 0x300, 0x3000n]);
  assertEquals(reg(vcpu, "rsi") & 0xffff, 0x1234);
});

Deno.test("POP [ESP+d] forms its address after the pop", opts, () => {
  const { vcpu, ram } = run(`
    mov esp, 0x8000
    push word 0x1111
    push word 0x2222
    pop word [esp]
    mov ax, sp
    mov esp, 0xfff0`);
  assertEquals(reg(vcpu, "rax") & 0xffff, 0x7ffe);
  assertEquals(word(ram, 0x7ffe), 0x2222); // stored at the new top, over 0x1111
});

Deno.test("DAS on the 386 sets CF when AL - 6 borrows", opts, () => {
  // AL=3 with AF set: AL becomes 0xFD and the subtraction borrows.
  const { vcpu } = run("mov ax, 0x0010\npush ax\npopf\nmov al, 3\ndas\npushf\npop bx");
  assertEquals(reg(vcpu, "rax") & 0xff, 0xfd);
  assertEquals(reg(vcpu, "rbx") & 0x8d5, 0x91); // SF, AF, CF
});

Deno.test("LOCK: #UD unless the instruction writes memory it may lock", opts, () => {
  // A #UD handler at 0x2000 counts into CX and skips the faulting instruction's 3 bytes.
  const { vcpu } = run(
    `xor cx, cx
    mov word [6 * 4], 0x2000
    mov word [6 * 4 + 2], 0
    lock add [0x3000], ax      ; allowed
    lock inc word [0x3000]     ; allowed
    db 0xf0, 0x89, 0xc0        ; lock mov eax, eax: #UD
    db 0xf0, 0x01, 0xc0        ; lock add ax, ax (register destination): #UD
    jmp done
    times 0x2000 - 0x1000 - ($ - $$) db 0
    inc cx
    push bp
    mov bp, sp
    add word [bp + 2], 3
    pop bp
    iret
    done:`,
  );
  assertEquals(reg(vcpu, "rcx") & 0xffff, 2);
});

Deno.test(
  "ENTER with a 32-bit operand on a 16-bit stack takes all of ESP as the frame",
  opts,
  () => {
    const { vcpu } = run("mov esp, 0x1fff0\no32 enter 4, 0\nmov ebx, esp");
    assertEquals(reg(vcpu, "rbp"), 0x1ffec);
    assertEquals(reg(vcpu, "rbx"), 0x1ffe8); // SP moved, ESP's upper half kept
  },
);

Deno.test("RDMSR/WRMSR 0x8B (microcode revision) read as 0 and take writes", opts, () => {
  const { vcpu } = run(`
    mov ecx, 0x8b
    xor eax, eax
    xor edx, edx
    wrmsr
    mov eax, 5
    rdmsr
    mov esi, eax`);
  assertEquals(reg(vcpu, "rsi"), 0);
});
