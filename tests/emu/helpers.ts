/**
 * Test helpers: a small real-mode machine on the software CPU, and NASM for
 * assembling test programs (installed on the build machines).
 *
 * @module
 */

import { type BlockCacheOptions, type EmuVcpu, EmuVm } from "../../lib/emu/mod.ts";
import { CpuFault } from "../../lib/emu/cpu.ts";
import { KvmSregs } from "../../lib/kvm/structs.ts";

/** A VM with `ramSize` bytes of RAM at 0 and code loaded at `origin` (CS=0). */
export interface TestMachine {
  vm: EmuVm;
  ram: Uint8Array;
  vcpu: EmuVcpu;
}

/** Assembles 16-bit NASM source (flat binary) at `origin`. */
export function assemble(source: string, origin = 0x1000): Uint8Array {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(`${dir}/t.asm`, `bits 16\norg ${origin}\n${source}\n`);
    const out = new Deno.Command("nasm", {
      args: ["-f", "bin", "-o", `${dir}/t.bin`, `${dir}/t.asm`],
    }).outputSync();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return Deno.readFileSync(`${dir}/t.bin`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** Options of a test machine. */
export interface MachineOptions {
  model?: "8086" | "386";
  ramSize?: number;
  origin?: number;
  /** The block translator's tuning, or null to interpret only (default: translate). */
  translation?: BlockCacheOptions | null;
}

/** Builds a machine with `code` at 0000:origin, SP=0xFFF0 and all segments 0. */
export function machine(code: Uint8Array | number[], options: MachineOptions = {}): TestMachine {
  const origin = options.origin ?? 0x1000;
  const vm = new EmuVm(
    options.model ?? "386",
    options.translation === undefined ? {} : options.translation,
  );
  const ram = vm.addMemory(0, options.ramSize ?? 0x10000);
  ram.set(code, origin);
  const vcpu = vm.createVcpu();
  const regs = vcpu.getRegs();
  regs.set("rip", origin);
  regs.set("rsp", 0xfff0);
  regs.set("rflags", 2);
  vcpu.setRegs(regs);
  const s = new KvmSregs();
  s.cs.setRealMode(0, true);
  for (const n of ["ds", "es", "ss", "fs", "gs"] as const) s[n].setRealMode(0);
  s.idt.limit = 0x3ff;
  s.gdt.limit = 0xffff;
  s.setControl("cr0", 0x60000010);
  vcpu.setSregs(s);
  return { vm, ram, vcpu };
}

/** Builds a machine from NASM source. */
export function asmMachine(source: string, options: MachineOptions = {}): TestMachine {
  return machine(assemble(source, options.origin ?? 0x1000), options);
}

/** A register's low 32 bits. */
export function reg(vcpu: EmuVcpu, name: Parameters<ReturnType<EmuVcpu["getRegs"]>["get32"]>[0]) {
  return vcpu.getRegs().get32(name);
}

/** Sets one general register. */
export function setReg(
  vcpu: EmuVcpu,
  name: Parameters<ReturnType<EmuVcpu["getRegs"]>["get32"]>[0],
  v: number,
): void {
  const r = vcpu.getRegs();
  r.set(name, v);
  vcpu.setRegs(r);
}

/** Installs a real-mode IVT entry. */
export function setVector(ram: Uint8Array, vector: number, seg: number, off: number): void {
  const a = vector * 4;
  ram[a] = off & 0xff;
  ram[a + 1] = off >> 8;
  ram[a + 2] = seg & 0xff;
  ram[a + 3] = seg >> 8;
}

/** Reads a little-endian word from RAM. */
export function word(ram: Uint8Array, a: number): number {
  return ram[a] | (ram[a + 1] << 8);
}

/** The vector and error code `f` raises as a CpuFault (it must raise one). */
export function fault(f: () => unknown): [number, number] {
  try {
    f();
  } catch (e) {
    if (e instanceof CpuFault) return [e.vector, e.code];
    throw e;
  }
  throw new Error("no fault");
}
