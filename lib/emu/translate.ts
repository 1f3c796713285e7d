/**
 * The block translator: decodes a run of x86 instructions (real mode, or 16-
 * and 32-bit protected mode with or without paging) from RAM
 * and writes one JavaScript function that executes them, which V8 then
 * compiles to machine code. While a block runs, the general registers live
 * in locals (r0-r7, stored back at exits and faults), and the arithmetic
 * flags of the block's own operations live in locals too (la, lb, lr, lcf):
 * they reach the CPU's lazy-flag fields only where something outside the
 * block could look at them: at exits, before helper calls, and when an
 * instruction faults.
 *
 * A block is a region of traces. A trace follows direct jumps and calls
 * into their targets, returns to the instruction after a call it followed,
 * and goes on along the fall-through path of conditional jumps (round a
 * loop whose branch back it meets). Each place a trace leaves for, when its
 * code has run before and is in reach (the same page with paging), becomes
 * another trace of the region, up to a size: the taken
 * side of branches, loop heads, the callee of a recursive call and the
 * return site after it. The traces are the cases of a dispatch loop inside
 * the one function, so loops with branches inside, recursion and returns
 * stay in it while the instruction budget allows; registers stay in locals
 * throughout. Returns and other computed jumps look their target up among
 * the region's traces before they leave.
 *
 * Only instructions the translator knows are taken into a block; a block
 * ends before the first one it does not know, which the interpreter then
 * executes. An OUT the host cannot complete at once (an exit), a store
 * that leaves plain RAM or hits translated code, and anything else that can
 * stop the CPU end a block after the instruction. Every memory access checks its limit and falls back to the CPU's own
 * access methods outside plain RAM, so MMIO, A20 wrap and faults behave
 * exactly as in the interpreter.
 *
 * @module
 */

import { byteSwap, shift } from "./alu.ts";
import { type Cpu, CS, DS, EAX, EDX, ESP, Lazy, SS, Stop } from "./cpu.ts";
import { out } from "./io.ts";
import { mulDiv } from "./muldiv.ts";
import { FAST_READ } from "./memory.ts";
import { TLB_PAGE_SHIFT, tlbRights } from "./paging.ts";

/**
 * A translated block: runs from the trace of label `entry` (0: its start)
 * with an instruction budget, returns the instructions it retired. Entry
 * -1 runs nothing and changes nothing: it passes the epilogue once, so that
 * V8 has type feedback for it before the block's first long call is
 * optimized inside its loops (else each later call deoptimizes on its way out).
 */
export type BlockFunction = (c: Cpu, budget: number, entry: number) => number;

/** The result of translating one block. */
export interface Translation {
  readonly run: BlockFunction;
  /** Instructions in one pass through the block (the budget a call needs at least). */
  readonly count: number;
  /** Physical ranges [start, end) of the code it was translated from. */
  readonly ranges: readonly (readonly [number, number])[];
  /** Exits that may be chained to the block at their target (`Cpu.exitLink` numbers them). */
  readonly links: number;
  /**
   * The exits, by link number, that go on with the code straight after a
   * trace: one that ran out of room, or that ends before an instruction the
   * translator does not take. The code there runs whenever the block runs
   * to its end (see `BlockCache.lookup`'s `continuing`).
   */
  readonly continuations: readonly number[];
  /**
   * The traces the block can also be entered at, by label: the physical
   * address and EIP of each one's first instruction and its instructions
   * in one pass (label 0, the start, is `count`). Empty for a lone trace.
   */
  readonly entries: readonly { label: number; physical: number; ip: number; count: number }[];
  /**
   * Whether a JMP through a register or memory (a jump table's dispatch,
   * not a return or a CALL) leaves one of its traces: the block cache lets the region
   * of such a block learn its targets more than once (`BlockCache.computedExit`).
   */
  readonly dispatches: boolean;
  /**
   * Whether handlers read from a jump table joined its region (see
   * `TranslateOptions.maxTableRegion`): the block is that table's hub, whose
   * traces the block cache makes the way into those handlers.
   */
  readonly table: boolean;
  /** The generated source (for tests and debugging). */
  readonly source: string;
}

/** Helpers the generated code calls (passed in, so the code needs no imports). */
export interface Runtime {
  /** A store outside plain RAM or into a page with code; true when the block must end after it. */
  store(c: Cpu, size: number, seg: number, off: number, v: number): boolean;
  /** Shift/rotate group: flags go to the CPU. */
  shift(c: Cpu, op: number, v: number, count: number, size: number): number;
  /** F6/F7 /4-/7 on the CPU's registers; #DE is left as a `Stop.FAULT` (see `Cpu.raise`). */
  mulDiv(c: Cpu, op: number, src: number, size: number): void;
  /** BSWAP (alu.ts). */
  byteSwap(v: number, size: number): number;
  /** OUT: done by the host's hook (1, or 2: end the run), else recorded for an exit (0). */
  out(c: Cpu, port: number, size: number, v: number): number;
}

/** The runtime the generated code uses. */
export const RUNTIME: Runtime = {
  store(c, size, seg, off, v) {
    c.writeN(size, seg, off, v);
    const end = c.stop !== 0 || c.codeChanged;
    c.codeChanged = false;
    return end;
  },
  shift,
  mulDiv,
  byteSwap,
  out,
};

const MASK = [0, 0xff, 0xffff, 0, 0xffffffff];
const SIGN = [0, 0x80, 0x8000, 0, 0x80000000];
/** `Gen.fk` of flags the locals hold with their kind in `lk` (one trace of a region jumps to another). */
const DYNAMIC = -1;
/** Most instructions copied into one jump: a short trace, with the copies its own jumps paste (see `Gen.pasted`). */
const MAX_PASTED = 6;
/** Most traces in one region. */
const MAX_LABELS = 64;
/** Most entries of a jump table read for handlers (see `Gen.joinTable`). */
const MAX_TABLE_ENTRIES = 64;
/** Stop.IO and Stop.YIELD (the generated code stores them directly). */
const STOP_IO = 1, STOP_YIELD = 11;
/** OF is bit 11 of FLAGS. */
const OF_BIT = 11;

/** The registers of each 16-bit ModRM r/m form, and its default segment. */
const EA16: ReadonlyArray<readonly [readonly number[], number]> = [
  [[3, 6], DS], // BX+SI
  [[3, 7], DS], // BX+DI
  [[5, 6], SS], // BP+SI
  [[5, 7], SS], // BP+DI
  [[6], DS], // SI
  [[7], DS], // DI
  [[5], SS], // BP (or disp16 with mod 0)
  [[3], DS], // BX
];

/** A memory operand: offset expression and segment. */
interface Ea {
  off: string;
  seg: number;
  /**
   * The constant part of an offset that also adds registers: where a jump
   * table would start, the registers indexing it (see `Gen.joinTable`).
   */
  table?: number;
}

/** A decoded ModRM byte. */
interface ModRm {
  mod: number;
  reg: number;
  rm: number;
  ea: Ea | null;
}

/** The end of decoding: the instruction is not one the translator takes. */
class NotTranslated {
  constructor(readonly why: string) {}
}

/** The code generator's state while it translates one block. */
class Gen {
  readonly code: string[] = [];
  /** Flush code per instruction index that can throw (the catch handler's cases). */
  readonly catchCases: string[] = [];
  /** IP at the start of each instruction. */
  readonly ips: number[] = [];
  /**
   * Kind of the flags held in locals ({@link Lazy}), 0 when the CPU holds
   * them, `DYNAMIC` when the locals hold them with their kind in `lk` and
   * size in `ls` (a trace's start: each jump there leaves its own).
   */
  fk = 0;
  /** Operand size of those flags. */
  fs = 1;
  /**
   * What the trace did first with the flags: 0 nothing yet, 1 replaced them
   * all (the flags at its start are dead), 2 used them, 3 read CF (which it
   * can take from the locals, see `passCode`), 4 only had exits that may
   * move them to the CPU (a fault, an MMIO helper, the budget's end: each
   * takes them from where `lk` says at run time, so they can stay in the
   * locals too), 5 that, then replaced them all.
   */
  firstFlagUse = 0;
  /** Decode position (physical) and the IP it corresponds to. */
  p: number;
  ip: number;
  /** Index of the instruction being generated, region-wide (the catch handler's case). */
  k = 0;
  /** Index of the first instruction of the trace being decoded. */
  traceStart = 0;
  /** Each instruction's place in its trace (instructions retired before it in a pass). */
  readonly pos: number[] = [];
  /** The region: a label per trace start, by its IP. */
  readonly labelOf = new Map<number, number>();
  readonly labelIps: number[] = [];
  /** Instructions in one pass of each label's trace (0: not translated). */
  readonly labelCounts: number[] = [];
  /** What each label's trace does first with the flags (`firstFlagUse`; 1: a jump there need not pass them). */
  readonly labelFirstUse: number[] = [];
  /** Labels still to decode, in order. */
  readonly queue: number[] = [];
  /** Code resolved once the region is known (jumps to labels), by index (see `late`). */
  readonly lateParts: (() => string)[] = [];
  /** Labels that jumps were generated to, and how many computed jumps look labels up. */
  readonly jumpLabels: number[] = [];
  computedJumps = 0;
  /** A JMP through a register or memory was translated (see `Translation.dispatches`). */
  dispatches = false;
  /** Handlers read from a jump table joined the region (see `joinTable`, `Translation.table`). */
  table = false;
  /** The label of the trace being decoded. */
  traceLabel = 0;
  /** Labels whose trace jumps back to its own start: an inner loop of the function. */
  readonly labelLoops: boolean[] = [];
  /** Some jump stays in the region: the traces are cases of a dispatch loop (set once decoded). */
  inside = false;
  /** Each translated trace's code: its range of `code`, without its case and loop lines. */
  readonly labelBodies: (readonly [number, number])[] = [];
  /** Labels of the traces with a computed jump (a lookup among the region's traces). */
  readonly lookups = new Set<number>();
  /** The IP of a trace's code that the current trace decodes again (see `branch`), else -1. */
  inlining = -1;
  /** While a copy of a trace is resolved (`pasted`): the label of the trace it goes into, else -1. */
  pastingInto = -1;
  /** Instructions of the copies being resolved (a copy's jumps may paste further, up to `MAX_PASTED`). */
  pastedCount = 0;
  /**
   * Labels a computed jump looks for: return sites of calls into the region,
   * and the places the block's computed jumps were seen to go (`targets`).
   */
  readonly lookupSites = new Set<number>();
  /** Exits with a constant target so far (see `exitCode`). */
  links = 0;
  /** Protected mode: segment checks by fast limits, and with paging the TLB. */
  readonly pm: boolean;
  readonly pg: boolean;
  /** EIP's width by CS.D (the fall-through of any instruction wraps to it). */
  readonly ipMask: number;
  /** The highest EIP the code segment allows (a jump beyond it faults). */
  readonly csLimit: number;
  /** Physical minus linear address of the code: with paging, a block stays in one page. */
  readonly delta: number;
  /** The linear page of the block's start (paging). */
  readonly linPage: number;
  /** The end of the physical range decoding may use (RAM, or the page's end with paging). */
  readonly limit: number;
  /** Protected mode: the block stays in its first linear page. */
  readonly onePage: boolean;
  /** The bytes `p` indexes: the RAM at 0 (real mode) or `PhysMemory.flat`. */
  readonly bytes: Uint8Array;
  /** Aligned words and dwords go through 16- and 32-bit views of `bytes` (see `ramViews`). */
  readonly views: boolean;
  /** The TLB rights a read and a write need for their fast path (paging). */
  readonly rights: { read: number; write: number };
  /** Linear ranges [start, end) of the code translated so far. */
  readonly ranges: [number, number][] = [];
  #rangeStart: number;
  /** IPs of the instructions in this trace (a jump back into it ends the block). */
  readonly visited = new Set<number>();
  /** Return addresses of the calls followed into their targets. */
  readonly returns: number[] = [];
  /** Segments whose base and limit the block reads (hoisted into locals). */
  readonly segs = new Set<number>();
  /** Registers the block reads or writes (loaded into locals at entry). */
  readonly used = new Set<number>();
  /** Registers it writes (stored back at every exit). */
  readonly dirty = new Set<number>();
  // Prefix state of the instruction being decoded.
  o32 = false;
  a32 = false;
  segOvr = -1;
  /** REP prefix (F2, F3) or 0. */
  rep = 0;

