/**
 * Protected-mode differential fuzz cases for the software CPU (`deno task
 * fuzz --pm`, tests/emu/fuzz_pm_test.ts): a random GDT (code and data
 * segments of every DPL, expand-down, small and page-granular limits,
 * conforming code, not-present entries, call gates), random page tables
 * (present, R/W and U/S bits, 4 KiB pages and a 4 MiB page), a random IDT
 * above the exception vectors (interrupt and trap gates, 32- and 16-bit,
 * random selectors and DPLs) and SYSENTER MSRs, then a chain of steps: each
 * starts at CPL 0 and may change a page table entry, CR0.WP, the TLB, the
 * segment registers, then transfers (far JMP/CALL through a random
 * selector, IRET or RETF to an outer level, INT n, SYSEXIT) to a landing pad
 * of random segment loads, memory accesses near segment limits, ALU
 * instructions, INT n, SYSENTER, LAR/LSL/VERR/VERW and far returns. Every
 * step ends in an exception (UD2 at the latest), whose handler (CPL 0 through
 * the TSS) starts the next step. Each case is a pure function of (seed,
 * index); it runs interpreted and translated (threshold 1) at several slice
 * lengths and all runs must end in the same registers, segment caches,
 * control registers, RAM, instruction count and exit.
 *
 * @module
 */

import { type EmuVcpu, EmuVm } from "../../lib/emu/mod.ts";
import { KvmSregs } from "../../lib/kvm/structs.ts";
import { prng } from "./cases.ts";
import { randomInstruction } from "./programs.ts";

// Physical (and, through the identity map, linear) layout.
const RAM = 0x100000;
const IDT = 0x0000, GDT = 0x0800, TSS = 0x0900, STEP = 0x0a00, STEPS = 0x0a10;
const HANDLER = 0x1000;
const STACK0 = 0x3000, STACK1 = 0x3800, STACK2 = 0x4000, STACK3 = 0x5000;
const PD = 0x8000, PT0 = 0x9000, PT1 = 0xa000;
// The pads lie below 64 KiB, so 16-bit code segments (base 0) reach them with IP's 16 bits
// (a 16-bit segment entered with EIP above 0xFFFF runs differently translated: see
// tests/emu/fuzz_pm_test.ts).
const STEP_CODE = 0x10000, LANDING = 0xb000, GATE_PADS = 0xe000, SYSENTER_PAD = 0xf000;
const PLAY = 0x40000;
/** Linear addresses of the randomly mapped pages (PT1) and of the 4 MiB page (PDE 1). */
const PLAY_LINEAR = 0x800000, BIG_LINEAR = 0x400000;
const GDT_ENTRIES = 32;
const STEP_BYTES = 0x200;

/** A segment or gate descriptor as generated (and what the generator needs to know of it). */
interface Desc {
  lo: number;
  hi: number;
  kind: "code" | "data" | "gate" | "other";
  base: number;
  dpl: number;
}

/** One protected-mode fuzz case: everything its runs need. */
export interface PmFuzzCase {
  seed: number;
  index: number;
  /** RAM contents at the start (code, tables, data). */
  ram: Uint8Array;
  paging: boolean;
  cr0: number;
  sysenter: [number, number, number];
  steps: number;
  how: string;
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
function le16(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff];
}

function desc(base: number, limit: number, access: number, flags: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) |
    ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  return [lo >>> 0, hi >>> 0];
}

