/**
 * The program-like benchmark guests (bench/guests/ sieve.asm ... game.asm,
 * `deno task bench:programs`): a model of each in TypeScript that gives the
 * exit value, the result registers and the exact number of instructions a
 * correct run of N rounds retires (REP iterations counted one each, as
 * picovmm's counter does), and their assembly.
 *
 * Each model follows its guest's loops step by step; the instruction counts
 * per block are those written in the guest's header.
 *
 * @module
 */

import { type Expected, fold7 } from "./guests.ts";

/** RAM of the flat runs: the guests use 1000:0000-FFFF and a stack below 0x7000. */
export const PROGRAM_MEMORY = 0x20000;

/** What a correct run of a program guest for N rounds ends with. */
export interface ProgramExpected extends Expected {
  /** Instructions retired from the first instruction to the debug-exit OUT, inclusive. */
  instructions: number;
}

/** One program-like workload. */
export interface Program {
  /** Short name; also the guest's file name in bench/guests/ without `.asm`. */
  name: string;
  /** What it does, for the tables. */
  title: string;
  /** The model: the result of a correct run of `n` rounds. */
  expected(n: number): ProgramExpected;
}

const rol32 = (v: number, s: number) => ((v << s) | (v >>> (32 - s))) >>> 0;
const rol16 = (v: number, s: number) => ((v << s) | ((v & 0xffff) >>> (16 - s))) & 0xffff;
/** Adds `v` to the low word of `r`, as `add dx, v` does to EDX. */
const addLow16 = (r: number, v: number) => ((r & 0xffff0000) | ((r + v) & 0xffff)) >>> 0;
/** XORs `v` into the low word of `r`, as `xor dx, v` does to EDX. */
const xorLow16 = (r: number, v: number) => (r ^ (v & 0xffff)) >>> 0;
/** ECX after a guest loaded N into it and then counted CX down to 0: N's upper half. */
const highOfCount = (n: number) => (n & 0xffff0000) >>> 0;

function sieve(n: number): ProgramExpected {
  const SIZE = 8190;
  const flags = new Uint8Array(SIZE);
  flags.fill(1, 2);
  let count = 0;
  let round = 3 + (SIZE - 2) + 2 + 4;
  for (let i = 2; i < SIZE; i++) {
    if (!flags[i]) {
      round += 5;
      continue;
    }
    count++;
    round += 10;
    for (let j = 2 * i; j < SIZE; j += i) {
      flags[j] = 0;
      round += 4;
    }
  }
  let ebx = 0;
  for (let k = 0; k < n; k++) ebx = (rol32(ebx, 5) + count) >>> 0;
  return {
    exitValue: fold7(ebx ^ count),
    regs: { rbx: ebx, rdx: count, rsi: SIZE },
    instructions: 27 + n * round,
  };
}

function fib(n: number): ProgramExpected {
  const value = [0, 1];
  const calls = [3, 3];
  for (let m = 2; m <= 21; m++) {
    value[m] = (value[m - 1] + value[m - 2]) & 0xffff;
    calls[m] = 12 + calls[m - 1] + calls[m - 2];
  }
  let edx = 0, esi = 0, ins = 23;
  for (let k = n; k > 0; k--) {
    const arg = 18 + (k & 3);
    edx = (edx + value[arg]) >>> 0;
    esi = (rol32(esi, 3) ^ value[arg]) >>> 0;
    ins += 9 + calls[arg];
  }
  return { exitValue: fold7(edx ^ esi), regs: { rcx: 0, rdx: edx, rsi: esi }, instructions: ins };
}

function bsort(n: number): ProgramExpected {
  const LEN = 100;
  const a = new Uint16Array(LEN);
  let seed = 0x1234, esi = 0, swaps = 0, ins = 31;
  for (let k = 0; k < n; k++) {
    ins += 1;
    for (let i = 0; i < LEN; i++) {
      seed = (Math.imul(seed, 25173) + 13849) & 0xffff;
      a[i] = seed;
      ins += 9;
    }
    ins += 1;
    for (let cx = LEN - 1; cx > 0; cx--) {
      ins += 3;
      let swapped = 0;
      for (let b = 0; b < cx; b++) {
        ins += 5;
        if (a[b] > a[b + 1]) {
          const t = a[b];
          a[b] = a[b + 1];
          a[b + 1] = t;
          swapped++;
          ins += 3;
        }
      }
      ins += 4;
      swaps = (swaps + swapped) >>> 0;
      if (!swapped) break;
      ins += 1;
    }
    ins += 2;
    for (let i = 0; i < LEN; i++) {
      esi = (Math.imul(esi, 31) + a[i]) >>> 0;
      ins += 5;
    }
    ins += 2;
  }
  return {
    exitValue: fold7(esi ^ swaps ^ seed),
    regs: { rcx: highOfCount(n), rbx: seed, rdx: swaps, rsi: esi },
    instructions: ins,
  };
}