  constructor(
    readonly c: Cpu,
    phys: number,
    readonly maxInstructions: number,
    public maxRegion: number,
    readonly maxTableRegion: number,
    readonly ran: (physical: number) => boolean,
    readonly translated: (physical: number) => boolean,
    readonly targets: (physical: number) => Iterable<number> | undefined,
  ) {
    this.p = phys;
    this.ip = c.ip;
    this.#rangeStart = phys;
    this.pm = c.pe;
    this.pg = c.pg;
    this.ipMask = c.def32 ? 0xffffffff : 0xffff;
    this.csLimit = c.pe ? c.limit[CS] : 0xffff;
    const lin = (c.csBase + c.ip) >>> 0;
    this.delta = phys - lin;
    this.linPage = lin >>> 12;
    // With paging (or A20 masking) only the first page's translation is known to hold.
    this.onePage = c.pg || c.m.addrMask !== -1;
    this.bytes = c.pe ? c.m.flat : c.ram;
    this.views = ramViews(this.bytes) !== null;
    this.limit = !c.pe
      ? c.fastFetch
      : this.onePage
      ? phys - (phys & 0xfff) + 4096
      : c.m.flat.length;
    this.rights = tlbRights(c.cpl, (c.cr0 & 0x10000) !== 0);
  }

  /** The physical address of the code at `ip`, or -1 where the block cannot reach it. */
  codeAt(ip: number): number {
    const lin = (this.c.csBase + ip) >>> 0;
    if (this.onePage && lin >>> 12 !== this.linPage) return -1;
    const p = lin + this.delta;
    if (p >= this.limit) return -1;
    return !this.pm || (this.c.m.fastKind[p >>> 12] & FAST_READ) !== 0 ? p : -1;
  }

  /** `x` as an EIP: wrapped to CS.D's width (numbers, not code). */
  wrapIp(x: number): number {
    return this.ipMask === 0xffff ? x & 0xffff : x >>> 0;
  }

  /**
   * The target of a relative jump by `d` from the decode position, as
   * exec.ts's `jumpNear` and `jumpShort` have it: wrapped to the operand
   * size (a short jump in real mode always wraps at 64 KiB). A target beyond
   * the CS limit is left to the interpreter, which raises its #GP.
   */
  target(d: number, short = false): number {
    const t = this.o32 && (this.pm || !short) ? (this.ip + d) >>> 0 : (this.ip + d) & 0xffff;
    if (t > this.csLimit) throw new NotTranslated("jump beyond the CS limit");
    return t;
  }

  // --- the trace -------------------------------------------------------------

  /** Continues decoding at `ip` (a jump or call followed into its target). */
  follow(ip: number): void {
    this.closeRange();
    this.ip = ip;
    this.p = this.codeAt(ip);
    this.#rangeStart = this.p;
  }

