/**
 * The execution loop: runs instructions until one of them stops the run, and
 * turns faults into exceptions through the IVT and aborted instructions into
 * waits for the caller. Hot code runs as translated blocks (blocks.ts); the
 * interpreter takes the rest, one instruction at a time.
 *
 * @module
 */

import { type BlockEntry, REGROW_AFTER } from "./blocks.ts";
import { type Cpu, CpuFault, ESP, Stop } from "./cpu.ts";
import { step } from "./exec.ts";
import { TF } from "./flags.ts";
import { ABORT } from "./memory.ts";
import { codeAddress, setFastLimits } from "./pmem.ts";

/** The longest x86 instruction: an IP that moved on by at most this much fell through. */
const MAX_INSTRUCTION_BYTES = 15;

/** Runs at most `n` instructions (REP iterations count one each); returns a {@link Stop} reason. */
export function execute(c: Cpu, n: number): number {
  const m = c.m;
  c.stop = Stop.NONE;
  c.refresh();
  // The budget ends at this count: a fault inside a translated block retires the
  // instructions before it and itself, whatever the block had left to do.
  const end = c.instructions + n;
  while (n > 0) {
    try {
      if (m.fillAddr.length !== 0 || (c.rawFlags & TF) !== 0) {
        // Careful path: MMIO values for a retried instruction, or single-stepping.
        if (c.breakpoints !== null && atBreakpoint(c)) return finish(c);
        n--;
        c.insStart = c.ip;
        c.savedSp = c.r32[ESP];
        m.fillIdx = 0;
        const trap = c.rawFlags & TF;
        step(c);
        c.instructions++;
        m.clearFills();
        if (c.stop === Stop.FAULT) {
          if (raised(c)) return finish(c);
          n = end - c.instructions;
          continue;
        }
        if (trap !== 0 && !c.repPending) c.exception(1);
        if (c.stop === Stop.RECHECK) c.stop = Stop.NONE;
        if (c.stop !== Stop.NONE) return finish(c);
        continue;
      }
      if (runSlice(c, n)) return finish(c);
    } catch (e) {
      c.repBudget = 0; // a REP batch cut short: its iterations so far are counted
      if (e === ABORT) return aborted(c);
      if (!(e instanceof CpuFault)) throw e;
      c.instructions++;
      c.faultVector = e.vector;
      c.faultCode = e.code;
      if (raised(c)) return finish(c);
    }
    n = end - c.instructions;
  }
  return sliceEnd(c);
}

/**
 * The usual path of `execute`: translated blocks and the interpreter, until
 * the budget `n` is spent (false), a stop or breakpoint ends the run (true),
 * or a fault or a recheck sends control back to `execute` (false). Its own
 * function, not a loop inside `execute`'s: V8 optimizes a hot inner loop on
 * the stack, and leaving such a loop (for the outer one's next turn, or to
 * its catch) throws that code away, which happened hundreds of times a boot.
 */
function runSlice(c: Cpu, n: number): boolean {
  const blocks = c.blocks;
  // The block that just ran: its exit may be chained to the next block (no lookup).
  let prev: BlockEntry | null = null;
  // Instructions the interpreter ran in a row by falling through (or jumping a few bytes
  // on) since control last arrived somewhere else (a branch target, a block's exit, the
  // slice's start). Blocks are looked up at the arrival and the instruction after it (where
  // a block resumes after one it cannot translate, and again after each further one), not
  // in the straight-line code beyond: cold code costs no lookup per instruction and blocks
  // start where code is entered.
  let fell = 0;
  // The next lookup is of code straight after a block's end (see `BlockCache.lookup`).
  let continuing = false;
  while (n > 0) {
    if (c.breakpoints !== null && atBreakpoint(c)) return true;
    if (fell > 1 && blocks !== null) {
      // Straight-line code is only marked as run: traces follow code that has run.
      const phys = blockAddress(c);
      if (phys >= 0) blocks.touch(phys);
    } else if (blocks !== null && n >= blocks.maxInstructions) {
      // (With less budget than a block may need, the interpreter finishes the slice: looking
      // blocks up there would translate code at every instruction without running it.)
      const link: number = prev === null ? -1 : c.exitLink;
      // The block this exit was chained to, while it may run (see BlockCache.chained), or
      // the one its last computed jump went to, if this one goes there too.
      let b: BlockEntry | undefined = link >= 0
        ? blocks.chained(prev!, link)
        : prev === null
        ? undefined
        : blocks.recentTarget(prev);
      if (b !== undefined) {
        if (link < 0) blocks.computedExit(prev!, b);
        else if (++prev!.exits === REGROW_AFTER) blocks.regrow(prev!);
        if (b.run === null) b = undefined; // it was `prev` itself
      }
      if (b === undefined) {
        const phys = blockAddress(c);
        const straight: boolean = continuing || (link >= 0 && prev!.continues[link]);
        const found: BlockEntry | null = phys < 0 ? null : blocks.lookup(phys, straight);
        continuing = false;
        if (blocks.refused) {
          blocks.refused = false;
          fell = -1; // the instruction after this one is looked up as an arrival
          continuing = straight; // (and goes on from the block, when this one did)
        }
        if (found !== null) {
          if (link >= 0) blocks.link(prev!, link, found);
          else if (prev !== null) blocks.computedExit(prev, found); // may drop `found` too
          if (found.run !== null) b = found;
        }
      }
      if (b !== undefined && b.count <= n) {
        if (prev === null && c.pe) setFastLimits(c); // a segment may have been loaded
        n -= b.run!(c, n, b.label);
        if (c.stop !== Stop.NONE) {
          if (c.stop !== Stop.RECHECK) return true;
          c.stop = Stop.NONE;
          return false;
        }
        prev = b;
        fell = 0;
        continue;
      }
    }
    prev = null;
    n--;
    c.insStart = c.ip;
    c.savedSp = c.r32[ESP];
    // A REP string instruction may run its next iterations in this step (not under a
    // debugger, which may stop between them).
    c.repBudget = c.breakpoints === null ? n : 0;
    step(c);
    n = c.repBudget;
    c.repBudget = 0;
    c.instructions++;
    const moved = c.ip - c.insStart;
    if (moved > 0 && moved <= MAX_INSTRUCTION_BYTES) fell++;
    else fell = 0, continuing = false;
    if (c.stop !== Stop.NONE) {
      if (c.stop === Stop.FAULT) return raised(c);
      if (c.stop !== Stop.RECHECK) return true;
      c.stop = Stop.NONE;
      return false;
    }
  }
  return false;
}

