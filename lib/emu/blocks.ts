/**
 * The cache of translated blocks, keyed by the physical address of their
 * first instruction (with the CS:EIP and mode they were translated for),
 * and the code map that keeps it honest: every byte a block was translated
 * from is marked, stores into a marked 256-byte page take the CPU's slow
 * path, and a store that overwrites a marked byte drops every block of that
 * page. Keys by physical address survive CR3 changes: a block is found
 * through the TLB entry of the current EIP, so it is always the code the
 * page tables map there now. A block is translated once its address has
 * been entered `threshold` times, so code that runs once stays with the
 * interpreter.
 *
 * @module
 */

import { type Cpu, CS } from "./cpu.ts";
import { type BlockFunction, translate, type Translation } from "./translate.ts";

/** One block start: its translation once hot. */
export interface BlockEntry {
  /** The translated code, or null while cold (or when it cannot be translated). */
  run: BlockFunction | null;
  /** Instructions in one pass (a call needs at least this budget). */
  count: number;
  /** The trace of `run` it enters at (0: the translation's start; see `Translation.entries`). */
  label: number;
  /** CS base and limit the block was translated for (its IPs are relative to it). */
  csBase: number;
  csLimit: number;
  /** EIP of its first instruction (another linear alias of the same code has another). */
  ip: number;
  /** `Cpu.modeKey` of the CPU it was translated for. */
  mode: number;
  /** Physical address of its first instruction. */
  start: number;
  /** Physical ranges [start, end) of the code it was translated from. */
  ranges: readonly (readonly [number, number])[];
  /** Entries so far; -1 once translation was refused. */
  hits: number;
  /** Exits through its chained links so far (see `REGROW_AFTER`). */
  exits: number;
  /** The CPU's instruction count when it was translated (see `REGROW_SPAN`). */
  since: number;
  /** Exits through its computed jumps (returns, jump tables) so far (see `computedExit`). */
  computed: number;
  /** Its translation has a jump table's dispatch (`Translation.dispatches`). */
  dispatches: boolean;
  /**
   * Its translation holds a dispatch loop's handlers (`Translation.table`,
   * or made again for the targets its jumps were seen to go to): its traces
   * are the way into them (see `BlockCache.computedExit`).
   */
  hub: boolean;
  /**
   * The blocks its exits with a constant target were found to lead to, by
   * link number (`Cpu.exitLink`): the engine runs them without a lookup.
   */
  links: (BlockEntry | undefined)[];
  /**
   * By link number: the target's mapping when the link was made, for a link
   * into another page (0 for one that needs no check; see `BlockCache.link`).
   */
  linkTlb: number[];
  /**
   * The block its computed jumps went to last, and that block's mapping
   * then: see `BlockCache.recentTarget`.
   */
  recent: BlockEntry | undefined;
  recentTlb: number;
  /** By link number: the exit goes on with straight-line code (`Translation.continuations`). */
  continues: readonly boolean[];
}

/** Tuning of the block cache. */
export interface BlockCacheOptions {
  /** Arrivals at an address before it is translated (default 1024; see `THRESHOLD`). */
  threshold?: number;
  /** Most instructions in one trace of a block (default 64). */
  maxInstructions?: number;
  /** Most instructions in one block, all its traces together (default 64). */
  maxRegion?: number;
  /** Called with each new translation, with its physical address (tests and debugging). */
  onTranslate?: (physical: number, translation: Translation) => void;
}

const PAGE_SHIFT = 8;
const PAGE_MASK = (1 << PAGE_SHIFT) - 1;
/**
 * Code in a page whose translations were dropped this many times stays with
 * the interpreter: code that keeps rewriting itself would otherwise be
 * translated again after every store.
 */
const CHURN_LIMIT = 16;
/**
 * Chained exits of a block before it is translated again with what has run
 * since (the engine counts them in `BlockEntry.exits`; see `BlockCache.regrow`).
 */
