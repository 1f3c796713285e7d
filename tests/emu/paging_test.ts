// The paging unit and the descriptor checks of the software CPU, driven
// directly: page walks with their rights, accessed/dirty bits and #PF error
// codes, the TLB and its flushes, and segment loads with their faults.
import { deepStrictEqual as assertEquals } from "@std/assert";
import { Cpu, DS, ES, SS } from "../../lib/emu/cpu.ts";
import { PhysMemory } from "../../lib/emu/memory.ts";
import { flushTranslations, updateMode } from "../../lib/emu/mode.ts";
import { fastPhysical, Tlb, translate } from "../../lib/emu/paging.ts";
import { prng } from "../../tools/fuzz/cases.ts";
import { loadSegment } from "../../lib/emu/protected.ts";
import { fault } from "./helpers.ts";

const PD = 0x10000, PT = 0x11000;

function pagedCpu(): { c: Cpu; mem: DataView } {
  const m = new PhysMemory();
  const bytes = m.addSlot(0, 0x800000, false);
  const c = new Cpu("386", m);
  const mem = new DataView(bytes.buffer);
  mem.setUint32(PD, PT | 7, true); // 0-4 MiB through PT, user and writable
  for (let i = 0; i < 1024; i++) mem.setUint32(PT + i * 4, (i << 12) | 7, true);
  mem.setUint32(PT + 5 * 4, 0x9000 | 5, true); // linear 0x5000 -> 0x9000, read-only
  mem.setUint32(PT + 6 * 4, 0x6000 | 3, true); // supervisor only
  mem.setUint32(PT + 7 * 4, 0, true); // not present
  mem.setUint32(PD + 2 * 4, 0x400000 | 0x83, true); // 8 MiB: a 4 MiB page at 4 MiB
  c.cr3 = PD;
  c.cr4 = 0x10;
  c.cr0 = 0x80000011;
  updateMode(c);
  return { c, mem };
}

Deno.test("page walk: 4 KiB and 4 MiB pages, accessed and dirty bits set as used", () => {
  const { c, mem } = pagedCpu();
  assertEquals(translate(c, 0x5123, false, false), 0x9123);
  assertEquals(mem.getUint32(PT + 5 * 4, true), 0x9000 | 5 | 0x20); // accessed, not dirty
  assertEquals(mem.getUint32(PD, true) & 0x20, 0x20);
  assertEquals(translate(c, 0x3004, true, false), 0x3004);
  assertEquals(mem.getUint32(PT + 3 * 4, true), 0x3000 | 7 | 0x60); // accessed and dirty
  assertEquals(translate(c, 0x823456, false, false), 0x423456); // PSE page
  assertEquals(mem.getUint32(PD + 2 * 4, true), 0x400000 | 0x83 | 0x20);
  // A read cached in the TLB, then a write: the walk runs again and sets dirty.
  translate(c, 0x8000, false, false);
  assertEquals(mem.getUint32(PT + 8 * 4, true) & 0x60, 0x20);
  translate(c, 0x8000, true, false);
  assertEquals(mem.getUint32(PT + 8 * 4, true) & 0x60, 0x60);
});

Deno.test("page walk: #PF error codes and CR2", () => {
  const { c } = pagedCpu();
  assertEquals(fault(() => translate(c, 0x7abc, false, false)), [14, 0]);
  assertEquals(c.cr2, 0x7abc);
  assertEquals(fault(() => translate(c, 0x500000, true, false)), [14, 2]); // PDE 1 not present
  assertEquals(c.cr2, 0x500000);
  assertEquals(fault(() => translate(c, 0x6000, false, true)), [14, 5]); // user, supervisor page
  assertEquals(fault(() => translate(c, 0x5000, true, true)), [14, 7]); // user write, read-only
  // Supervisor writes to a read-only page pass with WP clear and fault with it set.
  assertEquals(translate(c, 0x5000, true, false), 0x9000);
  c.cr0 |= 0x10000;
  flushTranslations(c);
  assertEquals(fault(() => translate(c, 0x5010, true, false)), [14, 3]);
  assertEquals(c.cr2, 0x5010);
});

Deno.test("TLB: cached until INVLPG or a flush; a fault caches nothing", () => {
  const { c, mem } = pagedCpu();
  assertEquals(translate(c, 0x4000, false, false), 0x4000);
  mem.setUint32(PT + 4 * 4, 0xa000 | 7, true);
  assertEquals(translate(c, 0x4000, false, false), 0x4000); // stale, as on hardware
  c.tlb.flushPage(0x4000);
  assertEquals(translate(c, 0x4000, false, false), 0xa000);
  mem.setUint32(PT + 4 * 4, 0xb000 | 7, true);
  flushTranslations(c);
  assertEquals(translate(c, 0x4000, false, false), 0xb000);
  fault(() => translate(c, 0x7000, false, false));
  mem.setUint32(PT + 7 * 4, 0xc000 | 7, true);
  assertEquals(translate(c, 0x7000, false, false), 0xc000);
});

/** A CPU in protected mode (no paging) with a GDT at 0x1000 holding `descriptors` from selector 8. */
function gdtCpu(descriptors: bigint[]): Cpu {
  const m = new PhysMemory();
  const bytes = m.addSlot(0, 0x100000, false);
  const c = new Cpu("386", m);
  const mem = new DataView(bytes.buffer);
  descriptors.forEach((d, i) => mem.setBigUint64(0x1008 + i * 8, d, true));
  c.gdtBase = 0x1000;
  c.gdtLimit = 8 * (descriptors.length + 1) - 1;
  c.cr0 = 0x11;
  updateMode(c);
  return c;
}