/** Builds case `index` of campaign `seed`. */
export function makePmCase(seed: number, index: number): PmFuzzCase {
  const rand = prng((seed * 0x2545f491) ^ (index * 0x9e3779b1) ^ 0x50dd);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const ram = new Uint8Array(RAM);
  const view = new DataView(ram.buffer);
  const paging = int(4) !== 0;

  // --- GDT --------------------------------------------------------------------
  const bases = [0, 0, 0, PLAY, PLAY_LINEAR, BIG_LINEAR, 0x1000 * int(0x100), int(2 ** 32)];
  const limits: [number, number][] = [[0xfffff, 8], [0xffff, 0], [0xfff, 0], [int(0x10000), 0], [
    int(0x100),
    8,
  ], [0x3ff, 0]];
  const gdt: Desc[] = [];
  const set = (i: number, d: Desc) => {
    gdt[i] = d;
  };
  set(0, { lo: 0, hi: 0, kind: "other", base: 0, dpl: 0 });
  const flat = (access: number, kind: "code" | "data"): Desc => {
    const [lo, hi] = desc(0, 0xfffff, access, 0xc);
    return { lo, hi, kind, base: 0, dpl: (access >> 5) & 3 };
  };
  set(1, flat(0x9a, "code"));
  set(2, flat(0x92, "data"));
  {
    const [lo, hi] = desc(TSS, 0x67, 0x8b, 0); // busy, as LTR leaves it
    set(3, { lo, hi, kind: "other", base: TSS, dpl: 0 });
  }
  // Well-formed ring 1-3 code and data (sometimes disturbed), then random entries.
  for (let dpl = 1; dpl <= 3; dpl++) {
    set(2 + dpl * 2, flat(0x9a | (dpl << 5), "code"));
    set(3 + dpl * 2, flat(0x92 | (dpl << 5), "data"));
  }
  for (let i = 10; i < GDT_ENTRIES; i++) set(i, randomDesc());
  for (let i = 4; i < 10; i++) if (int(6) === 0) set(i, randomDesc());
  // Call gates: their targets are known once all code descriptors are.
  for (let i = 4; i < GDT_ENTRIES; i++) {
    if (gdt[i].kind !== "gate") continue;
    const target = codeSelector();
    const pad = GATE_PADS + int(16) * 0x100;
    const off = (pad - (gdt[target >> 3]?.base ?? 0)) >>> 0;
    const dpl = gdt[i].dpl, params = int(4), big = int(5) !== 0;
    const lo = ((target & 0xffff) << 16) | (off & 0xffff);
    const hi = (off & 0xffff0000) | (int(12) === 0 ? 0 : 0x8000) | (dpl << 13) |
      ((big ? 0xc : 0x4) << 8) | params;
    gdt[i] = { lo: lo >>> 0, hi: hi >>> 0, kind: "gate", base: 0, dpl };
  }
  gdt.forEach((d, i) => {
    view.setUint32(GDT + i * 8, d.lo, true);
    view.setUint32(GDT + i * 8 + 4, d.hi, true);
  });

  function randomDesc(): Desc {
    const r = int(20);
    const dpl = int(4);
    const present = int(10) !== 0 ? 0x80 : 0;
    if (r < 9) { // data
      const base = pick(bases);
      const [limit, g] = pick(limits);
      const type = (int(4) === 0 ? 4 : 0) | (int(5) !== 0 ? 2 : 0) | int(2); // E, W, A
      const [lo, hi] = desc(base, limit, present | 0x10 | (dpl << 5) | type, g | (int(4) ? 4 : 0));
      return { lo, hi, kind: "data", base, dpl };
    }
    if (r < 16) { // code (16-bit code at base 0 only)
      const big = int(8) !== 0;
      const base = big && int(3) === 0 ? pick(bases) : 0;
      const [limit, g] = int(4) === 0 ? pick(limits) : [0xfffff, 8];
      const type = 8 | (int(3) === 0 ? 4 : 0) | (int(4) !== 0 ? 2 : 0) | int(2); // C, R, A
      const [lo, hi] = desc(base, limit, present | 0x10 | (dpl << 5) | type, g | (big ? 4 : 0));
      return { lo, hi, kind: "code", base, dpl };
    }
    if (r < 19) return { lo: 0, hi: (dpl << 13) | present << 8, kind: "gate", base: 0, dpl };
    return { lo: int(2 ** 32), hi: int(2 ** 32), kind: "other", base: 0, dpl };
  }

  /** A selector, mostly with RPL = the descriptor's DPL, sometimes beyond the GDT or in the LDT. */
  function selector(kind?: Desc["kind"]): number {
    if (int(25) === 0) return int(0x10000);
    let i = int(GDT_ENTRIES);
    if (kind !== undefined) {
      for (let tries = 0; tries < 8 && gdt[i].kind !== kind; tries++) i = int(GDT_ENTRIES);
    }
    const rpl = int(4) === 0 ? int(4) : gdt[i].dpl;
    return (i << 3) | rpl;
  }
  function codeSelector(): number {
    return selector("code");
  }

  // --- TSS, IDT, handler --------------------------------------------------------
  view.setUint32(TSS + 4, STACK0, true);
  view.setUint32(TSS + 8, 0x10, true);
  view.setUint32(TSS + 12, int(8) ? STACK1 : int(2 ** 32), true);
  view.setUint32(TSS + 16, int(8) ? 0x39 : selector(), true);
  view.setUint32(TSS + 20, int(8) ? STACK2 : int(2 ** 32), true);
  view.setUint32(TSS + 24, int(8) ? 0x4a : selector(), true);
  const gate = (v: number, sel: number, off: number, type: number, dpl: number, p = true) => {
    view.setUint32(IDT + v * 8, ((sel & 0xffff) << 16) | (off & 0xffff), true);
    view.setUint32(
      IDT + v * 8 + 4,
      ((off & 0xffff0000) | (p ? 0x8000 : 0) | (dpl << 13) | (type << 8)) >>> 0,
      true,
    );
  };
  for (let v = 0; v < 32; v++) gate(v, 0x08, HANDLER, 0xe, 0);
  const vectors = [0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47];
  for (const v of vectors) {
    const sel = codeSelector();
    const pad = GATE_PADS + int(16) * 0x100;
    gate(
      v,
      sel,
      (pad - (gdt[sel >> 3]?.base ?? 0)) >>> 0,
      pick([0xe, 0xf, 0x6, 0x7, 0x5, 0xc]),
      int(4),
      int(10) !== 0,
    );
  }
  // The handler: flat ring 0, the next step (or HLT after the last).
  const steps = 4 + int(20);
  // deno-fmt-ignore
  ram.set([
    0x66, 0xb8, 0x10, 0x00,        // mov ax, 0x10
    0x8e, 0xd8, 0x8e, 0xc0, 0x8e, 0xd0, // mov ds, ax; mov es, ax; mov ss, ax
    0xbc, ...le32(STACK0),         // mov esp, STACK0
    0xa1, ...le32(STEP),           // mov eax, [STEP]
    0x40,                          // inc eax
    0xa3, ...le32(STEP),           // mov [STEP], eax
    0x3d, ...le32(steps),          // cmp eax, steps
    0x73, 0x07,                    // jae done
    0xff, 0x24, 0x85, ...le32(STEPS), // jmp [STEPS + eax * 4]
    0xf4,                          // done: hlt
  ], HANDLER);
  view.setUint32(STEP, 0xffffffff, true);

  // --- paging -------------------------------------------------------------------
  const pte = () =>
    (int(8) === 0 ? 0 : 1) | (int(4) ? 2 : 0) | (int(3) ? 4 : 0) | (int(4) === 0 ? 0x20 : 0) |
    (int(4) === 0 ? 0x40 : 0);
  if (paging) {
    view.setUint32(PD, PT0 | 7, true);
    for (let i = 0; i < 1024; i++) view.setUint32(PT0 + i * 4, (i << 12) | 7, true);
    view.setUint32(PD + 4, 0x80 | pte(), true); // a 4 MiB page: physical 0 at BIG_LINEAR
    view.setUint32(PD + 8, PT1 | 7, true);
    for (let i = 0; i < 16; i++) {
      view.setUint32(PT1 + i * 4, (PLAY + int(16) * 0x1000) | pte(), true);
    }
  }
  for (let a = PLAY; a < PLAY + 0x10000; a++) ram[a] = int(256);

  // --- code -----------------------------------------------------------------------
  const segOf = [0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65];
  /** An offset for an access through a random segment: near its limit, in the play area, small. */
  const offset = () => {
    const r = int(4);
    if (r === 0) return (pick(limits)[0] - int(4)) >>> 0;
    if (r === 1) return (PLAY + int(0x10000)) >>> 0;
    if (r === 2) return (PLAY_LINEAR + int(0x10000)) >>> 0;
    return int(0x100);
  };
  const segLoad = (): number[] => {
    const s = pick([0, 2, 3, 3, 4, 5]);
    const sel = int(8) === 0 ? int(4) : selector(int(2) ? "data" : undefined);
    if (int(3) === 0) { // push imm; pop sreg
      const pop = s === 0
        ? [0x07]
        : s === 2
        ? [0x17]
        : s === 3
        ? [0x1f]
        : s === 4
        ? [0x0f, 0xa1]
        : [0x0f, 0xa9];
      return [0x68, ...le32(sel), ...pop];
    }
    return [0x66, 0xb8, ...le16(sel), 0x8e, 0xc0 | (s << 3)];
  };
  const access = (): number[] => {
    const pre = int(3) ? [pick(segOf)] : [];
    const size = pick([[0x8a, 0x88], [0x8b, 0x89], [0x8b, 0x89]]);
    const word = int(4) === 0 ? [0x66] : [];
    const op = int(2) ? size[0] : size[1];
    if (int(6) === 0) return [...pre, 0xff, 0x35, ...le32(offset())]; // push dword [m]
    return [...word, ...pre, op, 0x05 | (int(8) << 3), ...le32(offset())];
  };
  const body = (cpl0: boolean): number[] => {
    const out: number[] = [];
    for (let n = 1 + int(6); n > 0; n--) {
      switch (int(12)) {
        case 0:
        case 1:
          out.push(...segLoad());
          break;
        case 2:
        case 3:
        case 4:
          out.push(...access());
          break;
        case 5:
          out.push(...randomInstruction(int, true, true));
          break;
        case 6:
          out.push(0xcd, int(3) ? pick(vectors) : int(256));
          break;
        case 7:
          out.push(0x0f, 0x34); // sysenter
          break;
        case 8: { // LAR/LSL/VERR/VERW of a random selector
          out.push(0xb9, ...le32(selector()));
          out.push(
            ...pick([[0x0f, 0x02, 0xc1], [0x0f, 0x03, 0xc1], [0x0f, 0x00, 0xe1], [
              0x0f,
              0x00,
              0xe9,
            ]]),
          );
          break;
        }
        case 9: // PUSH/POP of the stack (the stack segment's limits)
          out.push(...pick([[0x50, 0x58], [0x9c, 0x9d], [0x60, 0x61], [0x0f, 0xa0, 0x0f, 0xa1]]));
          break;
        case 10:
          if (cpl0) out.push(...ring0Paging());
          else out.push(0xfa); // CLI: #GP above IOPL
          break;
        default: // far RET / IRET back to whoever called (or #GP)
          out.push(...pick([[0xcb], [0xca, 8, 0], [0xcf]]));
      }
    }
    return out;
  };
  /** A page table entry, CR0.WP or the TLB changed at CPL 0. */
  const ring0Paging = (): number[] => {
    if (!paging) return [0x90];
    const r = int(5);
    if (r === 0) {
      return [0xc7, 0x05, ...le32(PT1 + int(16) * 4), ...le32((PLAY + int(16) * 0x1000) | pte())];
    }
    if (r === 1) return [0xc7, 0x05, ...le32(PD + 4), ...le32(0x80 | pte())];
    if (r === 2) return [0x0f, 0x01, 0x3d, ...le32(PLAY_LINEAR + int(16) * 0x1000)]; // invlpg
    if (r === 3) return [0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8]; // mov eax, cr3; mov cr3, eax
    // CR0.WP flipped: mov eax, cr0; xor eax, 0x10000; mov cr0, eax
    return [0x0f, 0x20, 0xc0, 0x35, ...le32(0x10000), 0x0f, 0x22, 0xc0];
  };
  /** A transfer from CPL 0 to `pad`: its bytes. */
  const transfer = (pad: number): number[] => {
    const sel = int(4) === 0 ? selector() : selector(int(3) ? "code" : "gate");
    const d = gdt[(sel >> 3) & 31];
    const off = (pad - (d?.kind === "code" ? d.base : 0)) >>> 0;
    const outer = 1 + int(3);
    const ss = int(4) === 0 ? selector() : (((3 + outer * 2) << 3) | outer);
    const esp = [0, STACK1, STACK2, STACK3][outer] - int(2) * 0x10;
    const flags = 0x2 | (int(4) === 0 ? 0x3000 : 0) | (int(10) === 0 ? 0x4000 : 0) |
      (int(6) === 0 ? 0x100 : 0) |
      (int(12) === 0 ? 0x20000 : 0);
    switch (int(7)) {
      case 0:
        return [0xea, ...le32(off), ...le16(sel)]; // jmp far
      case 1:
        return [0x6a, 0x11, 0x6a, 0x22, 0x6a, 0x33, 0x9a, ...le32(off), ...le16(sel)]; // call far, params
      case 2: // IRET to an outer level (VM sometimes: ES DS FS GS follow)
        return [
          ...((flags & 0x20000) !== 0 ? [0x6a, 0, 0x6a, 0, 0x6a, 0, 0x6a, 0] : []),
          0x68,
          ...le32(ss),
          0x68,
          ...le32(esp),
          0x68,
          ...le32(flags),
          0x68,
          ...le32(sel),
          0x68,
          ...le32(off),
          0xcf,
        ];
      case 3: // RETF to an outer level
        return [
          0x68,
          ...le32(ss),
          0x68,
          ...le32(esp),
          0x68,
          ...le32(sel),
          0x68,
          ...le32(off),
          0xcb,
        ];
      case 4:
        return [0xcd, pick(vectors)];
      case 5: // SYSEXIT to the pad
        return [0xb9, ...le32(STACK3 - 0x20), 0xba, ...le32(pad), 0x0f, 0x35];
      default:
        return [];
    }
  };
  for (let i = 0; i < steps; i++) {
    const pad = LANDING + i * STEP_BYTES;
    const code = [...body(true).filter(() => true), ...transfer(pad), 0x0f, 0x0b];
    const landing = [...body(false), 0x0f, 0x0b];
    ram.set(code.slice(0, STEP_BYTES - 2), STEP_CODE + i * STEP_BYTES);
    ram.set([0x0f, 0x0b], STEP_CODE + i * STEP_BYTES + Math.min(code.length, STEP_BYTES - 2));
    ram.set(landing.slice(0, STEP_BYTES - 2), pad);
    view.setUint32(STEPS + i * 4, STEP_CODE + i * STEP_BYTES, true);
  }
  for (let p = 0; p < 16; p++) {
    const code = [
      ...body(false),
      ...pick([[0xcf], [0xcb], [0xca, 12, 0], [0x0f, 0x0b]]),
      0x0f,
      0x0b,
    ];
    ram.set(code.slice(0, 0xfe), GATE_PADS + p * 0x100);
  }
  // SYSENTER's target: more at CPL 0, then SYSEXIT to a UD2 at CPL 3.
  ram.set([
    ...body(true),
    0xb9,
    ...le32(STACK3 - 0x40),
    0xba,
    ...le32(SYSENTER_PAD + 0x100),
    0x0f,
    0x35,
    0x0f,
    0x0b,
  ], SYSENTER_PAD);
  ram.set([0x0f, 0x0b], SYSENTER_PAD + 0x100);

  const sysenter: [number, number, number] = [
    pick([0x08, 0x08, 0x20 - 0x10, 0, 3, selector()]),
    int(12) ? STACK0 - 0x100 : int(2 ** 32),
    SYSENTER_PAD,
  ];
  const cr0 = 0x11 | (paging ? 0x80000000 | (int(2) ? 0x10000 : 0) : 0);
  return {
    seed,
    index,
    ram,
    paging,
    cr0,
    sysenter,
    steps,
    how: `pm ${paging ? "paging" : "flat"}, ${steps} steps`,
  };
}