  /** Ends the current range of code at the decode position. */
  closeRange(): void {
    if (this.p > this.#rangeStart) this.ranges.push([this.#rangeStart, this.p]);
    this.#rangeStart = this.p;
  }

  /** True when decoding may go on at `ip` (code not yet in the trace, reachable, room left). */
  canFollow(ip: number): boolean {
    if (this.visited.has(ip) || ip > this.csLimit) return false;
    const p = this.codeAt(ip);
    return p >= 0 && this.ran(p) && this.inTrace + 1 < this.maxInstructions &&
      this.k + 1 < this.maxRegion;
  }

  /** Instructions of the current trace before the one being decoded. */
  get inTrace(): number {
    return this.k - this.traceStart;
  }

  // --- the region ------------------------------------------------------------

  /**
   * The label of the trace at `ip`, queued for decoding when new; -1 when
   * the region cannot take it (out of reach, never ran, a block of its own,
   * or too many traces).
   */
  labelFor(ip: number, lookedUp = false): number {
    const known = this.labelOf.get(ip);
    if (known !== undefined) return known;
    if (
      ip > this.csLimit || this.labelIps.length >= MAX_LABELS || this.k >= this.maxRegion
    ) return -1;
    const p = this.codeAt(ip);
    // Code that never ran stays out; a block of its own is left for (the engine chains to it).
    // A loop head behind that is a block already is left to it (this block was entered inside
    // the loop: the loop stays the head's); a place a computed jump looks up (a return site,
    // a jump table's handler) is taken all the same.
    const head = ip < this.ip && this.translated(p) && !lookedUp;
    if (p < 0 || (this.labelIps.length > 0 && (!this.ran(p) || head))) return -1;
    const label = this.labelIps.length;
    this.labelOf.set(ip, label);
    this.labelIps.push(ip);
    this.labelCounts.push(0);
    this.labelFirstUse.push(0);
    this.labelLoops.push(false);
    this.queue.push(label);
    return label;
  }

  /** Starts decoding the trace of `label`: the flags are in the CPU there. */
  startTrace(label: number): void {
    this.traceStart = this.k;
    this.traceLabel = label;
    this.fk = DYNAMIC;
    this.fs = 1;
    this.firstFlagUse = 0;
    this.visited.clear();
    this.returns.length = 0;
    const ip = this.labelIps[label];
    if (label !== 0) this.follow(ip); // label 0: the constructor's position
    this.emit(
      this.late(() =>
        `${this.inside ? `case ${label}:` : ""} ${
          this.looped(label) ? `t${label}: for (;;) {` : ""
        }`
      ),
    );
  }

  /**
   * Whether the trace of `label` is inside a loop of its own in the generated
   * code (a region's every trace is: copies of other traces pasted into it
   * may jump back to its start).
   */
  looped(label: number): boolean {
    return this.labelLoops[label] || this.inside;
  }

  /** Ends the trace of `label` (its code never runs past its end: it jumps or leaves). */
  endTrace(label: number): void {
    this.emit(this.late(() => this.looped(label) ? "}" : ""));
  }

  /**
   * A copy of the short trace of `label` for a jump to it from the trace
   * of `host` (null when it is not short, looks a computed jump up, or
   * the copies it would go into hold `MAX_PASTED` instructions already; a
   * lookup's `switch` is too big to copy): the jump then costs no pass
   * through the region's dispatch, and the copy's own jumps back to `host`
   * go round its loop directly. A copy's jumps paste copies in turn, so a
   * chain of short traces (a store, then a LOOP back to `host`) runs without
   * the dispatch too. The copy runs as the trace does (the same instruction
   * indices, counts and flags).
   */
  pasted(label: number, host: number): string | null {
    const count = this.pastedCount + this.labelCounts[label];
    if (count > MAX_PASTED || this.lookups.has(label)) return null;
    const [start, end] = this.labelBodies[label];
    const outer = this.pastingInto, outerCount = this.pastedCount;
    this.pastingInto = host;
    this.pastedCount = count;
    try {
      return this.resolve(this.code.slice(start, end).join("\n    "));
    } finally {
      this.pastingInto = outer;
      this.pastedCount = outerCount;
    }
  }

  /** A placeholder for code known only once the region is decoded. */
  late(part: () => string): string {
    return `@@${this.lateParts.push(part) - 1}@@`; // generated code has no "@"
  }

  /** `source` with the placeholders of `late` filled in. */
  resolve(source: string): string {
    return source.replace(/@@(\d+)@@/g, (_, i) => this.lateParts[Number(i)]());
  }

  /**
   * Code that goes on at the constant `ip` after `n` instructions of this
   * trace: to its label inside the region while the budget has room for
   * that trace, else out of the block (see `exitCode`).
   */
  jumpCode(ip: number, n: number): string {
    const flush = this.exitFlushCode();
    const link = this.links++;
    const label = this.labelFor(ip);
    if (label < 0) return leaveCode(flush, String(ip), n, link);
    // Back to this trace's own start: the next pass of its inner loop.
    const from = this.traceLabel, fk = this.fk, fs = this.fs;
    if (label === from) this.labelLoops[label] = true;
    else this.jumpLabels.push(label);
    return this.late(() => {
      const count = this.labelCounts[label]; // 0: not translated (never for its own trace)
      if (count === 0) return leaveCode(flush, String(ip), n, link);
      const keep = this.passCode(fk, fs, label);
      // The trace this code runs in: its own, or the one a copy of its trace was pasted into.
      const host = this.pastingInto >= 0 ? this.pastingInto : from;
      const go = label === host
        ? `continue t${label};`
        : this.pasted(label, host) ?? `lbl = ${label}; continue region;`;
      return `done += ${n}; if (done + ${count} > budget) { ${
        leaveCode(flush, String(ip), 0, link)
      } } ${keep} ${go}`;
    });
  }

  /**
   * Code that goes on at the computed EIP `expr` after `n` instructions:
   * to the region's trace there when there is one and the budget has room,
   * else out of the block.
   */
  computedJumpCode(expr: string, n: number): string {
    const flush = this.exitFlushCode();
    const fk = this.fk, fs = this.fs;
    this.lookups.add(this.traceLabel);
    if (this.computedJumps++ === 0) this.joinTargets();
    return this.late(() => {
      const cases = this.computedCases(fk, fs);
      if (cases === "") return leaveCode(flush, expr, n, -1);
      // One budget check for every case (room for the longest trace), made on every pass: a
      // check in each case would first run in optimized code when that case is first taken
      // and deoptimize it for want of type feedback (a dispatch meets its cases a few at a time).
      const most = Math.max(...[...this.lookupSites].map((l) => this.labelCounts[l]));
      return `done += ${n}; if (done <= budget - ${most}) switch (${expr}) { ${cases} } ${
        leaveCode(flush, expr, 0, -1)
      }`;
    });
  }

  /**
   * Makes the places computed jumps were seen to go traces of the region:
   * those of the block's start, then those of the code there, and so on
   * while the region has room (a dispatch loop's handlers end in the same
   * jump through the table).
   */
  joinTargets(): void {
    const seen = new Set<number>();
    const from = [this.codeAt(this.labelIps[0])];
    while (from.length > 0) {
      const p = from.shift()!;
      if (p < 0 || seen.has(p)) continue;
      seen.add(p);
      for (const ip of this.targets(p) ?? []) {
        const label = this.labelFor(ip, true);
        if (label < 0) continue;
        this.lookupSites.add(label);
        from.push(this.codeAt(ip));
      }
    }
  }

  /**
   * A JMP through the table at `seg`:`base` (entries of `size` bytes, a
   * register its index): the handlers it holds now that have run and are no
   * block's own yet join the region as places its computed jumps look up,
   * and the region may grow to `maxTableRegion`. Read from memory as it is
   * at translation (a guess that only shapes the region: a jump anywhere
   * else still leaves), so the first translation of a dispatch loop holds
   * its handlers, rather than regions learning them one after another.
   */
  joinTable(seg: number, base: number, size: number): void {
    const c = this.c, bytes = this.bytes;
    const offMask = this.a32 ? 0xffffffff : 0xffff;
    let joined = 0, misses = 0;
    for (let i = 0; i < MAX_TABLE_ENTRIES && misses < 2; i++) {
      const off = (base + i * size) % (offMask + 1);
      if (off + size - 1 > c.limit[seg]) break;
      const lin = (c.base[seg] + off) >>> 0;
      if (this.onePage && lin >>> 12 !== this.linPage) break;
      const p = lin + this.delta;
      if (p + size > bytes.length || (this.pm && (c.m.fastKind[p >>> 12] & FAST_READ) === 0)) break;
      let ip = bytes[p] | bytes[p + 1] << 8;
      if (size === 4) ip = (ip | bytes[p + 2] << 16 | bytes[p + 3] << 24) >>> 0;
      const at = ip > this.csLimit ? -1 : this.codeAt(ip);
      // A handler that never ran stays out; two such in a row are past the table's end, most likely.
      misses = at < 0 || !this.ran(at) ? misses + 1 : 0;
      // A handler that is a block of its own is left to it, unless it is a trace here already.
      if (misses !== 0 || (!this.labelOf.has(ip) && this.translated(at))) continue;
      const label = this.labelFor(ip, true);
      if (label < 0) continue;
      this.lookupSites.add(label);
      joined++;
    }
    if (joined === 0) return;
    this.table = true;
    this.maxRegion = Math.max(this.maxRegion, this.maxTableRegion);
  }

  /**
   * The cases of a computed jump's lookup (its translated lookup sites),
   * each passing the flags (of kind `fk` and size `fs`) as the trace there
   * needs them (see `passCode`).
   */
  computedCases(fk: number, fs: number): string {
    const cases: string[] = [];
    for (const label of this.lookupSites) {
      const count = this.labelCounts[label];
      if (count === 0) continue;
      const ip = this.labelIps[label];
      const keep = this.passCode(fk, fs, label);
      cases.push(`case ${ip}: ${keep} lbl = ${label}; continue region;`);
    }
    return cases.join(" ");
  }

  // --- decoding ------------------------------------------------------------

  byte(): number {
    if (
      this.p >= this.limit || this.ip > this.csLimit ||
      (this.pm && (this.p & 0xfff) === 0 && (this.c.m.fastKind[this.p >>> 12] & FAST_READ) === 0)
    ) {
      throw new NotTranslated("end of RAM, page or segment");
    }
    this.ip++;
    return this.bytes[this.p++];
  }
  word(): number {
    return this.byte() | (this.byte() << 8);
  }
  dword(): number {
    return (this.word() | (this.word() << 16)) >>> 0;
  }
  imm(size: number): number {
    return size === 1 ? this.byte() : size === 2 ? this.word() : this.dword();
  }
  simm8(): number {
    return (this.byte() << 24) >> 24;
  }

  modrm(): ModRm {
    const b = this.byte();
    const mod = b >> 6, reg = (b >> 3) & 7, rm = b & 7;
    if (mod === 3) return { mod, reg, rm, ea: null };
    return { mod, reg, rm, ea: this.a32 ? this.ea32(mod, rm) : this.ea16(mod, rm) };
  }

  ea16(mod: number, rm: number): Ea {
    let [regs, seg] = EA16[rm];
    let disp = 0;
    if (mod === 0 && rm === 6) {
      regs = [];
      seg = DS;
      disp = this.word();
    } else if (mod === 1) disp = this.simm8();
    else if (mod === 2) disp = this.word();
    const terms = regs.map((r) => this.reg(2, r));
    if (disp !== 0 || terms.length === 0) terms.push(String(disp));
    const sum = terms.join(" + ");
    const off = terms.length === 1 && regs.length === 1 ? sum : `((${sum}) & 0xffff)`;
    const table = regs.length > 0 ? disp & 0xffff : undefined;
    return { off, seg: this.segOvr >= 0 ? this.segOvr : seg, table };
  }

  ea32(mod: number, rm: number): Ea {
    const terms: string[] = [];
    let seg = DS;
    let disp = 0, regs = 0;
    if (rm === 4) {
      const sib = this.byte();
      const index = (sib >> 3) & 7, base = sib & 7, scale = sib >> 6;
      if (index !== 4) {
        terms.push(scale === 0 ? this.reg(4, index) : `(${this.reg(4, index)} << ${scale})`);
        regs++;
      }
      if (base === 5 && mod === 0) terms.push(String(disp = this.dword() | 0));
      else {
        terms.push(this.reg(4, base));
        regs++;
        if (base === 4 || base === 5) seg = SS;
      }
    } else if (rm === 5 && mod === 0) terms.push(String(disp = this.dword() | 0));
    else {
      terms.push(this.reg(4, rm));
      regs++;
      if (rm === 5) seg = SS;
    }
    if (mod === 1) terms.push(String(disp = this.simm8()));
    else if (mod === 2) terms.push(String(disp = this.dword() | 0));
    return {
      off: `((${terms.join(" + ")}) >>> 0)`,
      seg: this.segOvr >= 0 ? this.segOvr : seg,
      table: regs > 0 ? disp >>> 0 : undefined,
    };
  }

  // --- code helpers ----------------------------------------------------------

  emit(s: string): void {
    this.code.push(s);
  }

  /** Marks the current instruction as one that may throw (memory access). */
  mayThrow(): void {
    if (this.catchCases[this.k] !== undefined) return;
    this.catchCases[this.k] = this.exitFlushCode();
    this.emit(`k = ${this.k};`);
  }

  /** Notes that generated code uses the flags as they are. */
  usesFlags(): void {
    if (this.firstFlagUse === 0 || this.firstFlagUse === 4) this.firstFlagUse = 2;
  }

  /** Sets the flags held in locals: the last operation was `kind` of `size` bytes. */
  setFlags(kind: number, size: number, replacesAll: boolean): void {
    if (replacesAll && this.firstFlagUse === 0) this.firstFlagUse = 1;
    else if (replacesAll && this.firstFlagUse === 4) this.firstFlagUse = 5;
    this.fk = kind;
    this.fs = size;
  }

  /** Code that moves the flags held in locals into the CPU. */
  flushCode(): string {
    this.usesFlags();
    return flagsCode(this.fk, this.fs);
  }

  /**
   * `flushCode` for a way out of the block (an exit, a catch case): the
   * flags' only reader there is the CPU after the block, which gets them
   * from wherever they are, so it is not a use that makes a jump here pass
   * them to the CPU first.
   */
  exitFlushCode(): string {
    if (this.firstFlagUse === 0) this.firstFlagUse = 4;
    return exitFlagsCode(this.fk, this.fs);
  }

  /**
   * Code that hands the flags (held as kind `fk`, size `fs`) to the trace of
   * `label` when a jump goes there. Every trace starts with them where `lk`
   * says: in the CPU (0), or in the locals as kind `lk` of `ls` bytes. They
   * stay in the locals for a trace that reads CF first (it takes CF from
   * them without a call) and for one that only passes exits before it
   * replaces them (a load that may fault: the stores to the CPU then happen
   * only if it leaves there), and go to the CPU for the others (which would
   * move them there anyway, for a read or a helper), and for INC/DEC (whose
   * kept CF the CPU holds in FLAGS). A trace that replaces them first gets
   * nothing.
   */
  passCode(fk: number, fs: number, label: number): string {
    const first = this.labelFirstUse[label];
    if (first === 1 || fk === DYNAMIC) return "";
    if (first >= 3 && fk !== 0 && fk !== Lazy.INC && fk !== Lazy.DEC) {
      return `lk = ${fk}; ls = ${fs};`;
    }
    return `${flagsCode(fk, fs)} lk = 0;`;
  }

  /** Moves the flags to the CPU now (before code that reads or replaces them there). */
  flush(): void {
    const f = this.flushCode();
    if (f !== "") this.emit(f);
    this.fk = 0;
  }

  /** An expression for CF as 0 or 1. */
  cf(): string {
    if (this.fk === DYNAMIC && (this.firstFlagUse === 0 || this.firstFlagUse === 4)) {
      this.firstFlagUse = 3;
    }
    this.usesFlags();
    if (this.fk !== DYNAMIC) return cfOfKind(this.fk);
    // Each kind `passCode` leaves in the locals (the most common first), else the CPU's.
    const kinds = [Lazy.SHIFT, Lazy.LOGIC, Lazy.SUB, Lazy.ADD, Lazy.ADC, Lazy.SBB];
    return `(${kinds.map((kind) => `lk === ${kind} ? ${cfOfKind(kind)} : `).join("")}c.cf())`;
  }

  /** A boolean expression for condition code cc (Jcc's low nibble). */
  cond(cc: number): string {
    this.usesFlags();
    const neg = (cc & 1) !== 0;
    const pick = (yes: string, no: string) => neg ? no : yes;
    if (this.fk === DYNAMIC) this.flush();
    const fk = this.fk, s = this.fs;
    const sign = `(lr & ${SIGN[s]}) !== 0`;
    if (fk !== 0) {
      if ((cc & 0xe) === 4) return pick("lr === 0", "lr !== 0");
      if ((cc & 0xe) === 8) return pick(sign, `!(${sign})`);
      if ((cc & 0xe) === 2) return pick(`${this.cf()} !== 0`, `${this.cf()} === 0`);
    }
    if (fk === Lazy.SUB) {
      const sa = s === 4 ? "(la | 0)" : `(la << ${32 - 8 * s})`;
      const sb = s === 4 ? "(lb | 0)" : `(lb << ${32 - 8 * s})`;
      switch (cc >> 1) {
        case 3:
          return pick("la <= lb", "la > lb");
        case 6:
          return pick(`${sa} < ${sb}`, `${sa} >= ${sb}`);
        case 7:
          return pick(`${sa} <= ${sb}`, `${sa} > ${sb}`);
      }
    }
    if (fk === Lazy.LOGIC) {
      switch (cc >> 1) {
        case 0:
          return pick("false", "true"); // OF is clear
        case 3:
          return pick("lr === 0", "lr !== 0"); // CF is clear
        case 6:
          return pick(sign, `!(${sign})`); // SF != OF with OF clear
        case 7:
          return pick(`(lr === 0 || ${sign})`, `(lr !== 0 && !(${sign}))`);
      }
    }
    this.flush();
    return `c.cond(${cc})`;
  }

  /** An expression for register i of `size` bytes (its local, see `setReg`). */
  reg(size: number, i: number): string {
    const n = size === 1 ? i & 3 : i;
    this.used.add(n);
    if (size === 4) return `r${n}`;
    if (size === 2) return `(r${n} & 0xffff)`;
    return i < 4 ? `(r${n} & 0xff)` : `((r${n} >>> 8) & 0xff)`;
  }

  /**
   * A statement that sets register i of `size` bytes to `value` (an
   * expression already reduced to the size). Registers live in locals
   * r0-r7 while the block runs; exits and faults write them back.
   */
  setReg(size: number, i: number, value: string): string {
    const n = size === 1 ? i & 3 : i;
    this.used.add(n);
    this.dirty.add(n);
    if (size === 4) return `r${n} = ${value};`;
    if (size === 2) return `r${n} = ((r${n} & 0xffff0000) | (${value})) >>> 0;`;
    if (i < 4) return `r${n} = ((r${n} & 0xffffff00) | (${value})) >>> 0;`;
    return `r${n} = ((r${n} & 0xffff00ff) | ((${value}) << 8)) >>> 0;`;
  }

  /**
   * Statement: `dst = ` the operand of `size` bytes at ea (leaves its offset
   * in `off`). `rmw`: the operand is written back by the same instruction,
   * whose store must not fault once the instruction has changed anything
   * (flags and registers live in locals): in protected mode the write is
   * checked with the read (`Cpu.readRmw`).
   */
  load(size: number, ea: Ea, dst = "v", rmw = false): void {
    this.mayThrow();
    const s = ea.seg;
    this.segs.add(s);
    this.emit(`off = ${ea.off};`);
    const forWrite = rmw && this.pm;
    const fast = this.fastAddress(size, s, forWrite);
    const slow = forWrite
      ? `readRmw(${size}, ${s}, off)`
      : `${size === 1 ? "read8" : size === 2 ? "read16" : "read32"}(${s}, off)`;
    if (this.alignedOnly(size)) {
      this.emit(`${dst} = ${fast} ? ${size === 2 ? "m16[t >>> 1]" : "m32[t >>> 2]"} : c.${slow};`);
      return;
    }
    const bytes = size === 1
      ? "ram[t]"
      : size === 2
      ? "ram[t] | (ram[t + 1] << 8)"
      : "(ram[t] | (ram[t + 1] << 8) | (ram[t + 2] << 16) | (ram[t + 3] << 24)) >>> 0";
    // An aligned word or dword is one element of a wider view of the same RAM.
    const value = size === 1 || !this.views
      ? bytes
      : size === 2
      ? `((t & 1) === 0 ? m16[t >>> 1] : ${bytes})`
      : `((t & 3) === 0 ? m32[t >>> 2] : ${bytes})`;
    this.emit(`${dst} = ${fast} ? ${value} : c.${slow};`);
  }

  /**
   * Statement: stores the local `val` at the operand; `reuseOff` keeps the
   * offset a load of the same operand left in `off`. Sets `ex` when the
   * store left plain RAM (the block ends after the instruction).
   */
  store(size: number, ea: Ea, val: string, reuseOff = false): void {
    this.mayThrow();
    const s = ea.seg;
    this.segs.add(s);
    if (!reuseOff) this.emit(`off = ${ea.off};`);
    const fast = `${this.fastAddress(size, s, true)} && cp[t >> 8] === 0`;
    const slow = `rt.store(c, ${size}, ${s}, off, ${val})`;
    if (this.alignedOnly(size)) {
      const view = size === 2 ? "m16[t >>> 1]" : "m32[t >>> 2]";
      this.emit(`if (${fast}) ${view} = ${val}; else if (${slow}) ex = true;`);
      return;
    }
    let bytes = size === 1
      ? `ram[t] = ${val};`
      : size === 2
      ? `ram[t] = ${val}; ram[t + 1] = ${val} >> 8;`
      : `ram[t] = ${val}; ram[t + 1] = ${val} >> 8; ram[t + 2] = ${val} >> 16; ram[t + 3] = ${val} >>> 24;`;
    if (size === 2 && this.views) {
      bytes = `if ((t & 1) === 0) m16[t >>> 1] = ${val}; else { ${bytes} }`;
    }
    if (size === 4 && this.views) {
      bytes = `if ((t & 3) === 0) m32[t >>> 2] = ${val}; else { ${bytes} }`;
    }
    this.emit(
      `if (${fast}) { ${bytes} } else if (${slow}) ex = true;`,
    );
  }

  /**
   * Protected mode's fast path for a word or dword is for aligned ones only,
   * through the RAM's 16- and 32-bit views: a store's code is half as long,
   * and a load's two thirds, as one that also takes unaligned accesses byte
   * by byte and checks the page's end, and V8 compiles a translation in
   * about the time its size says. Unaligned accesses, rare in 32-bit code,
   * take the CPU's own path.
   */
  alignedOnly(size: number): boolean {
    return size > 1 && this.pm && this.views;
  }

  /**
   * A condition that holds when the access of `size` bytes at segment `s`,
   * offset `off` may go straight to `ram`, leaving its index in `t`. Real
   * mode: the limit and the fast RAM. Protected mode: the segment's fast
   * limit (-1 for segments every access of which needs the full checks),
   * then with paging a TLB entry with the rights the access needs, inside
   * one page. Everything else takes the CPU's own path, which faults,
   * walks the tables and sets accessed and dirty bits.
   */
  fastAddress(size: number, s: number, write: boolean): string {
    const end = size - 1;
    const ram = write ? "fw" : "fr";
    if (!this.pm) return `off + ${end} <= l${s} && (t = b${s} + off) + ${end} < ${ram}`;
    // One path with paging or without: the TLB caches the identity too (paging.ts).
    const lim = `off + ${end} <= ${write ? "gw" : "gr"}${s}`;
    const need = write ? this.rights.write : this.rights.read;
    // An aligned access stays inside its page; an unaligned one takes the CPU's path
    // where the fast path is for aligned ones only.
    const inPage = size === 1
      ? ""
      : this.alignedOnly(size)
      ? ` && (t & ${size - 1}) === 0`
      : ` && (t & 0xfff) <= ${4096 - size}`;
    return `${lim} && ((t = (b${s} + off) >>> 0), true)${inPage} && ` +
      `((e = tlb[t >>> 12]) & ${need}) === ${need} && ((t = (e >>> ${TLB_PAGE_SHIFT}) * 4096 + (t & 0xfff)), true)`;
  }

  /**
   * Code that leaves the block with IP = `ip` after `n` instructions of this
   * pass. An exit to a constant IP gets a link number (`Cpu.exitLink`), by
   * which the block cache chains this exit to the block found there.
   */
  exitCode(ip: string, n: number): string {
    const link = /^\d+$/.test(ip) ? this.links++ : -1;
    return leaveCode(this.exitFlushCode(), ip, n, link);
  }
}

/** An expression for CF (0 or 1) of flags of lazy kind `fk` in the locals (0: the CPU's). */
function cfOfKind(fk: number): string {
  switch (fk) {
    case 0:
      return "c.cf()";
    case Lazy.ADD:
      return "(lr < la ? 1 : 0)";
    case Lazy.SUB:
      return "(la < lb ? 1 : 0)";
    case Lazy.LOGIC:
      return "0";
    case Lazy.ADC:
      return "(lr < la || (lcf !== 0 && lr === la) ? 1 : 0)";
    case Lazy.SBB:
      return "(la < lb || (lcf !== 0 && la === lb) ? 1 : 0)";
    case Lazy.SHIFT:
      return "(lb & 1)";
    default: // INC, DEC: CF kept from before
      return "lcf";
  }
}

/** Code that moves flags of lazy kind `fk` and size `fs`, held in the locals, into the CPU. */
function flagsCode(fk: number, fs: number): string {
  switch (fk) {
    case 0:
      return "";
    case DYNAMIC:
      // lk !== 0 only in a trace that reads CF first or reaches only exits before replacing them.
      return "if (lk !== 0) c.setLazy(lk, ls, la, lb, lr, lcf);";
    case Lazy.ADD:
    case Lazy.SUB:
      return `c.lop = ${fk}; c.la = la; c.lb = lb; c.lr = lr; c.lsize = ${fs};`;
    case Lazy.LOGIC:
      return `c.lop = ${fk}; c.lr = lr; c.lsize = ${fs};`;
    case Lazy.ADC:
    case Lazy.SBB:
      return `c.lop = ${fk}; c.la = la; c.lb = lb; c.lr = lr; c.lc = lcf; c.lsize = ${fs};`;
    case Lazy.SHIFT:
      return `c.lop = ${fk}; c.lb = lb; c.lr = lr; c.lsize = ${fs};`;
    default: // INC, DEC: CF is kept from before
      return `c.rawFlags = (c.rawFlags & -2) | lcf; c.lop = ${fk}; c.la = la; c.lr = lr; c.lsize = ${fs};`;
  }
}

/**
 * Code for a way out of the block (an exit, a catch case) that leaves flags
 * of lazy kind `fk` and size `fs`, held in the locals, for the epilogue to
 * move into the CPU: `lk` and `ls` say where they are (`lk` 0: in the CPU).
 * Only constants are assigned: V8 keeps no type feedback for that, so the
 * first time an exit is taken in optimized code it does not deoptimize the
 * block (stores to `c` and arithmetic would, on each exit's first use).
 */
function exitFlagsCode(fk: number, fs: number): string {
  if (fk === DYNAMIC) return ""; // `lk` says already
  return fk === 0 ? "lk = 0;" : `lk = ${fk}; ls = ${fs};`;
}

/**
 * Code that leaves the block for IP `ip` with `done + nx` instructions
 * retired and exit link `link` (-1: computed), after `flags` (see
 * `exitFlagsCode`). One epilogue after the body moves the flags and stores
 * the registers, so each exit is a few constants (smaller code, and no
 * deoptimization when an exit is first taken).
 */
function leaveCode(flags: string, ip: string, nx: number, link: number): string {
  return `${flags} ni = ${ip}; nx = ${nx}; xl = ${link}; break out;`;
}

/** Options of {@link translate}. */
export interface TranslateOptions {
  /** Most instructions in one trace (one pass of a loop, say). */
  maxInstructions: number;
  /** Most instructions in the block's region, all its traces together (default: maxInstructions). */
  maxRegion?: number;
  /**
   * Most instructions in a region that a jump table's handlers joined (see
   * `Translation.table`; default: maxRegion).
   */
  maxTableRegion?: number;
  /**
   * Whether code at a physical address has run before (the interpreter or a
   * block started an instruction there): only such places become traces of
   * the region, so code that never ran stays out of it. Default: all.
   */
  ran?: (physical: number) => boolean;
  /** Whether a block starts at a physical address already (a jump there leaves for it). */
  translated?: (physical: number) => boolean;
  /**
   * EIPs the computed jumps of the block at a physical address were seen to
   * go to (a jump table's handlers, say). Those of this block, and of the
   * blocks there in turn, join its region as traces its computed jumps look
   * up. Default: none.
   */
  targets?: (physical: number) => Iterable<number> | undefined;
  /**
   * The function of this block's previous translation (it is translated
   * again): kept when the new translation's source is the same.
   */
  previous?: BlockFunction;
}

/**
 * Translates the block at CS:EIP (physical `phys`, in the RAM at 0: see
 * `BlockCache.lookup`). Returns null when its first instruction is not
 * translatable.
 */
export function translate(
  c: Cpu,
  phys: number,
  opts: TranslateOptions,
): Translation | null {
  // 16-bit code entered with EIP above 0xFFFF (a far jump with a 32-bit offset) fetches
  // its first byte at EIP and the rest at IP (Cpu.fetch8): left to the interpreter.
  if (!c.def32 && c.ip > 0xffff) return null;
  const maxRegion = Math.max(opts.maxInstructions, opts.maxRegion ?? opts.maxInstructions);
  const g = new Gen(
    c,
    phys,
    opts.maxInstructions,
    maxRegion,
    Math.max(maxRegion, opts.maxTableRegion ?? maxRegion),
    opts.ran ?? (() => true),
    opts.translated ?? (() => false),
    opts.targets ?? (() => undefined),
  );
  g.labelFor(c.ip); // label 0: where the block is entered
  const continuations: number[] = [];
  while (g.queue.length > 0 && g.k < g.maxRegion) {
    const label = g.queue.shift()!;
    const caseMark = g.code.length;
    g.startTrace(label);
    let ended = false;
    let cut = false; // an instruction the translator does not take ends the trace
    while (!ended && g.inTrace < opts.maxInstructions && g.k < g.maxRegion) {
      // Code that is a trace of its own already: go there rather than translate it again.
      if (g.inTrace > 0 && g.labelOf.has(g.ip) && g.ip !== g.inlining) break;
      g.inlining = -1;
      // Code this trace has been through (it fell through into it): a loop, or a join.
      if (g.inTrace > 0 && g.visited.has(g.ip)) break;
      const mark = g.code.length, p = g.p, ip = g.ip, fk = g.fk, fs = g.fs;
      const firstFlagUse = g.firstFlagUse;
      const returns = [...g.returns];
      const ranges = g.ranges.length;
      g.ips[g.k] = ip;
      g.pos[g.k] = g.inTrace;
      g.visited.add(ip);
      try {
        ended = instruction(g) !== CONTINUE;
      } catch (e) {
        if (!(e instanceof NotTranslated)) throw e;
        // Leave this instruction to the interpreter: undo what decoding it did.
        g.code.length = mark;
        g.catchCases.length = Math.min(g.catchCases.length, g.k);
        g.returns.splice(0, g.returns.length, ...returns);
        g.ranges.length = ranges;
        g.p = p;
        g.ip = ip;
        g.fk = fk;
        g.fs = fs;
        g.firstFlagUse = firstFlagUse;
        cut = true;
        break;
      }
      g.k++;
    }
    const count = g.inTrace;
    if (count === 0) {
      g.code.length = caseMark; // nothing to run here: jumps to it leave the block
      continue;
    }
    if (!ended) {
      const next = g.wrapIp(g.ip);
      const full = g.inTrace >= opts.maxInstructions || g.k >= g.maxRegion;
      if (cut || full) continuations.push(g.links); // the link the exit below takes
      g.emit(cut ? g.exitCode(String(next), count) : g.jumpCode(next, count));
    }
    g.labelBodies[label] = [caseMark + 1, g.code.length];
    g.endTrace(label);
    g.labelCounts[label] = count;
    g.labelFirstUse[label] = g.firstFlagUse;
  }
  const count = g.labelCounts[0];
  if (count === 0) return null;
  g.ips[g.k] = g.ip;
  g.closeRange();
  const inside = g.inside = g.jumpLabels.some((l) => g.labelCounts[l] > 0) ||
    (g.computedJumps > 0 && g.computedCases(0, 1) !== "");
  const cases = g.catchCases.map((f, i) => f === undefined ? "" : `case ${i}: ${f} break;`).join(
    " ",
  );
  const segLocals = [...g.segs].map((s) =>
    g.pm
      ? `const b${s} = base[${s}], gr${s} = flr[${s}], gw${s} = flw[${s}];`
      : `let b${s} = base[${s}]; const l${s} = lim[${s}];` // MOV Sreg may change the base
  ).join(" ");
  const regLocals = [...g.used].sort().map((n) => `r${n} = r32[${n}]`).join(", ");
  const writeBack = [...g.dirty].sort().map((n) => `r32[${n}] = r${n};`).join(" ");
  const body = g.resolve(g.code.join("\n    "));
  const source = `
return ${BLOCK_HEAD}
  ${g.pm ? "const ram = c.m.flat;" : "const ram = c.ram, fr = c.fastR, fw = c.fastW;"}
  ${segLocals}
  const i0 = c.instructions;
  let lk = 0, ls = 1, la = 0, lb = 0, lr = 0, lcf = 0, t = 0, v = 0, w = 0, d = 0, e = 0, off = 0, sp = 0, ex = false, k = 0, done = 0, rn = 0;
  let ni = 0, nx = 0, xl = -1, lbl = entry;
  ${regLocals === "" ? "" : `let ${regLocals};`}
  out: try {
    if (entry < 0) { ni = c.ip; xl = c.exitLink; break out; } // a call that only primes the epilogue
    ${inside ? "region: for (;;) switch (lbl) {" : ""}
    ${body}
    ${inside ? "}" : ""}
  } catch (e) {
    ${writeBack}
    switch (k) { ${cases} }
    c.setBlockFlags(lk, ls, la, lb, lr, lcf);
    c.ip = c.insStart = IPS[k];
    c.savedSp = r32[${ESP}];
    c.instructions = i0 + done + POS[k];
    throw e;
  }
  ${writeBack}
  c.setBlockFlags(lk, ls, la, lb, lr, lcf);
  const nd = done + nx;
  c.ip = ni;
  c.exitLink = xl;
  c.instructions = i0 + nd;
  return nd;
}`;
  const run = reused(opts.previous, source) ?? compile(c, g, source);
  const entries = !inside
    ? []
    : g.labelIps.flatMap((ip, label) =>
      label === 0 || g.labelCounts[label] === 0
        ? []
        : [{ label, physical: g.codeAt(ip), ip, count: g.labelCounts[label] }]
    );
  return {
    run,
    count,
    ranges: g.ranges,
    links: g.links,
    continuations,
    entries,
    dispatches: g.dispatches,
    table: g.table,
    source,
  };
}

/** How a block's function starts (its source, from here to its end, is what `reused` compares). */
const BLOCK_HEAD = "function block(c, budget, entry) {";

/**
 * The function of the block's previous translation when it had the same
 * source (a block translated again that came out the same): it keeps V8's
 * optimized code and type feedback, where a new one would be compiled and
 * warmed up again.
 */
function reused(previous: BlockFunction | undefined, source: string): BlockFunction | null {
  if (previous === undefined) return null;
  const text = source.slice(source.indexOf(BLOCK_HEAD));
  return previous.toString() === text ? previous : null;
}

/** Compiles the block's source into its function, bound to the CPU's state, and primes it. */
function compile(c: Cpu, g: Gen, source: string): BlockFunction {
  const factory = new Function(
    "rt",
    "r32",
    "base",
    "lim",
    "cp",
    "IPS",
    "POS",
    "tlb",
    "flr",
    "flw",
    "m16",
    "m32",
    source,
  ) as (
    rt: Runtime,
    r32: Uint32Array,
    base: Uint32Array,
    lim: Uint32Array,
    cp: Uint8Array,
    ips: number[],
    pos: number[],
    tlb: Int32Array,
    flr: Float64Array,
    flw: Float64Array,
    m16: Uint16Array | null,
    m32: Uint32Array | null,
  ) => BlockFunction;
  const views = ramViews(g.bytes);
  const run = factory(
    RUNTIME,
    c.r32,
    c.base,
    c.limit,
    c.codePages,
    g.ips,
    g.pos,
    c.tlb.entries,
    c.fastLimR,
    c.fastLimW,
    views?.[0] ?? null,
    views?.[1] ?? null,
  );
  run(c, 0, -1); // primes its epilogue (see BlockFunction)
  return run;
}

/** The host stores a 16-bit 1 as the bytes 1, 0 (typed arrays use its byte order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** The 16- and 32-bit views of each RAM array translated code indexes. */
const VIEWS = new WeakMap<Uint8Array, readonly [Uint16Array, Uint32Array]>();

/**
 * 16- and 32-bit views of the RAM array `bytes` (the same memory), or null
 * where they cannot stand for its bytes: a big-endian host, or an array
 * that does not start on a 4-byte boundary of its buffer.
 */
function ramViews(bytes: Uint8Array): readonly [Uint16Array, Uint32Array] | null {
  if (!LITTLE_ENDIAN || bytes.byteOffset % 4 !== 0) return null;
  let views = VIEWS.get(bytes);
  if (views === undefined) {
    views = [
      new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 1),
      new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2),
    ];
    VIEWS.set(bytes, views);
  }
  return views;
}

