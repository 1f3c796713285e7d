import { deepStrictEqual as assertEquals } from "@std/assert";
import { asmMachine, reg, setVector, type TestMachine, word } from "./helpers.ts";

const HANDLER = 0x3000;
/** Results go here (DS=0). */
const OUT = 0x2000;

/** Runs real-mode code (with the FPU initialized) to HLT; every vector halts with BL = vector. */
function run(source: string): TestMachine {
  const m = asmMachine(`mov bl, 0xff\nfninit\n${source}\nhlt\nalign 16\n`);
  for (let v = 0; v < 32; v++) {
    const at = HANDLER + v * 4;
    m.ram.set([0xb3, v, 0xf4, 0x90], at);
    setVector(m.ram, v, 0, at);
  }
  assertEquals(m.vcpu.run().kind, "hlt");
  return m;
}
function f64(m: TestMachine, at = OUT): number {
  return new DataView(m.ram.buffer).getFloat64(at, true);
}
function i32(m: TestMachine, at = OUT): number {
  return new DataView(m.ram.buffer).getInt32(at, true);
}
function hex64(m: TestMachine, at = OUT): string {
  const v = new DataView(m.ram.buffer);
  return v.getUint32(at + 4, true).toString(16).padStart(8, "0") +
    v.getUint32(at, true).toString(16).padStart(8, "0");
}
/** The vector the run ended in (0xff: none). */
function vector(m: TestMachine): number {
  return reg(m.vcpu, "rbx") & 0xff;
}
function cpuFpu(m: TestMachine) {
  return m.vcpu.cpu.fpu!;
}
/** Data definitions placed after the code. */
function data(lines: string): string {
  return `jmp near .end\n${lines}\n.end:`;
}

Deno.test("x87: FNINIT, FNSTSW and FNSTCW give what Linux's FPU probe checks", () => {
  const m = run(`mov word [${OUT}], 0xffff\nmov word [${OUT + 2}], 0xffff
    fnstsw [${OUT}]\nfnstcw [${OUT + 2}]\nfnstsw ax`);
  assertEquals(word(m.ram, OUT), 0);
  assertEquals(word(m.ram, OUT + 2), 0x37f);
  assertEquals(word(m.ram, OUT + 2) & 0x103f, 0x3f);
  assertEquals(reg(m.vcpu, "rax") & 0xffff, 0);
});

Deno.test("x87: CPUID reports the FPU on the 386 model, not FXSR", () => {
  const m = run("mov eax, 1\ncpuid");
  assertEquals(reg(m.vcpu, "rdx") & 1, 1);
  assertEquals((reg(m.vcpu, "rdx") >> 24) & 1, 0);
});

Deno.test("x87: the FDIV-bug check (fld/fdiv/fmul/fld/fsubp/fistp) gives 0", () => {
  const m = run(`${data("x: dq 4195835.0\ny: dq 3145727.0")}
    fld qword [x]\nfdiv qword [y]\nfmul qword [y]\nfld qword [x]\nfsubp st1, st0
    fistp dword [${OUT}]\nfwait\nfld qword [x]\nfdiv qword [y]\nfstp qword [${OUT + 8}]`);
  assertEquals(i32(m), 0);
  assertEquals(f64(m, OUT + 8), 4195835 / 3145727);
  assertEquals(cpuFpu(m).top, 0);
});