/** One run's end state, for comparison. */
export interface PmRunState {
  exits: string[];
  regs: string;
  sregs: string;
  control: string;
  instructions: number;
  ram: Uint8Array;
}

/** Runs the case on a fresh machine: translated (threshold 1) or interpreted, `slice` instructions per run(). */
export function runPmCase(
  c: PmFuzzCase,
  translate: boolean,
  slice: number,
  instructions: number,
): PmRunState {
  const vm = new EmuVm("386", translate ? { threshold: 1 } : null);
  const ram = vm.addMemory(0, RAM);
  ram.set(c.ram);
  const vcpu = vm.createVcpu();
  const s = new KvmSregs();
  const flat = (seg: typeof s.cs, sel: number, type: number) => {
    seg.selector = sel;
    seg.base = 0n;
    seg.limit = 0xffffffff;
    seg.type = type;
    seg.present = 1;
    seg.dpl = 0;
    seg.db = 1;
    seg.s = 1;
    seg.l = 0;
    seg.g = 1;
    seg.avl = 0;
    seg.unusable = 0;
  };
  flat(s.cs, 0x08, 0xb);
  for (const seg of [s.ds, s.es, s.fs, s.gs, s.ss]) flat(seg, 0x10, 0x3);
  s.tr.selector = 0x18;
  s.tr.base = BigInt(TSS);
  s.tr.limit = 0x67;
  s.tr.type = 0xb;
  s.tr.present = 1;
  s.ldt.selector = 0;
  s.ldt.unusable = 1;
  s.gdt.base = BigInt(GDT);
  s.gdt.limit = GDT_ENTRIES * 8 - 1;
  s.idt.base = BigInt(IDT);
  s.idt.limit = 0x7ff;
  s.setControl("cr0", c.cr0);
  s.setControl("cr3", c.paging ? PD : 0);
  s.setControl("cr4", c.paging ? 0x10 : 0); // PSE
  vcpu.setSregs(s);
  const regs = vcpu.getRegs();
  regs.set("rip", HANDLER);
  regs.set("rsp", STACK0);
  regs.set("rflags", 2);
  vcpu.setRegs(regs);
  const cpu = vcpu.cpu;
  [cpu.sysenterCs, cpu.sysenterEsp, cpu.sysenterEip] = c.sysenter;
  const exits: string[] = [];
  while (vcpu.instructions < instructions) {
    vcpu.sliceLimit = Math.min(slice, instructions - vcpu.instructions);
    const e = vcpu.run();
    if (e.kind === "intr") continue;
    exits.push(e.kind === "internal-error" ? `internal-error ${e.detail}` : e.kind);
    // MMIO (beyond the RAM) and port I/O go on (reads see what the exit data holds).
    if ((e.kind === "mmio" || e.kind === "io") && exits.length < 64) continue;
    break;
  }
  return { exits, ...describe(vcpu), instructions: vcpu.instructions, ram: ram.slice() };
}

