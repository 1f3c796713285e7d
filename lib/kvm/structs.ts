/**
 * The KVM structures picovmm exchanges with the kernel (and that the software
 * CPU fills the same way), as views over one ArrayBuffer each.
 *
 * Every offset and size comes from {@link LAYOUT}; tests compare that table
 * with `offsetof`/`sizeof` from the C headers, so a wrong number fails there.
 *
 * @module
 */

/** Byte offsets of the fields of one C struct, and its size. */
export interface StructLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, number>>;
}

/** The general registers of `struct kvm_regs`, in memory order. */
export const REG_NAMES = [
  "rax",
  "rbx",
  "rcx",
  "rdx",
  "rsi",
  "rdi",
  "rsp",
  "rbp",
  "r8",
  "r9",
  "r10",
  "r11",
  "r12",
  "r13",
  "r14",
  "r15",
  "rip",
  "rflags",
] as const;

/** A register of `struct kvm_regs`. */
export type RegName = typeof REG_NAMES[number];

/** The segment registers of `struct kvm_sregs`, in memory order. */
export const SEGMENT_NAMES = ["cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt"] as const;

/** A segment register of `struct kvm_sregs`. */
export type SegmentName = typeof SEGMENT_NAMES[number];

/** Page offset of the port-I/O data in the vCPU mapping (KVM_PIO_PAGE_OFFSET * 4096). */
export const PIO_DATA_OFFSET = 4096;

/** Struct layouts for x86-64 (linux/kvm.h, asm/kvm.h). */
export const LAYOUT = {
  kvm_regs: {
    size: 144,
    fields: Object.fromEntries(REG_NAMES.map((name, i) => [name, i * 8])) as Record<
      RegName,
      number
    >,
  },
  kvm_segment: {
    size: 24,
    fields: {
      base: 0,
      limit: 8,
      selector: 12,
      type: 14,
      present: 15,
      dpl: 16,
      db: 17,
      s: 18,
      l: 19,
      g: 20,
      avl: 21,
      unusable: 22,
    },
  },
  kvm_dtable: { size: 16, fields: { base: 0, limit: 8 } },
  kvm_sregs: {
    size: 312,
    fields: {
      cs: 0,
      ds: 24,
      es: 48,
      fs: 72,
      gs: 96,
      ss: 120,
      tr: 144,
      ldt: 168,
      gdt: 192,
      idt: 208,
      cr0: 224,
      cr2: 232,
      cr3: 240,
      cr4: 248,
      cr8: 256,
      efer: 264,
      apic_base: 272,
      interrupt_bitmap: 280,
    },
  },
  kvm_run: {
    size: 2352,
    fields: {
      request_interrupt_window: 0,
      immediate_exit: 1,
      exit_reason: 8,
      ready_for_interrupt_injection: 12,
      if_flag: 13,
      flags: 14,
      cr8: 16,
      apic_base: 24,
      "io.direction": 32,
      "io.size": 33,
      "io.port": 34,
      "io.count": 36,
      "io.data_offset": 40,
      "mmio.phys_addr": 32,
      "mmio.data": 40,
      "mmio.len": 48,
      "mmio.is_write": 52,
      "fail_entry.hardware_entry_failure_reason": 32,
      "fail_entry.cpu": 40,
      "ex.exception": 32,
      "ex.error_code": 36,
      "internal.suberror": 32,
      "internal.ndata": 36,
      "internal.data": 40,
      "system_event.type": 32,
      "debug.arch.exception": 32,
      "debug.arch.pc": 40,
      "debug.arch.dr6": 48,
      "debug.arch.dr7": 56,
      kvm_valid_regs: 288,
      kvm_dirty_regs: 296,
    },
  },
  kvm_userspace_memory_region: {
    size: 32,
    fields: { slot: 0, flags: 4, guest_phys_addr: 8, memory_size: 16, userspace_addr: 24 },
  },
  kvm_interrupt: { size: 4, fields: { irq: 0 } },
  kvm_guest_debug: { size: 72, fields: { control: 0, pad: 4, arch: 8 } },
  kvm_cpuid2: { size: 8, fields: { nent: 0, padding: 4, entries: 8 } },
  kvm_cpuid_entry2: {
    size: 40,
    fields: { function: 0, index: 4, flags: 8, eax: 12, ebx: 16, ecx: 20, edx: 24, padding: 28 },
  },
  kvm_msrs: { size: 8, fields: { nmsrs: 0, pad: 4, entries: 8 } },
  kvm_msr_entry: { size: 16, fields: { index: 0, reserved: 4, data: 8 } },
} as const satisfies Record<string, StructLayout>;