Deno.test("TLB: CR3 writes keep exactly the global entries, however slots were emptied and filled again", () => {
  // Random fills (global or not), INVLPGs, CR3 writes and full flushes of a few slots,
  // against a plain model of what each slot must hold. Thousands of INVLPG and refill
  // cycles of global slots also make the TLB cut its list of them down.
  const GLOBAL = 128, VALID = 1, SLOTS = 48;
  const tlb = new Tlb();
  const model = new Int32Array(SLOTS);
  const rand = prng(0x71b);
  for (let op = 0; op < 40_000; op++) {
    const r = rand(), slot = Math.floor(rand() * SLOTS);
    if (r < 0.6) {
      const entry = ((op & 0xffff) << 8) | VALID | (rand() < 0.7 ? GLOBAL : 0);
      tlb.fill(slot, entry);
      model[slot] = entry;
    } else if (r < 0.85) {
      tlb.flushPage(slot << 12);
      model[slot] = 0;
    } else if (r < 0.9999) {
      tlb.flushNonGlobal();
      for (let i = 0; i < SLOTS; i++) if ((model[i] & GLOBAL) === 0) model[i] = 0;
    } else {
      tlb.flush();
      model.fill(0);
    }
    for (let i = 0; i < SLOTS; i++) {
      if (tlb.entries[i] !== model[i]) {
        throw new Error(`op ${op}: slot ${i} holds ${tlb.entries[i]}, not ${model[i]}`);
      }
    }
  }
});

Deno.test("TLB fast path: an entry passes the fast path's rights exactly where the full path takes it as cached", () => {
  // Translated code, string batches and the interpreter's data accesses read and write RAM
  // straight through a TLB entry when it has the rights tlbNeed names. With the page not
  // present in the tables, the full path can only succeed through the cached entry: the two
  // must agree on every entry, CPL, CR0.WP and kind of access.
  const { c, mem } = pagedCpu();
  const lin = 0x3000;
  mem.setUint32(PT + 3 * 4, 0, true);
  const VALID = 1, WRITABLE = 2, USER = 4, DIRTY = 8, RAM = 16 | 32;
  for (const cpl of [0, 3]) {
    for (const wp of [false, true]) {
      for (const write of [false, true]) {
        for (
          const bits of [
            0,
            WRITABLE,
            USER,
            DIRTY,
            WRITABLE | USER,
            WRITABLE | DIRTY,
            USER | DIRTY,
            WRITABLE | USER | DIRTY,
          ]
        ) {
          c.tlb.flush();
          c.tlb.fill(lin >>> 12, (0x7 << 8) | VALID | RAM | bits);
          c.cpl = cpl;
          c.cr0 = wp ? (c.cr0 | 0x10000) >>> 0 : c.cr0 & ~0x10000;
          const fast = fastPhysical(c, lin + 4, 4, write);
          let full = -1;
          try {
            full = translate(c, lin + 4, write, cpl === 3);
          } catch {
            // refused: the walk found the page not present
          }
          assertEquals(
            fast,
            full,
            `CPL ${cpl}, WP ${wp}, ${write ? "write" : "read"}, bits ${bits}`,
          );
        }
      }
    }
  }
  // An access that crosses the page's end is never the fast path's.
  c.tlb.fill(lin >>> 12, (0x7 << 8) | VALID | RAM | WRITABLE | USER | DIRTY);
  assertEquals(fastPhysical(c, lin + 0xffd, 4, false), -1);
  assertEquals(fastPhysical(c, lin + 0xffc, 4, false), 0x7ffc);
});

Deno.test("segment loads: each check raises its fault with the selector", () => {
  const c = gdtCpu([
    0x00cf92000000ffffn, // 0x08 data, DPL 0
    0x00cf12000000ffffn, // 0x10 not present
    0x00cf98000000ffffn, // 0x18 execute-only code
    0x00cf90000000ffffn, // 0x20 read-only data
    0x00cff2000000ffffn, // 0x28 data, DPL 3
    0x00cf9a000000ffffn, // 0x30 readable code
  ]);
  loadSegment(c, DS, 0x08);
  assertEquals([c.base[DS], c.limit[DS]], [0, 0xffffffff]);
  assertEquals(fault(() => loadSegment(c, DS, 0x10)), [11, 0x10]);
  assertEquals(fault(() => loadSegment(c, SS, 0x10)), [12, 0x10]); // a stack not present: #SS
  assertEquals(fault(() => loadSegment(c, DS, 0x38)), [13, 0x38]); // beyond the GDT
  assertEquals(fault(() => loadSegment(c, ES, 0x18)), [13, 0x18]);
  assertEquals(fault(() => loadSegment(c, SS, 0x20)), [13, 0x20]);
  assertEquals(fault(() => loadSegment(c, SS, 0x0b)), [13, 0x08]); // RPL 3 at CPL 0
  assertEquals(fault(() => loadSegment(c, SS, 0x00)), [13, 0]);
  assertEquals(fault(() => loadSegment(c, DS, 0x0c)), [13, 0x0c]); // the LDT is null (TI in the code)
  loadSegment(c, ES, 0x2b);
  loadSegment(c, ES, 0x30);
  loadSegment(c, ES, 0x00); // null: allowed, unusable
  assertEquals(fault(() => c.read8(ES, 0)), [13, 0]);
  c.cpl = 3;
  assertEquals(fault(() => loadSegment(c, DS, 0x08)), [13, 0x08]); // DPL 0 at CPL 3
  loadSegment(c, DS, 0x2b);
  assertEquals(c.sel[DS], 0x2b);
});