function describe(vcpu: EmuVcpu): { regs: string; sregs: string; control: string } {
  const r = vcpu.getRegs();
  const regs = (["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "rip", "rflags"] as const)
    .map((n) => `${n.slice(1)}=${r.get32(n).toString(16)}`).join(" ");
  const s = vcpu.getSregs();
  const sregs = (["cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt"] as const).map((n) => {
    const g = s[n];
    return `${n}=${g.selector.toString(16)}:${g.base.toString(16)}:${g.limit.toString(16)}:` +
      `${g.type}${g.present}${g.dpl}${g.db}${g.s}${g.g}${g.unusable}`;
  }).join(" ");
  const control = (["cr0", "cr2", "cr3", "cr4"] as const).map((n) =>
    `${n}=${s.getControl(n).toString(16)}`
  ).join(" ");
  return { regs, sregs, control };
}

/** Slice lengths of the translated runs (the interpreted one runs in one slice). */
const SLICES = [1 << 20, 1, 7, 100];

/** The result of one case: what differs (null: nothing) and how the interpreted run ended. */
export interface PmOutcome {
  problem: string | null;
  stop: string;
}

/**
 * Runs a case interpreted and translated at a few slice lengths: `problem`
 * is null when all agree, else what differs (a host exception from the CPU
 * counts too).
 */
export function checkPmCase(c: PmFuzzCase, instructions: number): PmOutcome {
  let stop = "none";
  try {
    const want = runPmCase(c, false, 1 << 20, instructions);
    stop = want.exits[0]?.split(" ")[0] ?? "instruction-limit";
    // Code outside the RAM ends the run as it does on KVM (an emulation failure); any
    // other internal error is the CPU's own.
    const bad = want.exits.find((e) =>
      e.startsWith("internal-error") && !e.includes("instruction fetch from")
    );
    if (bad !== undefined) return { problem: `interpreted: ${bad}`, stop };
    const slices = [SLICES[0], SLICES[1 + (c.index % (SLICES.length - 1))]];
    for (const slice of slices) {
      const got = runPmCase(c, true, slice, instructions);
      for (const k of ["exits", "regs", "sregs", "control", "instructions"] as const) {
        const a = JSON.stringify(got[k]), b = JSON.stringify(want[k]);
        if (a !== b) {
          return {
            problem: `slice ${slice}: ${k} differ:\n  translated  ${a}\n  interpreted ${b}`,
            stop,
          };
        }
      }
      const at = got.ram.findIndex((b, i) => b !== want.ram[i]);
      if (at >= 0) {
        return {
          problem: `slice ${slice}: RAM differs at 0x${at.toString(16)}: translated ${
            got.ram[at]
          }, interpreted ${want.ram[at]}`,
          stop,
        };
      }
    }
    return { problem: null, stop };
  } catch (e) {
    return {
      problem: `host exception: ${e instanceof Error ? `${e.message}\n${e.stack}` : String(e)}`,
      stop,
    };
  }
}