const R = LAYOUT.kvm_regs;
/** Index of a u64's low 32-bit half in host order (0 on the little-endian hosts KVM runs on). */
const LOW_HALF = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1 ? 0 : 1;
const SEG = LAYOUT.kvm_segment.fields;
const SR = LAYOUT.kvm_sregs.fields;
const RUN = LAYOUT.kvm_run.fields;

/** `struct kvm_regs`: 18 unsigned 64-bit registers. */
export class KvmRegs {
  /** The raw struct, as passed to KVM_GET_REGS / KVM_SET_REGS. */
  readonly bytes: Uint8Array;
  readonly #u64: BigUint64Array;
  /** The same bytes as 32-bit halves (host order, as the struct is): no BigInt on the 32-bit paths. */
  readonly #u32: Uint32Array;

  constructor(bytes: Uint8Array = new Uint8Array(R.size)) {
    if (bytes.byteLength !== R.size || bytes.byteOffset % 8 !== 0) {
      throw new RangeError(`kvm_regs needs ${R.size} aligned bytes`);
    }
    this.bytes = bytes;
    this.#u64 = new BigUint64Array(bytes.buffer, bytes.byteOffset, R.size / 8);
    this.#u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, R.size / 4);
  }

  /** Reads a register as an unsigned 64-bit value. */
  get(name: RegName): bigint {
    return this.#u64[R.fields[name] / 8];
  }

  /** Writes a register; numbers are taken as unsigned 64-bit. */
  set(name: RegName, value: bigint | number): void {
    this.#u64[R.fields[name] / 8] = BigInt.asUintN(64, BigInt(value));
  }

  /** Reads a register's low 32 bits as a number (enough outside long mode). */
  get32(name: RegName): number {
    return this.#u32[R.fields[name] / 4 + LOW_HALF];
  }

  /** Writes a register from a 32-bit number (the upper half becomes 0). */
  set32(name: RegName, value: number): void {
    const at = R.fields[name] / 4;
    this.#u32[at + LOW_HALF] = value;
    this.#u32[at + 1 - LOW_HALF] = 0;
  }

  /** A plain copy of all registers. */
  toObject(): Record<RegName, bigint> {
    return Object.fromEntries(REG_NAMES.map((n) => [n, this.get(n)])) as Record<RegName, bigint>;
  }

  /** A copy of this struct. */
  clone(): KvmRegs {
    return new KvmRegs(this.bytes.slice());
  }
}

/** `struct kvm_segment`: a view into a `kvm_sregs` buffer. */
export class KvmSegment {
  readonly #view: DataView;
  readonly #at: number;

  constructor(view: DataView, offset: number) {
    this.#view = view;
    this.#at = offset;
  }

  /** Linear base address. */
  get base(): bigint {
    return this.#view.getBigUint64(this.#at + SEG.base, true);
  }
  set base(v: bigint) {
    this.#view.setBigUint64(this.#at + SEG.base, BigInt.asUintN(64, v), true);
  }
  /** Limit in bytes (already scaled by granularity, as KVM keeps it). */
  get limit(): number {
    return this.#view.getUint32(this.#at + SEG.limit, true);
  }
  set limit(v: number) {
    this.#view.setUint32(this.#at + SEG.limit, v >>> 0, true);
  }
  /** Selector. */
  get selector(): number {
    return this.#view.getUint16(this.#at + SEG.selector, true);
  }
  set selector(v: number) {
    this.#view.setUint16(this.#at + SEG.selector, v & 0xffff, true);
  }
  /** Descriptor type (4 bits). */
  get type(): number {
    return this.#u8(SEG.type);
  }
  set type(v: number) {
    this.#set8(SEG.type, v);
  }
  /** Present bit. */
  get present(): number {
    return this.#u8(SEG.present);
  }
  set present(v: number) {
    this.#set8(SEG.present, v);
  }
  /** Descriptor privilege level. */
  get dpl(): number {
    return this.#u8(SEG.dpl);
  }
  set dpl(v: number) {
    this.#set8(SEG.dpl, v);
  }
  /** Default operand size (1 = 32-bit). */
  get db(): number {
    return this.#u8(SEG.db);
  }
  set db(v: number) {
    this.#set8(SEG.db, v);
  }
  /** Code/data (1) or system (0) descriptor. */
  get s(): number {
    return this.#u8(SEG.s);
  }
  set s(v: number) {
    this.#set8(SEG.s, v);
  }
  /** 64-bit code segment. */
  get l(): number {
    return this.#u8(SEG.l);
  }
  set l(v: number) {
    this.#set8(SEG.l, v);
  }
  /** Granularity (limit in 4 KiB pages). */
  get g(): number {
    return this.#u8(SEG.g);
  }
  set g(v: number) {
    this.#set8(SEG.g, v);
  }
  /** Available-for-software bit. */
  get avl(): number {
    return this.#u8(SEG.avl);
  }
  set avl(v: number) {
    this.#set8(SEG.avl, v);
  }
  /** Segment is unusable (null selector in protected mode). */
  get unusable(): number {
    return this.#u8(SEG.unusable);
  }
  set unusable(v: number) {
    this.#set8(SEG.unusable, v);
  }