Deno.test("x87: arithmetic forms, reversed operands and integer operands", () => {
  const m = run(`${data("a: dq 10.0\nb: dq 4.0\nn: dw 3\nk: dd -7")}
    fld qword [a]\nfld qword [b]     ; st0=4 st1=10
    fsub st0, st1\nfstp qword [${OUT}]     ; 4-10
    fld qword [b]\nfsubr st0, st1\nfstp qword [${OUT + 8}]  ; 10-4
    fld qword [b]\nfsub st1, st0\nfstp st0\nfst qword [${OUT + 16}]  ; st1 := 10-4 = 6
    fld qword [b]\nfdivp st1, st0\nfst qword [${OUT + 24}]   ; 6/4
    fidiv word [n]\nfst qword [${OUT + 32}]   ; 1.5/3
    fimul dword [k]\nfstp qword [${OUT + 40}]  ; -3.5
    fld qword [a]\nfld qword [b]\nfdivrp st1, st0\nfstp qword [${OUT + 48}]  ; 4/10`);
  assertEquals(
    [0, 8, 16, 24, 32, 40, 48].map((d) => f64(m, OUT + d)),
    [-6, 6, 6, 1.5, 0.5, -3.5, 0.4],
  );
  assertEquals(cpuFpu(m).empty, 0xff);
});

Deno.test("x87: FSQRT, FSIN, FCOS, FPTAN, FPATAN, FSINCOS, F2XM1, FYL2X, FSCALE, FXTRACT", () => {
  const m = run(`${data("h: dq 0.5\nt: dq 3.0\nten: dq 10.0")}
    fld qword [t]\nfsqrt\nfstp qword [${OUT}]
    fld qword [h]\nfsin\nfstp qword [${OUT + 8}]
    fld qword [h]\nfcos\nfstp qword [${OUT + 16}]
    fld qword [h]\nfptan\nfstp qword [${OUT + 24}]\nfstp qword [${OUT + 32}]
    fld qword [t]\nfld1\nfpatan\nfstp qword [${OUT + 40}]
    fld qword [h]\nfsincos\nfstp qword [${OUT + 48}]\nfstp qword [${OUT + 56}]
    fld qword [h]\nf2xm1\nfstp qword [${OUT + 64}]
    fld1\nfld qword [ten]\nfyl2x\nfstp qword [${OUT + 72}]
    fld qword [t]\nfld qword [ten]\nfscale\nfstp qword [${OUT + 80}]\nfstp st0
    fld qword [ten]\nfxtract\nfstp qword [${OUT + 88}]\nfstp qword [${OUT + 96}]`);
  const got = Array.from({ length: 13 }, (_, i) => f64(m, OUT + i * 8));
  assertEquals(got, [
    Math.sqrt(3),
    Math.sin(0.5),
    Math.cos(0.5),
    1,
    Math.tan(0.5),
    Math.atan2(3, 1),
    Math.cos(0.5),
    Math.sin(0.5),
    Math.expm1(0.5 * Math.LN2),
    Math.log2(10),
    10 * 8,
    1.25,
    3,
  ]);
  assertEquals(cpuFpu(m).empty, 0xff);
});

Deno.test("x87: FSIN beyond 2^63 sets C2 and leaves the operand", () => {
  const m = run(`${data("big: dq 1.0e19")}
    fld qword [big]\nfsin\nfnstsw ax\nfstp qword [${OUT}]`);
  assertEquals(reg(m.vcpu, "rax") & 0x400, 0x400);
  assertEquals(f64(m), 1e19);
});

Deno.test("x87: FRNDINT and FIST follow the rounding control", () => {
  const results: number[][] = [];
  for (const rc of [0, 1, 2, 3]) {
    const cw = 0x37f | (rc << 10);
    const m = run(`${data(`cw: dw ${cw}\np: dq 2.5\nq: dq -2.5\nr: dq 1.5`)}
      fldcw [cw]
      fld qword [p]\nfrndint\nfistp dword [${OUT}]
      fld qword [q]\nfrndint\nfistp dword [${OUT + 4}]
      fld qword [r]\nfistp dword [${OUT + 8}]`);
    results.push([i32(m), i32(m, OUT + 4), i32(m, OUT + 8)]);
    assertEquals(cpuFpu(m).sw & 0x20, 0x20); // PE
  }
  assertEquals(results, [[2, -2, 2], [2, -3, 1], [3, -2, 2], [2, -2, 1]]);
});

