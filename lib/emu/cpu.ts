/**
 * The software CPU's architectural state and the primitives every
 * instruction uses: registers, segment-relative memory access with real-mode
 * wrap and limit rules, the stack, ModRM decoding, exceptions and delivery
 * through the real-mode IVT. Instruction semantics live in exec.ts and its
 * helpers; this file has no opcode switch, so a block translator can reuse it.
 *
 * @module
 */

import { ABORT, type PhysMemory } from "./memory.ts";
import type { BlockCache } from "./blocks.ts";
import type { PortOutHook } from "../vcpu/contract.ts";
import { AF, ARITH, CF, IF, OF, PF, SF, szp, TF, VM, ZF } from "./flags.ts";
import { Tlb } from "./paging.ts";
import { pmFetch, pmRead, pmWrite, probeWrite } from "./pmem.ts";
import { loadSegment, pmDeliver, pmException } from "./protected.ts";
import { X87 } from "./x87.ts";

/** Segment register numbers, in the x86 encoding order. */
export const ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
/** General register numbers, in the x86 encoding order. */
export const EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;

/** Why `execute` stopped. */
export const Stop = {
  NONE: 0,
  /** Port I/O: see `io*` fields. */
  IO: 1,
  /** An MMIO read needs a value: see `m.readAddr`. */
  MMIO_READ: 2,
  /** MMIO writes are queued in `m.writes`. */
  MMIO_WRITE: 3,
  HLT: 4,
  /** Triple fault. */
  SHUTDOWN: 5,
  /** The instruction budget ran out. */
  SLICE: 7,
  /** Internal: TF was set, leave the fast loop (never returned by `execute`). */
  RECHECK: 8,
  /** IF went on while `watchIf` was set (the caller waits for an interrupt window). */
  IF_ON: 9,
  /** The next instruction byte is not in RAM (device memory or nothing): KVM cannot run it either. */
  FETCH_OUTSIDE_RAM: 10,
  /** The host completed an OUT or MMIO write and asked for the run to end after it (an `intr` exit). */
  YIELD: 11,
  /** The next instruction starts at an address in `breakpoints` (it was not executed). */
  BREAKPOINT: 20,
  /** `xchg bx, bx` ran while `magicBreak` was set (the Bochs magic breakpoint). */
  MAGIC: 21,
  /**
   * Internal: the instruction raised exception `faultVector` and returned at
   * once (see `Cpu.raise`); never returned by `execute`.
   */
  FAULT: 12,
} as const;

/** Kinds of lazily evaluated flag results. */
export const Lazy = {
  NONE: 0,
  ADD: 1,
  SUB: 2,
  LOGIC: 3,
  INC: 4,
  DEC: 5,
  /** ADC/SBB: `lc` holds the carry that went in. */
  ADC: 6,
  SBB: 7,
  /** SHL/SHR/SAR: `lb` holds the CF and OF bits, AF is clear. */
  SHIFT: 8,
} as const;

/** A guest exception raised while executing an instruction; `code` is its error code, or -1. */
export class CpuFault {
  constructor(readonly vector: number, readonly code: number = -1) {}
}

/** Byte-register index into the register file's bytes: AL CL DL BL AH CH DH BH. */
const REG8 = new Uint8Array([0, 4, 8, 12, 1, 5, 9, 13]);

/** The CPU models the software CPU can be. */
export type CpuModel = "8086" | "386";

/** Architectural state and the shared primitives of the software CPU. */
export class Cpu {
  /** The 8086 model (SingleStepTests-exact) rather than the 386+ real-mode model. */
  readonly is8086: boolean;
  readonly m: PhysMemory;
  /** General registers EAX..EDI. */
  readonly r32: Uint32Array = new Uint32Array(8);
  /** The same registers as words: register i is r16[i << 1]. */
  readonly r16: Uint16Array = new Uint16Array(this.r32.buffer);
  /** The same registers as bytes. */
  readonly r8: Uint8Array = new Uint8Array(this.r32.buffer);
  /** Instruction pointer (16-bit in real mode). */
  ip = 0;
  /**
   * FLAGS/EFLAGS as stored; while `lop` is not 0 its arithmetic bits are
   * stale and the last ALU operation (lop, la, lb, lr, lsize) defines them.
   */
  rawFlags = 2;
  /** Lazy flags: the kind of the last flag-setting operation ({@link Lazy}), 0 when none. */
  lop = 0;
  /** Its operands, result (unsigned) and size in bytes. */
  la = 0;
  lb = 0;
  lr = 0;
  lsize = 1;
  /** The carry into a lazy ADC/SBB. */
  lc = 0;
  /** Segment selectors and the hidden cache (base, limit, attribute bytes as in kvm_segment). */
  readonly sel: Uint16Array = new Uint16Array(6);
  readonly base: Uint32Array = new Uint32Array(6);
  readonly limit: Uint32Array = new Uint32Array(6).fill(0xffff);
  readonly attrs: Uint8Array = new Uint8Array(8 * 9);
  cr0 = 0x60000010;
  cr2 = 0;
  cr3 = 0;
  cr4 = 0;
  /** PAE's four PDPTEs as loaded from CR3 (low, high dword each; paging.ts `loadPdptes`). */
  readonly pdpte: Uint32Array = new Uint32Array(8);
  readonly dr: Uint32Array = new Uint32Array(8);
  /** The x87 (386 model), or null: the 8086 model has none, and a CPU may be built without (x87-exec.ts). */
  fpu: X87 | null;
  gdtBase = 0;
  gdtLimit = 0xffff;
  idtBase = 0;
  idtLimit = 0x3ff;
  /** Raw copies of TR and LDTR from setSregs (unused in real mode, returned as given). */
  readonly trLdt: Uint8Array = new Uint8Array(48);
  efer = 0;
  apicBase = 0;
  /** IA32_SYSENTER_CS, _ESP and _EIP (MSRs 0x174-0x176): SYSENTER/SYSEXIT's targets (protected.ts). */
  sysenterCs = 0;
  sysenterEsp = 0;
  sysenterEip = 0;
  /** Added to the retired-instruction count to give the TSC (WRMSR 0x10 moves it). */
  tscOffset = 0;

