// PAE paging, NX and PGE on the 386 model, driven directly: three-level
// walks with 4 KiB and 2 MiB pages, the cached PDPTEs and their #GP, RSVD
// and I/D #PF error codes, global translations over CR3 writes, accessed and
// dirty bits in 64-bit entries (guests/pm-pae.asm runs the same through
// instructions, on KVM too).
import { deepStrictEqual as assertEquals } from "@std/assert";
import { Cpu, CpuFault, EAX, EBX } from "../../lib/emu/cpu.ts";
import { ABORT, PhysMemory } from "../../lib/emu/memory.ts";
import { flushTranslations, loadCr3, updateMode } from "../../lib/emu/mode.ts";
import { EFER_NXE, loadPdptes, translate, translateFetch } from "../../lib/emu/paging.ts";
import { codeAddress, linearRead } from "../../lib/emu/pmem.ts";
import { step } from "../../lib/emu/exec.ts";
import { fault } from "./helpers.ts";

const PDPT = 0x20000, PD0 = 0x21000, PT0 = 0x22000, PD1 = 0x23000, PT1 = 0x24000;
const CR0_PG = 0x80000000, CR4_PSE = 0x10, CR4_PAE = 0x20, CR4_PGE = 0x80;
const XD = 0x80000000;

/** Writes a 64-bit entry as two dwords. */
function put(mem: DataView, at: number, lo: number, hi = 0): void {
  mem.setUint32(at, lo >>> 0, true);
  mem.setUint32(at + 4, hi >>> 0, true);
}

/**
 * A CPU in protected mode (16-bit CS at base 0, CPL 0) with PAE paging on:
 * 0-2 MiB identity through PT0 (user, writable), 2-4 MiB one 2 MiB page at
 * physical 6 MiB, 1 GiB + 0..2 MiB a 2 MiB page above 4 GiB (no RAM there),
 * 1 GiB + 4 MiB through PT1 (filled by the tests).
 */
function paeCpu(cr4 = CR4_PAE): { c: Cpu; mem: DataView } {
  const m = new PhysMemory();
  const bytes = m.addSlot(0, 0x1000000, false);
  const c = new Cpu("386", m);
  const mem = new DataView(bytes.buffer);
  put(mem, PDPT, PD0 | 1);
  put(mem, PDPT + 8, PD1 | 1);
  put(mem, PD0, PT0 | 7);
  for (let i = 0; i < 512; i++) put(mem, PT0 + i * 8, (i << 12) | 7);
  put(mem, PD0 + 8, 0x600000 | 0x87); // linear 2 MiB: a 2 MiB page at 6 MiB
  put(mem, PD1, 0x00000000 | 0x87, 0x1); // linear 1 GiB: physical 4 GiB (not RAM)
  put(mem, PD1 + 2 * 8, PT1 | 7); // linear 1 GiB + 4 MiB
  c.cr3 = PDPT;
  c.cr4 = cr4;
  c.cr0 = 0x80000011;
  updateMode(c);
  if (!loadPdptes(c, PDPT)) throw new Error("PDPTEs refused");
  return { c, mem };
}

/** Runs one instruction (bytes at linear 0x1000) and gives its fault, or null. */
function run(c: Cpu, mem: DataView, code: number[]): [number, number] | null {
  code.forEach((b, i) => mem.setUint8(0x1000 + i, b));
  c.fetchPage = -1; // the code bytes changed under the fetch cache
  c.ip = 0x1000;
  try {
    step(c);
    return null;
  } catch (e) {
    if (e instanceof CpuFault) return [e.vector, e.code];
    throw e;
  }
}
const MOV_CR0_EAX = [0x0f, 0x22, 0xc0], MOV_CR3_EAX = [0x0f, 0x22, 0xd8];
const MOV_CR4_EAX = [0x0f, 0x22, 0xe0], INVLPG_EBX = [0x67, 0x0f, 0x01, 0x3b];

const LIN_4G = 0x40000000, LIN_PT1 = 0x40400000;