Deno.test("x87: directed rounding of arithmetic is one ulp apart around the exact value", () => {
  const third: number[] = [];
  for (const rc of [0, 1, 2, 3]) {
    const m = run(`${data(`cw: dw ${0x37f | (rc << 10)}\nthree: dq 3.0`)}
      fldcw [cw]\nfld1\nfdiv qword [three]\nfstp qword [${OUT}]`);
    third.push(f64(m));
  }
  const down = third[1], up = third[2];
  assertEquals(third[0], 1 / 3);
  assertEquals(third[3], down);
  assertEquals(down < 1 / 3 || down === 1 / 3, true);
  assertEquals(up > down, true);
  assertEquals(new Float64Array([up - down])[0], Math.pow(2, -54));
  // x + (-x) is -0 when rounding down.
  const m = run(`${data(`cw: dw ${0x37f | (1 << 10)}\none: dq 1.0`)}
    fldcw [cw]\nfld qword [one]\nfchs\nfadd qword [one]\nfstp qword [${OUT}]`);
  assertEquals(Object.is(f64(m), -0), true);
});

Deno.test("x87: precision control single rounds results to 24 bits", () => {
  const m = run(`${data("cw: dw 0x07f\nthree: dq 3.0")}
    fldcw [cw]\nfld1\nfdiv qword [three]\nfstp qword [${OUT}]`);
  assertEquals(f64(m), Math.fround(1 / 3));
});

Deno.test("x87: integer stores out of range give the integer indefinite and IE", () => {
  const m = run(`${data("big: dq 1.0e10\nneg: dq -32768.0")}
    fld qword [big]\nfistp word [${OUT}]
    fld qword [big]\nfistp dword [${OUT + 4}]
    fld qword [big]\nfistp qword [${OUT + 8}]
    fld qword [neg]\nfistp word [${OUT + 16}]\nfnstsw ax`);
  assertEquals(word(m.ram, OUT), 0x8000);
  assertEquals(i32(m, OUT + 4) >>> 0, 0x80000000);
  assertEquals(hex64(m, OUT + 8), "00000002540be400");
  assertEquals(word(m.ram, OUT + 16), 0x8000);
  assertEquals(reg(m.vcpu, "rax") & 0x41, 1); // IE, no stack fault
});

Deno.test("x87: 64-bit integers load and store", () => {
  const m = run(`${data("big: dq -1234567890123\n")}
    fild qword [big]\nfistp qword [${OUT}]\nfild qword [big]\nfchs\nfistp qword [${OUT + 8}]`);
  const v = new DataView(m.ram.buffer);
  assertEquals(v.getBigInt64(OUT, true), -1234567890123n);
  assertEquals(v.getBigInt64(OUT + 8, true), 1234567890123n);
});

Deno.test("x87: FCOM then FNSTSW: C0, C2, C3 for <, >, = and unordered", () => {
  const codes: number[] = [];
  for (const [a, b] of [["1.0", "2.0"], ["3.0", "2.0"], ["2.0", "2.0"]]) {
    const m = run(`${data(`a: dq ${a}\nb: dq ${b}`)}
      fld qword [a]\nfcomp qword [b]\nfnstsw ax`);
    codes.push((reg(m.vcpu, "rax") >> 8) & 0x45);
  }
  assertEquals(codes, [0x01, 0x00, 0x40]);
  // Unordered: FUCOM raises nothing for a QNaN, FCOM raises IE.
  const m = run(`${data("nan: dq 0x7ff8000000000000")}
    fldz\nfld qword [nan]\nfucom st1\nfnstsw ax\nmov [${OUT}], ax\nfcom st1\nfnstsw ax`);
  assertEquals((word(m.ram, OUT) >> 8) & 0x45, 0x45);
  assertEquals(word(m.ram, OUT) & 1, 0);
  assertEquals(reg(m.vcpu, "rax") & 1, 1);
});