  // Mode (see mode.ts `updateMode`): derived from CR0 and the CS/SS caches.
  /** Protected mode (CR0.PE): descriptors, privilege checks, the checked memory path. */
  pe = false;
  /** Paging (CR0.PG): linear addresses go through the TLB and the page walk. */
  pg = false;
  /** Virtual-8086 mode (EFLAGS.VM in protected mode): real-mode segments, CPL 3, paging. */
  vm = false;
  /** Protected mode proper (PE without VM): segments and far transfers go through descriptors. */
  pmode = false;
  /** Current privilege level (0 outside protected mode, 3 in virtual-8086 mode). */
  cpl = 0;
  /** CS.D in protected mode: 32-bit default operand and address size, 32-bit EIP. */
  def32 = false;
  /** SS.B in protected mode: the stack pointer is ESP. */
  ss32 = false;
  /** The mode as translations are keyed by it (see mode.ts); 0 in real mode. */
  modeKey = 0;
  /** Linear-to-physical translations of the paging unit. */
  readonly tlb: Tlb = new Tlb();
  /** The linear page whose RAM the fetch cache points at (-1 none), and its offset in `ram`. */
  fetchPage = -1;
  fetchHost = 0;

  // Fast path: RAM at physical 0 below min(slot size, 1 MiB), where no address
  // wrap or A20 masking can apply. Refreshed by `refresh()` at each run.
  /** The RAM slot at 0. */
  ram: Uint8Array = new Uint8Array(0);
  /** Physical addresses below this are readable straight from `ram`. */
  fastR = 0;
  /** Physical addresses below this are writable straight into `ram`. */
  fastW = 0;
  /** `fastR` when CS covers all of 0..0xFFFF, else 0 (instruction fetch fast path). */
  fastFetch = 0;
  /** CS base as a plain field for instruction fetch (kept equal to `base[CS]`). */
  csBase = 0;
  /** `PhysMemory.layoutVersion` the TLB, translations and code map were made for. */
  #layout = -1;
  /**
   * One byte per 256-byte page of the RAM at 0: not 0 where translated code
   * lives (or within 3 bytes below it), so stores there take the slow path.
   * Grown with the RAM by `refresh()` (translations hold it, so it only grows).
   */
  codePages: Uint8Array = new Uint8Array(0x100000 >> 8);
  /**
   * Each segment's fast limit for reads and writes (pmem.ts `fastLimit`), as
   * translated protected-mode code reads them: set by the engine before a
   * block runs after anything but another block (only the interpreter and
   * the run's start can have loaded a segment since).
   */
  readonly fastLimR: Float64Array = new Float64Array(6);
  readonly fastLimW: Float64Array = new Float64Array(6);
  /** The exit a translated block left by: its link number, -1 for a computed target. */
  exitLink = -1;
  /** A store just overwrote translated code (the running block must end). */
  codeChanged = false;
  /** Completes OUTs without an exit where the host can (see `PortOutHook`). */
  portOutHook: PortOutHook | null = null;
  /** The translated blocks, or null when the CPU only interprets. */
  blocks: BlockCache | null = null;
  /**
   * Linear addresses the run stops in front of (a debugger's breakpoints), or
   * null. Blocks are not translated over them; call `blocks.flush()` after a change.
   */
  breakpoints: Set<number> | null = null;
  /** A run resumed from a breakpoint: the instruction at this linear address and count runs. */
  breakpointResume = { linear: -1, instructions: -1 };
  /** `xchg bx, bx` stops the run after it (with {@link Stop.MAGIC}). */
  magicBreak = false;
  /** Counts committed task switches (a fault after one is not undone: see tasks.ts). */
  taskSwitches = 0;
  /** Told of every delivery through the IVT (exceptions, INT n, IRQs) before it happens. */
  onDeliver: ((vector: number) => void) | null = null;

