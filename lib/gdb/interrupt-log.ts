/**
 * The exception and interrupt log (`--trace int`, in the shape of QEMU's
 * `-d int`): one line per delivery with the vector, error code, CS:EIP,
 * SS:ESP and CR2. The software CPU reports every delivery through the IVT
 * (exceptions, INT n, IRQs); on KVM only the interrupts picovmm injects are
 * seen. The last deliveries are kept, so a triple fault's report can list
 * the chain of exceptions that led to it.
 *
 * @module
 */

import { CS, ESP, SS } from "../emu/cpu.ts";
import { EmuVcpu } from "../emu/vcpu.ts";
import type { Machine } from "../machine/machine.ts";

/** One delivery. */
export interface InterruptRecord {
  vector: number;
  /** Error code pushed; real mode pushes none. */
  errorCode: number | undefined;
  cs: number;
  eip: number;
  ss: number;
  esp: number;
  cr2: number;
  /** True for an interrupt injected from a device (KVM); false for what the CPU delivered. */
  injected: boolean;
}

const KEEP = 16;

/** Formats one record as the log line. */
export function formatInterrupt(r: InterruptRecord, index: number): string {
  const h = (v: number, w: number) => (v >>> 0).toString(16).padStart(w, "0");
  const e = r.errorCode === undefined ? "----" : h(r.errorCode, 4);
  return `${String(index).padStart(6)}: v=${h(r.vector, 2)} e=${e} ` +
    `IP=${h(r.cs, 4)}:${h(r.eip, 8)} SP=${h(r.ss, 4)}:${h(r.esp, 8)} CR2=${h(r.cr2, 8)}` +
    (r.injected ? " (injected)" : "");
}

/** Records deliveries of a machine; prints each with `print` when given. */
export class InterruptLog {
  readonly recent: InterruptRecord[] = [];
  #count = 0;

  constructor(readonly machine: Machine, readonly print?: (line: string) => void) {
    const vcpu = machine.vcpu;
    if (vcpu instanceof EmuVcpu) {
      const cpu = vcpu.cpu;
      cpu.onDeliver = (vector) =>
        this.#record({
          vector,
          errorCode: undefined,
          cs: cpu.sel[CS],
          eip: cpu.ip,
          ss: cpu.sel[SS],
          esp: cpu.r32[ESP],
          cr2: cpu.cr2,
          injected: false,
        });
    } else {
      machine.onInject = (vector) => {
        const regs = vcpu.getRegs(), sregs = vcpu.getSregs();
        this.#record({
          vector,
          errorCode: undefined,
          cs: sregs.cs.selector,
          eip: regs.get32("rip"),
          ss: sregs.ss.selector,
          esp: regs.get32("rsp"),
          cr2: Number(sregs.getControl("cr2") & 0xffffffffn),
          injected: true,
        });
      };
    }
  }

  #record(r: InterruptRecord): void {
    this.recent.push(r);
    if (this.recent.length > KEEP) this.recent.shift();
    this.print?.(formatInterrupt(r, this.#count));
    this.#count++;
  }

  /** The exceptions (vectors below 32) at the end of the log: the chain before a triple fault. */
  exceptionChain(): InterruptRecord[] {
    const chain: InterruptRecord[] = [];
    for (let i = this.recent.length - 1; i >= 0 && this.recent[i].vector < 32; i--) {
      chain.unshift(this.recent[i]);
    }
    return chain;
  }
}