/** What an instruction did to its trace: it goes on, or it ended (jumped or left). */
const CONTINUE = 0, END = 1;

/** Decodes and generates one instruction. */
function instruction(g: Gen): number {
  const c = g.c;
  g.o32 = c.def32;
  g.a32 = c.def32;
  g.segOvr = -1;
  g.rep = 0;
  let op = g.byte();
  for (let n = 0;; n++) {
    if (n > 4) throw new NotTranslated("many prefixes");
    if (op === 0x26 || op === 0x2e || op === 0x36 || op === 0x3e) g.segOvr = (op >> 3) & 3;
    else if (op === 0x64 && !c.is8086) g.segOvr = 4;
    else if (op === 0x65 && !c.is8086) g.segOvr = 5;
    else if (op === 0x66 && !c.is8086) g.o32 = !c.def32;
    else if (op === 0x67 && !c.is8086) g.a32 = !c.def32;
    else if (op === 0xf2 || op === 0xf3) g.rep = op;
    else break;
    op = g.byte();
  }
  const w = g.o32 ? 4 : 2;
  if (g.rep !== 0) {
    if (op === 0xa6 || op === 0xa7 || op === 0xae || op === 0xaf) {
      return repCompare(g, op, (op & 1) === 0 ? 1 : w);
    }
    // F3 90 is PAUSE, a NOP on this CPU; REP MOVS, STOS and LODS are the interpreter's
    // (its bulk copies and fills are faster than a loop here).
    if (op !== 0x90) throw new NotTranslated("REP prefix");
  }
  if (op < 0x40 && (op & 7) < 6) return aluForms(g, op, w);
  if (op >= 0x40 && op < 0x50) {
    const i = op & 7;
    g.emit(`v = ${g.reg(w, i)};`);
    incdec(g, op >= 0x48, w, cfReplacedNext(g));
    g.emit(g.setReg(w, i, "lr"));
    return CONTINUE;
  }
  if (op >= 0x50 && op < 0x58) {
    if ((op & 7) === ESP) throw new NotTranslated("push sp");
    g.emit(`w = ${g.reg(w, op & 7)};`);
    push(g, w, "w");
    return CONTINUE;
  }
  if (op >= 0x58 && op < 0x60) {
    pop(g, w, "w");
    g.emit(g.setReg(w, op & 7, "w"));
    return CONTINUE;
  }
  if (op >= 0x70 && op < 0x80) {
    const d = g.simm8();
    return branch(g, g.cond(op & 15), g.target(d, true));
  }
  if (op > 0x90 && op < 0x98) { // XCHG (E)AX, reg
    return xchg(g, w, { mod: 3, reg: 0, rm: op & 7, ea: null });
  }
  if (op >= 0xb0 && op < 0xc0) {
    const size = op < 0xb8 ? 1 : w;
    g.emit(g.setReg(size, op & 7, String(g.imm(size))));
    return CONTINUE;
  }
  switch (op) {
    case 0x0f:
      if (c.is8086) throw new NotTranslated("pop cs");
      return twoByte(g, w);
    case 0x80:
    case 0x81:
    case 0x83: {
      const size = op === 0x80 ? 1 : w;
      const m = g.modrm();
      const imm = op === 0x83 ? (g.simm8() & MASK[size]) >>> 0 : g.imm(size);
      return aluOp(g, m.reg, size, m, String(imm));
    }
    case 0x84:
    case 0x85: {
      const size = op === 0x84 ? 1 : w;
      const m = g.modrm();
      readRm(g, size, m, "v");
      setLogic(g, `v & ${g.reg(size, m.reg)}`, size);
      return CONTINUE;
    }
    case 0x88:
    case 0x89: {
      const size = op === 0x88 ? 1 : w;
      const m = g.modrm();
      if (m.ea === null) g.emit(g.setReg(size, m.rm, g.reg(size, m.reg)));
      else {
        g.emit(`w = ${g.reg(size, m.reg)};`);
        g.store(size, m.ea, "w");
        afterStore(g);
      }
      return CONTINUE;
    }
    case 0x8a:
    case 0x8b: {
      const size = op === 0x8a ? 1 : w;
      const m = g.modrm();
      readRm(g, size, m, "v");
      g.emit(g.setReg(size, m.reg, "v"));
      return CONTINUE;
    }
    case 0x8c:
      return movFromSeg(g, w);
    case 0x8e:
      return movToSeg(g);
    case 0x8d: {
      const m = g.modrm();
      if (m.ea === null) throw new NotTranslated("lea with a register");
      g.emit(g.setReg(w, m.reg, w === 4 ? m.ea.off : `(${m.ea.off} & 0xffff)`));
      return CONTINUE;
    }
    case 0x90:
      return CONTINUE;
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3: {
      const size = (op & 1) === 0 ? 1 : w;
      const ea = { off: String(g.a32 ? g.dword() : g.word()), seg: g.segOvr >= 0 ? g.segOvr : DS };
      if (op < 0xa2) {
        g.load(size, ea);
        g.emit(g.setReg(size, 0, "v"));
      } else {
        g.emit(`w = ${g.reg(size, 0)};`);
        g.store(size, ea, "w");
        afterStore(g);
      }
      return CONTINUE;
    }
    case 0xa8:
    case 0xa9: {
      const size = op === 0xa8 ? 1 : w;
      setLogic(g, `${g.reg(size, 0)} & ${g.imm(size)}`, size);
      return CONTINUE;
    }
    case 0xc0:
    case 0xc1:
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
      if (op < 0xc2 && c.is8086) throw new NotTranslated("8086 C0/C1 (RET aliases)");
      return shiftGroup(g, op, w);
    case 0xc2:
    case 0xc3:
      return ret(g, op === 0xc2 ? g.word() : 0);
    case 0xc6:
    case 0xc7: {
      const size = op === 0xc6 ? 1 : w;
      const m = g.modrm();
      if (m.reg !== 0) throw new NotTranslated("C6/C7 reg != 0");
      const imm = g.imm(size);
      if (m.ea === null) g.emit(g.setReg(size, m.rm, String(imm)));
      else {
        g.store(size, m.ea, String(imm));
        afterStore(g);
      }
      return CONTINUE;
    }
    case 0xe2: { // LOOP
      const d = g.simm8();
      const size = g.a32 ? 4 : 2;
      const to = g.target(d, true);
      g.emit(g.setReg(size, 1, wrap(`${g.reg(size, 1)} - 1`, size)));
      return branch(g, `${g.reg(size, 1)} !== 0`, to);
    }
    case 0xe3: { // JCXZ
      const d = g.simm8();
      return branch(g, `${g.reg(g.a32 ? 4 : 2, 1)} === 0`, g.target(d, true));
    }
    case 0xe6:
    case 0xe7:
    case 0xee:
    case 0xef: { // OUT: the host completes it at once, or it leaves as an exit after the instruction
      if (g.pm) throw new NotTranslated("OUT in protected mode (IOPL)");
      const size = (op & 1) === 0 ? 1 : w;
      const port = op < 0xe8 ? String(g.byte()) : g.reg(2, 2);
      g.emit(
        `c.instructions = i0 + done + ${g.inTrace}; t = rt.out(c, ${port}, ${size}, ${
          g.reg(size, 0)
        });`,
      );
      g.emit(
        `if (t !== 1) { c.stop = t === 0 ? ${STOP_IO} : ${STOP_YIELD}; ${
          g.exitCode(String(g.wrapIp(g.ip)), g.inTrace + 1)
        } }`,
      );
      return CONTINUE;
    }
    case 0xe8:
      return call(g);
    case 0xe9: {
      const d = g.o32 ? g.dword() | 0 : g.word();
      return branch(g, "true", g.target(d));
    }
    case 0xeb: {
      const d = g.simm8();
      return branch(g, "true", g.target(d, true));
    }
    case 0x86:
    case 0x87:
      return xchg(g, op === 0x86 ? 1 : w, g.modrm());
    case 0x98: // CBW, CWDE
      g.emit(
        w === 4
          ? g.setReg(4, 0, `((${g.reg(2, 0)} << 16) >> 16) >>> 0`)
          : g.setReg(2, 0, `((${g.reg(1, 0)} << 24) >> 24) & 0xffff`),
      );
      return CONTINUE;
    case 0x99: // CWD, CDQ
      g.emit(
        w === 4
          ? g.setReg(4, 2, `(${g.reg(4, 0)} >= 0x80000000 ? 0xffffffff : 0)`)
          : g.setReg(2, 2, `((${g.reg(2, 0)} & 0x8000) !== 0 ? 0xffff : 0)`),
      );
      return CONTINUE;
    case 0x69:
    case 0x6b: { // IMUL reg, r/m, imm (on the 8086 these are Jcc aliases)
      if (c.is8086) throw new NotTranslated("8086 60-6F");
      const m = g.modrm();
      const imm = op === 0x69 ? g.imm(w) : (g.simm8() & MASK[w]) >>> 0;
      readRm(g, w, m, "v");
      imulCode(g, w, "v", String(imm));
      g.emit(g.setReg(w, m.reg, "lr"));
      return CONTINUE;
    }
    case 0x68:
    case 0x6a: { // PUSH imm (on the 8086 these are Jcc aliases)
      if (c.is8086) throw new NotTranslated("8086 60-6F");
      const imm = op === 0x68 ? g.imm(w) : (g.simm8() & MASK[w]) >>> 0;
      g.emit(`w = ${imm};`);
      push(g, w, "w");
      return CONTINUE;
    }
    case 0xa4:
    case 0xa5:
    case 0xa6:
    case 0xa7:
    case 0xaa:
    case 0xab:
    case 0xac:
    case 0xad:
    case 0xae:
    case 0xaf:
      return stringOp(g, op, (op & 1) === 0 ? 1 : w);
    case 0xf5: // CMC
    case 0xf8: // CLC
    case 0xf9: // STC
      g.flush();
      g.emit(op === 0xf5 ? "c.flags ^= 1;" : op === 0xf8 ? "c.flags &= -2;" : "c.flags |= 1;");
      return CONTINUE;
    case 0xfc: // CLD, STD: DF is not a lazy flag
    case 0xfd:
      g.emit(op === 0xfc ? "c.rawFlags &= ~0x400;" : "c.rawFlags |= 0x400;");
      return CONTINUE;
    case 0xc9: { // LEAVE: SP = BP at the stack's width, then POP BP (RETF on the 8086)
      if (c.is8086) throw new NotTranslated("retf");
      const sw = stackWidth(g);
      // ESP changes only once the load is done: a fault leaves it as it was.
      g.emit(`sp = ${g.reg(sw, 5)};`);
      g.load(w, { off: "sp", seg: SS }, "w");
      g.emit(g.setReg(sw, ESP, wrap(`sp + ${w}`, sw)));
      g.emit(g.setReg(w, 5, "w"));
      return CONTINUE;
    }
    case 0xf6:
    case 0xf7: {
      const size = op === 0xf6 ? 1 : w;
      const m = g.modrm();
      if (m.reg >= 4) return mulDivOp(g, m, size);
      readRm(g, size, m, "v", m.reg >= 2);
      if (m.reg <= 1) { // TEST r/m, imm
        setLogic(g, `v & ${g.imm(size)}`, size);
      } else if (m.reg === 2) { // NOT: no flags
        writeRm(g, size, m, wrap("~v", size));
      } else { // NEG: the flags of 0 - v
        g.emit(`la = 0; lb = v; lr = ${wrap("0 - v", size)};`);
        g.setFlags(Lazy.SUB, size, true);
        writeRm(g, size, m, "lr");
      }
      return CONTINUE;
    }
    case 0xfe:
    case 0xff: {
      const size = op === 0xfe ? 1 : w;
      const m = g.modrm();
      if (op === 0xff && (m.reg === 2 || m.reg === 4)) return indirect(g, m, w, m.reg === 2);
      if (op === 0xff && m.reg === 6 && !c.is8086) { // PUSH r/m (the 8086's PUSH SP differs)
        readRm(g, w, m, "v");
        push(g, w, "v");
        return CONTINUE;
      }
      if (m.reg > 1) throw new NotTranslated("FE/FF beyond INC/DEC");
      readRm(g, size, m, "v", true);
      incdec(g, m.reg === 1, size, m.ea === null && cfReplacedNext(g));
      writeRm(g, size, m, "lr");
      return CONTINUE;
    }
  }
  throw new NotTranslated(`opcode ${op.toString(16)}`);
}