  // Decoder state of the instruction being executed.
  /** 32-bit operand size (66 prefix in real mode). */
  o32 = false;
  /** 32-bit address size (67 prefix in real mode). */
  a32 = false;
  /** Segment override, or -1. */
  segOvr = -1;
  /** 0, 0xF2 (REPNE) or 0xF3 (REP/REPE). */
  rep = 0;
  /** A LOCK prefix (386 model: #UD unless the instruction may take it). */
  lock = false;
  /** The last instruction had prefixes (the four fields above need resetting). */
  prefixed = false;
  mod = 0;
  reg = 0;
  rm = 0;
  eaSeg = DS;
  eaOff = 0;

  // Execution control.
  /** IP and ESP at the start of the current instruction (restored when it faults or waits). */
  insStart = 0;
  savedSp = 0;
  /** Where a fetch left RAM (with `Stop.FETCH_OUTSIDE_RAM`). */
  fetchAddress = 0;
  /** Stop reason set by the current instruction (see {@link Stop}). */
  stop = 0;
  /** The exception of a {@link Stop.FAULT} stop. */
  faultVector = 0;
  /** The error code that goes with {@link faultVector} (-1: none). */
  faultCode = -1;
  /** Retired instructions; each REP iteration counts as one. */
  instructions = 0;
  /** Interrupts are inhibited until `instructions` reaches this (STI, MOV SS, POP SS shadow). */
  shadowUntil = 0;
  /**
   * More REP iterations the current step may run (the run's budget after
   * it); the engine sets it on its fast path and takes back what is left.
   */
  repBudget = 0;
  /** The last step ended inside a REP string instruction (IP points at it again). */
  repPending = false;
  /** Stop with {@link Stop.IF_ON} when an instruction sets IF (interrupt window wait). */
  watchIf = false;

  // Port I/O of the current exit.
  ioWrite = false;
  ioPort = 0;
  ioSize = 1;
  ioCount = 0;
  /** OUT data, or IN data supplied by the caller. */
  readonly ioBuf: Uint8Array = new Uint8Array(4096);
  /** IN data available to the retried instruction: ioFillPos..ioFillEnd of ioBuf. */
  ioFillPos = 0;
  ioFillEnd = 0;
  ioFillPort = -1;
  ioFillSize = 0;

  constructor(model: CpuModel, memory: PhysMemory) {
    this.is8086 = model === "8086";
    this.fpu = this.is8086 ? null : new X87();
    this.m = memory;
    memory.owner = this;
    for (let s = 0; s < 6; s++) this.setAttrs(s, s === CS ? 0xb : 0x3);
    if (this.is8086) memory.addrMask = 0xfffff;
  }

  /** Re-reads the memory layout and CS limit for the fast paths (call before executing). */
  refresh(): void {
    const m = this.m;
    this.ram = m.ram;
    this.fetchPage = -1;
    this.csBase = this.base[CS];
    if (m.layoutVersion !== this.#layout) {
      // New RAM: TLB entries say which pages are RAM, translations hold the arrays.
      this.#layout = m.layoutVersion;
      this.tlb.flush();
      this.blocks?.flush();
      const top = Math.max(m.ramWLen, m.flat.length);
      if (top > this.codePages.length << 8) this.growCodePages(top);
    }
    if (this.pe) {
      // The interpreter takes the checked path (pmem.ts) for every access; translated
      // code checks segments and the TLB itself (see translate.ts `fastAddress`).
      this.fastR = this.fastW = this.fastFetch = 0;
      return;
    }
    this.fastR = Math.min(m.ramLen, 0x100000);
    this.fastW = Math.min(m.ramWLen, 0x100000);
    this.fastFetch = this.limit[CS] >= 0xffff ? this.fastR : 0;
  }

  /** Covers RAM up to `bytes` with the code map; translations made with the old map are dropped. */
  private growCodePages(bytes: number): void {
    this.blocks?.flush();
    const next = new Uint8Array(Math.ceil(bytes / 256));
    next.set(this.codePages);
    this.codePages = next;
  }

  /** Sets a segment's attribute bytes to a present real-mode code/data segment. */
  setAttrs(s: number, type: number): void {
    const a = s * 9;
    this.attrs.set([type, 1, 0, 0, 1, 0, 0, 0, 0], a);
  }

  // --- registers ---------------------------------------------------------

  /** Reads byte register 0..7 (AL CL DL BL AH CH DH BH). */
  get8(i: number): number {
    return this.r8[REG8[i]];
  }
  /** Writes byte register i. */
  set8(i: number, v: number): void {
    this.r8[REG8[i]] = v;
  }
  /** Reads a register of `size` bytes. */
  getReg(size: number, i: number): number {
    return size === 1 ? this.r8[REG8[i]] : size === 2 ? this.r16[i << 1] : this.r32[i];
  }
  /** Writes a register of `size` bytes (a 16-bit write keeps the upper half). */
  setReg(size: number, i: number, v: number): void {
    if (size === 1) this.r8[REG8[i]] = v;
    else if (size === 2) this.r16[i << 1] = v;
    else this.r32[i] = v;
  }

