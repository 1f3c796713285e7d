/**
 * The cache of translated blocks, keyed by linear address, and the code map
 * that keeps it honest: every byte a block was translated from is marked,
 * stores into a marked 256-byte page take the CPU's slow path, and a store
 * that overwrites a marked byte drops every block of that page. A block is
 * translated once its address has been entered `threshold` times, so code
 * that runs once stays with the interpreter.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { type BlockFunction, translate, type Translation } from "./translate.ts";

/** One block start: its translation once hot. */
export interface BlockEntry {
  /** The translated code, or null while cold (or when it cannot be translated). */
  run: BlockFunction | null;
  /** Instructions in one pass (a call needs at least this budget). */
  count: number;
  /** CS base the block was translated for (its IPs are relative to it). */
  csBase: number;
  /** Linear address of its first instruction. */
  start: number;
  /** Linear ranges [start, end) of the code it was translated from. */
  ranges: readonly (readonly [number, number])[];
  /** Entries so far; -1 once translation was refused. */
  hits: number;
}

/** Tuning of the block cache. */
export interface BlockCacheOptions {
  /** Entries into an address before it is translated (default 16). */
  threshold?: number;
  /** Most instructions in one block (default 64). */
  maxInstructions?: number;
  /** Called with each new translation (tests and debugging). */
  onTranslate?: (linear: number, translation: Translation) => void;
}

const PAGE_SHIFT = 8;
/**
 * Code in a page whose translations were dropped this many times stays with
 * the interpreter: code that keeps rewriting itself would otherwise be
 * translated again after every store.
 */
const CHURN_LIMIT = 16;

/** Translated blocks of one CPU. */
export class BlockCache {
  readonly #cpu: Cpu;
  readonly #entries = new Map<number, BlockEntry>();
  /** Translated blocks by code page. */
  readonly #pages = new Map<number, BlockEntry[]>();
  /** One byte per byte of fast RAM: part of a translated block (allocated on first use). */
  #codeBytes: Uint8Array | null = null;
  readonly #threshold: number;
  /** Most instructions in one block: the engine uses blocks only while its budget is this large. */
  readonly maxInstructions: number;
  readonly #onTranslate: ((linear: number, translation: Translation) => void) | undefined;
  /** Blocks translated so far (for tests and the benchmarks). */
  translated = 0;
  /** Blocks dropped: their code was overwritten, or reached through another CS. */
  invalidated = 0;
  /** How often each page's translations were dropped by stores. */
  readonly #churn = new Map<number, number>();

  /** Creates the cache for `cpu` (the CPU's engine uses it once it is `cpu.blocks`). */
  constructor(cpu: Cpu, options: BlockCacheOptions = {}) {
    this.#cpu = cpu;
    this.#threshold = Math.max(1, options.threshold ?? 16);
    this.maxInstructions = Math.max(1, options.maxInstructions ?? 64);
    this.#onTranslate = options.onTranslate;
  }