function crc32(n: number): ProgramExpected {
  const LEN = 1024;
  const buf = new Uint8Array(LEN);
  for (let i = 0; i < LEN; i++) buf[i] = (11 + 37 * i) & 0xff;
  let crc = 0, edi = 0, ins = 28 + 5 * LEN;
  for (let k = 0; k < n; k++) {
    ins += 2;
    crc = 0xffffffff;
    for (let i = 0; i < LEN; i++) {
      crc = (crc ^ buf[i]) >>> 0;
      ins += 5;
      for (let b = 0; b < 8; b++) {
        const low = crc & 1;
        crc >>>= 1;
        if (low) {
          crc = (crc ^ 0xedb88320) >>> 0;
          ins += 5;
        } else ins += 4;
      }
    }
    crc = ~crc >>> 0;
    buf[0] = crc & 0xff;
    buf[1] = (crc >>> 8) & 0xff;
    buf[2] = (crc >>> 16) & 0xff;
    buf[3] = crc >>> 24;
    edi = (rol32(edi, 1) ^ crc) >>> 0;
    ins += 6;
  }
  return { exitValue: fold7(crc ^ edi), regs: { rdx: crc, rdi: edi, rsi: LEN }, instructions: ins };
}

function blockcopy(n: number): ProgramExpected {
  const mem = new Uint8Array(0x10000);
  const word = (at: number) => mem[at] | (mem[at + 1] << 8);
  const round = 4 + 4096 + 5 + 3 + 4096 + 3 + 2048 + 2 + 32 * 5 + 3;
  let edx = 0, bx = 0;
  for (let k = n; k > 0; k--) {
    const bp = k & 0xffff;
    const pattern = bp ^ 0x5a5a;
    for (let i = 0; i < 0x2000; i += 2) {
      mem[i] = pattern & 0xff;
      mem[i + 1] = pattern >>> 8;
    }
    bx = ((Math.imul(bp, 26) & 0x0ffc) + 2) & 0xffff;
    mem[bx] = bp & 0xff;
    mem[bx + 1] = bp >>> 8;
    mem.copyWithin(0x4000, 0, 0x2000);
    mem.copyWithin(0x8000, 0x4001, 0x4001 + 0x1000);
    for (let j = 0; j < 32; j++) edx = xorLow16(rol32(edx, 1), word(0x8000 + 128 * j));
    edx = xorLow16(edx, word(bx + 0x7fff));
  }
  return {
    exitValue: fold7(edx),
    regs: { rcx: highOfCount(n), rbx: bx, rdx: edx },
    instructions: 26 + n * round,
  };
}

/** The bytecode machine's opcodes, as numbered in bytecode.asm. */
const OP = {
  HALT: 0,
  PUSH: 1,
  ADD: 2,
  SUB: 3,
  XOR: 4,
  MUL3: 5,
  DUP: 6,
  LOAD: 7,
  STORE: 8,
  JNZ: 9,
  ROL: 10,
} as const;

/** Instructions of each handler (the dispatch's 4 not included); JNZ: not taken. */
const HANDLER = [1, 4, 3, 4, 3, 4, 2, 5, 5, 5, 2];

/** bytecode.asm's program. */
function bytecodeProgram(): number[] {
  const p = [OP.PUSH, 150, 0, OP.STORE, 0];
  const loop = p.length;
  p.push(OP.LOAD, 2, OP.MUL3, OP.LOAD, 0, OP.XOR, OP.LOAD, 0, OP.ADD, OP.ROL, OP.STORE, 2);
  p.push(OP.LOAD, 0, OP.PUSH, 1, 0, OP.SUB, OP.DUP, OP.STORE, 0, OP.JNZ);
  p.push((loop - (p.length + 1)) & 0xff, OP.HALT);
  return p;
}