Deno.test("x87: FCOMI, FUCOMIP and FCMOVcc", () => {
  const m = run(`${data("a: dq 1.0\nb: dq 2.0")}
    fld qword [b]\nfld qword [a]\nfcomi st0, st1\nsetb [${OUT}]\nsetz [${OUT + 1}]
    fcmovb st0, st1\nfstp qword [${OUT + 8}]\nfld qword [b]\nfucomip st0, st1\nsetz [${OUT + 2}]
    fstp st0`);
  assertEquals([m.ram[OUT], m.ram[OUT + 1], m.ram[OUT + 2]], [1, 0, 1]);
  assertEquals(f64(m, OUT + 8), 2);
  assertEquals(cpuFpu(m).empty, 0xff);
});

Deno.test("x87: FXAM classes and sign", () => {
  const classes: number[] = [];
  for (const load of ["fldz", "fld1", "fld qword [inf]", "fld qword [nan]", "fld1\nfchs"]) {
    const m = run(`${data("inf: dq 0x7ff0000000000000\nnan: dq 0x7ff8000000000000")}
      ${load}\nfxam\nfnstsw ax`);
    classes.push((reg(m.vcpu, "rax") >> 8) & 0x47);
  }
  const empty = run("fxam\nfnstsw ax");
  classes.push((reg(empty.vcpu, "rax") >> 8) & 0x47);
  // zero 100, normal 010, infinity 011, NaN 001, negative normal (C1), empty 101
  assertEquals(classes, [0x40, 0x04, 0x05, 0x01, 0x06, 0x41]);
});

Deno.test("x87: stack underflow and overflow: IE+SF, C1, the indefinite", () => {
  const m = run(`fadd st0, st1\nfnstsw ax\nmov [${OUT}], ax\nfstp qword [${OUT + 8}]`);
  assertEquals(word(m.ram, OUT) & 0x241, 0x41); // IE SF, C1 clear
  assertEquals(hex64(m, OUT + 8), "fff8000000000000");
  const o = run(`fninit\n${"fld1\n".repeat(9)}fnstsw ax`);
  assertEquals(reg(o.vcpu, "rax") & 0x241, 0x241); // C1 set: overflow
  assertEquals(hex64(run(`${"fld1\n".repeat(9)}fstp qword [${OUT}]`)), "fff8000000000000");
});

Deno.test("x87: masked invalid operations give the indefinite; division by zero infinity", () => {
  const m = run(`${data("m1: dq -1.0")}
    fld qword [m1]\nfsqrt\nfstp qword [${OUT}]
    fld1\nfldz\nfdivp st1, st0\nfstp qword [${OUT + 8}]
    fldz\nfldz\nfdivp st1, st0\nfstp qword [${OUT + 16}]\nfnstsw ax`);
  assertEquals(hex64(m), "fff8000000000000");
  assertEquals(f64(m, OUT + 8), Infinity);
  assertEquals(hex64(m, OUT + 16), "fff8000000000000");
  assertEquals(reg(m.vcpu, "rax") & 0x3f, 0x05); // IE, ZE
});

Deno.test("x87: 80-bit loads and stores are exact for doubles; FBLD/FBSTP", () => {
  const m = run(
    `${data("e: dt 3.14159265358979311599796346854\ns: dt 1.0e-310\nbcd: dq 0x12345\ndw 0x8000")}
    fld tword [e]\nfst qword [${OUT}]\nfstp tword [${OUT + 8}]
    fld tword [s]\nfst qword [${OUT + 60}]\nfstp tword [${OUT + 24}]
    fbld [bcd]\nfst qword [${OUT + 40}]\nfbstp [${OUT + 48}]`,
  );
  assertEquals(f64(m), Math.PI);
  assertEquals(Array.from(m.ram.subarray(OUT + 8, OUT + 18)), [
    0x00,
    0xc0,
    0x68,
    0x21,
    0xa2,
    0xda,
    0x0f,
    0xc9,
    0x00,
    0x40,
  ]);
  // A double denormal is a normal extended number: exponent 0x3bfd and a normalized significand.
  assertEquals(word(m.ram, OUT + 32), 0x3bf9);
  assertEquals(f64(m, OUT + 60), 1e-310);
  assertEquals(f64(m, OUT + 40), -12345);
  assertEquals(Array.from(m.ram.subarray(OUT + 48, OUT + 58)), [
    0x45,
    0x23,
    0x01,
    0,
    0,
    0,
    0,
    0,
    0,
    0x80,
  ]);
});

