// The trap path: the stub is found by its address whether the accelerator
// reports IP at the OUT (KVM) or after it (the software CPU); CS:IP is left
// alone unless the service redirects; IF comes from the FLAGS the INT pushed.
import { deepStrictEqual, strictEqual } from "@std/assert";
import { buildRom, ROM_BASE, SERVICE_VECTORS } from "../../lib/bios/rom.ts";
import { KvmRegs, KvmRun, KvmSregs } from "../../lib/kvm/structs.ts";
import type { Vcpu, VcpuExit } from "../../lib/vcpu/contract.ts";
import { Bios } from "../../lib/bios/bios.ts";
import { ManualClock } from "../../lib/devices/clock.ts";
import { Vga } from "../../lib/devices/vga.ts";
import { Bus } from "../../lib/machine/bus.ts";
import { GuestMemory } from "../../lib/machine/memory.ts";

Deno.test("rom: every service vector has a stub found at the OUT and just after it", () => {
  const rom = buildRom();
  for (const v of SERVICE_VECTORS) {
    const entry = rom.vectors[v].offset;
    // sti; nop (a pending interrupt is taken here, as on a PC BIOS); out 0xEF, al; retf 2
    deepStrictEqual([...rom.bytes.subarray(entry, entry + 7)], [
      0xfb,
      0x90,
      0xe6,
      0xef,
      0xca,
      2,
      0,
    ]);
    const at = ROM_BASE + entry + 2;
    for (const ip of [at, at + 2]) {
      const kind = rom.trapAt(ip);
      strictEqual(kind?.kind === "service" && kind.vector, v);
    }
  }
  strictEqual(rom.trapAt(ROM_BASE + rom.vectors[0x08].offset)?.kind, "timer");
  strictEqual(rom.trapAt(ROM_BASE + rom.vectors[0x09].offset)?.kind, "keyboard");
  strictEqual(rom.trapAt(0x7c00), undefined);
  strictEqual(rom.trapAt(ROM_BASE + rom.haltLoop), undefined);
  // Unused vectors: an IRET.
  strictEqual(rom.bytes[rom.vectors[0x60].offset], 0xcf);
});

/** A vCPU that only holds registers, as KVM does at a port-I/O exit. */
class FakeVcpu implements Vcpu {
  readonly runState = new KvmRun();
  regs = new KvmRegs();
  sregs = new KvmSregs();
  setRegsCalls = 0;
  getRegs(): KvmRegs {
    return this.regs.clone();
  }
  setRegs(regs: KvmRegs): void {
    this.setRegsCalls++;
    this.regs = regs.clone();
  }
  getSregs(): KvmSregs {
    return this.sregs.clone();
  }
  setSregs(sregs: KvmSregs): void {
    this.sregs = sregs.clone();
  }
  run(): VcpuExit {
    return { kind: "hlt" };
  }
  interrupt(): void {}
  close(): void {}
}

function setup() {
  const memory = new GuestMemory();
  memory.addRegion(0, new Uint8Array(0xa0000));
  memory.addRegion(0xf0000, new Uint8Array(0x10000), true);
  const vcpu = new FakeVcpu();
  const clock = new ManualClock();
  const bios = new Bios({
    memory,
    vga: new Vga({ clock }),
    vcpu,
    ports: new Bus("port I/O", 0x10000),
    clock,
    disks: new Map(),
    bootDrive: 0x80,
    conventionalBytes: 0xa0000,
    extendedBytes: 0,
  });
  bios.post();
  // Inside INT 16h's stub: CS = F000, IP at the OUT (KVM); the INT pushed
  // IP, CS and FLAGS (with IF=1) at 0:7BFA.
  vcpu.sregs.cs.setRealMode(0xf000, true);
  vcpu.sregs.ss.setRealMode(0);
  vcpu.regs.set("rip", bios.rom.vectors[0x16].offset);
  vcpu.regs.set("rsp", 0x7bfa);
  vcpu.regs.set("rflags", 0x0002); // IF cleared by the INT
  memory.writeU16(0x7bfa + 4, 0x0202);
  return { bios, vcpu, memory };
}

Deno.test("trap: a service that returns keeps CS:IP (KVM completes the OUT) and restores IF", () => {
  const { bios, vcpu } = setup();
  const ip = vcpu.regs.get32("rip");
  vcpu.regs.set("rax", 0x0100); // AH=01h: check for a key: none
  bios.write(0, Uint8Array.of(0));
  strictEqual(vcpu.regs.get32("rip"), ip);
  strictEqual(vcpu.sregs.cs.selector, 0xf000);
  strictEqual(vcpu.regs.get32("rflags") & 0x0240, 0x0240, "ZF=1 (no key) and IF=1");
});

Deno.test("trap: a waiting service redirects CS:IP to the wait loop and leaves IF clear", () => {
  const { bios, vcpu } = setup();
  vcpu.regs.set("rax", 0x0000); // AH=00h: read a key: none yet
  bios.write(0, Uint8Array.of(0));
  strictEqual(vcpu.regs.get32("rip"), bios.rom.waitLoops.get(0x16));
  strictEqual(vcpu.regs.get32("rflags") & 0x200, 0);
});

Deno.test("trap: an OUT to the trap port from outside the ROM does nothing", () => {
  const { bios, vcpu } = setup();
  vcpu.sregs.cs.setRealMode(0, true);
  vcpu.regs.set("rip", 0x7c00);
  const before = vcpu.setRegsCalls;
  bios.write(0, Uint8Array.of(0));
  strictEqual(vcpu.setRegsCalls, before);
  strictEqual(bios.strayTraps, 1);
});