function bytecode(n: number): ProgramExpected {
  const program = bytecodeProgram();
  const vars = new Uint16Array(2);
  const stack: number[] = [];
  let edi = 0, dx = 0, acc = 0, ins = 33;
  for (let k = n; k > 0; k--) {
    vars[1] = k & 0xffff;
    ins += 3;
    let ip = 0;
    for (;;) {
      const op = program[ip++];
      ins += 4 + HANDLER[op];
      if (op === OP.HALT) break;
      switch (op) {
        case OP.PUSH:
          stack.push(dx);
          dx = program[ip] | (program[ip + 1] << 8);
          ip += 2;
          break;
        case OP.ADD:
          dx = (stack.pop()! + dx) & 0xffff;
          break;
        case OP.SUB:
          dx = (stack.pop()! - dx) & 0xffff;
          break;
        case OP.XOR:
          dx = stack.pop()! ^ dx;
          break;
        case OP.MUL3:
          dx = (dx * 3) & 0xffff;
          break;
        case OP.DUP:
          stack.push(dx);
          break;
        case OP.LOAD:
          stack.push(dx);
          dx = vars[program[ip++] >> 1];
          break;
        case OP.STORE:
          vars[program[ip++] >> 1] = dx;
          dx = stack.pop()!;
          break;
        case OP.JNZ: {
          const rel = (program[ip++] << 24) >> 24;
          const top = dx;
          dx = stack.pop()!;
          if (top) {
            ip += rel;
            ins += 3;
          }
          break;
        }
        case OP.ROL:
          dx = rol16(dx, 3);
          break;
        default:
          throw new Error(`bytecode model: opcode ${op}`);
      }
    }
    acc = vars[1];
    edi = (rol32(edi, 5) + acc) >>> 0;
    ins += 5;
  }
  return {
    exitValue: fold7(edi ^ acc),
    regs: { rcx: 0, rbx: acc, rdx: dx, rdi: edi },
    instructions: ins,
  };
}

/** strings.asm's strings. */
export const STRINGS = [
  "TheQuickBrownFox",
  "TheQuickBrownDog",
  "JumpsOverTheLazyDog",
  "JumpsOverTheLazyCat",
  "Lorem1psumDolorSitAmet",
  "Lorem1psumDolor",
  "picovmmBenchmarkString",
  "picovmmBenchmark",
];

function strings(n: number): ProgramExpected {
  const slots = new Uint8Array(STRINGS.length * 64);
  const bytes = STRINGS.map((s) => new TextEncoder().encode(s));
  const len = bytes.map((b) => b.length);
  let edx = 0, ins = 32;
  for (let k = n; k > 0; k--) {
    ins += 4;
    bytes.forEach((b, i) => {
      slots.set(b, 64 * i);
      slots[64 * i + b.length] = 0;
      ins += 4 + 4 * (b.length + 1);
    });
    const bp = k & 0xffff;
    slots[((bp & 7) << 6) + ((bp >> 3) & 7)] ^= 0x20;
    ins += 10 + 1;
    for (const l of len) {
      edx = addLow16(rol32(edx, 1), l);
      ins += 10 + l + 1;
    }
    ins += 1;
    for (const l of len) {
      edx = addLow16(rol32(edx, 1), l);
      ins += 8 + 3 * (l + 1);
    }
    ins += 1;
    for (let p = 0; p + 1 < STRINGS.length; p++) {
      const a = 64 * p, b = a + 64;
      let i = 0, sign = 0;
      ins += 2;
      for (;;) {
        const x = slots[a + i], y = slots[b + i];
        if (x !== y) {
          sign = x < y ? 0xffff : 1;
          ins += 5;
          break;
        }
        i++;
        ins += 7;
        if (!x) {
          ins += 2;
          break;
        }
      }
      edx = addLow16(addLow16(rol32(edx, 3), sign), a + i);
      ins += 6;
    }
    ins += 2;
  }
  return {
    exitValue: fold7(edx),
    regs: { rbx: (STRINGS.length - 1) * 64, rdx: edx },
    instructions: ins,
  };
}

function pmhash(n: number): ProgramExpected {
  const SLOTS = 4096, KEYS = 2048;
  const table = new Uint32Array(SLOTS);
  let esi = 0x2545f491, edx = 0, ins = 38 + 5137 + 8;
  for (let k = 0; k < n; k++) {
    table.fill(0);
    ins += 3 + SLOTS + 1;
    for (let i = 0; i < KEYS; i++) {
      esi = (Math.imul(esi, 1664525) + 1013904223) >>> 0;
      const key = (esi | 1) >>> 0;
      let slot = Math.imul(key, 0x9e3779b1) >>> 20;
      ins += 7;
      for (;;) {
        if (table[slot] === 0) {
          table[slot] = key;
          ins += 4;
          break;
        }
        if (table[slot] === key) {
          ins += 5;
          break;
        }
        edx = (edx + 1) >>> 0;
        slot = (slot + 1) & (SLOTS - 1);
        ins += 8;
      }
    }
    ins += 2;
  }
  return { exitValue: fold7(esi ^ edx), regs: { rdx: edx, rsi: esi }, instructions: ins };
}