  /** FLAGS with the arithmetic bits up to date (bit 1 set; see `readFlags` for software's view). */
  get flags(): number {
    if (this.lop !== 0) this.materialize();
    return this.rawFlags;
  }
  /** Sets FLAGS outright (any pending lazy result is dropped). */
  set flags(v: number) {
    this.rawFlags = v;
    this.lop = 0;
  }

  /** Computes the arithmetic flags of the pending lazy operation into `rawFlags`. */
  materialize(): void {
    const a = this.la, b = this.lb, r = this.lr, size = this.lsize;
    const sign = size === 1 ? 0x80 : size === 2 ? 0x8000 : 0x80000000;
    let f = szp(r, size);
    let keep = 0;
    switch (this.lop) {
      case Lazy.ADD:
        f |= (r < a ? CF : 0) | ((a ^ b ^ r) & AF) | (((a ^ r) & (b ^ r) & sign) !== 0 ? OF : 0);
        break;
      case Lazy.SUB:
        f |= (a < b ? CF : 0) | ((a ^ b ^ r) & AF) | (((a ^ b) & (a ^ r) & sign) !== 0 ? OF : 0);
        break;
      case Lazy.INC:
        f |= ((r & 0xf) === 0 ? AF : 0) | (r === sign ? OF : 0);
        keep = CF;
        break;
      case Lazy.DEC:
        f |= ((a & 0xf) === 0 ? AF : 0) | (a === sign ? OF : 0);
        keep = CF;
        break;
      case Lazy.ADC:
        f |= (r < a || (this.lc !== 0 && r === a) ? CF : 0) | ((a ^ b ^ r) & AF) |
          (((a ^ r) & (b ^ r) & sign) !== 0 ? OF : 0);
        break;
      case Lazy.SBB:
        f |= (a < b || (this.lc !== 0 && a === b) ? CF : 0) | ((a ^ b ^ r) & AF) |
          (((a ^ b) & (a ^ r) & sign) !== 0 ? OF : 0);
        break;
      case Lazy.SHIFT:
        f |= b & (CF | OF);
        break;
      default: // logic: CF, OF, AF clear
    }
    this.rawFlags = (this.rawFlags & ~(ARITH & ~keep)) | f;
    this.lop = 0;
  }

  /** CF alone, without materializing everything. */
  cf(): number {
    switch (this.lop) {
      case 0:
      case Lazy.INC:
      case Lazy.DEC:
        return this.rawFlags & CF;
      case Lazy.ADD:
        return this.lr < this.la ? CF : 0;
      case Lazy.SUB:
        return this.la < this.lb ? CF : 0;
      case Lazy.ADC:
        return this.lr < this.la || (this.lc !== 0 && this.lr === this.la) ? CF : 0;
      case Lazy.SBB:
        return this.la < this.lb || (this.lc !== 0 && this.la === this.lb) ? CF : 0;
      case Lazy.SHIFT:
        return this.lb & CF;
      default:
        return 0;
    }
  }

  /**
   * Makes an operation of lazy kind `op` on `size`-byte operands `a`, `b`
   * with result `r` (and `lc`, the carry into ADC/SBB) the pending one whose
   * flags are computed when something reads them. Not for INC/DEC, whose
   * kept CF lives in `rawFlags`.
   */
  setLazy(op: number, size: number, a: number, b: number, r: number, lc: number): void {
    this.lop = op;
    this.la = a;
    this.lb = b;
    this.lr = r;
    this.lc = lc;
    this.lsize = size;
  }

  /**
   * `setLazy` for flags a translated block leaves in its locals when it
   * exits (`op` 0: they are here already): INC/DEC too, whose carry `lc`
   * (the CF they keep) goes to `rawFlags`.
   */
  setBlockFlags(op: number, size: number, a: number, b: number, r: number, lc: number): void {
    if (op === 0) return;
    if (op === Lazy.INC || op === Lazy.DEC) this.rawFlags = (this.rawFlags & ~CF) | lc;
    this.setLazy(op, size, a, b, r, lc);
  }

  /** FLAGS as software sees them (PUSHF, interrupts, getRegs). */
  readFlags(): number {
    return this.is8086 ? (this.flags & 0x0fd7) | 0xf002 : (this.flags & 0x277fd7) | 2;
  }
  /** Loads FLAGS from software (POPF, IRET, setRegs); `dword` for POPFD. VM is never changed here. */
  writeFlags(v: number, dword: boolean): void {
    if (this.cpl !== 0) {
      // Protected mode: IOPL changes only at CPL 0, IF only at CPL <= IOPL.
      const cur = this.flags;
      const keep = 0x3000 | (this.cpl > ((cur >> 12) & 3) ? IF : 0);
      v = (v & ~keep) | (cur & keep);
    }
    if (this.is8086) this.flags = (v & 0x0fd5) | 2;
    else if (dword) this.flags = (v & 0x257fd5) | (this.rawFlags & VM) | 2;
    else this.flags = (this.flags & 0xffff0000) | (v & 0x7fd5) | 2;
    this.noteIfOn();
    // Single-stepping needs the careful loop.
    if ((v & TF) !== 0 && this.stop === Stop.NONE) this.stop = Stop.RECHECK;
  }

