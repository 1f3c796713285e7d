/**
 * The register dump printed when a guest crashes: general registers,
 * segments with bases and limits, control registers and the code at CS:IP.
 *
 * @module
 */

import { type KvmRegs, type KvmSregs, REG_NAMES, SEGMENT_NAMES } from "../kvm/structs.ts";

/** A machine's CPU state at a stop, as plain data. */
export interface CpuSnapshot {
  /** General registers by kvm_regs name (rax ... r15, rip, rflags). */
  regs: Record<string, bigint>;
  /** Segment registers by name (cs, ds, es, fs, gs, ss, tr, ldt). */
  segments: Record<string, { selector: number; base: bigint; limit: number; type: number }>;
  /** Control registers. */
  control: { cr0: bigint; cr2: bigint; cr3: bigint; cr4: bigint; efer: bigint };
  /** GDTR. */
  gdt: { base: bigint; limit: number };
  /** IDTR. */
  idt: { base: bigint; limit: number };
  /** Up to 16 bytes at CS:RIP, where they are in guest RAM. */
  code: Uint8Array;
  /** Linear address of CS:RIP. */
  codeAddress: number;
}

/** Collects a snapshot from register structs and a reader of guest memory. */
export function snapshotCpu(
  regs: KvmRegs,
  sregs: KvmSregs,
  readCode: (address: number, length: number) => Uint8Array,
): CpuSnapshot {
  const segments: CpuSnapshot["segments"] = {};
  for (const name of SEGMENT_NAMES) {
    const s = sregs.segment(name);
    segments[name] = { selector: s.selector, base: s.base, limit: s.limit, type: s.type };
  }
  const codeAddress = Number((sregs.cs.base + regs.get("rip")) & 0xffffffffn);
  return {
    regs: regs.toObject(),
    segments,
    control: {
      cr0: sregs.getControl("cr0"),
      cr2: sregs.getControl("cr2"),
      cr3: sregs.getControl("cr3"),
      cr4: sregs.getControl("cr4"),
      efer: sregs.getControl("efer"),
    },
    gdt: { base: sregs.gdt.base, limit: sregs.gdt.limit },
    idt: { base: sregs.idt.base, limit: sregs.idt.limit },
    code: readCode(codeAddress, 16),
    codeAddress,
  };
}

const h = (v: bigint | number, width: number) => v.toString(16).padStart(width, "0");

/** Formats a snapshot as the multi-line register dump. */
export function formatCpuSnapshot(s: CpuSnapshot): string {
  const lines: string[] = [];
  const regs = REG_NAMES.map((n) => `${n.padStart(6)}=${h(s.regs[n], 16)}`);
  for (let i = 0; i < regs.length; i += 4) lines.push(regs.slice(i, i + 4).join(" "));
  for (const name of SEGMENT_NAMES) {
    const g = s.segments[name];
    lines.push(
      `${name.padStart(6)}=${h(g.selector, 4)} base=${h(g.base, 16)} limit=${h(g.limit, 8)} type=${
        h(g.type, 1)
      }`,
    );
  }
  lines.push(
    `   gdt=${h(s.gdt.base, 16)}/${h(s.gdt.limit, 4)}    idt=${h(s.idt.base, 16)}/${
      h(s.idt.limit, 4)
    }`,
  );
  const c = s.control;
  lines.push(
    `   cr0=${h(c.cr0, 8)} cr2=${h(c.cr2, 8)} cr3=${h(c.cr3, 8)} cr4=${h(c.cr4, 8)} efer=${
      h(c.efer, 8)
    }`,
  );
  const code = s.code.length ? Array.from(s.code, (b) => h(b, 2)).join(" ") : "(not in guest RAM)";
  lines.push(`  code at ${h(s.codeAddress, 8)}: ${code}`);
  return lines.join("\n");
}