  /**
   * The translated block starting at linear `lin` (below the CPU's fetch
   * limit), or null when the interpreter should run the next instruction.
   */
  lookup(lin: number): BlockEntry | null {
    let e = this.#entries.get(lin);
    if (e !== undefined && e.run !== null) {
      if (e.csBase === this.#cpu.csBase) return e;
      this.#drop(e); // the same bytes reached through another CS: their IPs differ
      e = undefined;
    }
    if (e === undefined) {
      e = { run: null, count: 0, csBase: 0, start: lin, ranges: [], hits: 0 };
      this.#entries.set(lin, e);
    }
    if (e.hits < 0 || ++e.hits < this.#threshold) return null;
    return this.#translate(e, lin);
  }

  #translate(e: BlockEntry, lin: number): BlockEntry | null {
    const c = this.#cpu;
    if ((this.#churn.get(lin >> PAGE_SHIFT) ?? 0) >= CHURN_LIMIT) {
      e.hits = -1; // self-modifying code: interpret it
      return null;
    }
    const t = translate(c, lin, c.fastFetch, { maxInstructions: this.maxInstructions });
    if (t === null || mustInterpret(c, t.ranges)) {
      e.hits = -1;
      return null;
    }
    e.run = t.run;
    e.count = t.count;
    e.csBase = c.csBase;
    e.ranges = t.ranges;
    this.translated++;
    this.#mark(e);
    this.#onTranslate?.(lin, t);
    return e;
  }

  #mark(e: BlockEntry): void {
    const bytes = this.#codeBytes ??= new Uint8Array(this.#cpu.codePages.length << PAGE_SHIFT);
    for (const [start, end] of e.ranges) bytes.fill(1, start, end);
    for (const p of pagesOf(e)) {
      this.#cpu.codePages[p] = 1;
      const list = this.#pages.get(p);
      if (list === undefined) this.#pages.set(p, [e]);
      else list.push(e);
    }
  }

  /**
   * A store to physical [address, address + length) is about to happen:
   * drops the blocks of the pages it touches if it overwrites translated
   * code. Returns true when it did. `byGuest` false: the host wrote (a
   * loader, a disk read), which does not count as the page's code churning.
   */
  invalidate(address: number, length: number, byGuest = true): boolean {
    const bytes = this.#codeBytes;
    if (bytes === null) return false;
    const end = Math.min(address + length, bytes.length);
    let hit = false;
    for (let a = address; a < end; a++) {
      if (bytes[a] !== 0) {
        hit = true;
        break;
      }
    }
    if (!hit) return false;
    for (let p = address >> PAGE_SHIFT; p <= (end - 1) >> PAGE_SHIFT; p++) {
      if (byGuest) this.#churn.set(p, (this.#churn.get(p) ?? 0) + 1);
      this.#dropPage(p);
    }
    return true;
  }

  /** Forgets every translation (after memory changed behind the CPU's back). */
  flush(): void {
    for (const p of this.#pages.keys()) {
      this.#cpu.codePages[p] = 0;
      this.#codeBytes?.fill(0, p << PAGE_SHIFT, (p + 1) << PAGE_SHIFT);
    }
    this.#pages.clear();
    this.#entries.clear();
    this.#churn.clear();
  }

  #dropPage(p: number): void {
    const list = this.#pages.get(p);
    if (list === undefined) return;
    for (const e of [...list]) this.#drop(e);
  }

  /** Removes a block from the cache and its pages, and re-marks what other blocks still cover. */
  #drop(e: BlockEntry): void {
    if (this.#entries.get(e.start) === e) this.#entries.delete(e.start);
    this.invalidated++;
    const bytes = this.#codeBytes!;
    for (const p of pagesOf(e)) {
      const list = this.#pages.get(p);
      if (list === undefined) continue;
      const i = list.indexOf(e);
      if (i >= 0) list.splice(i, 1);
      const from = p << PAGE_SHIFT, to = (p + 1) << PAGE_SHIFT;
      bytes.fill(0, from, to);
      if (list.length === 0) {
        this.#pages.delete(p);
        this.#cpu.codePages[p] = 0;
        continue;
      }
      for (const o of list) {
        for (const [start, end] of o.ranges) {
          if (start < to && end > from) bytes.fill(1, Math.max(start, from), Math.min(end, to));
        }
      }
    }
  }
}

/**
 * Code a debugger watches stays with the interpreter, which stops exactly:
 * a breakpoint inside the block, or an `xchg bx, bx` while magic breaks are on.
 */
function mustInterpret(c: Cpu, ranges: readonly (readonly [number, number])[]): boolean {
  for (const [start, end] of ranges) {
    if (c.breakpoints !== null) {
      for (const b of c.breakpoints) if (b >= start && b < end) return true;
    }
    if (c.magicBreak) {
      for (let a = start; a + 1 < end; a++) {
        if (c.ram[a] === 0x87 && c.ram[a + 1] === 0xdb) return true;
      }
    }
  }
  return false;
}

/**
 * The code pages of a block: those of its ranges, and the page of the 3
 * bytes below each range (a word or dword store there reaches into it).
 */
function pagesOf(e: BlockEntry): Set<number> {
  const pages = new Set<number>();
  for (const [start, end] of e.ranges) {
    for (let p = Math.max(0, start - 3) >> PAGE_SHIFT; p <= (end - 1) >> PAGE_SHIFT; p++) {
      pages.add(p);
    }
  }
  return pages;
}