function twoByte(g: Gen, w: number): number {
  const op = g.byte();
  if (op >= 0x80 && op < 0x90) {
    const d = g.o32 ? g.dword() | 0 : (g.word() << 16) >> 16;
    return branch(g, g.cond(op & 15), g.target(d));
  }
  if (op >= 0x90 && op < 0xa0) { // SETcc
    const m = g.modrm();
    const cond = g.cond(op & 15);
    if (m.ea === null) g.emit(g.setReg(1, m.rm, `(${cond} ? 1 : 0)`));
    else {
      g.emit(`w = ${cond} ? 1 : 0;`);
      g.store(1, m.ea, "w");
      afterStore(g);
    }
    return CONTINUE;
  }
  if (op >= 0x40 && op < 0x50) { // CMOVcc: the source is read (and may fault) either way
    const m = g.modrm();
    readRm(g, w, m, "v");
    g.emit(`if (${g.cond(op & 15)}) { ${g.setReg(w, m.reg, "v")} }`);
    return CONTINUE;
  }
  if (op >= 0xc8) { // BSWAP
    const i = op & 7;
    g.emit(g.setReg(w, i, `rt.byteSwap(${g.reg(4, i)}, ${w})`));
    return CONTINUE;
  }
  if (op === 0xaf) { // IMUL reg, r/m
    const m = g.modrm();
    readRm(g, w, m, "v");
    imulCode(g, w, g.reg(w, m.reg), "v");
    g.emit(g.setReg(w, m.reg, "lr"));
    return CONTINUE;
  }
  if (op === 0xb6 || op === 0xb7 || op === 0xbe || op === 0xbf) {
    const src = (op & 1) === 0 ? 1 : 2;
    const m = g.modrm();
    readRm(g, src, m, "v");
    if (op >= 0xbe) g.emit(src === 1 ? "v = (v << 24) >> 24;" : "v = (v << 16) >> 16;");
    g.emit(g.setReg(w, m.reg, w === 4 ? "(v >>> 0)" : "(v & 0xffff)"));
    return CONTINUE;
  }
  throw new NotTranslated(`opcode 0f ${op.toString(16)}`);
}

