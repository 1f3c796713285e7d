/**
 * The BIOS: services in TypeScript, reached from guest stubs in the ROM.
 *
 * The trap: the IVT points each BIOS vector at a ROM stub `out 0xEF, al;
 * retf 2`. The OUT exits to the VMM; this device, on port 0xEF, reads the
 * guest's registers, finds the stub by its address (KVM reports IP at the
 * OUT, the software CPU after it; stubs are 8-byte aligned, so rounding
 * down finds the same stub), runs the service, and writes back only what
 * changed. The stub's `retf 2` returns with the flags the service set; the
 * interrupt flag is taken from the FLAGS the INT pushed, so a caller's IF
 * survives the call. On KVM an unchanged CS:IP lets the OUT complete; a
 * service that redirects the guest (a wait loop, INT 19h) sets CS:IP itself.
 *
 * Services that wait (INT 16h reads with an empty buffer, INT 15h AH=86h,
 * INT 14h receives)
 * send the guest to a ROM loop `sti; hlt; cli; jmp stub` so interrupts run
 * while it waits and the call is retried; the host never blocks. The BIOS is
 * also a timed device: a running INT 15h wait is its next event, so HLT
 * wakes when the wait ends.
 *
 * @module
 */

import { KvmRegs, KvmSregs } from "../kvm/structs.ts";
import type { Clock } from "../devices/clock.ts";
import type { Vga } from "../devices/vga.ts";
import type { Vcpu } from "../vcpu/contract.ts";
import type { Disk } from "../loader/disk.ts";
import type { Bus, BusDevice } from "../machine/bus.ts";
import { GuestMemoryError } from "../machine/memory.ts";
import type { GuestMemory } from "../machine/memory.ts";
import type { BiosEnv, BiosService } from "./env.ts";
import { newBiosState } from "./env.ts";
import { int10 } from "./int10.ts";
import { int13 } from "./int13.ts";
import { int16 } from "./int16.ts";
import { keyboardScancode } from "./keyboard.ts";
import { memoryLayout, post } from "./post.ts";
import { BiosRegs, FLAG_IF, linear } from "./regs.ts";
import { buildRom, type Rom } from "./rom.ts";
import { int14 } from "./int14.ts";
import { int11, int12, int15, int17, int18, int19, type MemoryLayout } from "./system.ts";
import { int1a, Rtc, type RtcSource, timerTick } from "./time.ts";

/** What the BIOS is built from. */
export interface BiosOptions {
  /** Guest RAM, the ROM slot included. */
  memory: GuestMemory;
  /** The VGA. */
  vga: Vga;
  /** The vCPU whose registers the trap reads and writes. */
  vcpu: Vcpu;
  /** The port bus (keyboard controller, COM1, CMOS). */
  ports: Bus;
  /** The machine clock. */
  clock: Clock;
  /** Drives by BIOS number. */
  disks: ReadonlyMap<number, Disk>;
  /** The drive booted from (DL at entry, INT 19h). */
  bootDrive: number;
  /** Bytes of RAM below 640 KiB. */
  conventionalBytes: number;
  /** Bytes of RAM from 1 MiB up. */
  extendedBytes: number;
  /** Changes the A20 gate where the accelerator emulates it. */
  setA20?: (enabled: boolean) => void;
  /** Where INT 1Ah gets the time (the CMOS RTC); default: the clock from the host's time now. */
  rtc?: RtcSource;
  /**
   * Called after each service a guest calls (not the IRQ handlers). On the
   * software CPU's virtual clock it charges the call its time (see pc.ts).
   */
  onServiceCall?: () => void;
  /**
   * Called when a service failed with an exception (a bug in the BIOS, not a
   * guest error): the machine stops with a crash report naming the service.
   */
  onFault?: (message: string) => void;
}

/** The BIOS as a port device (the trap port) and a timed device (INT 15h waits). */
export class Bios implements BusDevice {
  /** What the services reach. */
  readonly env: BiosEnv;
  /** The ROM image and its layout. */
  readonly rom: Rom;
  /** The memory sizes and E820 map. */
  readonly layout: MemoryLayout;
  /** The time source of INT 1Ah. */
  readonly rtc: RtcSource;
  /** Services run, by vector (for traces and tests). */
  readonly calls: Map<number, number> = new Map();
  /** OUTs to the trap port from outside the ROM's trap sites (ignored). */
  strayTraps = 0;
  /** Calls ended by a guest address outside RAM that a service failed to check first (a bug). */
  memoryFaults = 0;
  /** What the first service that failed with an exception said, if one did. */
  fault: string | undefined;
  readonly #vcpu: Vcpu;
  readonly #regs = new KvmRegs();
  readonly #sregs = new KvmSregs();
  readonly #services: Map<number, BiosService>;
  readonly #onServiceCall: (() => void) | undefined;
  readonly #onFault: ((message: string) => void) | undefined;
  /** Set while a trap is handled: a service's own I/O to the trap port must not re-enter it. */
  #inTrap = false;