  /** Ends the run after this instruction when IF is on and a window is awaited. */
  noteIfOn(): void {
    if (this.watchIf && (this.rawFlags & IF) !== 0 && this.stop === Stop.NONE) {
      this.stop = Stop.IF_ON;
    }
  }

  /**
   * Loads a segment register the real-mode way: base = selector << 4, cache
   * otherwise kept (virtual-8086 mode's caches were set on entering it).
   */
  loadSeg(s: number, v: number): void {
    if (this.pmode) return loadSegment(this, s, v);
    this.sel[s] = v;
    this.base[s] = v << 4;
    if (s === CS) this.csBase = v << 4;
  }

  // --- memory ------------------------------------------------------------

  /** Raises the limit fault for a segment (#SS for the stack, #GP otherwise). */
  limitFault(s: number): never {
    throw new CpuFault(s === SS ? 12 : 13, this.pe ? 0 : -1);
  }

  /** Physical address of seg:off (no limit check). */
  phys(s: number, off: number): number {
    return ((this.base[s] + off) & this.m.addrMask) >>> 0;
  }

  /** Reads a byte at seg:off (limit-checked on the 386 model). */
  read8(s: number, off: number): number {
    const a = this.base[s] + off;
    if (a < this.fastR && off <= this.limit[s]) return this.ram[a];
    if (this.pe) return pmRead(this, s, off, 1);
    if (off > this.limit[s]) this.limitFault(s);
    return this.m.rd8((a & this.m.addrMask) >>> 0);
  }
  /** Reads a word at seg:off (wraps in the segment on the 8086, faults past the limit on the 386). */
  read16(s: number, off: number): number {
    const a = this.base[s] + off;
    if (off >= this.limit[s]) return this.read16Edge(s, off);
    if (a + 1 < this.fastR) return this.ram[a] | (this.ram[a + 1] << 8);
    if (this.pe) return pmRead(this, s, off, 2);
    return this.m.rd16((a & this.m.addrMask) >>> 0);
  }
  /** Reads a dword at seg:off. */
  read32(s: number, off: number): number {
    if (this.pe) return pmRead(this, s, off, 4);
    if (off + 3 > this.limit[s]) return this.read32Edge(s, off);
    return this.m.rd32(((this.base[s] + off) & this.m.addrMask) >>> 0);
  }
  /** Writes a byte at seg:off. */
  write8(s: number, off: number, v: number): void {
    const a = this.base[s] + off;
    if (a < this.fastW && off <= this.limit[s] && this.codePages[a >> 8] === 0) {
      this.ram[a] = v;
      return;
    }
    if (this.pe) return pmWrite(this, s, off, 1, v);
    if (off > this.limit[s]) this.limitFault(s);
    const p = (a & this.m.addrMask) >>> 0;
    this.noteStore(p, 1);
    this.m.wr8(p, v);
  }
  /** Writes a word at seg:off. */
  write16(s: number, off: number, v: number): void {
    const a = this.base[s] + off;
    if (off >= this.limit[s]) return this.write16Edge(s, off, v);
    if (a + 1 < this.fastW && this.codePages[a >> 8] === 0) {
      this.ram[a] = v;
      this.ram[a + 1] = v >> 8;
      return;
    }
    if (this.pe) return pmWrite(this, s, off, 2, v);
    const p = (a & this.m.addrMask) >>> 0;
    this.noteStore(p, 2);
    this.m.wr16(p, v);
  }
  /** Writes a dword at seg:off. */
  write32(s: number, off: number, v: number): void {
    if (this.pe) return pmWrite(this, s, off, 4, v);
    if (off + 3 > this.limit[s]) return this.write32Edge(s, off, v);
    const p = ((this.base[s] + off) & this.m.addrMask) >>> 0;
    this.noteStore(p, 4);
    this.m.wr32(p, v);
  }
  /** Before a store to physical `p`: drops translations of the bytes it overwrites. */
  noteStore(p: number, len: number): void {
    // p / 256: PAE's addresses may pass 32 bits (no code there; `>>` would wrap them onto RAM).
    if (this.codePages[(p / 256) | 0] === 1 && this.blocks !== null) {
      if (this.blocks.invalidate(p, len)) this.codeChanged = true;
    }
  }
  /** Reads `size` bytes at seg:off. */
  readN(size: number, s: number, off: number): number {
    return size === 1 ? this.read8(s, off) : size === 2 ? this.read16(s, off) : this.read32(s, off);
  }
  /**
   * Reads the memory operand of a read-modify-write instruction: in
   * protected mode the write is checked too (segment and page rights, the
   * dirty bit set) before anything is computed, so the store cannot fault
   * after the instruction changed flags or registers (translated code,
   * which keeps those in locals until the end of the instruction).
   */
  readRmw(size: number, s: number, off: number): number {
    const v = this.readN(size, s, off);
    if (this.pe) probeWrite(this, s, off, size);
    return v;
  }
  /** Checks that `size` bytes at seg:off could be written (protected mode; see `readRmw`). */
  probeWriteN(size: number, s: number, off: number): void {
    if (this.pe) probeWrite(this, s, off, size);
  }
  /** Writes `size` bytes at seg:off. */
  writeN(size: number, s: number, off: number, v: number): void {
    if (size === 1) this.write8(s, off, v);
    else if (size === 2) this.write16(s, off, v);
    else this.write32(s, off, v);
  }