Deno.test("PAE walk: 4 KiB and 2 MiB pages, accessed and dirty in the low dwords", () => {
  const { c, mem } = paeCpu();
  assertEquals(translate(c, 0x5123, false, false), 0x5123);
  assertEquals(mem.getUint32(PT0 + 5 * 8, true), 0x5000 | 7 | 0x20);
  assertEquals(mem.getUint32(PD0, true), PT0 | 7 | 0x20);
  assertEquals(mem.getUint32(PDPT, true), PD0 | 1); // PDPTEs have no accessed bit
  assertEquals(translate(c, 0x6004, true, false), 0x6004);
  assertEquals(mem.getUint32(PT0 + 6 * 8, true), 0x6000 | 7 | 0x60);
  assertEquals(translate(c, 0x3abcde, false, false), 0x7abcde); // the 2 MiB page
  assertEquals(mem.getUint32(PD0 + 8, true), 0x600000 | 0x87 | 0x20);
  translate(c, 0x3abcde, true, false);
  assertEquals(mem.getUint32(PD0 + 8, true), 0x600000 | 0x87 | 0x60);
  // A PTE with the high dword's frame bits (physical bits 32-35) set: above RAM.
  put(mem, PT1 + 3 * 8, 0xabc000 | 7, 0x0000000f);
  assertEquals(translate(c, LIN_PT1 + 0x3010, false, false), 0xf00abc010);
  assertEquals(mem.getUint32(PT1 + 3 * 8 + 4, true), 0xf); // the high dword stays
  assertEquals(translate(c, LIN_4G + 0x1234, false, false), 0x100001234);
});

Deno.test("PAE: a page above 4 GiB is MMIO to the memory path (64-bit exit address)", () => {
  const { c } = paeCpu();
  let thrown: unknown;
  try {
    linearRead(c, LIN_4G + 0x10, 4, false);
  } catch (e) {
    thrown = e;
  }
  assertEquals(thrown, ABORT);
  assertEquals([c.m.readPending, c.m.readAddr, c.m.readLen], [true, 0x100000010, 4]);
  assertEquals(codeAddress(c), -1); // CS:IP (0) is RAM, but nothing is cached yet
});

Deno.test("PAE: reserved bits in a present entry give #PF with RSVD (and P)", () => {
  const { c, mem } = paeCpu();
  put(mem, PT1, 0x1000 | 7, 0x10); // bit 36: beyond MAXPHYADDR 36
  assertEquals(fault(() => translate(c, LIN_PT1, false, false)), [14, 0x9]);
  assertEquals(c.cr2, LIN_PT1);
  assertEquals(fault(() => translate(c, LIN_PT1 + 4, true, true)), [14, 0xf]);
  put(mem, PT1 + 8, 0x1000 | 7, XD); // XD without EFER.NXE is reserved
  assertEquals(fault(() => translate(c, LIN_PT1 + 0x1000, false, false)), [14, 0x9]);
  put(mem, PT1 + 2 * 8, 0x1000 | 6, 0x7ff00000); // not present: the rest is ignored
  assertEquals(fault(() => translate(c, LIN_PT1 + 0x2000, false, false)), [14, 0]);
  put(mem, PD1 + 3 * 8, 0x400000 | 0x2087); // a 2 MiB page with bit 13 set
  assertEquals(fault(() => translate(c, LIN_PT1 + 0x200000, false, false)), [14, 0x9]);
  put(mem, PD1 + 4 * 8, 0x200000 | 0x1087); // bit 12 (PAT) is not reserved
  assertEquals(translate(c, 0x40800000, false, false), 0x200000);
  put(mem, PD1 + 5 * 8, PT1 | 7, 0x100); // a reserved bit in a PDE stops the walk there
  assertEquals(fault(() => translate(c, 0x40a00000, false, false)), [14, 0x9]);
  // A fault caches nothing and sets no accessed bit.
  assertEquals(mem.getUint32(PT1, true), 0x1000 | 7);
  assertEquals(c.tlb.entries[LIN_PT1 >>> 12], 0);
  assertEquals(mem.getUint32(PD1 + 5 * 8, true), PT1 | 7);
});