export const REGROW_AFTER = 4096;
/**
 * Most instructions a block may run per chained exit, on average, for its
 * `REGROW_AFTER`th exit to translate it again: a block that leaves rarely
 * (once per pass of an outer loop around a long inner one) loses nothing
 * to its exits, and a new function in place of its optimized one would be
 * warmed up by V8 again.
 */
const REGROW_SPAN = 256;
/**
 * Exits of a block through its computed jumps before it is translated again
 * with the places they went to in its region (see `BlockCache.computedExit`).
 */
const RETARGET_AFTER = 256;
/**
 * How much larger than other regions one may be that is translated again
 * for the targets of its jump table (not its returns): a bytecode
 * interpreter's handlers, each with a copy of the dispatch, hold about 100
 * instructions, and each jump to one left out is a block lookup.
 */
const DISPATCH_REGION_SCALE = 2;
/**
 * Most times a block with a jump table is translated again for its targets:
 * its region learns its handlers a few at a time (a jump to a handler
 * already in it no longer leaves, so it is never counted again). A block
 * whose computed jumps are returns is translated again once: in a kernel,
 * more and larger regions for its many return sites cost more to compile
 * than they save (Debian's i386 kernel reached its shell 10% later).
 */
const MAX_RETARGETS = 3;
/** Most targets of computed jumps a block remembers. */
const MAX_TARGETS = 32;
/**
 * Arrivals at an address before it is translated. A translation costs V8
 * about a millisecond and more (parsing, bytecode, its baseline and
 * optimizing compiles of a function of some 10 KB) before it pays back, and
 * most code a kernel runs while booting is entered some hundreds of times
 * at most: at 16, Debian's i386 kernel made 11,200 translations and reached
 * its shell in 38-43 s; at 1024, 2,500 and 26-28 s (bench/results.md).
 */
const THRESHOLD = 1024;
/** Slots of `BlockCache`'s heat counters (2 MiB of them: a kernel's code lies in few collisions). */
const HEAT_SLOTS = 1 << 20;
/** A heat slot whose addresses are counted in their entries (one of them has one). */
const SATURATED = 0xffff;

/** The heat counter of physical address `phys`. */
function heatSlot(phys: number): number {
  return (phys ^ (phys >>> 20)) & (HEAT_SLOTS - 1);
}

/** Translated blocks of one CPU. */
export class BlockCache {
  readonly #cpu: Cpu;
  /**
   * Blocks by physical address: translated ones, those refused, and cold
   * addresses whose heat slot is shared with one of those (they count in
   * their own entry).
   */
  readonly #entries = new Map<number, BlockEntry>();
  /**
   * Entries into cold code, counted by a hash of the physical address
   * (`heatSlot`) rather than in an entry per address: most addresses the
   * interpreter passes never get hot (a kernel's boot passes hundreds of
   * thousands), and an entry per address cost a map insertion for each and
   * a map lookup for every interpreted instruction. {@link SATURATED} once
   * an address of the slot has an entry: lookups there go to the map.
   */
  readonly #heat = new Uint16Array(HEAT_SLOTS);
  /** Translated blocks by code page. */
  readonly #pages = new Map<number, BlockEntry[]>();
  /** One byte per byte of each marked 256-byte page: part of a translated block. */
  readonly #codeBytes = new Map<number, Uint8Array>();
  readonly #threshold: number;
  /** Most instructions in one block: the engine uses blocks only while its budget is this large. */
  readonly maxInstructions: number;
  readonly #maxRegion: number;
  readonly #onTranslate: ((physical: number, translation: Translation) => void) | undefined;
  /** Blocks translated so far (for tests and the benchmarks). */
  translated = 0;
  /** Blocks dropped: their code was overwritten, or reached through another CS. */
  invalidated = 0;
  /** How often each page's translations were dropped by stores. */
  readonly #churn = new Map<number, number>();
  /** Block starts translated again after their exits (see `regrow` and `computedExit`). */
  readonly #regrown = new Set<number>();
  /** How often each block start was translated again for its computed jumps' targets. */
  readonly #retargets = new Map<number, number>();
  /** Block starts whose blocks dispatched through a jump table when they were translated again. */
  readonly #dispatchers = new Set<number>();
  /** Where the computed jumps of a block start went (EIPs), by its physical address. */
  readonly #targets = new Map<number, Set<number>>();
  /**
   * The functions of blocks dropped to be translated again (`regrow`,
   * `computedExit`), by physical address: the new translation keeps the
   * old function when it comes out the same (see `TranslateOptions.previous`).
   */
  readonly #previous = new Map<number, BlockFunction>();

