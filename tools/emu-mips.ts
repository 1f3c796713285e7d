/**
 * A first speed figure for the software CPU (386 model), two guests timed
 * with the wall clock:
 *
 * - `loop`: `mov ecx, N; l: dec ecx; jnz l` (100 million instructions by default)
 * - `mix`: a 16-bit byte-copy loop with ModRM memory operands, ALU ops and
 *   LOOP (about 118 million instructions)
 * - `fault`: `div bl` with BL = 0 in a loop whose #DE handler steps over
 *   the DIV (a million faults, seven instructions each)
 *
 * `--pm` runs the same loops as 32-bit code in flat protected mode (interpreted),
 * `--paging` with paging on as well (identity-mapped with 4 KiB pages).
 *
 * Usage: deno run tools/emu-mips.ts [loop|mix|fault] [instructions for loop] [--pm|--paging]
 *
 * @module
 */

import { EmuAccelerator } from "../lib/emu/mod.ts";
import { KvmSregs } from "../lib/kvm/structs.ts";
import { applyProtectedModeEntry } from "../lib/loader/entry.ts";

/** mov ecx, loops; l: dec ecx; jnz l; hlt */
function loopGuest(total: number): number[] {
  const loops = Math.floor(total / 2);
  return [
    0x66,
    0xb9,
    loops & 0xff,
    (loops >> 8) & 0xff,
    (loops >> 16) & 0xff,
    loops >>> 24,
    0x66,
    0x49,
    0x75,
    0xfc,
    0xf4,
  ];
}

/**
 * mov dx, 200; outer: mov cx, 0; mov si, 0x2000; mov di, 0x4000
 * inner: mov al, [si]; add al, cl; mov [di], al; inc si; inc di
 *        and si, 0x3fff; and di, 0x3fff; or di, 0x4000; loop inner
 * dec dx; jnz outer; hlt
 */
const MIX = [
  0xba,
  0xc8,
  0x00,
  0xb9,
  0x00,
  0x00,
  0xbe,
  0x00,
  0x20,
  0xbf,
  0x00,
  0x40,
  0x8a,
  0x04,
  0x00,
  0xc8,
  0x88,
  0x05,
  0x46,
  0x47,
  0x81,
  0xe6,
  0xff,
  0x3f,
  0x81,
  0xe7,
  0xff,
  0x3f,
  0x81,
  0xcf,
  0x00,
  0x40,
  0xe2,
  0xea,
  0x4a,
  0x75,
  0xde,
  0xf4,
];

/**
 * mov word [0], 0x1100; mov word [2], 0; mov ecx, N; mov bl, 0
 * l: div bl; loop l; hlt
 * The #DE handler at 0x1100 returns past the DIV: push bp; mov bp, sp; add word [bp+2], 2; pop bp; iret
 */
function faultGuest(faults: number): number[] {
  // deno-fmt-ignore
  return [
    0xc7, 0x06, 0x00, 0x00, 0x00, 0x11, // mov word [0], 0x1100
    0xc7, 0x06, 0x02, 0x00, 0x00, 0x00, // mov word [2], 0
    0x66, 0xb9, faults & 0xff, (faults >> 8) & 0xff, (faults >> 16) & 0xff, faults >>> 24,
    0xb3, 0x00,                         // mov bl, 0
    0xf6, 0xf3,                         // l: div bl
    0x67, 0xe2, 0xfb,                   // loop l (ECX)
    0xf4,                               // hlt
  ];
}

/** The loop as 32-bit code: mov ecx, loops; l: dec ecx; jnz l; hlt */
function loopGuest32(total: number): number[] {
  const loops = Math.floor(total / 2);
  return [
    0xb9,
    loops & 0xff,
    (loops >> 8) & 0xff,
    (loops >> 16) & 0xff,
    loops >>> 24,
    0x49,
    0x75,
    0xfd,
    0xf4,
  ];
}

/** MIX as 32-bit code (ECX counts 65536 per outer pass, as CX=0 does above). */
const MIX32 = [
  0xba,
  0xc8,
  0x00,
  0x00,
  0x00,
  0xb9,
  0x00,
  0x00,
  0x01,
  0x00,
  0xbe,
  0x00,
  0x20,
  0x00,
  0x00,
  0xbf,
  0x00,
  0x40,
  0x00,
  0x00,
  0x8a,
  0x06,
  0x00,
  0xc8,
  0x88,
  0x07,
  0x46,
  0x47,
  0x81,
  0xe6,
  0xff,
  0x3f,
  0x00,
  0x00,
  0x81,
  0xe7,
  0xff,
  0x3f,
  0x00,
  0x00,
  0x81,
  0xcf,
  0x00,
  0x40,
  0x00,
  0x00,
  0xe2,
  0xe4,
  0x4a,
  0x75,
  0xd2,
  0xf4,
];

const args = Deno.args.filter((a) => !a.startsWith("--"));
const paging = Deno.args.includes("--paging");
const pm = paging || Deno.args.includes("--pm");
const which = args[0] ?? "loop";
const total = Number(args[1] ?? 100_000_000);
const code = pm
  ? (which === "mix" ? MIX32 : loopGuest32(total))
  : which === "mix"
  ? MIX
  : which === "fault"
  ? faultGuest(1_000_000)
  : loopGuest(total);
const vm = new EmuAccelerator({ model: "386" }).createVm();
const ram = vm.addMemory(0, pm ? 0x400000 : 0x10000);
ram.set(code, 0x1000);
ram.set([0x55, 0x89, 0xe5, 0x83, 0x46, 0x02, 0x02, 0x5d, 0xcf], 0x1100); // the #DE handler
const vcpu = vm.createVcpu();
const s = new KvmSregs();
let regs = vcpu.getRegs();
if (pm) {
  regs = applyProtectedModeEntry({ eip: 0x1000, esp: 0xfff0 }, s);
  if (paging) {
    // A page directory at 0x100000 and one table at 0x101000 mapping the first 4 MiB.
    const view = new DataView(ram.buffer);
    view.setUint32(0x100000, 0x101000 | 3, true);
    for (let i = 0; i < 1024; i++) view.setUint32(0x101000 + i * 4, (i << 12) | 3, true);
    s.setControl("cr3", 0x100000n);
    s.setControl("cr0", 0x80000011n);
  }
} else {
  regs.set("rip", 0x1000);
  regs.set("rsp", 0xfff0);
  regs.set("rflags", 2);
  for (const n of ["cs", "ds", "es", "ss", "fs", "gs"] as const) s[n].setRealMode(0, n === "cs");
  s.idt.limit = 0x3ff;
}
vcpu.setSregs(s);
vcpu.setRegs(regs);

const start = performance.now();
let exits = 0;
for (;;) {
  const exit = vcpu.run();
  exits++;
  if (exit.kind === "hlt") break;
  if (exit.kind !== "intr") throw new Error(`unexpected exit ${exit.kind}`);
}
const seconds = (performance.now() - start) / 1000;
const n = vcpu.instructions;
console.log(
  `${which}${paging ? " (32-bit, paging)" : pm ? " (32-bit)" : ""}: ${n} instructions in ${
    seconds.toFixed(2)
  } s: ${(n / seconds / 1e6).toFixed(1)} MIPS ` +
    `(${exits} runs of up to ${vcpu.sliceLimit})`,
);