Deno.test("NX: with EFER.NXE an instruction fetch from an XD page gives #PF with I/D", () => {
  const { c, mem } = paeCpu();
  c.efer = EFER_NXE;
  flushTranslations(c);
  put(mem, PT1, 0x7000 | 7, XD);
  assertEquals(translate(c, LIN_PT1, false, false), 0x7000); // data reads pass
  assertEquals(translate(c, LIN_PT1, true, true), 0x7000); // and writes
  // The TLB holds the page now, but not for fetches.
  assertEquals(fault(() => translateFetch(c, LIN_PT1 + 8, false)), [14, 0x11]);
  assertEquals(c.cr2, LIN_PT1 + 8);
  assertEquals(fault(() => translateFetch(c, LIN_PT1, true)), [14, 0x15]);
  // With NXE every fetch fault says I/D, a not-present one too; data faults never do.
  assertEquals(fault(() => translateFetch(c, LIN_PT1 + 0x5000, false)), [14, 0x10]);
  assertEquals(fault(() => translate(c, LIN_PT1 + 0x5000, false, false)), [14, 0]);
  // XD in the PDE covers every page under it.
  put(mem, PT1 + 8, 0x8000 | 7);
  assertEquals(translateFetch(c, LIN_PT1 + 0x1000, false), 0x8000);
  put(mem, PD1 + 2 * 8, PT1 | 7, XD);
  flushTranslations(c);
  assertEquals(fault(() => translateFetch(c, LIN_PT1 + 0x1000, false)), [14, 0x11]);
  // A 2 MiB page with XD; and a supervisor fetch from a user page is allowed (no SMEP).
  put(mem, PD0 + 8, 0x600000 | 0x87, XD);
  flushTranslations(c);
  assertEquals(fault(() => translateFetch(c, 0x200000, false)), [14, 0x11]);
  assertEquals(translateFetch(c, 0x1234, false), 0x1234);
  // Without NXE a fetch fault has no I/D bit (and XD is reserved again).
  put(mem, PD1 + 2 * 8, PT1 | 7);
  c.efer = 0;
  flushTranslations(c);
  assertEquals(fault(() => translateFetch(c, LIN_PT1 + 0x5000, false)), [14, 0]);
});

Deno.test("NX: translated code is not found for an XD page the TLB holds for data", () => {
  const { c, mem } = paeCpu();
  c.efer = EFER_NXE;
  flushTranslations(c);
  put(mem, PT0 + 8 * 8, 0x8000 | 7, XD);
  c.ip = 0x8000; // CS base 0: linear 0x8000
  translate(c, 0x8000, false, false);
  assertEquals(codeAddress(c), -1);
  c.ip = 0x9010;
  translateFetch(c, 0x9000, false);
  assertEquals(codeAddress(c), 0x9010);
});

Deno.test("PDPTEs: cached from CR3 loads; reserved bits give #GP(0) and change nothing", () => {
  const { c, mem } = paeCpu();
  assertEquals(translate(c, LIN_4G, false, false), 0x100000000);
  // A new PDPTE in memory is not seen until CR3 is loaded again, a flush is not enough.
  put(mem, PDPT + 8, 0);
  flushTranslations(c);
  assertEquals(translate(c, LIN_4G, false, false), 0x100000000);
  c.r32[EAX] = PDPT;
  assertEquals(run(c, mem, MOV_CR3_EAX), null);
  assertEquals(fault(() => translate(c, LIN_4G, false, false)), [14, 0]);
  // Reserved bits in a PDPTE: bits 1-2, 5-8 and 36-63.
  const alt = 0x30000;
  put(mem, alt, PD0 | 1);
  for (const [lo, hi] of [[2, 0], [0x20, 0], [0x100, 0], [0, 0x10], [0, XD]]) {
    put(mem, alt + 8, PD1 | 1 | lo, hi);
    c.r32[EAX] = alt;
    assertEquals(run(c, mem, MOV_CR3_EAX), [13, 0]);
    assertEquals(c.cr3, PDPT);
    assertEquals(c.pdpte[2], 0); // the old (not present) PDPTE 1 is still the one used
  }
  // Not present: reserved bits are not looked at. PWT, PCD and bits 9-11 are allowed.
  put(mem, alt + 8, 0x1e6, 0xffffffff);
  put(mem, alt + 16, PD1 | 0xe19);
  c.r32[EAX] = alt | 0x18; // CR3 bits 3-4 (PWT, PCD) are not part of the address
  assertEquals(run(c, mem, MOV_CR3_EAX), null);
  assertEquals(translate(c, 0x5000, false, false), 0x5000);
  assertEquals(translate(c, 0x80000000 + 0x1234, false, false), 0x100001234); // PDPTE 2 = PD1
});