  /** Creates the cache for `cpu` (the CPU's engine uses it once it is `cpu.blocks`). */
  constructor(cpu: Cpu, options: BlockCacheOptions = {}) {
    this.#cpu = cpu;
    this.#threshold = Math.min(SATURATED - 1, Math.max(1, options.threshold ?? THRESHOLD));
    this.maxInstructions = Math.max(1, options.maxInstructions ?? 64);
    this.#maxRegion = Math.max(this.maxInstructions, options.maxRegion ?? 64);
    this.#onTranslate = options.onTranslate;
  }

  /**
   * The translated block for CS:EIP at physical `phys` (in the RAM at 0,
   * see `Cpu.fastFetch` and `codeAddress`), or null when the interpreter
   * should run the next instruction. `continuing`: the code is reached
   * straight from the end of a translated block (or of the one instruction
   * after it the translator does not take): it is as hot as that block, and
   * is translated now if it has run before. Otherwise a long straight-line
   * function (an unrolled hash) would be translated one block per
   * `THRESHOLD` calls, and run mostly in the interpreter meanwhile. Not
   * where other blocks' code lies: a block that starts inside others (at a
   * place a slice began, or a block dropped to be translated again left) has
   * continuations inside them too, and each would be one more translation of
   * the same code.
   */
  lookup(phys: number, continuing = false): BlockEntry | null {
    const slot = heatSlot(phys);
    let heat = this.#heat[slot];
    continuing &&= !this.#isCode(phys);
    if (continuing && heat !== 0 && heat !== SATURATED) heat = this.#threshold - 1;
    if (heat !== SATURATED) {
      if (heat + 1 < this.#threshold) {
        this.#heat[slot] = heat + 1;
        return null;
      }
      this.#heat[slot] = SATURATED; // hot: from now on this slot's addresses are in the map
      if (!this.#entries.has(phys)) {
        const e = this.#newEntry(phys);
        e.hits = this.#threshold; // counted in the slot
        return this.#translate(e, phys);
      }
    }
    const c = this.#cpu;
    let e = this.#entries.get(phys);
    if (e !== undefined && e.run !== null) {
      if (
        e.ip === c.ip && e.csBase === c.csBase && e.mode === c.modeKey &&
        e.csLimit === c.limit[CS]
      ) return e;
      // The same bytes reached through another CS:EIP or in another mode: their IPs differ.
      this.#drop(e);
      e = undefined;
    }
    e ??= this.#newEntry(phys);
    if (e.hits < 0) {
      this.refused = true;
      return null;
    }
    if (continuing && e.hits > 0) e.hits = this.#threshold - 1;
    if (++e.hits < this.#threshold) return null;
    return this.#translate(e, phys);
  }

  /**
   * Set when a lookup found code that cannot be translated (an instruction
   * the translator does not take starts there); the engine clears it. The
   * code after such an instruction is where a block resumes.
   */
  refused = false;

  /**
   * The interpreter fell through to `phys` (not a place blocks are looked
   * up): it counts as code that has run, for the traces of later regions.
   */
  touch(phys: number): void {
    const slot = heatSlot(phys);
    if (this.#heat[slot] === 0) this.#heat[slot] = 1;
  }

  /** Physical `phys` is a byte of a translated block. */
  #isCode(phys: number): boolean {
    const bytes = this.#codeBytes.get(phys >> PAGE_SHIFT);
    return bytes !== undefined && bytes[phys & PAGE_MASK] !== 0;
  }

  /** A cold entry for `phys`, in the map. */
  #newEntry(phys: number): BlockEntry {
    const e: BlockEntry = {
      run: null,
      count: 0,
      label: 0,
      csBase: 0,
      csLimit: 0,
      ip: 0,
      mode: 0,
      start: phys,
      ranges: [],
      hits: 0,
      exits: 0,
      since: 0,
      computed: 0,
      dispatches: false,
      hub: false,
      links: [],
      linkTlb: [],
      recent: undefined,
      recentTlb: 0,
      continues: [],
    };
    this.#entries.set(phys, e);
    return e;
  }