function game(n: number): ProgramExpected {
  const OBJECTS = 64;
  const x = new Uint16Array(OBJECTS), y = new Uint16Array(OBJECTS);
  const dx = new Uint16Array(OBJECTS), dy = new Uint16Array(OBJECTS);
  let ax = 0x1234, ins = 23 + 9;
  for (let i = 0; i < OBJECTS; i++) {
    ax = (Math.imul(ax, 25173) + 13849) & 0xffff;
    x[i] = ax & 63;
    y[i] = (ax >> 6) & 31;
    const d = ((ax >> 11) & 3) + 1;
    dx[i] = ax & 0x8000 ? -d : d;
    dy[i] = ax & 0x4000 ? -1 : 1;
    ins += 22 + (ax & 0x8000 ? 1 : 0) + (ax & 0x4000 ? 1 : 0);
  }
  const frame = new Uint8Array(64 * 32);
  let edx = 0, bp = 0;
  for (let f = 0; f < n; f++) {
    frame.fill(0);
    ins += 3 + 512 + 2;
    for (let i = 0; i < OBJECTS; i++) {
      let nx = (x[i] + dx[i]) & 0xffff;
      ins += 4;
      if (nx > 63) {
        dx[i] = -dx[i];
        nx = x[i];
        ins += 2;
      }
      x[i] = nx;
      let ny = (y[i] + dy[i]) & 0xffff;
      ins += 5;
      if (ny > 31) {
        dy[i] = -dy[i];
        ny = y[i];
        ins += 2;
      }
      y[i] = ny;
      ins += 3;
      if (nx < 32) {
        bp = (bp + ny) & 0xffff;
        ins += 2;
      } else {
        bp ^= nx;
        ins += 1;
      }
      const cell = ((ny << 6) + nx) & 0xffff;
      ins += 4;
      if (frame[cell]) {
        edx = (edx + 1) >>> 0;
        ins += 1;
      }
      frame[cell] = OBJECTS - i;
      ins += 3;
    }
    ins += 2;
  }
  return {
    exitValue: fold7(edx ^ bp),
    regs: { rcx: highOfCount(n), rdx: edx, rdi: bp },
    instructions: ins,
  };
}

/** The program-like workloads, in report order. */
export const PROGRAMS: readonly Program[] = [
  { name: "sieve", title: "byte sieve, primes below 8190", expected: sieve },
  { name: "fib", title: "recursive Fibonacci, fib(18..21)", expected: fib },
  { name: "bsort", title: "bubble sort, 100 LCG words", expected: bsort },
  { name: "crc32", title: "bitwise CRC-32 of 1 KiB", expected: crc32 },
  { name: "blockcopy", title: "REP STOSW / REP MOVSW, 8+8+4 KiB", expected: blockcopy },
  { name: "bytecode", title: "bytecode interpreter, jump table", expected: bytecode },
  { name: "strings", title: "strcpy/strlen/strcmp, REPNE SCASB", expected: strings },
  { name: "pmhash", title: "32-bit paged protected mode, hash table", expected: pmhash },
  { name: "game", title: "game loop: 64 objects in a 64x32 frame", expected: game },
];

/** The empty guest (bench/guests/empty.asm): its time is subtracted from the others'. */
export const EMPTY_PROGRAM: Program = {
  name: "empty",
  title: "empty sector",
  expected: () => ({ exitValue: 0, regs: {}, instructions: 21 }),
};

/** Looks a program up by name (the empty guest included). */
export function program(name: string): Program {
  const p = [EMPTY_PROGRAM, ...PROGRAMS].find((x) => x.name === name);
  if (!p) throw new Error(`unknown program ${name}`);
  return p;
}

/** Assembles bench/guests/NAME.asm for each name with NASM; checks each is a boot sector. */
export async function assemblePrograms(names: readonly string[]): Promise<Map<string, Uint8Array>> {
  const dir = new URL("../guests/", import.meta.url).pathname;
  const out = await Deno.makeTempDir({ prefix: "picovmm-programs-" });
  const images = new Map<string, Uint8Array>();
  try {
    for (const name of names) {
      const bin = `${out}/${name}.bin`;
      let result: Deno.CommandOutput;
      try {
        result = await new Deno.Command("nasm", {
          args: ["-f", "bin", "-I", dir, "-o", bin, `${dir}${name}.asm`],
        }).output();
      } catch {
        throw new Error("nasm not found (apt-get install nasm)");
      }
      if (!result.success) {
        throw new Error(`nasm ${name}.asm: ${new TextDecoder().decode(result.stderr)}`);
      }
      const image = await Deno.readFile(bin);
      if (image.length !== 512 || image[510] !== 0x55 || image[511] !== 0xaa) {
        throw new Error(`${name}.bin is not a 512-byte boot sector`);
      }
      images.set(name, image);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  return images;
}