/**
 * The physical address blocks of the next instruction are keyed by, or -1
 * where none may run (virtual-8086 code is interpreted: its segments are
 * real mode's, under paging; see `codeAddress`).
 */
function blockAddress(c: Cpu): number {
  const lin = c.csBase + c.ip;
  return lin < c.fastFetch ? lin : c.pmode ? codeAddress(c) : -1;
}

/** The next instruction is at a breakpoint (other than the one a resumed run starts on). */
function atBreakpoint(c: Cpu): boolean {
  const lin = c.csBase + c.ip;
  if (!c.breakpoints!.has(lin)) return false;
  const resume = c.breakpointResume;
  if (resume.linear === lin && resume.instructions === c.instructions) return false;
  c.stop = Stop.BREAKPOINT;
  return true;
}

/**
 * The instruction just counted raised exception `c.faultVector` (thrown or
 * by `Cpu.raise`): undoes it and delivers the exception. True when the run
 * must stop (a triple fault, an MMIO access while delivering, a cut OUTS batch).
 */
function raised(c: Cpu): boolean {
  c.ip = c.insStart;
  c.r32[ESP] = c.savedSp;
  c.repPending = false;
  c.m.clearFills();
  c.ioFillPos = c.ioFillEnd = 0; // data for a faulting IN/INS is moot
  c.stop = Stop.NONE;
  try {
    c.exception(c.faultVector, c.faultCode);
  } catch (e) {
    if (e === ABORT) {
      aborted(c);
      return true;
    }
    throw e;
  }
  if (mustStop(c)) return true;
  c.stop = Stop.NONE;
  return false;
}

// Kept out of `execute` so that its first use does not deoptimize the hot loop.
function sliceEnd(c: Cpu): number {
  return c.ioWrite && c.ioCount > 0 ? Stop.IO : Stop.SLICE; // an OUTS batch cut by the slice
}

/** After an exception: a stop, or an OUTS batch cut short by the fault, ends the run. */
function mustStop(c: Cpu): boolean {
  return (c.stop !== Stop.NONE && c.stop !== Stop.RECHECK) || (c.ioWrite && c.ioCount > 0);
}

function finish(c: Cpu): number {
  if (c.ioWrite && c.ioCount > 0) c.stop = Stop.IO;
  return c.stop;
}

/** The instruction waits for the caller: undo what it did and say why. */
function aborted(c: Cpu): number {
  const m = c.m;
  c.ip = c.insStart;
  c.r32[ESP] = c.savedSp;
  m.writes.length = 0;
  // Values already used by this attempt stay; the retry consumes them again in order.
  const keep = m.fillIdx;
  m.fillAddr.length = keep;
  m.fillLen.length = keep;
  m.fillValue.length = keep;
  m.fillIdx = 0;
  const fatal = c.stop === Stop.FETCH_OUTSIDE_RAM;
  if (c.ioWrite && c.ioCount > 0 && !fatal) {
    // A REP OUTS batch is waiting: send it first, the read comes again on retry.
    m.readPending = false;
    c.stop = Stop.IO;
  } else if (m.readPending) c.stop = Stop.MMIO_READ;
  return c.stop;
}