  #translate(e: BlockEntry, phys: number): BlockEntry | null {
    const c = this.#cpu;
    if ((this.#churn.get(phys >> PAGE_SHIFT) ?? 0) >= CHURN_LIMIT) {
      e.hits = -1; // self-modifying code: interpret it
      return null;
    }
    const t = translate(c, phys, {
      maxInstructions: this.maxInstructions,
      maxRegion: this.#dispatchers.has(phys)
        ? DISPATCH_REGION_SCALE * this.#maxRegion
        : this.#maxRegion,
      maxTableRegion: DISPATCH_REGION_SCALE * this.#maxRegion,
      ran: (p) => {
        const e = this.#entries.get(p);
        if (e !== undefined) return e.hits !== 0 || e.run !== null;
        const heat = this.#heat[heatSlot(p)];
        return heat !== 0 && heat !== SATURATED;
      },
      translated: (p) => (this.#entries.get(p)?.run ?? null) !== null,
      targets: (p) => this.#targets.get(p),
      previous: this.#previous.get(phys),
    });
    this.#previous.delete(phys);
    if (t === null || mustInterpret(c, t.ranges, phys - (c.csBase + c.ip))) {
      e.hits = -1;
      return null;
    }
    e.run = t.run;
    e.count = t.count;
    e.label = 0;
    e.csBase = c.csBase;
    e.csLimit = c.limit[CS];
    e.ip = c.ip;
    e.mode = c.modeKey;
    e.ranges = t.ranges;
    e.links = new Array(t.links);
    e.linkTlb = new Array<number>(t.links).fill(0);
    const continues = new Array<boolean>(t.links).fill(false);
    for (const link of t.continuations) continues[link] = true;
    e.continues = continues;
    e.dispatches = t.dispatches;
    e.since = c.instructions;
    e.hub = t.table || this.#dispatchers.has(phys);
    this.translated++;
    this.#mark(e);
    // The block's other traces are ways in too (a slice that ended inside its loop comes back
    // there), unless a translation of their own is there already. They share its exit links.
    // A hub takes its handlers' own blocks over: otherwise each handler, entered after a slice
    // or from outside the loop, would grow a region of the same handlers in turn, each one
    // more function for V8 to compile and warm up.
    for (const entry of t.entries) {
      const old = this.#entries.get(entry.physical);
      if (old !== undefined && old.run !== null) {
        if (!e.hub || old.run === t.run) continue;
        this.#drop(old);
      }
      const other: BlockEntry = {
        ...e,
        count: entry.count,
        label: entry.label,
        ip: entry.ip,
        start: entry.physical,
        hits: 0,
        exits: 0,
        computed: 0,
      };
      this.#entries.set(entry.physical, other);
      this.#heat[heatSlot(entry.physical)] = SATURATED;
      this.#mark(other);
    }
    this.#onTranslate?.(phys, t);
    return e;
  }

  #mark(e: BlockEntry): void {
    for (const [start, end] of e.ranges) this.#markBytes(start, end);
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
    if (this.#codeBytes.size === 0) return false;
    const end = address + length;
    let hit = false;
    for (let a = address; a < end && !hit; a++) {
      const bytes = this.#codeBytes.get(a >> PAGE_SHIFT);
      if (bytes !== undefined && bytes[a & PAGE_MASK] !== 0) hit = true;
    }
    if (!hit) return false;
    for (let p = address >> PAGE_SHIFT; p <= (end - 1) >> PAGE_SHIFT; p++) {
      if (byGuest) this.#churn.set(p, (this.#churn.get(p) ?? 0) + 1);
      this.#dropPage(p);
    }
    return true;
  }

  /**
   * What tells that CS:EIP, a target just reached, still maps to the code a
   * block was found at there before: 0 where the address itself does (no
   * paging, no A20 masking), under paging the TLB entry of its page (the same
   * physical page with the same rights; a flush, a CR3 write or INVLPG that
   * dropped it makes it differ), and -1 where nothing does (A20 masking, or
   * no entry cached).
   */
  #mapping(): number {
    const c = this.#cpu;
    if (c.m.addrMask !== -1) return -1;
    if (!c.pg) return 0;
    const e = c.tlb.entries[(c.csBase + c.ip) >>> 12];
    return e === 0 ? -1 : e;
  }