  /** Sets a real-mode segment: selector, base = selector * 16, 64 KiB limit, data/code type. */
  setRealMode(selector: number, code = false): void {
    this.selector = selector;
    this.base = BigInt((selector & 0xffff) << 4);
    this.limit = 0xffff;
    this.type = code ? 0xb : 0x3;
    this.present = 1;
    this.dpl = 0;
    this.db = 0;
    this.s = 1;
    this.l = 0;
    this.g = 0;
    this.avl = 0;
    this.unusable = 0;
  }

  #u8(field: number): number {
    return this.#view.getUint8(this.#at + field);
  }
  #set8(field: number, v: number): void {
    this.#view.setUint8(this.#at + field, v);
  }
}

/** `struct kvm_dtable` (GDTR/IDTR): a view into a `kvm_sregs` buffer. */
export class KvmDtable {
  readonly #view: DataView;
  readonly #at: number;

  constructor(view: DataView, offset: number) {
    this.#view = view;
    this.#at = offset;
  }
  /** Linear base address. */
  get base(): bigint {
    return this.#view.getBigUint64(this.#at, true);
  }
  set base(v: bigint) {
    this.#view.setBigUint64(this.#at, BigInt.asUintN(64, v), true);
  }
  /** Limit (16 bits). */
  get limit(): number {
    return this.#view.getUint16(this.#at + 8, true);
  }
  set limit(v: number) {
    this.#view.setUint16(this.#at + 8, v & 0xffff, true);
  }
}

/** The 64-bit control fields of `struct kvm_sregs`. */
export type ControlRegName = "cr0" | "cr2" | "cr3" | "cr4" | "cr8" | "efer" | "apic_base";

/** `struct kvm_sregs`: segment, descriptor-table and control registers. */
export class KvmSregs {
  /** The raw struct, as passed to KVM_GET_SREGS / KVM_SET_SREGS. */
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  /** Code segment. */
  readonly cs: KvmSegment;
  /** Data segment. */
  readonly ds: KvmSegment;
  /** Extra segment. */
  readonly es: KvmSegment;
  /** FS. */
  readonly fs: KvmSegment;
  /** GS. */
  readonly gs: KvmSegment;
  /** Stack segment. */
  readonly ss: KvmSegment;
  /** Task register. */
  readonly tr: KvmSegment;
  /** Local descriptor table register. */
  readonly ldt: KvmSegment;
  /** GDTR. */
  readonly gdt: KvmDtable;
  /** IDTR. */
  readonly idt: KvmDtable;

