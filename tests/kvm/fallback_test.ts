// Instructions KVM cannot emulate (PVM's emulator has no DAA, AAA, AAS, and
// ENTER with a nesting level) are finished on the software CPU: a guest
// that uses them next to serial output gets the software CPU's results on
// KVM. Needs /dev/kvm.
import "../support/built_guests.ts";
import { deepStrictEqual } from "@std/assert";
import { realModeEmulation } from "../../lib/kvm/host-kind.ts";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { EmulationFallbackVcpu } from "../../lib/machine/emulation-fallback.ts";
import { assemble } from "../emu/helpers.ts";

const GUEST = assemble(
  `
  mov sp, 0x800
  mov al, 0x19
  add al, 0x28
  daa                 ; 0x47
  mov dx, 0x3f8
  out dx, al
  mov al, 0x09
  add al, 0x08
  aaa                 ; AX = 0x0107
  out dx, al
  mov al, ah
  out dx, al
  enter 4, 1          ; nesting level 1
  mov ax, sp
  out dx, al
  leave
  mov al, 0x21
  out 0xf4, al
  hlt`,
  0,
);

async function runOn(accel: "kvm" | "emu") {
  const { machine } = createMachine({ image: GUEST, accel, boot: "flat" });
  try {
    const stop = await machine.run({ timeoutMs: 10_000 });
    const finished = machine.vcpu instanceof EmulationFallbackVcpu
      ? Object.fromEntries(machine.vcpu.finished)
      : {};
    return { stop, serial: [...machine.serialOutput.bytes], finished };
  } finally {
    machine.close();
  }
}

Deno.test("kvm fallback: DAA, AAA and ENTER give the software CPU's results on KVM", async () => {
  const kvm = await runOn("kvm");
  const emu = await runOn("emu");
  deepStrictEqual(kvm.stop, { kind: "debug-exit", code: 0x21 });
  // ENTER 4, 1 from SP 0x800: BP and the frame pointer pushed, 4 bytes reserved: SP 0x7f8.
  deepStrictEqual(kvm.serial, [0x47, 0x07, 0x01, 0xf8]);
  deepStrictEqual([kvm.stop, kvm.serial], [emu.stop, emu.serial]);
  if (realModeEmulation() !== undefined) {
    // This KVM emulates real mode and lacks these: the software CPU finished them.
    deepStrictEqual(kvm.finished, { daa: 1, aaa: 1, enter: 1 });
  } else {
    // Hardware runs them; nothing is left to the software CPU.
    deepStrictEqual(kvm.finished, {});
  }
});