/**
 * A (possibly conditional) jump to `target`: the trace goes on along the
 * path that stays in new code; the other path jumps to its own trace of the
 * region (a loop when it is this trace's start), or leaves the block.
 */
function branch(g: Gen, cond: string, target: number): number {
  const n = g.inTrace + 1;
  const fall = g.wrapIp(g.ip);
  if (cond === "true") {
    if (g.canFollow(target)) {
      // A short trace that ends in a lookup (a dispatch loop's head) is decoded again here:
      // each handler then has its own copy of the dispatch (a lookup is too big to paste).
      const label = g.labelOf.get(target);
      if (label !== undefined && g.lookups.has(label) && g.labelCounts[label] <= MAX_PASTED) {
        g.inlining = target;
      }
      g.follow(target);
      return CONTINUE;
    }
    g.emit(`{ ${g.jumpCode(target, n)} }`);
    return END;
  }
  if (
    target < fall && target !== g.labelIps[g.traceLabel] && g.canFollow(target) &&
    !g.translated(g.codeAt(target))
  ) {
    // A loop's branch back: the trace goes round it (and becomes a loop when it meets its
    // start), unless the loop's head is a block already (entered here mid-loop, say).
    g.emit(`if (!(${cond})) { ${g.jumpCode(fall, n)} }`);
    g.follow(target);
    return CONTINUE;
  }
  if (g.canFollow(fall)) {
    g.emit(`if (${cond}) { ${g.jumpCode(target, n)} }`);
    if (g.ip !== fall) g.follow(fall); // the fall-through wrapped to IP 0
    return CONTINUE;
  }
  g.emit(`if (${cond}) { ${g.jumpCode(target, n)} } else { ${g.jumpCode(fall, n)} }`);
  return END;
}

/**
 * CALL rel16/rel32: pushes the return address and follows the call into
 * its target; a callee that is a trace of the region already (recursion)
 * is jumped to, and its return site becomes a trace for the return to find.
 */
function call(g: Gen): number {
  const size = g.o32 ? 4 : 2;
  const d = size === 4 ? g.dword() | 0 : g.word();
  const next = g.wrapIp(g.ip);
  const target = g.target(d);
  g.emit(`w = ${next};`);
  push(g, size, "w", target);
  const inRegion = g.labelOf.has(target);
  if (!inRegion && g.canFollow(target)) {
    g.returns.push(next);
    g.follow(target);
    return CONTINUE;
  }
  if (inRegion) {
    const site = g.labelFor(next, true);
    if (site >= 0) g.lookupSites.add(site);
  }
  g.emit(`{ ${g.jumpCode(target, g.inTrace + 1)} }`);
  return END;
}

/**
 * RET [imm16]: back into the trace after a call it followed (when the stack
 * agrees), else to the region's trace at the return address, or out. A
 * return address beyond the CS limit raises #GP before the stack pointer moves.
 */
