/**
 * Linear to physical translation by walking the guest's page tables in guest
 * memory, as the MMU would: identity with paging off, 32-bit two-level
 * tables (4 MiB pages with CR4.PSE), PAE three-level tables, and 4-level
 * long-mode tables (2 MiB and 1 GiB pages). Used by the debugger (memory
 * reads and 0xCC breakpoints at virtual addresses) and the scripting API.
 *
 * @module
 */

/** The control registers a walk depends on. */
export interface PagingState {
  cr0: bigint;
  cr3: bigint;
  cr4: bigint;
  efer: bigint;
}

/** One table entry the walk read. */
export interface WalkStep {
  /** PML4E, PDPTE, PDE or PTE. */
  level: string;
  /** Physical address of the entry. */
  address: number;
  /** The entry's value. */
  entry: bigint;
}

/** The result of a walk: the physical address, or where it stopped. */
export interface Walk {
  /** The address translated. */
  linear: number;
  /** The physical address; undefined when the walk hit a not-present entry (a #PF). */
  physical?: number;
  /** Which paging mode: "none", "32-bit", "PAE", "4-level". */
  mode: "none" | "32-bit" | "PAE" | "4-level";
  /** The entries read, from the top level down. */
  steps: WalkStep[];
  /** Why there is no physical address. */
  fault?: string;
}

const CR0_PG = 1n << 31n, CR4_PSE = 1n << 4n, CR4_PAE = 1n << 5n, EFER_LMA = 1n << 10n;
const PRESENT = 1n, PAGE_SIZE_BIT = 1n << 7n;
/** Bits 12-51 of a PAE/long-mode entry: the next table or the page frame. */
const FRAME_MASK = 0x000ffffffffff000n;

/** Reads a little-endian word of 4 or 8 bytes at a physical address; undefined outside RAM. */
export type PhysicalReader = (address: number, bytes: 4 | 8) => bigint | undefined;

/** Translates `linear` under `state`, reading tables through `read`. */
export function walkPageTables(linear: number, state: PagingState, read: PhysicalReader): Walk {
  if ((state.cr0 & CR0_PG) === 0n) return { linear, physical: linear, mode: "none", steps: [] };
  if ((state.efer & EFER_LMA) !== 0n) return walkLong(linear, state, read);
  if ((state.cr4 & CR4_PAE) !== 0n) return walkPae(linear, state, read);
  return walk32(linear, state, read);
}

function walk32(linear: number, state: PagingState, read: PhysicalReader): Walk {
  const result: Walk = { linear, mode: "32-bit", steps: [] };
  const lin = BigInt(linear >>> 0);
  const pdeAt = Number((state.cr3 & 0xfffff000n) + ((lin >> 22n) & 0x3ffn) * 4n);
  const pde = entry(result, "PDE", pdeAt, 4, read);
  if (pde === undefined) return result;
  if ((pde & PAGE_SIZE_BIT) !== 0n && (state.cr4 & CR4_PSE) !== 0n) {
    // PSE-36: bits 13-20 of the entry are physical bits 32-39.
    const high = ((pde >> 13n) & 0xffn) << 32n;
    result.physical = Number(high | (pde & 0xffc00000n) | (lin & 0x3fffffn));
    return result;
  }
  const pteAt = Number((pde & 0xfffff000n) + ((lin >> 12n) & 0x3ffn) * 4n);
  const pte = entry(result, "PTE", pteAt, 4, read);
  if (pte === undefined) return result;
  result.physical = Number((pte & 0xfffff000n) | (lin & 0xfffn));
  return result;
}

function walkPae(linear: number, state: PagingState, read: PhysicalReader): Walk {
  const result: Walk = { linear, mode: "PAE", steps: [] };
  const lin = BigInt(linear >>> 0);
  const pdpteAt = Number((state.cr3 & 0xffffffe0n) + ((lin >> 30n) & 3n) * 8n);
  const pdpte = entry(result, "PDPTE", pdpteAt, 8, read);
  if (pdpte === undefined) return result;
  return lowerLevels(result, lin, pdpte, read);
}

function walkLong(linear: number, state: PagingState, read: PhysicalReader): Walk {
  const result: Walk = { linear, mode: "4-level", steps: [] };
  const lin = BigInt.asUintN(64, BigInt(linear));
  const pml4eAt = Number((state.cr3 & FRAME_MASK) + ((lin >> 39n) & 0x1ffn) * 8n);
  const pml4e = entry(result, "PML4E", pml4eAt, 8, read);
  if (pml4e === undefined) return result;
  const pdpteAt = Number((pml4e & FRAME_MASK) + ((lin >> 30n) & 0x1ffn) * 8n);
  const pdpte = entry(result, "PDPTE", pdpteAt, 8, read);
  if (pdpte === undefined) return result;
  if ((pdpte & PAGE_SIZE_BIT) !== 0n) {
    result.physical = Number((pdpte & 0x000fffffc0000000n) | (lin & 0x3fffffffn));
    return result;
  }
  return lowerLevels(result, lin, pdpte, read);
}

/** The page directory and page table of PAE and long mode (8-byte entries). */
function lowerLevels(result: Walk, lin: bigint, pdpte: bigint, read: PhysicalReader): Walk {
  const pdeAt = Number((pdpte & FRAME_MASK) + ((lin >> 21n) & 0x1ffn) * 8n);
  const pde = entry(result, "PDE", pdeAt, 8, read);
  if (pde === undefined) return result;
  if ((pde & PAGE_SIZE_BIT) !== 0n) {
    result.physical = Number((pde & 0x000fffffffe00000n) | (lin & 0x1fffffn));
    return result;
  }
  const pteAt = Number((pde & FRAME_MASK) + ((lin >> 12n) & 0x1ffn) * 8n);
  const pte = entry(result, "PTE", pteAt, 8, read);
  if (pte === undefined) return result;
  result.physical = Number((pte & FRAME_MASK) | (lin & 0xfffn));
  return result;
}

/** Reads one entry into the walk; undefined (with `fault` set) when absent or not present. */
function entry(
  result: Walk,
  level: string,
  address: number,
  bytes: 4 | 8,
  read: PhysicalReader,
): bigint | undefined {
  const value = read(address, bytes);
  if (value === undefined) {
    result.fault = `${level} at 0x${address.toString(16)} is outside guest RAM`;
    return undefined;
  }
  result.steps.push({ level, address, entry: value });
  if ((value & PRESENT) === 0n) {
    result.fault = `${level} not present`;
    return undefined;
  }
  return value;
}

/** The walk as text lines (the `monitor walk` output). */
export function formatWalk(w: Walk): string {
  const lines = [`linear 0x${w.linear.toString(16)}: paging ${w.mode}`];
  for (const s of w.steps) {
    lines.push(
      `  ${s.level.padEnd(5)} at 0x${s.address.toString(16).padStart(8, "0")} = 0x${
        s.entry.toString(16).padStart(w.mode === "32-bit" ? 8 : 16, "0")
      }`,
    );
  }
  lines.push(
    w.physical !== undefined
      ? `  physical 0x${w.physical.toString(16)}`
      : `  no translation: ${w.fault}`,
  );
  return lines.join("\n");
}