  /** Builds the ROM and the services; call {@link Bios.post} once RAM is in place. */
  constructor(options: BiosOptions) {
    this.#vcpu = options.vcpu;
    this.#onServiceCall = options.onServiceCall;
    this.#onFault = options.onFault;
    this.rom = buildRom();
    this.layout = memoryLayout(options.conventionalBytes, options.extendedBytes);
    const clock = options.clock;
    this.rtc = options.rtc ?? new Rtc(() => clock.now());
    this.env = {
      memory: options.memory,
      vga: options.vga,
      disks: options.disks,
      bootDrive: options.bootDrive,
      rom: this.rom,
      ports: options.ports,
      now: () => clock.now(),
      setA20: options.setA20,
      state: newBiosState(),
    };
    const layout = this.layout;
    const rtc = this.rtc;
    this.#services = new Map<number, BiosService>([
      [0x10, int10],
      [0x11, int11],
      [0x12, int12],
      [0x13, int13],
      [0x14, int14],
      [0x15, (r, env) => int15(r, env, layout)],
      [0x16, int16],
      [0x17, int17],
      [0x18, int18],
      [0x19, int19],
      [0x1a, (r, env) => int1a(r, env, rtc)],
    ]);
  }

  /** Power-on set-up: ROM, IVT, BDA, EBDA, video mode. */
  post(): void {
    post(this.env, this.layout, this.rtc);
  }

  /** The trap port reads as an empty ISA port. */
  read(_offset: number, data: Uint8Array): void {
    data.fill(0xff);
  }

  /**
   * A write to the trap port: run the service of the stub the guest is in.
   * A service that reaches the trap port itself (a guest pointed a BDA port
   * field at 0xEF) finds an empty ISA port there, not a second service call.
   */
  write(_offset: number, _data: Uint8Array): void {
    if (this.#inTrap) {
      this.strayTraps++;
      return;
    }
    this.#inTrap = true;
    try {
      this.#trap();
    } finally {
      this.#inTrap = false;
    }
  }

  #trap(): void {
    // The same two structs every call: a BIOS-heavy guest traps tens of thousands of times a second.
    const regs = this.#vcpu.getRegs(this.#regs);
    const sregs = this.#vcpu.getSregs(this.#sregs);
    const at = Number(sregs.cs.base & 0xfffffn) + (regs.get32("rip") & 0xffff);
    const kind = this.rom.trapAt(at);
    if (!kind) {
      this.strayTraps++;
      return;
    }
    if (kind.kind === "timer") {
      this.#guard("IRQ 0 (timer)", () => timerTick(this.env));
      return;
    }
    if (kind.kind === "keyboard") {
      const b = new Uint8Array(1);
      this.env.ports.read(0x60, b);
      this.#guard("IRQ 1 (keyboard)", () => keyboardScancode(this.env.memory, b[0]));
      return;
    }
    const r = BiosRegs.fromVcpu(regs, sregs);
    const before = r.clone();
    this.call(kind.vector, r);
    if (r.cs === before.cs && r.ip === before.ip) restoreInterruptFlag(r, this.env.memory);
    const changed = r.applyTo(before, regs, sregs);
    if (changed.sregs) this.#vcpu.setSregs(sregs);
    if (changed.regs) this.#vcpu.setRegs(regs);
    this.#onServiceCall?.();
  }

  /**
   * Runs the service for `vector` on `r` (for the trap, and for unit tests
   * on hand-made register states). A guest address that turns out to be
   * outside RAM ends the call with CF=1, AH=01h instead of a host exception;
   * any other exception is a fault (see {@link BiosOptions.onFault}), and the
   * call returns CF=1, AH=01h too.
   */
  call(vector: number, r: BiosRegs): void {
    const service = this.#services.get(vector);
    if (!service) return;
    this.calls.set(vector, (this.calls.get(vector) ?? 0) + 1);
    const ah = r.ah;
    const name = `INT ${hex2(vector)}h AH=${hex2(ah)}h`;
    const failed = this.#guard(name, () => service(r, this.env));
    if (failed) r.fail(0x01);
  }

  /** Runs a handler; returns true when it threw (a guest memory error, or a fault reported). */
  #guard(name: string, handler: () => void): boolean {
    try {
      handler();
      return false;
    } catch (e) {
      if (e instanceof GuestMemoryError) {
        this.memoryFaults++;
        return true;
      }
      const message = `the BIOS's ${name} failed: ${e instanceof Error ? e.message : String(e)}`;
      this.fault ??= message;
      this.#onFault?.(message);
      return true;
    }
  }

  /** Raises nothing: time only ends INT 15h waits. */
  update(_nowNs: number): void {}

  /** The end of a running INT 15h AH=86h or INT 14h AH=02h wait, so HLT wakes for it. */
  nextEventNs(_nowNs: number): number | undefined {
    const { waitUntilNs, serialWaitUntilNs } = this.env.state;
    const ends = [waitUntilNs, serialWaitUntilNs].filter((t) => t >= 0);
    return ends.length > 0 ? Math.min(...ends) : undefined;
  }
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, "0");
}

/** IF as the INT pushed it (FLAGS at SS:SP+4 in the stub's frame). */
function restoreInterruptFlag(r: BiosRegs, memory: GuestMemory): void {
  const at = linear(r.ss, r.sp + 4);
  if (!memory.contains(at, 2)) return;
  const pushed = memory.readU16(at);
  r.eflags = (r.eflags & ~FLAG_IF) | (pushed & FLAG_IF);
}