function ret(g: Gen, release: number): number {
  const size = g.o32 ? 4 : 2;
  pop(
    g,
    size,
    "w",
    g.csLimit < MASK[size] ? `if (w > ${g.csLimit}) c.fault(13, ${g.pm ? 0 : -1});` : "",
  );
  const sw = stackWidth(g);
  if (release !== 0) {
    g.emit(g.setReg(sw, ESP, wrap(`${g.reg(sw, ESP)} + ${release}`, sw)));
  }
  const back = g.returns.pop();
  if (back !== undefined && g.canFollow(back)) {
    g.emit(`if (w !== ${back}) { ${g.computedJumpCode("w", g.inTrace + 1)} }`);
    g.follow(back);
    return CONTINUE;
  }
  g.emit(`{ ${g.computedJumpCode("w", g.inTrace + 1)} }`);
  return END;
}

/**
 * CALL and JMP near through a register or memory (FF /2, /4): the target
 * is checked as exec.ts's group 5 checks it (#GP before anything changes),
 * then the block goes on there through the region's lookup or leaves.
 */
function indirect(g: Gen, m: ModRm, size: number, isCall: boolean): number {
  readRm(g, size, m, "w");
  // Real mode: a CALL's target must fit in 16 bits, a 32-bit JMP's also in the CS limit.
  const bound = g.pm ? g.csLimit : isCall || size === 2 ? 0xffff : Math.min(g.c.limit[CS], 0xffff);
  if (bound < MASK[size]) {
    g.mayThrow();
    g.emit(`if (w > ${bound}) c.fault(13, ${g.pm ? 0 : -1});`);
  }
  if (isCall) push(g, size, String(g.wrapIp(g.ip)), "w");
  if (!isCall) {
    g.dispatches = true; // a CALL's targets are functions, a JMP's a table's cases
    if (m.ea?.table !== undefined) g.joinTable(m.ea.seg, m.ea.table, size);
  }
  g.emit(`{ ${g.computedJumpCode("w", g.inTrace + 1)} }`);
  return END;
}

/**
 * MUL, IMUL, DIV, IDIV of the accumulator by r/m through the interpreter's
 * helper, which works on the CPU's registers: EAX and EDX are stored before
 * and loaded after. A divide error throws from here, so the catch handler
 * restores the instruction's start as for any fault.
 */
function mulDivOp(g: Gen, m: ModRm, size: number): number {
  // The 8086's divide error is delivered by its microcode and REP negates results: left out.
  if (g.c.is8086) throw new NotTranslated("8086 MUL/DIV");
  g.mayThrow(); // #DE, also with a register operand
  readRm(g, size, m, "v");
  g.flush();
  g.emit(`r32[${EAX}] = ${g.reg(4, EAX)}; r32[${EDX}] = ${g.reg(4, EDX)};`);
  g.emit(`rt.mulDiv(c, ${m.reg}, v, ${size});`);
  g.emit(`if (c.stop === ${Stop.FAULT}) { c.stop = 0; c.fault(c.faultVector); }`);
  g.emit(`${g.setReg(4, EAX, `r32[${EAX}]`)} ${g.setReg(4, EDX, `r32[${EDX}]`)}`);
  return CONTINUE;
}

/** XCHG reg, r/m: both values are read before either is written. */
function xchg(g: Gen, size: number, m: ModRm): number {
  readRm(g, size, m, "v");
  g.emit(`w = ${g.reg(size, m.reg)};`);
  if (m.ea === null) {
    g.emit(g.setReg(size, m.reg, "v"));
    g.emit(g.setReg(size, m.rm, "w"));
    return CONTINUE;
  }
  g.store(size, m.ea, "w", true);
  g.emit(g.setReg(size, m.reg, "v"));
  afterStore(g);
  return CONTINUE;
}

/**
 * MOVS, CMPS, STOS, LODS, SCAS without a REP prefix (a REP prefix is left
 * to the interpreter, which runs it one iteration per step).
 */
function stringOp(g: Gen, op: number, size: number): number {
  const a = g.a32 ? 4 : 2;
  const src: Ea = { off: g.reg(a, 6), seg: g.segOvr >= 0 ? g.segOvr : DS };
  const dst: Ea = { off: g.reg(a, 7), seg: 0 }; // ES, whatever the override
  const kind = op & 0xfe;
  if (kind === 0xa4) { // MOVS
    g.load(size, src);
    g.store(size, dst, "v");
  } else if (kind === 0xa6) { // CMPS
    g.load(size, src);
    g.load(size, dst, "w");
    g.emit(`la = v; lb = w; lr = ${wrap("la - lb", size)};`);
    g.setFlags(Lazy.SUB, size, true);
  } else if (kind === 0xaa) { // STOS
    g.emit(`w = ${g.reg(size, 0)};`);
    g.store(size, dst, "w");
  } else if (kind === 0xac) { // LODS
    g.load(size, src);
    g.emit(g.setReg(size, 0, "v"));
  } else { // SCAS
    g.load(size, dst, "w");
    g.emit(`la = ${g.reg(size, 0)}; lb = w; lr = ${wrap("la - lb", size)};`);
    g.setFlags(Lazy.SUB, size, true);
  }
  g.emit(`d = (c.rawFlags & 0x400) !== 0 ? ${-size} : ${size};`);
  if (kind !== 0xaa && kind !== 0xae) g.emit(g.setReg(a, 6, wrap(`${g.reg(a, 6)} + d`, a)));
  if (kind !== 0xac) g.emit(g.setReg(a, 7, wrap(`${g.reg(a, 7)} + d`, a)));
  if (kind === 0xa4 || kind === 0xaa) afterStore(g);
  return CONTINUE;
}

/**
 * REPE/REPNE CMPS and SCAS: a loop inside the trace, each iteration one
 * instruction of the budget, as the interpreter counts them (strings.ts).
 * The REP counts as one instruction of its trace, the last iteration's (or
 * the check of a zero count); each iteration that has one after it adds one
 * to `done` first. When the budget has no room for one more iteration and
 * the rest of the trace, the block leaves at the REP itself, as the
 * interpreter's step leaves it when its budget runs out: its registers as
 * the iterations so far left them, the rest for the next run.
 */
function repCompare(g: Gen, op: number, size: number): number {
  const a = g.a32 ? 4 : 2;
  const start = g.ips[g.k];
  const label = g.traceLabel, before = g.inTrace;
  g.flush();
  // The last iteration's flags, in the locals: to the CPU after the loop, or for a way out.
  const subFlags = flagsCode(Lazy.SUB, size), subExit = exitFlagsCode(Lazy.SUB, size);
  // A fault in an iteration after the first finds the flags of the one before it; in the
  // first, those flushed to the CPU above.
  g.catchCases[g.k] = `if (rn !== 0) { ${subExit} } else lk = 0;`;
  g.emit(`k = ${g.k};`);
  const link = g.links++;
  const traceCount = g.late(() => String(g.labelCounts[label]));
  const cnt = g.reg(a, 1);
  g.emit(`d = (c.rawFlags & 0x400) !== 0 ? ${-size} : ${size}; rn = 0;`);
  g.emit(`while (${cnt} !== 0) {`);
  g.emit(
    `if (rn !== 0) { done++; if (done + ${traceCount} > budget) { c.repPending = true; ${
      leaveCode(subExit, String(start), before, link)
    } } }`,
  );
  const dst: Ea = { off: g.reg(a, 7), seg: 0 }; // ES, whatever the override
  if ((op & 0xfe) === 0xa6) { // CMPS
    g.load(size, { off: g.reg(a, 6), seg: g.segOvr >= 0 ? g.segOvr : DS });
    g.load(size, dst, "w");
    g.emit(`la = v; lb = w; lr = ${wrap("la - lb", size)};`);
    g.emit(g.setReg(a, 6, wrap(`${g.reg(a, 6)} + d`, a)));
  } else { // SCAS
    g.load(size, dst, "w");
    g.emit(`la = ${g.reg(size, 0)}; lb = w; lr = ${wrap("la - lb", size)};`);
  }
  g.emit(g.setReg(a, 7, wrap(`${g.reg(a, 7)} + d`, a)));
  g.emit(g.setReg(a, 1, wrap(`${cnt} - 1`, a)));
  // REPE goes on while the operands are equal, REPNE while they differ.
  g.emit(`rn = 1; if (${g.rep === 0xf3 ? "lr !== 0" : "lr === 0"}) break; }`);
  g.emit(`if (rn !== 0) { ${subFlags} } c.repPending = false;`);
  return CONTINUE;
}

/** MOV r/m, Sreg: the selector (zero-extended into a 32-bit register, a word to memory). */
function movFromSeg(g: Gen, size: number): number {
  const m = g.modrm();
  // The 8086 decodes sregs 4-7 as 0-3; ES..GS on the others, and #UD above.
  if (m.reg > 5 || g.c.is8086) throw new NotTranslated("mov r/m, sreg: no such segment");
  if (m.ea === null) {
    g.emit(g.setReg(size, m.rm, `c.sel[${m.reg}]`));
    return CONTINUE;
  }
  g.emit(`w = c.sel[${m.reg}];`);
  g.store(2, m.ea, "w");
  afterStore(g);
  return CONTINUE;
}

/**
 * MOV ES/DS/FS/GS, r/m in real mode: the selector and base = selector << 4
 * (the limit stays, as `Cpu.loadSeg` keeps it), the block's local copy of
 * the base too. Protected mode loads a descriptor, and MOV SS starts an
 * interrupt shadow: both are the interpreter's.
 */
function movToSeg(g: Gen): number {
  const m = g.modrm();
  const s = m.reg;
  if (g.pm || g.c.is8086 || s === CS || s === SS || s > 5) {
    throw new NotTranslated("mov sreg: a descriptor load, a shadow, or no such segment");
  }
  readRm(g, 2, m, "v");
  g.segs.add(s);
  g.emit(`c.sel[${s}] = v; b${s} = base[${s}] = v << 4;`);
  return CONTINUE;
}

/** After a store that left plain RAM (MMIO, code): end the block after this instruction. */
function afterStore(g: Gen, next: number | string = g.wrapIp(g.ip)): void {
  g.emit(`if (ex) { ${g.exitCode(String(next), g.inTrace + 1)} }`);
}

/** Reads the r/m operand into `dst`; `rmw`: the instruction writes it back (see `Gen.load`). */
function readRm(g: Gen, size: number, m: ModRm, dst: string, rmw = false): void {
  if (m.ea === null) g.emit(`${dst} = ${g.reg(size, m.rm)};`);
  else g.load(size, m.ea, dst, rmw);
}

/** Writes `val` to the r/m operand; a memory operand's offset is still in `off` from readRm. */
function writeRm(g: Gen, size: number, m: ModRm, val: string): void {
  if (m.ea === null) {
    g.emit(g.setReg(size, m.rm, val));
    return;
  }
  g.emit(`w = ${val};`);
  g.store(size, m.ea, "w", true);
  afterStore(g);
}

function setLogic(g: Gen, expr: string, size: number): void {
  g.emit(size === 4 ? `lr = (${expr}) >>> 0;` : `lr = ${expr};`);
  g.setFlags(Lazy.LOGIC, size, true);
}

/**
 * INC/DEC of `v`: result in lr, CF kept; `cfDead`: the next instruction
 * replaces all flags (see `flagsReplacedNext`), so the kept CF is not fetched.
 */
function incdec(g: Gen, dec: boolean, size: number, cfDead = false): void {
  if (!cfDead) g.emit(`lcf = ${g.cf()};`); // CF as it was (INC and DEC keep it)
  g.emit(`la = v; lr = ${wrap(dec ? "v - 1" : "v + 1", size)};`);
  g.setFlags(dec ? Lazy.DEC : Lazy.INC, size, false);
}

/** `e` reduced to an unsigned value of `size` bytes. */
function wrap(e: string, size: number): string {
  return size === 4 ? `(${e}) >>> 0` : `(${e}) & ${MASK[size]}`;
}