  // The 8086 wraps a word at offset 0xFFFF within the segment; the 386 faults.
  private read16Edge(s: number, off: number): number {
    if (this.pe) return pmRead(this, s, off, 2);
    if (!this.is8086) this.limitFault(s);
    return this.read8(s, off) | (this.read8(s, (off + 1) & 0xffff) << 8);
  }
  private write16Edge(s: number, off: number, v: number): void {
    if (this.pe) return pmWrite(this, s, off, 2, v);
    if (!this.is8086) this.limitFault(s);
    this.write8(s, off, v & 0xff);
    this.write8(s, (off + 1) & 0xffff, (v >> 8) & 0xff);
  }
  private read32Edge(s: number, off: number): number {
    if (!this.is8086) this.limitFault(s);
    return (this.read16(s, off) | (this.read16(s, (off + 2) & 0xffff) << 16)) >>> 0;
  }
  private write32Edge(s: number, off: number, v: number): void {
    if (!this.is8086) this.limitFault(s);
    this.write16(s, off, v & 0xffff);
    this.write16(s, (off + 2) & 0xffff, v >>> 16);
  }

  // --- instruction stream -------------------------------------------------

  /**
   * Fetches the next instruction byte at CS:IP: in real mode from `ram`
   * below `fastFetch`; in protected mode from the code page the last fetch
   * outside it cached (`fetchPage`, in `flat` at `fetchHost`), inside the
   * CS limit; else through `pmFetch`, which checks, walks and caches.
   */
  fetch8(): number {
    const ip = this.ip;
    const a = this.csBase + ip;
    if (a < this.fastFetch) {
      this.ip = (ip + 1) & 0xffff;
      return this.ram[a];
    }
    if (a >>> 12 === this.fetchPage && ip <= this.limit[CS]) {
      this.ip = this.def32 ? (ip + 1) >>> 0 : (ip + 1) & 0xffff;
      return this.m.flat[this.fetchHost + (a & 0xfff)];
    }
    this.ip = (ip + 1) & 0xffff;
    return this.fetchSlow(ip);
  }
  /**
   * Fetches outside the fast path. Code in device memory is not run: KVM
   * cannot fetch from MMIO either (an emulation failure), and both
   * accelerators must end such a guest the same way.
   */
  private fetchSlow(ip: number): number {
    if (this.pe) return pmFetch(this, ip);
    const a = this.phys(CS, ip);
    if (ip <= this.limit[CS] && !this.m.isRam(a)) {
      this.stop = Stop.FETCH_OUTSIDE_RAM;
      this.fetchAddress = a;
      throw ABORT;
    }
    return this.read8(CS, ip);
  }
  /** Fetches a little-endian word from the instruction stream. */
  fetch16(): number {
    const ip = this.ip;
    const a = this.csBase + ip;
    if (a + 1 < this.fastFetch && ip !== 0xffff) {
      this.ip = (ip + 2) & 0xffff;
      return this.ram[a] | (this.ram[a + 1] << 8);
    }
    if (this.pe) {
      const v = this.pmFetchWide(2);
      if (v >= 0) return v;
    }
    return this.fetch8() | (this.fetch8() << 8);
  }
  /** Fetches a little-endian dword from the instruction stream. */
  fetch32(): number {
    if (this.pe) {
      const v = this.pmFetchWide(4);
      if (v >= 0) return v;
    }
    return (this.fetch16() | (this.fetch16() << 16)) >>> 0;
  }
  /**
   * In 32-bit protected-mode code, the `n` (2 or 4) bytes at CS:EIP read at
   * once from the code page `pmFetch` cached, or -1 where they must be
   * fetched byte by byte (another page, past the CS limit, 16-bit code):
   * the same rule as `pmFetch`'s, for a whole immediate or displacement.
   */
  private pmFetchWide(n: number): number {
    const ip = this.ip;
    const lin = (this.csBase + ip) >>> 0;
    const o = lin & 0xfff;
    if (!this.def32 || lin >>> 12 !== this.fetchPage || o > 0x1000 - n) return -1;
    if (ip + n - 1 > this.limit[CS]) return -1;
    this.ip = (ip + n) >>> 0;
    const f = this.m.flat, h = this.fetchHost + o;
    if (n === 2) return f[h] | (f[h + 1] << 8);
    return (f[h] | (f[h + 1] << 8) | (f[h + 2] << 16) | (f[h + 3] << 24)) >>> 0;
  }
  /** An immediate of the operand size (2 or 4 bytes; 1 for byte operations). */
  fetchN(size: number): number {
    return size === 1 ? this.fetch8() : size === 2 ? this.fetch16() : this.fetch32();
  }