  /**
   * Chains exit `link` of `from` to `to`, found by a lookup at the exit's
   * target, where that target will map to the same code whenever `from`
   * leaves there again: when it lies in the same linear page as `from`
   * (whose one TLB entry found both), or else while its `#mapping` stays
   * what it is now (see `chained`).
   */
  link(from: BlockEntry, link: number, to: BlockEntry): void {
    const c = this.#cpu;
    const samePage = ((from.csBase + from.ip) ^ (c.csBase + c.ip)) >>> 12 === 0;
    const mapping = samePage ? 0 : this.#mapping();
    if (mapping === -1) return;
    from.links[link] = to;
    from.linkTlb[link] = mapping;
  }

  /**
   * The block exit `link` of `from` (just taken: CS:EIP is its target) is
   * chained to, if it may run without a lookup: it lives, and a link into
   * another page finds the mapping it was made with.
   */
  chained(from: BlockEntry, link: number): BlockEntry | undefined {
    const to = from.links[link];
    if (to === undefined || to.run === null) return undefined;
    const expected = from.linkTlb[link];
    return expected === 0 || this.#mapping() === expected ? to : undefined;
  }

  /**
   * Block `e` has left through its chained exits `REGROW_AFTER` times: it is
   * translated again, once, if those exits came often (see `REGROW_SPAN`).
   * It was translated when its code had run a few times; by now the places
   * its exits lead to have run too and can join its region (the first leaf
   * of a recursion, say, comes only after the descent).
   */
  regrow(e: BlockEntry): void {
    if (e.label !== 0 || this.#regrown.has(e.start)) return;
    this.#regrown.add(e.start);
    if (this.#cpu.instructions - e.since > REGROW_AFTER * REGROW_SPAN) return;
    if (e.run !== null) this.#previous.set(e.start, e.run);
    this.#drop(e);
  }

  /**
   * Block `from` left through a computed jump (a return, a jump table) and
   * the lookup found `to`. Once it has done so `RETARGET_AFTER` times it is
   * translated again, once, with the places it went to as traces of its
   * region in reach of its computed jumps (with paging, those in its page):
   * a dispatch loop then stays in one function.
   */
  computedExit(from: BlockEntry, to: BlockEntry): void {
    if (from.recent !== to) {
      from.recent = to;
      from.recentTlb = this.#mapping();
    }
    if (from.computed >= RETARGET_AFTER || from.run === null) return; // one field read when done
    if (to.hub && to.run !== from.run) {
      // A lookup per pass into the region that holds the handlers costs less than another
      // region of the same handlers (a bytecode loop's entry from its caller, say).
      from.computed = RETARGET_AFTER;
      return;
    }
    const retargets = this.#retargets.get(from.start) ?? 0;
    const most = from.dispatches ? MAX_RETARGETS : 1;
    if (retargets >= most || (retargets === 0 && this.#regrown.has(from.start))) {
      from.computed = RETARGET_AFTER;
      return;
    }
    const c = this.#cpu;
    if (c.pg && ((from.csBase + from.ip) ^ (c.csBase + c.ip)) >>> 12 !== 0) return;
    let targets = this.#targets.get(from.start);
    if (targets === undefined) this.#targets.set(from.start, targets = new Set());
    if (targets.size < MAX_TARGETS) targets.add(to.ip);
    if (++from.computed < RETARGET_AFTER) return;
    this.#regrown.add(from.start);
    this.#retargets.set(from.start, retargets + 1);
    if (from.dispatches) this.#dispatchers.add(from.start);
    this.#previous.set(from.start, from.run);
    this.#drop(from);
  }

  /**
   * The block a computed jump of `from` (a return, a jump through a table;
   * just taken: CS:EIP is its target) goes to without a lookup: the one the
   * last of them went to, if this one goes there too, in the same mode and
   * CS, and its `#mapping` is as it was.
   */
  recentTarget(from: BlockEntry): BlockEntry | undefined {
    const to = from.recent;
    if (to === undefined || to.run === null) return undefined;
    const c = this.#cpu;
    if (
      to.ip !== c.ip || to.csBase !== c.csBase || to.mode !== c.modeKey ||
      to.csLimit !== c.limit[CS]
    ) return undefined;
    const mapping = this.#mapping();
    return mapping !== -1 && mapping === from.recentTlb ? to : undefined;
  }

  /** Forgets every translation (after memory changed behind the CPU's back). */
  flush(): void {
    for (const p of this.#pages.keys()) this.#cpu.codePages[p] = 0;
    this.#codeBytes.clear();
    this.#pages.clear();
    for (const e of this.#entries.values()) e.run = null; // links to them are not followed
    this.#entries.clear();
    this.#heat.fill(0);
    this.#churn.clear();
    this.#regrown.clear();
    this.#retargets.clear();
    this.#dispatchers.clear();
    this.#targets.clear();
    this.#previous.clear();
  }

  #dropPage(p: number): void {
    const list = this.#pages.get(p);
    if (list === undefined) return;
    for (const e of [...list]) this.#drop(e);
  }

  /** Removes a block from the cache and its pages, and re-marks what other blocks still cover. */
  #drop(e: BlockEntry): void {
    if (this.#entries.get(e.start) === e) this.#entries.delete(e.start);
    e.run = null; // dead for good: links to it are not followed (a new entry replaces it)
    this.invalidated++;
    for (const p of pagesOf(e)) {
      const list = this.#pages.get(p);
      if (list === undefined) continue;
      const i = list.indexOf(e);
      if (i >= 0) list.splice(i, 1);
      const from = p << PAGE_SHIFT, to = (p + 1) << PAGE_SHIFT;
      this.#codeBytes.delete(p);
      if (list.length === 0) {
        this.#pages.delete(p);
        this.#cpu.codePages[p] = 0;
        continue;
      }
      for (const o of list) {
        for (const [start, end] of o.ranges) {
          if (start < to && end > from) this.#markBytes(Math.max(start, from), Math.min(end, to));
        }
      }
    }
  }

  /** Marks physical [start, end) as translated code in the byte map. */
  #markBytes(start: number, end: number): void {
    for (let p = start >> PAGE_SHIFT; p <= (end - 1) >> PAGE_SHIFT; p++) {
      let bytes = this.#codeBytes.get(p);
      if (bytes === undefined) this.#codeBytes.set(p, bytes = new Uint8Array(1 << PAGE_SHIFT));
      const from = Math.max(start, p << PAGE_SHIFT), to = Math.min(end, (p + 1) << PAGE_SHIFT);
      bytes.fill(1, from & PAGE_MASK, to - (p << PAGE_SHIFT));
    }
  }
}

/**
 * Code a debugger watches stays with the interpreter, which stops exactly:
 * a breakpoint inside the block, or an `xchg bx, bx` while magic breaks are
 * on. Breakpoints are linear: `delta` is physical minus linear for the block.
 */
function mustInterpret(
  c: Cpu,
  ranges: readonly (readonly [number, number])[],
  delta: number,
): boolean {
  const code = c.pe ? c.m.flat : c.ram; // what the ranges index (see translate.ts)
  for (const [start, end] of ranges) {
    if (c.breakpoints !== null) {
      for (const b of c.breakpoints) if (b + delta >= start && b + delta < end) return true;
    }
    if (c.magicBreak) {
      for (let a = start; a + 1 < end; a++) {
        if (code[a] === 0x87 && code[a + 1] === 0xdb) return true;
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