  constructor(bytes: Uint8Array = new Uint8Array(LAYOUT.kvm_sregs.size)) {
    if (bytes.byteLength !== LAYOUT.kvm_sregs.size) {
      throw new RangeError(`kvm_sregs needs ${LAYOUT.kvm_sregs.size} bytes`);
    }
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.cs = new KvmSegment(this.#view, SR.cs);
    this.ds = new KvmSegment(this.#view, SR.ds);
    this.es = new KvmSegment(this.#view, SR.es);
    this.fs = new KvmSegment(this.#view, SR.fs);
    this.gs = new KvmSegment(this.#view, SR.gs);
    this.ss = new KvmSegment(this.#view, SR.ss);
    this.tr = new KvmSegment(this.#view, SR.tr);
    this.ldt = new KvmSegment(this.#view, SR.ldt);
    this.gdt = new KvmDtable(this.#view, SR.gdt);
    this.idt = new KvmDtable(this.#view, SR.idt);
  }

  /** A segment register by name. */
  segment(name: SegmentName): KvmSegment {
    return this[name];
  }

  /** Reads a control register (cr0..cr8, efer, apic_base). */
  getControl(name: ControlRegName): bigint {
    return this.#view.getBigUint64(SR[name], true);
  }

  /** Writes a control register. */
  setControl(name: ControlRegName, value: bigint | number): void {
    this.#view.setBigUint64(SR[name], BigInt.asUintN(64, BigInt(value)), true);
  }

  /** The pending-interrupt bitmap (256 bits). */
  get interruptBitmap(): Uint8Array {
    return this.bytes.subarray(SR.interrupt_bitmap, SR.interrupt_bitmap + 32);
  }

  /** A copy of this struct. */
  clone(): KvmSregs {
    return new KvmSregs(this.bytes.slice());
  }
}

/** KVM exit reasons (linux/kvm.h KVM_EXIT_*). */
export const ExitReason = {
  UNKNOWN: 0,
  EXCEPTION: 1,
  IO: 2,
  HYPERCALL: 3,
  DEBUG: 4,
  HLT: 5,
  MMIO: 6,
  IRQ_WINDOW_OPEN: 7,
  SHUTDOWN: 8,
  FAIL_ENTRY: 9,
  INTR: 10,
  SET_TPR: 11,
  TPR_ACCESS: 12,
  NMI: 16,
  INTERNAL_ERROR: 17,
  SYSTEM_EVENT: 24,
} as const;

/** `KVM_EXIT_IO_IN` / `KVM_EXIT_IO_OUT`. */
export const IoDirection = { IN: 0, OUT: 1 } as const;

/**
 * `struct kvm_run`: the page shared between the vCPU and user space, followed
 * by the port-I/O data page. On KVM it is the vCPU's mmap; on the software CPU
 * a plain buffer of the same layout.
 */
export class KvmRun {
  /** The whole mapping (run struct and data pages). */
  readonly bytes: Uint8Array;
  readonly #view: DataView;

  constructor(bytes: Uint8Array = new Uint8Array(PIO_DATA_OFFSET * 2)) {
    if (bytes.byteLength < PIO_DATA_OFFSET) {
      throw new RangeError(`kvm_run mapping of ${bytes.byteLength} bytes is too small`);
    }
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Input: ask for an exit as soon as the guest can take an interrupt. */
  get requestInterruptWindow(): boolean {
    return this.bytes[RUN.request_interrupt_window] !== 0;
  }
  set requestInterruptWindow(v: boolean) {
    this.bytes[RUN.request_interrupt_window] = v ? 1 : 0;
  }
  /** Input: return from the next run at once with EINTR. */
  get immediateExit(): boolean {
    return this.bytes[RUN.immediate_exit] !== 0;
  }
  set immediateExit(v: boolean) {
    this.bytes[RUN.immediate_exit] = v ? 1 : 0;
  }
  /** Why the last run returned (see {@link ExitReason}). */
  get exitReason(): number {
    return this.#view.getUint32(RUN.exit_reason, true);
  }
  set exitReason(v: number) {
    this.#view.setUint32(RUN.exit_reason, v, true);
  }
  /** The guest can take an interrupt now (IF=1, no interrupt shadow). */
  get readyForInterruptInjection(): boolean {
    return this.bytes[RUN.ready_for_interrupt_injection] !== 0;
  }
  set readyForInterruptInjection(v: boolean) {
    this.bytes[RUN.ready_for_interrupt_injection] = v ? 1 : 0;
  }
  /** The guest's IF flag at the exit. */
  get ifFlag(): boolean {
    return this.bytes[RUN.if_flag] !== 0;
  }
  set ifFlag(v: boolean) {
    this.bytes[RUN.if_flag] = v ? 1 : 0;
  }

  /** The union member's raw u8 at an offset of the kvm_run layout. */
  u8(offset: number): number {
    return this.#view.getUint8(offset);
  }
  /** Writes a u8 field. */
  setU8(offset: number, v: number): void {
    this.#view.setUint8(offset, v);
  }
  /** Reads a little-endian u16 field. */
  u16(offset: number): number {
    return this.#view.getUint16(offset, true);
  }
  /** Writes a little-endian u16 field. */
  setU16(offset: number, v: number): void {
    this.#view.setUint16(offset, v, true);
  }
  /** Reads a little-endian u32 field. */
  u32(offset: number): number {
    return this.#view.getUint32(offset, true);
  }
  /** Writes a little-endian u32 field. */
  setU32(offset: number, v: number): void {
    this.#view.setUint32(offset, v >>> 0, true);
  }
  /** Reads a little-endian u64 field. */
  u64(offset: number): bigint {
    return this.#view.getBigUint64(offset, true);
  }
  /** Writes a little-endian u64 field. */
  setU64(offset: number, v: bigint | number): void {
    this.#view.setBigUint64(offset, BigInt.asUintN(64, BigInt(v)), true);
  }
  /** Reads a u64 field as a number (exact for values below 2^53). */
  u64n(offset: number): number {
    const lo = this.#view.getUint32(offset, true);
    const hi = this.#view.getUint32(offset + 4, true);
    return hi * 0x100000000 + lo;
  }
}

/** Field offsets of `struct kvm_run`, for encoders and decoders. */
export const RUN_FIELDS = RUN;