Deno.test("PDPTEs: loaded (and checked) when MOV to CR0 or CR4 enters PAE paging", () => {
  const { c, mem } = paeCpu();
  c.cr0 = 0x11;
  updateMode(c);
  put(mem, PDPT + 8, PD1 | 1, 0x100); // reserved
  c.r32[EAX] = 0x80000011;
  assertEquals(run(c, mem, MOV_CR0_EAX), [13, 0]);
  assertEquals([c.cr0, c.pg], [0x11, false]);
  put(mem, PDPT + 8, PD1 | 1);
  c.pdpte.fill(0);
  assertEquals(run(c, mem, MOV_CR0_EAX), null);
  assertEquals([c.cr0 >>> 0, c.pg, c.pdpte[2]], [0x80000011, true, PD1 | 1]);
  // 32-bit paging to PAE by CR4 with paging on: the PDPTEs load with the write. CR3 names
  // a table that is both a 32-bit page directory (for the fetch before the write) and a PDPT.
  const dual = 0x40000, pt32 = 0x41000;
  mem.setUint32(dual, pt32 | 1, true); // PDE 0 (supervisor, read-only) and PDPTE 0's low dword
  for (let i = 0; i < 1024; i++) mem.setUint32(pt32 + i * 4, (i << 12) | 1, true);
  put(mem, dual + 8, PD1 | 1, 0x100);
  c.cr4 = 0;
  c.cr3 = dual;
  flushTranslations(c);
  // The walk sets PDE 0's accessed bit, which is reserved in a PDPTE: cache the code page first.
  translate(c, 0x1000, false, false);
  mem.setUint32(dual, pt32 | 1, true);
  c.r32[EAX] = CR4_PAE;
  assertEquals(run(c, mem, MOV_CR4_EAX), [13, 0]);
  assertEquals(c.cr4, 0);
  put(mem, dual + 8, PD1 | 1);
  assertEquals(run(c, mem, MOV_CR4_EAX), null);
  assertEquals([c.cr4, c.pdpte[0], c.pdpte[2]], [CR4_PAE, pt32 | 1, PD1 | 1]);
  // A CR4 write that changes none of PAE, PSE, PGE reads nothing.
  assertEquals(loadCr3(c, PDPT), true);
  put(mem, PDPT + 8, PD1 | 1, 0x100);
  c.r32[EAX] = CR4_PAE;
  assertEquals(run(c, mem, MOV_CR4_EAX), null);
  c.r32[EAX] = CR4_PAE | CR4_PSE;
  assertEquals(run(c, mem, MOV_CR4_EAX), [13, 0]);
  c.r32[EAX] = 0x200; // OSFXSR: not implemented
  assertEquals(run(c, mem, MOV_CR4_EAX), [13, 0]);
});

