import { deepStrictEqual as assertEquals } from "@std/assert";
import { machine, reg, setReg } from "./helpers.ts";

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF;

/** Reference flags of a 32-bit ALU result, computed independently with BigInt. */
function reference(op: string, a: number, b: number, cin: number): number {
  const A = BigInt(a), B = BigInt(b), C = BigInt(cin);
  let t: bigint;
  switch (op) {
    case "add":
    case "adc":
    case "inc":
      t = A + B + C;
      break;
    default:
      t = A - B - C;
  }
  const logic = op === "and" || op === "or" || op === "xor";
  if (logic) t = op === "and" ? A & B : op === "or" ? A | B : A ^ B;
  const r = Number(BigInt.asUintN(32, t));
  let f = 0;
  if (!logic && op !== "inc" && op !== "dec" && (t < 0n || t > 0xffffffffn)) f |= CF;
  let ones = 0;
  for (let i = 0; i < 8; i++) ones += (r >> i) & 1;
  if (ones % 2 === 0) f |= PF;
  if (r === 0) f |= ZF;
  if (r >>> 31) f |= SF;
  if (!logic && ((a ^ b ^ r) & 0x10)) f |= AF;
  const sa = a >>> 31, sb = b >>> 31, sr = r >>> 31;
  const adds = op === "add" || op === "adc" || op === "inc";
  if (!logic && (adds ? sa === sb && sr !== sa : sa !== sb && sr !== sa)) f |= OF;
  if ((op === "inc" || op === "dec") && cin) f |= CF; // INC/DEC keep CF (passed in as cin here)
  return f;
}

const OPCODES: Record<string, number[]> = {
  add: [0x66, 0x01, 0xd8],
  adc: [0x66, 0x11, 0xd8],
  sub: [0x66, 0x29, 0xd8],
  sbb: [0x66, 0x19, 0xd8],
  cmp: [0x66, 0x39, 0xd8],
  and: [0x66, 0x21, 0xd8],
  or: [0x66, 0x09, 0xd8],
  xor: [0x66, 0x31, 0xd8],
  inc: [0x66, 0x40],
  dec: [0x66, 0x48],
};

Deno.test("32-bit arithmetic flags match a BigInt reference", () => {
  const values = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x0000000f, 0x12345678, 0xfedcba98];
  for (const [op, bytes] of Object.entries(OPCODES)) {
    for (const a of values) {
      for (const b of values) {
        for (const cin of [0, 1]) {
          // stc/clc; <op> eax, ebx; pushfd; pop ecx; hlt
          const m = machine([cin ? 0xf9 : 0xf8, ...bytes, 0x66, 0x9c, 0x66, 0x59, 0xf4]);
          setReg(m.vcpu, "rax", a);
          setReg(m.vcpu, "rbx", b);
          assertEquals(m.vcpu.run().kind, "hlt");
          const bb = op === "inc" || op === "dec" ? 1 : b;
          const carry = op === "adc" || op === "sbb" || op === "inc" || op === "dec" ? cin : 0;
          const want = op === "inc" || op === "dec"
            ? (reference(op, a, bb, 0) & ~CF) | (cin ? CF : 0)
            : reference(op, a, bb, carry);
          assertEquals(
            (reg(m.vcpu, "rcx") & ARITH).toString(16),
            want.toString(16),
            `${op} ${a.toString(16)}, ${b.toString(16)} cf=${cin}`,
          );
        }
      }
    }
  }
});

Deno.test("SETcc after a 32-bit CMP matches signed and unsigned comparison", () => {
  const values = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 5];
  for (const a of values) {
    for (const b of values) {
      const code: number[] = [0x66, 0x39, 0xd8]; // cmp eax, ebx
      for (let cc = 0; cc < 16; cc++) code.push(0x0f, 0x90 + cc, 0x06, 0x00 + cc, 0x20); // setcc [0x2000+cc]
      code.push(0xf4);
      const m = machine(code);
      setReg(m.vcpu, "rax", a);
      setReg(m.vcpu, "rbx", b);
      assertEquals(m.vcpu.run().kind, "hlt");
      const sa = a | 0, sb = b | 0, d = (a - b) >>> 0;
      const of = ((a ^ b) & (a ^ d)) >>> 31 === 1;
      const sf = d >>> 31 === 1;
      const expect = [
        of,
        !of,
        a < b,
        a >= b,
        a === b,
        a !== b,
        a <= b,
        a > b,
        sf,
        !sf,
      ];
      for (let cc = 0; cc < 10; cc++) {
        assertEquals(m.ram[0x2000 + cc] === 1, expect[cc], `cc ${cc} for ${a} ${b}`);
      }
      assertEquals(m.ram[0x200c] === 1, sa < sb);
      assertEquals(m.ram[0x200d] === 1, sa >= sb);
      assertEquals(m.ram[0x200e] === 1, sa <= sb);
      assertEquals(m.ram[0x200f] === 1, sa > sb);
    }
  }
});
