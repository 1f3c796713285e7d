/**
 * `EmuVm`: guest memory slots and the vCPU of the software CPU.
 *
 * @module
 */

import type { MemorySlotOptions, Vm } from "../vcpu/contract.ts";
import type { BlockCacheOptions } from "./blocks.ts";
import type { CpuModel } from "./cpu.ts";
import { PhysMemory } from "./memory.ts";
import { EmuVcpu } from "./vcpu.ts";

/** A virtual machine of the software CPU. */
export class EmuVm implements Vm {
  /** The CPU model its vCPUs get. */
  readonly model: CpuModel;
  /** The physical address space (slots, A20, pending MMIO). */
  readonly memory: PhysMemory = new PhysMemory();
  readonly #vcpus: EmuVcpu[] = [];
  readonly #translation: BlockCacheOptions | null;

  /**
   * Creates an empty VM of the given CPU model (use `EmuAccelerator.createVm`).
   * `translation` tunes the block translator; null interprets only.
   */
  constructor(model: CpuModel = "386", translation: BlockCacheOptions | null = {}) {
    this.model = model;
    this.#translation = translation;
    if (model === "8086") this.memory.addrMask = 0xfffff;
  }

  /**
   * Adds a zeroed RAM slot at `guestPhys` and returns it (the guest sees
   * writes to it at once). Addresses no slot covers are MMIO; writes to a
   * read-only slot are MMIO writes.
   */
  addMemory(guestPhys: number, size: number, options: MemorySlotOptions = {}): Uint8Array {
    return this.memory.addSlot(guestPhys, size, options.readonly === true);
  }

  /**
   * RAM will be added below `top` bytes: it is then kept in one buffer, so
   * translated protected-mode code reaches all of it through one array
   * (call before the first `addMemory`; without it only the slot at 0 is
   * reached that way, the rest through the checked path).
   */
  reserveMemory(top: number): void {
    this.memory.reserve(top);
  }

  /** Creates a vCPU in the state after reset of real mode (CS:IP as the caller sets). */
  createVcpu(): EmuVcpu {
    const v = new EmuVcpu(this.model, this.memory, this.#translation);
    this.#vcpus.push(v);
    return v;
  }

  /**
   * The host wrote guest RAM directly (through the bytes `addMemory`
   * returned): translated code from that range is dropped. Writes by the
   * guest itself need no call.
   */
  memoryWritten(guestPhys: number, length: number): void {
    for (const v of this.#vcpus) v.cpu.blocks?.invalidate(guestPhys, length, false);
  }

  /** Drops every translated block (after the host rewrote memory wholesale). */
  forgetTranslations(): void {
    for (const v of this.#vcpus) v.cpu.blocks?.flush();
  }

  /**
   * Emulates the A20 gate (386 model): with it off, physical address bit 20
   * is forced to 0 and addresses wrap at 1 MiB. On by default. The 8086
   * model always wraps at 1 MiB.
   */
  setA20(enabled: boolean): void {
    if (this.model === "8086") return;
    this.memory.addrMask = enabled ? -1 : ~0x100000;
    // Identity translations cached with paging off carried the old mask, and so did the
    // chains between protected-mode blocks (real-mode blocks lie below 1 MiB, unmasked).
    for (const v of this.#vcpus) {
      v.cpu.tlb.flush();
      if (v.cpu.pe) v.cpu.blocks?.flush();
    }
  }

  /** Releases the VM and its vCPUs. */
  close(): void {
    for (const v of this.#vcpus) v.close();
    this.#vcpus.length = 0;
  }
}