Deno.test("x87: FNSAVE/FRSTOR round trip; the 16-bit real-mode layout", () => {
  const m = run(`${data("v: dq 2.5\ncw: dw 0x0b7f")}
    fldcw [cw]\nfld1\nfld qword [v]\nfldz
    fnsave [${OUT}]\nfnstcw [${OUT + 0x100}]\nfrstor [${OUT}]\nfsave [${OUT + 0x200}]`);
  const at = OUT;
  assertEquals(word(m.ram, at), 0x0b7f); // CW
  assertEquals((word(m.ram, at + 2) >> 11) & 7, 5); // TOP after three pushes
  // Tags by physical register: 5 zero (01), 6 valid (00), 7 valid (00), others empty (11).
  assertEquals(word(m.ram, at + 4), 0x07ff);
  assertEquals(word(m.ram, OUT + 0x100), 0x37f); // FNSAVE reinitialized
  // ST(0)=0, ST(1)=2.5, ST(2)=1 as 80-bit values after the 14-byte environment.
  const st = (i: number) => Array.from(m.ram.subarray(at + 14 + i * 10, at + 24 + i * 10));
  assertEquals(st(0), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals(st(1), [0, 0, 0, 0, 0, 0, 0, 0xa0, 0x00, 0x40]);
  assertEquals(st(2), [0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0x3f]);
  // The second image equals the first: FRSTOR restored everything (pointers included).
  assertEquals(
    Array.from(m.ram.subarray(OUT + 0x200, OUT + 0x200 + 94)),
    Array.from(m.ram.subarray(at, at + 94)),
  );
});

Deno.test("x87: the 32-bit real-mode FNSTENV layout and FLDENV", () => {
  const m = run(`fld1\nfldz\nfnstenv [${OUT}]\nfnstcw [${OUT + 0x80}]
    mov word [${OUT}], 0x0c7f\nfldenv [${OUT}]\nfnstcw [${OUT + 0x82}]\no32 fnstenv [${
    OUT + 0x40
  }]`);
  assertEquals(word(m.ram, OUT + 0x80), 0x37f | 0x3f); // FNSTENV masks everything after storing
  assertEquals(word(m.ram, OUT + 0x82), 0x0c7f);
  const dv = new DataView(m.ram.buffer);
  const d = (k: number) => dv.getUint32(OUT + 0x40 + k * 4, true);
  assertEquals(d(0), 0xffff0c7f);
  assertEquals(d(1) & 0xffff, 6 << 11);
  assertEquals(d(2), 0xffff1fff); // phys 6 zero, 7 valid
  // FIP: the linear address of fldz (the last numeric instruction), FOP D9 EE.
  const fldz = 0x1000 + 2 + 2 + 2; // mov bl,ff; fninit; fld1
  assertEquals(d(3) & 0xffff, fldz);
  assertEquals(d(4) & 0x7ff, 0x1ee);
});

Deno.test("x87: #NM with CR0.EM or TS; WAIT only with TS and MP", () => {
  const nm = (cr0: number, insn: string) =>
    vector(run(`mov eax, ${cr0}\nmov cr0, eax\n${insn}\nmov bl, 0xee`));
  assertEquals(nm(0x60000014, "fld1"), 7); // EM
  assertEquals(nm(0x60000018, "fld1"), 7); // TS
  assertEquals(nm(0x60000018, "fwait"), 0xee); // TS without MP
  assertEquals(nm(0x6000001a, "fwait"), 7); // TS and MP
  assertEquals(nm(0x60000016, "fwait"), 0xee); // EM and MP: WAIT runs
  assertEquals(nm(0x60000010, "fld1"), 0xee);
});

Deno.test("x87: an unmasked exception is reported by #MF on the next waiting instruction (CR0.NE)", () => {
  const src = (cr0: number) =>
    `${data("cw: dw 0x37b")}
    mov eax, ${cr0}\nmov cr0, eax\nfldcw [cw]\nfld1\nfldz\nfdivp st1, st0
    mov bl, 0xee\nfnstsw [${OUT}]\nfld1\nmov bl, 0xdd`;
  const m = run(src(0x60000030));
  assertEquals(vector(m), 16);
  assertEquals(word(m.ram, reg(m.vcpu, "rsp") & 0xffff) > 0x1000, true);
  assertEquals(word(m.ram, OUT) & 0x8084, 0x8084); // B, ES, ZE
  assertEquals([cpuFpu(m).get(0), cpuFpu(m).get(1)], [0, 1]); // ZE left ST(1) alone
  assertEquals(cpuFpu(m).top, 6); // no pop
  // CR0.NE clear: the error stays pending and the instruction runs.
  const n = run(src(0x60000010));
  assertEquals(vector(n), 0xdd);
  assertEquals(cpuFpu(n).sw & 0x80, 0x80);
});

Deno.test("x87: a store that faults leaves the FPU state unchanged and restarts", () => {
  const m = run(`fld1\nfldpi\nfstp qword [0xfffc]`);
  assertEquals(vector(m), 13);
  const x = cpuFpu(m);
  assertEquals([x.top, x.get(0), x.get(1)], [6, Math.PI, 1]);
  assertEquals(word(m.ram, reg(m.vcpu, "rsp") & 0xffff), 0x1000 + 2 + 2 + 2 + 2);
});

Deno.test("x87: FPREM and FPREM1 remainders and quotient bits", () => {
  const m = run(`${data("a: dq 18.0\nb: dq 5.0")}
    fld qword [b]\nfld qword [a]\nfprem\nfnstsw ax\nmov [${OUT + 16}], ax\nfstp qword [${OUT}]
    fld qword [a]\nfprem1\nfstp qword [${OUT + 8}]\nfstp st0`);
  assertEquals([f64(m), f64(m, OUT + 8)], [3, -2]);
  // q = 3 (0b011): C3 = bit 0, C1 = bit 1, C0 = bit 2; C2 clear (complete).
  assertEquals(word(m.ram, OUT + 16) & 0x4700, 0x4200);
});

Deno.test("x87: translated and interpreted runs agree at every instruction count", () => {
  // A hot loop mixing integer and x87 code: blocks end before each escape and WAIT.
  const source = `${data("one: dq 1.0\nacc: dq 0")}
    mov cx, 40\nfldz
    .loop: add ax, cx\nfadd qword [one]\nfwait\ninc bx\nfst qword [acc]\nxor dx, ax
    loop .loop\nfistp dword [${OUT}]`;
  const trace = (translation: { threshold: number } | null, slice: number) => {
    const m = asmMachine(`mov bl, 0xff\nfninit\n${source}\nhlt`, { translation });
    m.vcpu.sliceLimit = slice;
    const states: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const kind = m.vcpu.run().kind;
      const x = m.vcpu.cpu.fpu!;
      states.push(
        [m.vcpu.instructions, m.vcpu.cpu.ip, reg(m.vcpu, "rax"), x.top, x.get(0), x.sw].join(),
      );
      if (kind === "hlt") break;
    }
    return { states, result: i32(m), blocks: m.vcpu.cpu.blocks?.translated ?? 0 };
  };
  for (const slice of [1, 2, 5, 13, 1 << 20]) {
    const want = trace(null, slice);
    const got = trace({ threshold: 16 }, slice); // 40 passes: fewer than the default's arrivals
    assertEquals(got.states, want.states, `slice ${slice}`);
    assertEquals(got.result, 40);
    if (slice === 1 << 20) assertEquals(got.blocks > 0, true);
  }
});