  /** Decodes a ModRM byte (and SIB, displacement) into mod/reg/rm and eaSeg:eaOff. */
  modrm(): void {
    const b = this.fetch8();
    const mod = b >> 6;
    this.mod = mod;
    this.reg = (b >> 3) & 7;
    this.rm = b & 7;
    if (mod === 3) return;
    if (this.a32) {
      this.modrm32(mod);
      return;
    }
    const r = this.r16;
    let off = 0;
    let seg = DS;
    switch (b & 7) {
      case 0:
        off = r[EBX << 1] + r[ESI << 1];
        break;
      case 1:
        off = r[EBX << 1] + r[EDI << 1];
        break;
      case 2:
        off = r[EBP << 1] + r[ESI << 1];
        seg = SS;
        break;
      case 3:
        off = r[EBP << 1] + r[EDI << 1];
        seg = SS;
        break;
      case 4:
        off = r[ESI << 1];
        break;
      case 5:
        off = r[EDI << 1];
        break;
      case 6:
        if (mod === 0) off = this.fetch16();
        else {
          off = r[EBP << 1];
          seg = SS;
        }
        break;
      default:
        off = r[EBX << 1];
    }
    if (mod === 1) off += (this.fetch8() << 24) >> 24;
    else if (mod === 2) off += this.fetch16();
    this.eaOff = off & 0xffff;
    this.eaSeg = this.segOvr >= 0 ? this.segOvr : seg;
  }

  private modrm32(mod: number): void {
    const r = this.r32;
    let seg = DS;
    let off = 0;
    let rm = this.rm;
    if (rm === 4) {
      const sib = this.fetch8();
      const index = (sib >> 3) & 7;
      const baseReg = sib & 7;
      if (index !== 4) off = r[index] << (sib >> 6);
      if (baseReg === 5 && mod === 0) off += this.fetch32();
      else {
        off += r[baseReg];
        if (baseReg === ESP || baseReg === EBP) seg = SS;
      }
      rm = -1;
    } else if (rm === 5 && mod === 0) {
      off = this.fetch32();
    } else {
      off = r[rm];
      if (rm === EBP) seg = SS;
    }
    if (mod === 1) off += (this.fetch8() << 24) >> 24;
    else if (mod === 2) off += this.fetch32() | 0;
    this.eaOff = off >>> 0;
    this.eaSeg = this.segOvr >= 0 ? this.segOvr : seg;
  }

  /** An effective offset plus `d`, wrapped to the address size (unsigned). */
  offsetAdd(off: number, d: number): number {
    return this.a32 ? (off + d) >>> 0 : (off + d) & 0xffff;
  }

  /** Reads the r/m operand of `size` bytes. */
  readRM(size: number): number {
    if (this.mod === 3) return this.getReg(size, this.rm);
    return this.readN(size, this.eaSeg, this.eaOff);
  }
  /** Writes the r/m operand. */
  /**
   * Reads the r/m operand of an instruction that writes it back: a memory
   * operand's write is checked with the read in protected mode (`readRmw`),
   * so a read-only page faults before flags or registers change.
   */
  readRMW(size: number): number {
    if (this.mod === 3) return this.getReg(size, this.rm);
    return this.readRmw(size, this.eaSeg, this.eaOff);
  }
  writeRM(size: number, v: number): void {
    if (this.mod === 3) this.setReg(size, this.rm, v);
    else this.writeN(size, this.eaSeg, this.eaOff, v);
  }
  /** The data segment of an instruction without ModRM (override or DS). */
  dataSeg(): number {
    return this.segOvr >= 0 ? this.segOvr : DS;
  }

  // --- stack -------------------------------------------------------------

  /** Pushes a word (SS:SP, 16-bit stack in real mode). */
  push16(v: number): void {
    if (this.ss32) {
      const esp = (this.r32[ESP] - 2) >>> 0;
      this.write16(SS, esp, v);
      this.r32[ESP] = esp;
      return;
    }
    const sp = (this.r16[ESP << 1] - 2) & 0xffff;
    this.write16(SS, sp, v);
    this.r16[ESP << 1] = sp;
  }
  /** Pushes a dword. */
  push32(v: number): void {
    if (this.ss32) {
      const esp = (this.r32[ESP] - 4) >>> 0;
      this.write32(SS, esp, v);
      this.r32[ESP] = esp;
      return;
    }
    const sp = (this.r16[ESP << 1] - 4) & 0xffff;
    this.write32(SS, sp, v);
    this.r16[ESP << 1] = sp;
  }
  /** Pushes 2 or 4 bytes. */
  pushN(size: number, v: number): void {
    if (size === 4) this.push32(v);
    else this.push16(v);
  }
  /** Pops a word. */
  pop16(): number {
    if (this.ss32) {
      const esp = this.r32[ESP];
      const w = this.read16(SS, esp);
      this.r32[ESP] = esp + 2;
      return w;
    }
    const sp = this.r16[ESP << 1];
    const v = this.read16(SS, sp);
    this.r16[ESP << 1] = sp + 2;
    return v;
  }
  /** Pops a dword. */
  pop32(): number {
    if (this.ss32) {
      const esp = this.r32[ESP];
      const d = this.read32(SS, esp);
      this.r32[ESP] = esp + 4;
      return d;
    }
    const sp = this.r16[ESP << 1];
    const v = this.read32(SS, sp);
    this.r16[ESP << 1] = sp + 4;
    return v;
  }
  /** Pops 2 or 4 bytes. */
  popN(size: number): number {
    return size === 4 ? this.pop32() : this.pop16();
  }
  /** The stack pointer at the stack's width (SP, or ESP when SS.B is set). */
  getSp(): number {
    return this.ss32 ? this.r32[ESP] : this.r16[ESP << 1];
  }
  /** Sets the stack pointer at the stack's width (a 16-bit stack keeps ESP's upper half). */
  setSp(v: number): void {
    if (this.ss32) this.r32[ESP] = v;
    else this.r16[ESP << 1] = v;
  }
  /** Moves the stack pointer by `d` bytes at the stack's width. */
  addSp(d: number): void {
    this.setSp(this.getSp() + d);
  }

