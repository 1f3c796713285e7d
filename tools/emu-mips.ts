/**
 * A first speed figure for the software CPU: a `dec ecx; jnz` loop guest of
 * 100 million instructions on the 386 model, timed with the wall clock.
 *
 * Usage: deno run tools/emu-mips.ts [instructions]
 *
 * @module
 */

import { EmuAccelerator } from "../lib/emu/mod.ts";
import { KvmSregs } from "../lib/kvm/structs.ts";

const total = Number(Deno.args[0] ?? 100_000_000);
const loops = Math.floor(total / 2);
const vm = new EmuAccelerator({ model: "386" }).createVm();
const ram = vm.addMemory(0, 0x10000);
// mov ecx, loops; l: dec ecx; jnz l; hlt
ram.set([
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
], 0x1000);
const vcpu = vm.createVcpu();
const regs = vcpu.getRegs();
regs.set("rip", 0x1000);
regs.set("rflags", 2);
vcpu.setRegs(regs);
const s = new KvmSregs();
for (const n of ["cs", "ds", "es", "ss", "fs", "gs"] as const) s[n].setRealMode(0, n === "cs");
s.idt.limit = 0x3ff;
vcpu.setSregs(s);

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
  `${n} instructions in ${seconds.toFixed(2)} s: ${(n / seconds / 1e6).toFixed(1)} MIPS ` +
    `(${exits} runs of up to ${vcpu.sliceLimit})`,
);
