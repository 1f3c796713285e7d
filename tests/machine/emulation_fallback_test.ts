// The emulation fallback without KVM: a stand-in "KVM" (the software CPU,
// one instruction per run) reports an emulation failure, as KVM does, for
// chosen opcodes; the fallback must finish those on the software CPU with
// their port I/O and MMIO going through the machine's buses.
import { deepStrictEqual, match, strictEqual } from "@std/assert";
import { EmuVm } from "../../lib/emu/mod.ts";
import type { EmuVcpu } from "../../lib/emu/mod.ts";
import { InternalError } from "../../lib/kvm/abi.ts";
import type { KvmRegs, KvmRun, KvmSregs } from "../../lib/kvm/structs.ts";
import type { MemorySlotOptions, Vcpu, VcpuExit, Vm } from "../../lib/vcpu/contract.ts";
import { applyRealModeEntry } from "../../lib/loader/entry.ts";
import {
  EmulationFallbackVcpu,
  withEmulationFallback,
} from "../../lib/machine/emulation-fallback.ts";
import { Machine } from "../../lib/machine/machine.ts";
import { assemble } from "../emu/helpers.ts";

/** A vCPU that, like KVM's emulator, gives up on some opcodes (prefixes skipped). */
class GapVcpu implements Vcpu {
  constructor(readonly emu: EmuVcpu, readonly vm: GapVm) {}
  get runState(): KvmRun {
    return this.emu.runState;
  }
  getRegs(into?: KvmRegs) {
    return this.emu.getRegs(into);
  }
  setRegs(regs: KvmRegs) {
    this.emu.setRegs(regs);
  }
  getSregs(into?: KvmSregs) {
    return this.emu.getSregs(into);
  }
  setSregs(sregs: KvmSregs) {
    this.emu.setSregs(sregs);
  }
  interrupt(vector: number) {
    this.emu.interrupt(vector);
  }
  close() {
    this.emu.close();
  }
  run(): VcpuExit {
    const c = this.emu.cpu;
    let at = c.base[1] + c.ip; // CS
    const ram = this.vm.ram;
    while ([0x26, 0x2e, 0x36, 0x3e, 0x66, 0x67].includes(ram[at])) at++;
    // A pending IN or MMIO read is completed first, as KVM does on entry.
    const waiting = c.ioFillPos < c.ioFillEnd || c.m.fillAddr.length !== 0;
    if (!waiting && this.vm.gaps.has(ram[at])) {
      return { kind: "internal-error", suberror: InternalError.EMULATION, detail: "0x1" };
    }
    return this.emu.step();
  }
}

class GapVm implements Vm {
  readonly emu = new EmuVm("386", null);
  ram: Uint8Array = new Uint8Array(0);
  constructor(readonly gaps: Set<number>) {}
  addMemory(guestPhys: number, size: number, options?: MemorySlotOptions): Uint8Array {
    const bytes = this.emu.addMemory(guestPhys, size, options);
    if (guestPhys === 0) this.ram = bytes;
    return bytes;
  }
  createVcpu(): Vcpu {
    return new GapVcpu(this.emu.createVcpu(), this);
  }
  close() {
    this.emu.close();
  }
}

function machineWith(gaps: number[], source: string) {
  const vm = withEmulationFallback(new GapVm(new Set(gaps)));
  const vcpu = vm.createVcpu();
  const machine = new Machine({ vm, vcpu, accelerator: "kvm" });
  machine.addRam(0, 0x10000);
  machine.memory.write(0x1000, assemble(source, 0x1000));
  const sregs = vcpu.getSregs();
  const regs = applyRealModeEntry({ cs: 0, ip: 0x1000, ds: 0, es: 0, ss: 0, sp: 0x8000 }, sregs);
  machine.setCpuState(regs, sregs);
  return { machine, vcpu };
}

Deno.test("emulation fallback: DAA, IN, an MMIO store and OUT finish on the software CPU", async () => {
  const { machine, vcpu } = machineWith(
    [0x27, 0xec, 0xc7, 0xe6],
    `
    mov al, 0x19
    add al, 0x28
    daa
    mov bl, al
    mov dx, 0x3fd
    in al, dx
    mov bh, al
    mov ax, 0xb800
    mov es, ax
    mov word [es:0], 0x0741
    mov al, bl
    out 0xf4, al
    hlt`,
  );
  const lines: string[] = [];
  (vcpu as EmulationFallbackVcpu).onTakeOver = (line) => lines.push(line);
  const stop = await machine.run({ timeoutMs: 5000 });
  strictEqual(
    lines[0],
    "kvm could not emulate daa, bytes 27 88 c3 ba fd 03 ec 88 at 0000:1004: the software CPU ran it",
  );
  strictEqual(lines.length, 4);
  // The OUT reached the debug-exit device with DAA's result (0x19 + 0x28 = 0x47 in BCD).
  deepStrictEqual(stop, { kind: "debug-exit", code: 0x47 });
  // The IN read COM1's line status register through the port bus (transmitter empty).
  strictEqual((vcpu.getRegs().get32("rbx") >> 8) & 0xff, 0x60);
  // The store reached VGA memory through the MMIO bus.
  deepStrictEqual(machine.vga.cell(0, 0), { char: 0x41, attr: 0x07 });
  strictEqual(vcpu instanceof EmulationFallbackVcpu, true);
  deepStrictEqual(
    [...(vcpu as EmulationFallbackVcpu).finished],
    [["daa", 1], ["in", 1], ["mov", 1], ["out", 1]],
  );
});

Deno.test("emulation fallback: an instruction the software CPU lacks too is a crash naming it", async () => {
  const { machine } = machineWith([0x0f], "nop\nud2\nhlt");
  const stop = await machine.run({ timeoutMs: 5000 });
  strictEqual(stop.kind, "crash");
  if (stop.kind !== "crash") return;
  strictEqual(stop.cause, "emulation-failure");
  match(
    stop.message,
    /KVM could not emulate the instruction at 0000:1001 \(ud2, bytes 0f 0b f4/,
  );
  match(stop.message, /the software CPU does not know it either/);
});

Deno.test("emulation fallback: in long mode the report names the instruction, no fallback", async () => {
  const { machine, vcpu } = machineWith([0x27], "daa\nhlt");
  const sregs = vcpu.getSregs();
  sregs.setControl("cr0", 0x80000001n);
  sregs.setControl("efer", 0x500n);
  // The stand-in only reports the failure: it never runs a long-mode instruction.
  vcpu.setSregs(sregs);
  const stop = await machine.run({ timeoutMs: 5000 });
  strictEqual(stop.kind, "crash");
  if (stop.kind !== "crash") return;
  match(stop.message, /KVM could not emulate the instruction at 0000:1000 \(daa, bytes 27 f4/);
  match(stop.message, /does not run long mode/);
});