  // --- conditions --------------------------------------------------------

  /** Evaluates condition code 0..15 (the low nibble of Jcc/SETcc/CMOVcc). */
  cond(cc: number): boolean {
    const lop = this.lop;
    if (lop !== 0) {
      // Common cases straight from the lazy result.
      if ((cc & 0xe) === 4) return (this.lr === 0) !== ((cc & 1) !== 0); // Z / NZ
      if (lop === Lazy.SUB) {
        const a = this.la, b = this.lb;
        switch (cc) {
          case 2:
            return a < b; // B
          case 3:
            return a >= b; // AE
          case 6:
            return a <= b; // BE
          case 7:
            return a > b; // A
        }
      }
    }
    const f = this.flags;
    let r: boolean;
    switch (cc >> 1) {
      case 0:
        r = (f & OF) !== 0;
        break;
      case 1:
        r = (f & CF) !== 0;
        break;
      case 2:
        r = (f & ZF) !== 0;
        break;
      case 3:
        r = (f & (CF | ZF)) !== 0;
        break;
      case 4:
        r = (f & SF) !== 0;
        break;
      case 5:
        r = (f & PF) !== 0;
        break;
      case 6:
        r = ((f & SF) !== 0) !== ((f & OF) !== 0);
        break;
      default:
        r = (f & ZF) !== 0 || ((f & SF) !== 0) !== ((f & OF) !== 0);
    }
    return (cc & 1) !== 0 ? !r : r;
  }

  // --- interrupts --------------------------------------------------------

  /** Delivers interrupt `v` through the real-mode IVT with the current CS:IP as return address. */
  deliver(v: number): void {
    this.onDeliver?.(v);
    if (this.pe) return pmDeliver(this, v, -1, true);
    const off = v * 4;
    if (!this.is8086 && off + 3 > this.idtLimit) throw new CpuFault(13);
    const entry = ((this.idtBase + off) & this.m.addrMask) >>> 0;
    const newIp = this.m.rd16(entry);
    const newCs = this.m.rd16(((entry + 2) & this.m.addrMask) >>> 0);
    this.push16(this.readFlags());
    this.push16(this.sel[CS]);
    this.push16(this.ip);
    this.flags &= ~(IF | TF | 0x40000);
    this.loadSeg(CS, newCs);
    this.ip = newIp;
  }

  /**
   * Delivers an exception; a fault while doing so becomes a double fault,
   * and one while delivering that a triple fault (shutdown).
   */
  exception(v: number, code = -1): void {
    if (this.pe) return pmException(this, v, code);
    try {
      this.deliver(v);
    } catch (e) {
      if (!(e instanceof CpuFault)) throw e;
      if (v === 8) {
        this.stop = Stop.SHUTDOWN;
        return;
      }
      this.exception(8);
    }
  }

  /** Delivers an external interrupt (no error code, whatever the vector). */
  external(v: number): void {
    if (this.pe) return pmException(this, v, -1, true);
    this.exception(v);
  }

  /** Raises an exception from inside an instruction: the instruction is abandoned. */
  fault(v: number, code = -1): never {
    throw new CpuFault(v, code);
  }

  /**
   * Raises exception `v` as {@link fault} does, without throwing (a JavaScript
   * throw costs microseconds): for the caller that returns at once and whose
   * callers do nothing more, such as #UD and #DE. The run loop undoes the
   * instruction and delivers the exception.
   */
  raise(v: number): void {
    this.faultVector = v;
    this.faultCode = -1;
    this.stop = Stop.FAULT;
  }

  /** True when IF is set and no interrupt shadow is active. */
  interruptible(): boolean {
    return (this.rawFlags & IF) !== 0 && this.instructions >= this.shadowUntil;
  }

  /** Starts an interrupt shadow covering the next instruction. */
  inhibitInterrupts(): void {
    this.shadowUntil = this.instructions + 2;
  }

  /** Sets ZF/CF etc. wholesale: clears the arithmetic flags then ORs `f` in. */
  setArith(f: number): void {
    this.flags = (this.flags & ~(CF | PF | AF | ZF | SF | OF)) | f;
  }
}
