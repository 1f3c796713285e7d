// The APICs and fw_cfg on a BIOS PC (software CPU): the MP tables in the EBDA, the
// interrupt controller that is the PIC until the local APIC is enabled, QEMU's fw_cfg.
import "../../lib/machine/all-code.ts";
import { strictEqual } from "@std/assert";
import { createMachine } from "../../lib/machine/create.ts";
import { bootSector } from "../support/disks.ts";

const SPIN = bootSector(`
    sti
  idle:
    hlt
    jmp idle`);

Deno.test("pc apic: the MP floating pointer is in the EBDA and names the table", () => {
  const { machine } = createMachine({ image: SPIN, boot: "bios", accel: "emu" });
  try {
    const ebda = machine.memory.readU16(0x40e) << 4;
    const fp = machine.memory.read(ebda + 0x10, 16);
    strictEqual(String.fromCharCode(...fp.subarray(0, 4)), "_MP_");
    const table = machine.memory.readU32(ebda + 0x14);
    strictEqual(String.fromCharCode(...machine.memory.read(table, 4)), "PCMP");
  } finally {
    machine.close();
  }
});

Deno.test("pc apic: the PIC delivers until SVR enables the LAPIC, then the IOAPIC's pins do", () => {
  const { machine, pc } = createMachine({ image: SPIN, boot: "bios", accel: "emu" });
  try {
    const { lapic, ioapic } = pc!.apics!;
    const irqs = machine.interrupts!;
    pc!.pic.setIrq(1, true); // the keyboard line: PIC vector 09h
    strictEqual(irqs.hasInterrupt(), true);
    strictEqual(irqs.acknowledge(), 0x09);
    pc!.pic.setIrq(1, false);
    const w = (dev: { write(o: number, d: Uint8Array): void }, o: number, v: number) =>
      dev.write(o, Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24));
    w(lapic, 0xf0, 0x1ff);
    w(ioapic, 0, 0x12); // pin 1's entry: vector 31h, unmasked
    w(ioapic, 0x10, 0x31);
    pc!.apics!.setIrq(1, true);
    strictEqual(irqs.hasInterrupt(), true);
    strictEqual(irqs.acknowledge(), 0x31, "through the IOAPIC, not the PIC");
    strictEqual(irqs.hasInterrupt(), false, "the PIC's request stays behind LINT0");
    strictEqual(irqs.canDeliver?.(1), true);
    strictEqual(irqs.canDeliver?.(8), false, "the RTC's pin is masked");
  } finally {
    machine.close();
  }
});

Deno.test("pc fw_cfg: a guest reads QEMU's signature and the RAM size", async () => {
  const { Guest } = await import("../../mod.ts");
  using guest = Guest.create(
    bootSector(`
    mov dx, 0x510
    xor ax, ax
    out dx, ax
    inc dx
    mov cx, 4
    mov di, sig
  next:
    in al, dx
    mov bl, 1
    cmp al, [di]
    jne fail
    inc di
    loop next
    dec dx
    mov ax, 3
    out dx, ax
    inc dx
    in al, dx
    in al, dx
    in al, dx
    mov bl, 2
    cmp al, 0x40               ; 4 MiB: byte 2 is 40h
    jne fail
    xor bl, bl
  fail:
    mov al, bl
    out 0xf4, al
    hlt
  sig: db "QEMU"`),
    { accel: "emu", memory: 4 << 20 },
  );
  const r = await guest.run({ timeoutMs: 10_000 });
  strictEqual(r.exitStatus, 1, Guest.describe(r));
});
