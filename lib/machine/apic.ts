/**
 * The PC's APICs: a local APIC at 0xFEE00000 and an IOAPIC at 0xFEC00000,
 * in front of the 8259A pair. ISA interrupt lines go to both the PIC and
 * the IOAPIC (IRQ 0 on pin 2, the others on their own pin, as the MP table
 * of lib/bios/mptable.ts says). The CPU takes the local APIC's interrupts
 * once the guest software-enables it (SVR), and the PIC's while the local
 * APIC is disabled or its LINT0 is an unmasked ExtINT entry, so a guest
 * that never touches the APICs sees the PIC alone.
 *
 * @module
 */

import { IOAPIC_BASE, LAPIC_BASE } from "../bios/mptable.ts";
import { IoApic } from "../devices/ioapic.ts";
import { LocalApic } from "../devices/lapic.ts";
import type { Pic } from "../devices/pic.ts";
import type { InterruptController, Machine } from "./machine.ts";

/** The IOAPIC pin of ISA interrupt line `line`. */
export function isaPin(line: number): number {
  return line === 0 ? 2 : line;
}

/** The APICs and the controller that chooses between them and the PIC. */
export interface Apics {
  lapic: LocalApic;
  ioapic: IoApic;
  /** Raises or lowers an ISA interrupt line at the PIC and the IOAPIC. */
  setIrq(line: number, level: boolean): void;
}

/** Adds the APICs to a machine and makes them (with `pic`) its interrupt controller. */
export function addApics(machine: Machine, pic: Pic): Apics {
  const late: { ioapic?: IoApic } = {};
  const lapic = new LocalApic({
    clock: machine.clock,
    onInterrupt: () => machine.interruptRaised(),
    onEoi: (vector) => late.ioapic?.eoi(vector),
    onTimerChange: () => machine.timersChanged(),
  });
  const ioapic = new IoApic({ deliver: (vector, level) => lapic.accept(vector, level) });
  late.ioapic = ioapic;
  machine.mmio.register(LAPIC_BASE, 0x1000, lapic, "local APIC");
  if (machine.accelerator === "kvm") {
    // Reads from read-only memory, refreshed before each run; writes still exit.
    lapic.attachMirror(machine.vm.addMemory(LAPIC_BASE, 0x1000, { readonly: true }));
    machine.beforeRun.push(() => lapic.publish(machine.clock.now()));
  }
  machine.mmio.register(IOAPIC_BASE, 0x20, ioapic, "IOAPIC");
  machine.timedDevices.push(lapic);
  const controller: InterruptController = {
    hasInterrupt: () => lapic.hasInterrupt() || (lapic.extIntOpen && pic.hasInterrupt()),
    acknowledge: () => lapic.hasInterrupt() ? lapic.acknowledge() : pic.acknowledge(),
    canDeliver: (line) =>
      (lapic.enabled && ioapic.unmasked(isaPin(line))) ||
      (lapic.extIntOpen && pic.canDeliver(line)),
  };
  machine.interrupts = controller;
  return {
    lapic,
    ioapic,
    setIrq(line, level) {
      pic.setIrq(line, level);
      ioapic.setPin(isaPin(line), level);
    },
  };
}