/** ADD OR ADC SBB AND SUB XOR CMP in the six forms of opcodes 00-3D. */
function aluForms(g: Gen, op: number, w: number): number {
  const aop = op >> 3;
  const size = (op & 1) === 0 ? 1 : w;
  switch (op & 7) {
    case 0:
    case 1: {
      const m = g.modrm();
      return aluOp(g, aop, size, m, g.reg(size, m.reg));
    }
    case 2:
    case 3: {
      const m = g.modrm();
      readRm(g, size, m, "w");
      return aluOp(g, aop, size, { mod: 3, reg: 0, rm: m.reg, ea: null }, "w");
    }
    default: {
      const imm = g.imm(size);
      return aluOp(g, aop, size, { mod: 3, reg: 0, rm: 0, ea: null }, String(imm));
    }
  }
}

/** dst = dst op src, with lazy flags; `src` is an expression without side effects. */
function aluOp(g: Gen, aop: number, size: number, dst: ModRm, src: string): number {
  readRm(g, size, dst, "v", aop !== 7);
  switch (aop) {
    case 0: // ADD
      g.emit(`la = v; lb = ${src}; lr = ${wrap("la + lb", size)};`);
      g.setFlags(Lazy.ADD, size, true);
      break;
    case 5: // SUB
    case 7: // CMP
      g.emit(`la = v; lb = ${src}; lr = ${wrap("la - lb", size)};`);
      g.setFlags(Lazy.SUB, size, true);
      break;
    case 1: // OR
    case 4: // AND
    case 6: // XOR
      setLogic(g, `v ${aop === 1 ? "|" : aop === 4 ? "&" : "^"} ${src}`, size);
      break;
    default: // ADC, SBB: the carry in comes from the flags before
      g.emit(`lcf = ${g.cf()}; la = v; lb = ${src};`);
      g.emit(`lr = ${wrap(aop === 2 ? "la + lb + lcf" : "la - lb - lcf", size)};`);
      g.setFlags(aop === 2 ? Lazy.ADC : Lazy.SBB, size, false);
  }
  if (aop !== 7) writeRm(g, size, dst, "lr");
  return CONTINUE;
}

/**
 * D0-D3, C0/C1: shifts and rotates. SHL, SHR and SAR by a constant count
 * are generated with lazy flags; the rest go through the interpreter's helper.
 */
function shiftGroup(g: Gen, op: number, w: number): number {
  const size = (op & 1) === 0 ? 1 : w;
  const m = g.modrm();
  if (g.c.is8086 && m.reg === 6) throw new NotTranslated("SETMO");
  let count = -1;
  if (op === 0xd0 || op === 0xd1) count = 1;
  else if (op === 0xc0 || op === 0xc1) count = g.byte() & 31;
  // A count of 0 writes nothing: its operand is only read (and may be read-only).
  readRm(g, size, m, "v", count > 0);
  if (count === 0) return CONTINUE; // nothing changes, not even the flags
  if (count > 0 && m.reg >= 4) {
    shiftByConstant(g, m.reg, count, size);
    writeRm(g, size, m, "lr");
    return CONTINUE;
  }
  if (count > 0 && m.reg <= 1) {
    rotateByConstant(g, m.reg === 1, count, size, m.ea === null && flagsReplacedNext(g));
    writeRm(g, size, m, "v");
    return CONTINUE;
  }
  g.flush();
  g.emit(`w = ${count > 0 ? count : g.c.is8086 ? g.reg(1, 1) : `(${g.reg(1, 1)} & 31)`};`);
  g.emit(`if (w !== 0) {`);
  if (count < 0 && m.ea !== null && g.pm) g.emit(`c.probeWriteN(${size}, ${m.ea.seg}, off);`);
  g.emit(`v = rt.shift(c, ${m.reg}, v, w, ${size});`);
  writeRm(g, size, m, "v");
  g.emit(`}`);
  return CONTINUE;
}

/**
 * ROL or ROR of `v` by a count of 1-31, in `v`: only CF and OF change (as
 * alu.ts's `shift` has it), so the other flags are made whole in the CPU
 * first and the two bits set there.
 */
function rotateByConstant(
  g: Gen,
  right: boolean,
  count: number,
  size: number,
  flagsDead: boolean,
): void {
  const bits = size * 8, n = count % bits;
  if (n !== 0) {
    const r = right ? `(v >>> ${n}) | (v << ${bits - n})` : `(v << ${n}) | (v >>> ${bits - n})`;
    g.emit(`v = ${wrap(r, size)};`);
  }
  if (flagsDead) return; // the next instruction replaces them all
  g.flush();
  const top = `((v >>> ${bits - 1}) & 1)`;
  const cf = right ? top : "(v & 1)";
  const of = right ? `(${top} ^ ((v >>> ${bits - 2}) & 1))` : `(${top} ^ (v & 1))`;
  g.emit(
    `if (c.lop !== 0) c.materialize(); c.rawFlags = (c.rawFlags & ${~0x801}) | ${cf} | (${of} << ${OF_BIT});`,
  );
}

/**
 * Whether the instruction after the one being decoded is sure to run right
 * after it in this trace and replaces every arithmetic flag before anything
 * can see them: an ADD, OR, AND, SUB, XOR, CMP or TEST between registers or
 * with an immediate (none of which can fault), not a trace's end (a label,
 * code already in the trace, the trace's or region's size). Then the flags
 * of this instruction need not be computed.
 */
function flagsReplacedNext(g: Gen, skip = 0): boolean {
  const next = g.wrapIp(g.ip + skip);
  if (
    g.labelOf.has(next) || g.visited.has(next) || g.inTrace + skip + 2 >= g.maxInstructions ||
    g.k + skip + 2 >= g.maxRegion
  ) return false;
  const start = g.p + skip, bytes = g.bytes;
  // Its bytes must all be in reach, as the decoder will ask for them (else it ends the trace).
  const reach = Math.min(g.limit, start - (start & 0xfff) + 4096, start + g.csLimit - next + 1);
  if (skip > 0 && (start >= reach || (start & 0xfff) === 0)) return false;
  const prefix = bytes[start] === 0x66 && !g.c.is8086 ? 1 : 0;
  const op = bytes[start + prefix], modrm = bytes[start + prefix + 1];
  const imm = (g.c.def32 !== (prefix === 1)) ? 4 : 2; // Iz: the operand size
  let length = -1; // of the rest after the prefix; -1: not a form that replaces all flags
  const aluOp = op >> 3; // 2 ADC and 3 SBB read CF
  if (op < 0x40 && (op & 7) < 6 && aluOp !== 2 && aluOp !== 3) {
    const form = op & 7;
    length = form === 4 ? 2 : form === 5 ? 1 + imm : modrm >= 0xc0 ? 2 : -1;
  } else if (op === 0x80 || op === 0x81 || op === 0x83) {
    const reg = (modrm >> 3) & 7;
    if (modrm >= 0xc0 && reg !== 2 && reg !== 3) length = op === 0x81 ? 2 + imm : 3;
  } else if (op === 0x84 || op === 0x85) length = modrm >= 0xc0 ? 2 : -1;
  else if (op === 0xa8) length = 2;
  else if (op === 0xa9) length = 1 + imm;
  return length > 0 && start + prefix + length <= reach;
}

/**
 * Whether CF as it is after the instruction being decoded is dead: the
 * next instruction replaces every flag (`flagsReplacedNext`), or it is a
 * one-byte INC/DEC of a register (which keeps CF) whose own CF is dead in
 * turn, so a run such as `inc edx; inc ebx; and ebx, 7` fetches no CF.
 */
function cfReplacedNext(g: Gen): boolean {
  for (let skip = 0; skip < 4; skip++) {
    if (flagsReplacedNext(g, skip)) return true;
    const at = g.p + skip, next = g.wrapIp(g.ip + skip);
    // Each INC/DEC passed must be a whole instruction of this trace, on the same page.
    if (
      next !== g.ip + skip || at >= g.limit || (skip > 0 && (at & 0xfff) === 0) ||
      g.labelOf.has(next) ||
      g.visited.has(next) || (g.bytes[at] & 0xf0) !== 0x40
    ) return false;
  }
  return false;
}

/**
 * IMUL of the expressions `a` and `b` (two or three operands) into `lr`,
 * with the flags muldiv.ts's `imul2` leaves: the shift kind, CF and OF (in
 * `lb`) set when the signed product does not fit.
 */
function imulCode(g: Gen, size: number, a: string, b: string): void {
  if (size === 2) {
    g.emit(`t = (((${a}) << 16) >> 16) * (((${b}) << 16) >> 16); lr = t & 0xffff;`);
    g.emit(`lb = t !== ((lr << 16) >> 16) ? 0x801 : 0;`);
  } else {
    // As imul2: the double product differs from the low half exactly when it overflows.
    g.emit(
      `t = Math.imul(${a}, ${b}); lr = t >>> 0; lb = ((${a}) | 0) * ((${b}) | 0) !== t ? 0x801 : 0;`,
    );
  }
  g.setFlags(Lazy.SHIFT, size, true);
}

/** SHL (4, 6), SHR (5) or SAR (7) of `v` by a count of 1-31: result in lr, CF|OF in lb. */
function shiftByConstant(g: Gen, op: number, n: number, size: number): void {
  const bits = size * 8;
  if (op === 5) { // SHR: OF is the operand's top bit
    const of = `(((v >>> ${bits - 1}) & 1) << ${OF_BIT})`;
    if (n > bits) g.emit(`lr = 0; lb = ${of};`);
    else if (n === bits) g.emit(`lr = 0; lb = ((v >>> ${n - 1}) & 1) | ${of};`);
    else g.emit(`lr = v >>> ${n}; lb = ((v >>> ${n - 1}) & 1) | ${of};`);
  } else if (op === 7) { // SAR: OF clear
    const sx = size === 4 ? "(v | 0)" : `((v << ${32 - bits}) >> ${32 - bits})`;
    if (n >= bits) g.emit(`t = ${sx}; lr = t < 0 ? ${MASK[size]} : 0; lb = t < 0 ? 1 : 0;`);
    else g.emit(`t = ${sx}; lr = ${wrap(`t >> ${n}`, size)}; lb = (t >> ${n - 1}) & 1;`);
  } else { // SHL/SAL: OF is the result's top bit XOR CF
    if (n > bits) g.emit(`lr = 0; lb = 0;`);
    else if (n === bits) g.emit(`lr = 0; lb = (v & 1) | ((v & 1) << ${OF_BIT});`);
    else {
      g.emit(`lr = ${wrap(`v << ${n}`, size)}; lb = (v >>> ${bits - n}) & 1;`);
      g.emit(`lb |= (((lr >>> ${bits - 1}) & 1) ^ lb) << ${OF_BIT};`);
    }
  }
  g.setFlags(Lazy.SHIFT, size, true);
}

/**
 * PUSH of the local `val` (2 or 4 bytes): store first, so a fault leaves SP
 * as it was. A store that must end the block (MMIO, code) leaves it at
 * `next` (CALL: its target).
 */
function push(g: Gen, size: number, val: string, next: number | string = g.wrapIp(g.ip)): void {
  const sw = stackWidth(g);
  g.emit(`sp = ${wrap(`${g.reg(sw, ESP)} - ${size}`, sw)};`);
  g.store(size, { off: "sp", seg: SS }, val);
  g.emit(g.setReg(sw, ESP, "sp"));
  afterStore(g, next);
}

/** POP into the local `dst`; `check` runs on the value before the stack pointer moves. */
function pop(g: Gen, size: number, dst: string, check = ""): void {
  const sw = stackWidth(g);
  g.emit(`sp = ${g.reg(sw, ESP)};`);
  g.load(size, { off: "sp", seg: SS }, dst);
  if (check !== "") g.emit(check);
  g.emit(g.setReg(sw, ESP, wrap(`sp + ${size}`, sw)));
}

/** The stack pointer's width: ESP with SS.B, else SP. */
function stackWidth(g: Gen): number {
  return g.c.ss32 ? 4 : 2;
}