Deno.test("PGE: global translations survive CR3 writes, not INVLPG, CR4 or CR0.PG changes", () => {
  const { c, mem } = paeCpu(CR4_PAE | CR4_PGE);
  const target = () => {
    put(mem, PT1, 0x7000 | 0x107); // global
    put(mem, PT1 + 8, 0x8000 | 0x007); // not global
    put(mem, PD0 + 8, 0x600000 | 0x187); // a global 2 MiB page
  };
  target();
  const warm = () => {
    assertEquals(translate(c, LIN_PT1, false, false), 0x7000);
    assertEquals(translate(c, LIN_PT1 + 0x1000, false, false), 0x8000);
    assertEquals(translate(c, 0x200000, false, false), 0x600000);
  };
  const retarget = () => {
    put(mem, PT1, 0x9000 | 0x107);
    put(mem, PT1 + 8, 0xa000 | 0x007);
    put(mem, PD0 + 8, 0x800000 | 0x187);
  };
  warm();
  retarget();
  c.r32[EAX] = PDPT;
  assertEquals(run(c, mem, MOV_CR3_EAX), null);
  assertEquals(translate(c, LIN_PT1, false, false), 0x7000); // stale: global
  assertEquals(translate(c, 0x200000, false, false), 0x600000);
  assertEquals(translate(c, LIN_PT1 + 0x1000, false, false), 0xa000); // walked again
  // INVLPG drops a global page; a refill and more CR3 writes keep it once.
  c.r32[EBX] = LIN_PT1;
  assertEquals(run(c, mem, INVLPG_EBX), null);
  assertEquals(translate(c, LIN_PT1, false, false), 0x9000);
  for (let i = 0; i < 3; i++) assertEquals(loadCr3(c, PDPT), true);
  assertEquals(translate(c, LIN_PT1, false, false), 0x9000);
  assertEquals(translate(c, 0x200000, false, false), 0x600000);
  // A CR4 write drops everything.
  target();
  c.r32[EAX] = CR4_PAE | CR4_PGE;
  assertEquals(run(c, mem, MOV_CR4_EAX), null);
  warm();
  // So does turning paging off and on.
  retarget();
  c.r32[EAX] = 0x11;
  assertEquals(run(c, mem, MOV_CR0_EAX), null);
  c.r32[EAX] = 0x80000011;
  assertEquals(run(c, mem, MOV_CR0_EAX), null);
  assertEquals(translate(c, LIN_PT1, false, false), 0x9000);
  assertEquals(translate(c, 0x200000, false, false), 0x800000);
  // Without CR4.PGE the G bit means nothing.
  c.r32[EAX] = CR4_PAE;
  assertEquals(run(c, mem, MOV_CR4_EAX), null);
  assertEquals(translate(c, LIN_PT1, false, false), 0x9000);
  put(mem, PT1, 0x7000 | 0x107);
  assertEquals(loadCr3(c, PDPT), true);
  assertEquals(translate(c, LIN_PT1, false, false), 0x7000);
});

Deno.test("PGE with 32-bit paging: G in the PTE and the 4 MiB PDE", () => {
  const m = new PhysMemory();
  const bytes = m.addSlot(0, 0x1000000, false);
  const c = new Cpu("386", m);
  const mem = new DataView(bytes.buffer);
  const PD = 0x10000, PT = 0x11000;
  mem.setUint32(PD, PT | 7, true);
  for (let i = 0; i < 1024; i++) mem.setUint32(PT + i * 4, (i << 12) | 7, true);
  mem.setUint32(PT + 5 * 4, 0x9000 | 0x107, true);
  mem.setUint32(PD + 4, 0x400000 | 0x187, true);
  c.cr3 = PD;
  c.cr4 = CR4_PSE | CR4_PGE;
  c.cr0 = 0x80000011;
  updateMode(c);
  assertEquals(translate(c, 0x5000, false, false), 0x9000);
  assertEquals(translate(c, 0x400010, false, false), 0x400010);
  assertEquals(translate(c, 0x6000, false, false), 0x6000);
  mem.setUint32(PT + 5 * 4, 0xa000 | 0x107, true);
  mem.setUint32(PD + 4, 0x800000 | 0x187, true);
  mem.setUint32(PT + 6 * 4, 0xb000 | 7, true);
  assertEquals(loadCr3(c, PD), true);
  assertEquals(translate(c, 0x5000, false, false), 0x9000);
  assertEquals(translate(c, 0x400010, false, false), 0x400010);
  assertEquals(translate(c, 0x6000, false, false), 0xb000);
  c.tlb.flush();
  assertEquals(translate(c, 0x5000, false, false), 0xa000);
});

Deno.test("PAE: CR0.WP, user and read-only rights combine over the PDE and PTE", () => {
  const { c, mem } = paeCpu();
  put(mem, PD1 + 2 * 8, PT1 | 5); // the PDE is read-only
  put(mem, PT1, 0x3000 | 7);
  put(mem, PT1 + 8, 0x4000 | 3); // supervisor PTE
  assertEquals(fault(() => translate(c, LIN_PT1, true, true)), [14, 7]);
  assertEquals(translate(c, LIN_PT1, true, false), 0x3000); // WP clear
  c.cr0 |= 0x10000;
  flushTranslations(c);
  assertEquals(fault(() => translate(c, LIN_PT1, true, false)), [14, 3]);
  assertEquals(fault(() => translate(c, LIN_PT1 + 0x1000, false, true)), [14, 5]);
  assertEquals((c.cr0 & CR0_PG) !== 0, true);
});
