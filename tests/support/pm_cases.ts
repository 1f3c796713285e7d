// The protected-mode guests (guests/pm-*.asm) and what each must print and
// exit with, shared by the software-CPU tests and the KVM tests so both
// accelerators are held to the same results.
const root = new URL("../../", import.meta.url);

/** One protected-mode guest (a BIOS boot sector and the sectors it loads). */
export interface PmCase {
  name: string;
  /** File in guests/. */
  file: string;
  /** Debug-exit status: (value << 1) | 1. */
  exitStatus: number;
  /** COM1 output; the screen shows the same lines. */
  serial: string;
  /**
   * Lines (by their start) where a KVM gives something else than the CPU
   * manuals and the software CPU, so the KVM test leaves them out: `pvm`
   * (its guest kernel runs through KVM's emulator and PVM's own traps) and
   * `tcg` (kvm_amd nested in QEMU's TCG, whose CPU skips some checks).
   */
  kvmDiffers: { pvm: string[]; tcg: string[] };
  /**
   * PVM goes wrong in the guest and its output must match this instead (the
   * lines before that point, then what PVM does there).
   */
  pvmRefuses?: RegExp;
  /**
   * kvm-in-qemu (an AMD CPU in QEMU's TCG) parts from the manuals at the
   * first line starting with this, and the guest's path with it: only the
   * lines before it are compared there (with `kvmDiffers.tcg` left out).
   */
  tcgUpTo?: string;
}

/** `text` as a regular expression that matches it literally. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const TASKS_SERIAL = [
  "jmp tss: A: tr 0070 ldt 00C0 eax A0A0A0A0 fs:0 CAFEF00D",
  " nt 00 types 60 09 70 0B ts 01 main: tr 0060 types 60 0B 70 09 ts 01",
  "call tss16: B: eax FFFF5678 esp FFFF1234 fs 0000 nt 01 link 0060",
  " types 60 0B 78 03 main: nt 00 types 60 0B 78 01 ts 01",
  "int 41 task gate: C: tr 0088 link 0060 nt 01 88 0B main: nt 00 88 09",
  "np task gate: D: error 00000028 esp 0007E000 main's eip 000083E5 main: ds 0010",
  "df task gate: E: error 00000000 link 0060 main's eip 00008467 main",
  "short tss: vector 0A error 000000A0 at 0008:000084BB",
  "busy tss: vector 0D error 00000060 at 0008:000084F9",
  "iret to an available tss: vector 0A error 00000070 at 0008:00008559",
  "bad ss after the commit point: F: error 00000008 link 00A8",
  " its ss 0008 eip 00008A70 main: types a8 0B b0 09",
  "np es after the commit point: vector 0B error 00000028 at 0008:00008A70",
  " handler came back in tr 00B8 main: tr 0060",
  "",
];

/** The image's bytes. */
export function pmImage(c: PmCase): Uint8Array {
  return Deno.readFileSync(new URL(`guests/${c.file}`, root));
}

// QEMU's TCG CPU does not check a data segment's rights, null selector or
// expand-down limit on an access and leaves the accessed bit of a CS loaded
// by a far JMP clear; PVM answers INT n on a not-present gate with #GP(0)
// and INT 0x80 from ring 3 with #UD. The software CPU follows the manuals.
export const PM_CASES: PmCase[] = [
  {
    name: "pm-faults",
    file: "pm-faults.bin",
    exitStatus: (0x11 << 1) | 1,
    serial: [
      "np ds: vector 0B error 00000028 at 0008:00008261",
      "beyond gdt es: vector 0D error 000001F8 at 0008:000082A3",
      "exec-only ds: vector 0D error 00000038 at 0008:000082E4",
      "read-only ss: vector 0D error 00000040 at 0008:00008325",
      "dpl3 data ds: none",
      "rpl3 dpl0 ds: vector 0D error 00000010 at 0008:000083AD",
      "code as ss: vector 0D error 00000008 at 0008:000083EC",
      "null ss: vector 0D error 00000000 at 0008:00008427",
      "limit es: vector 0D error 00000000 at 0008:00008466",
      "limit ok es: none",
      "expand-down low es: vector 0D error 00000000 at 0008:000084F9",
      "expand-down high es: none",
      "read-only write es: vector 0D error 00000000 at 0008:00008594",
      "null es: vector 0D error 00000000 at 0008:000085D5",
      "stack limit ss: vector 0C error 00000000 at 0008:0000861E",
      "code write cs: vector 0D error 00000000 at 0008:00008660",
      "jmp data: vector 0D error 00000010 at 0008:0000869D",
      "jmp np code: vector 0B error 00000068 at 0008:000086DE",
      "ud2: vector 06 error FFFFFFFF at 0008:00008717",
      "div 0: vector 00 error FFFFFFFF at 0008:0000874F",
      "int3: vector 03 error FFFFFFFF at 0008:00008785",
      "int 0x40 (no gate): vector 0D error 00000202 at 0008:000087C6",
      "far call and retf: in 08 back none",
      "lar 08 00C09B00 lsl 20 000FFFFF lsl 28 FFFFFFFF",
      "lar bad zf 00 verr 38 00 verw 40 00 verw 10 01 arpl 001301 str 0060",
      "ring 3: int 80 from cs 0053 ss 005B",
      "ring 3 cli: vector 0D error 00000000 at 0053:00008AA1",
      "ring 3 ds=10: vector 0D error 00000010 at 0053:00008AA8",
      "",
    ].join("\n"),
    kvmDiffers: {
      pvm: ["int 0x40", "ring 3:"],
      tcg: ["expand-down low", "read-only write", "null es", "code write", "lar 08"],
    },
  },
  {
    name: "pm-paging",
    file: "pm-paging.bin",
    exitStatus: (0x12 << 1) | 1,
    serial: [
      "read unmapped: vector 0E error 00000000 cr2 00400123 at 0008:000082DB",
      "write unmapped: vector 0E error 00000002 cr2 007FF001 at 0008:0000831D",
      "write read-only, WP=0: none",
      "write read-only, WP=1: vector 0E error 00000003 cr2 00005004 at 0008:000083C1",
      "across pages: vector 0E error 00000000 cr2 00400000 at 0008:00008406",
      "4 MiB page: 8EC031FA pde 000000A3 pte6 00006007 read 00006027 written 00006067",
      "invlpg: vector 0E error 00000000 cr2 00006010 at 0008:00008505",
      "cr3 reload: vector 0E error 00000000 cr2 00002468 at 0008:00008564",
      "ring 3 supervisor page: vector 0E error 00000005 cr2 00003000 at 0053:00008687",
      "ring 3 read-only page: vector 0E error 00000007 cr2 00005008 at 0053:00008693",
      "unmapped code: vector 0E error 00000000 cr2 00500000 at 0008:00500000",
      "",
    ].join("\n"),
    kvmDiffers: { pvm: [], tcg: [] },
    // PVM raises #GP(0) for the MOV to CR0 that turns paging on.
    pvmRefuses: /^ vector 0D error 00000000 at 0008:/,
  },
  {
    name: "pm-irq",
    file: "pm-irq.bin",
    exitStatus: (0x13 << 1) | 1,
    serial: "ticks: 01 02 03\n16-bit trap gate, IF 0200\n",
    kvmDiffers: { pvm: [], tcg: [] },
    // PVM raises #GP(0) for the 16-bit IRET out of the 16-bit code segment.
    pvmRefuses: /^ticks: 01 02 03\n vector 0D error 00000000 at 0018:/,
  },
  {
    name: "pm-x87",
    file: "pm-x87.bin",
    exitStatus: (0x14 << 1) | 1,
    serial: [
      "probe sw: 00000000",
      "probe cw: 0000037F",
      "fdiv bug: 00000000",
      "1/3: 3FD55555 55555555",
      "1/3 flags: 00000020",
      "sqrt 2: 3FF6A09E 667F3BCD",
      "x*y+3 / 2: 4298023D 9FF41000",
      "1/3 single: 3EAAAAAB",
      "rc 1/3: 3FD55555 55555555",
      "rc ints: 00000002 FFFFFFFE",
      "rc 1/3: 3FD55555 55555555",
      "rc ints: 00000002 FFFFFFFD",
      "rc 1/3: 3FD55555 55555556",
      "rc ints: 00000003 FFFFFFFE",
      "rc 1/3: 3FD55555 55555555",
      "rc ints: 00000002 FFFFFFFE",
      "fistp m64: FFFFFEE0 8E04FB35",
      "fistp m16 overflow: 00008000",
      "overflow flags: 00000001",
      "2 vs 3: 00000100",
      "2 vs 1: 00000000",
      "2 vs 2: 00004000",
      "nan fucom: 00004500",
      "nan fcomi eflags: 00000045",
      "3 vs 2 fcomip: 00000000",
      "fxam zero: 00004000",
      "fxam inf: 00000500",
      "fxam nan: 00000100",
      "fxam -3: 00000600",
      "fxam empty: 00004100",
      "underflow: 00000041",
      "underflow result: FFF80000 00000000",
      "overflow: 00000241",
      "fprem flags: 00004200",
      "fprem: 00000003",
      "fprem1: FFFFFFFE",
      "5 scale 3: 00000028",
      "fxtract significand: 3FF20000 00000000",
      "fxtract exponent: 00000004",
      "sin 0.5 e6: 000750C2",
      "cos 0.5 e6: 000D640F",
      "atan 1 e6: 000BFBF6",
      "m80 2.5: A0000000 00000000",
      "m80 2.5 exp: 00004000",
      "denormal load: 00000002",
      "m80 denormal: 91A2B3C4 D5E68000",
      "m80 denormal exp: 00003BFD",
      "back to m64: 00012345 6789ABCD",
      "fbstp: 00000009 87654321",
      "fbstp sign: 00008000",
      "after fnsave cw: 0000037F",
      "image cw: 0000027F",
      "image sw: 00002800",
      "image tw: 000007FF",
      "image st0: 00000000 00000000",
      "image st1: A0000000 00000000",
      "image st1 exp: 00004000",
      "image st2: 80000000 00000000",
      "after frstor st0+st2: 00000001",
      "after frstor top: 00000006",
      "unmasked ze: 00008084",
      "fwait: vector 10 error FFFFFFFF at 0053:00008FDE",
      "after fnclex fwait: none",
      "to ring 0: vector 06 error FFFFFFFF at 0053:00009079",
      "ts fld1: vector 07 error FFFFFFFF at 0053:000090D6",
      "clts fld1: none",
      "to ring 0 again: vector 06 error FFFFFFFF at 0053:00009170",
      "",
    ].join("\n"),
    // QEMU's TCG CPU leaves SF as it was in FCOMI, and raises neither stack faults nor DE on loads.
    kvmDiffers: {
      pvm: [],
      tcg: ["nan fcomi", "3 vs 2 fcomip", "underflow", "overflow:", "denormal load"],
    },
    // PVM's emulator runs the guest: it knows FNINIT, FNSTSW and FNSTCW only and
    // answers the first other x87 instruction (FLDCW, in ring 3) with #UD.
    pvmRefuses: /^probe sw: 00000000\nprobe cw: 0000037F\n vector 06 error FFFFFFFF at 0053:/,
  },
  {
    name: "pm-tasks",
    file: "pm-tasks.bin",
    exitStatus: (0x14 << 1) | 1,
    serial: TASKS_SERIAL.join("\n"),
    // kvm-in-qemu leaves CR0.TS clear after a task switch, keeps the upper halves of registers a 16-bit TSS loads (the 386 sets them to ones), and delivers #NP through a task gate differently.
    kvmDiffers: { pvm: [], tcg: [" nt 00 types 60 09 70 0B", "call tss16", " types 60 0B 78 03"] },
    tcgUpTo: "np task gate",
    // PVM switches tasks for JMP, CALL, IRET and INT n, but an exception through a task gate
    // gives another exception (#GP(0) or #NM, from one run to the next) with the TSS selector
    // as CS, and the guest stops there.
    pvmRefuses: new RegExp(
      `^${
        literal(TASKS_SERIAL.slice(0, 5).join("\n"))
      }\nnp task gate: vector [0-9A-F]{2} error [0-9A-F]{8} at 0090:`,
    ),
  },
  {
    name: "pm-v86",
    file: "pm-v86.bin",
    exitStatus: (0x15 << 1) | 1,
    serial: [
      "iopl 3 int 81 and back: entry ds es fs gs 0000 0000 0000 0000 ax 1234",
      " frame 00008A64 00000000 00023002 00007000 00000000",
      " 00000100 00000000 00000200 00000300 int 80 from cs 0000 ss 0000",
      "iopl 3 pushf popf sti cli iret: int 80 from cs 0000 ss 0000",
      " flags 3002 pushfd 00003002 after iret 3002",
      "iopl 0 int 81: vector 0D error 00000000 at 0000:00008A62",
      "iopl 0 cli: vector 0D error 00000000 at 0000:00008A88",
      "iopl 0 pushf: vector 0D error 00000000 at 0000:00008A8B",
      "iopl 0 popf: vector 0D error 00000000 at 0000:00008A90",
      "iopl 0 iret: vector 0D error 00000000 at 0000:00008A93",
      "iopl 3 int3 (dpl 0 gate): vector 0D error 0000001A at 0000:00008A99",
      "out 80 allowed by the bitmap: vector 0D error 00000000 at 0000:00008A9C",
      "out 81 denied: vector 0D error 00000000 at 0000:00008A9D",
      "word out 80 (81 denied): vector 0D error 00000000 at 0000:00008AA0",
      "iopl 3 in 81 (the bitmap decides): vector 0D error 00000000 at 0000:00008AA3",
      "ds 1234: int 80 from cs 0000 ss 0000",
      " read CAFEF00D",
      "div 0: vector 00 error FFFFFFFF at 0000:00008AB8",
      "ring 3 above iopl, out 80 then 81: vector 0D error 00000000 at 0053:00008AC9",
      "task switch into v86: int 80 from cs 0000 ss 0000",
      " back in tr 0078 read CAFEF00D main: tr 0070",
      "v86 supervisor page: vector 0E error 00000005 cr2 00012340 at 0000:00008AAB",
      "",
    ].join("\n"),
    kvmDiffers: { pvm: [], tcg: [] },
    // PVM has no virtual-8086 mode: INT n there raises #UD, and the guest stops.
    pvmRefuses:
      /^iopl 3 int 81 and back: vector 06 error FFFFFFFF at 0000:[0-9A-F]{8}\nno v86 mode\n$/,
  },
  {
    name: "pm-pae",
    file: "pm-pae.bin",
    exitStatus: (0x16 << 1) | 1,
    serial: [
      "cpuid pae pge nx: 01 01 01",
      "phys bits: 24",
      "read unmapped: vector 0E error 00000000 cr2 00400123 at 0008:00008399",
      "write unmapped pdpte: vector 0E error 00000002 cr2 80000001 at 0008:000083E1",
      "2 MiB page: 8EC031FA pde 000000A7",
      "pte a/d: 00054007 read 00054027 written 00054067 high 00000000",
      "rsvd bit 62 read: vector 0E error 00000009 cr2 00053000 at 0008:0000850D",
      "rsvd bit 62 write: vector 0E error 0000000B cr2 00053000 at 0008:00008552",
      "rsvd bit 36: vector 0E error 00000009 cr2 00053000 at 0008:000085A7",
      "xd without nxe: vector 0E error 00000009 cr2 00053000 at 0008:000085FA",
      "rsvd 2 MiB pde: vector 0E error 00000009 cr2 00600000 at 0008:00008657",
      "efer: 00000800",
      "xd read and write: none",
      "xd fetch: vector 0E error 00000011 cr2 00052000 at 0008:00052000",
      "unmapped fetch with nxe: vector 0E error 00000010 cr2 00400000 at 0008:00400000",
      "ring 3 xd fetch: vector 0E error 00000015 cr2 00052010 at 0053:00052010",
      "ring 3 unmapped write: vector 0E error 00000006 cr2 00400010 at 0053:00008B0E",
      "pdpte 1 cleared, invlpg:8EC031FA none",
      "then cr3 reload: vector 0E error 00000000 cr2 40007C00 at 0008:000088B7",
      "bad pdpte: vector 0D error 00000000 at 0008:00008903",
      "cr3 after: 00030000",
      "global: AAAAAAAA AAAAAAAA cr3: AAAAAAAA BBBBBBBB invlpg: BBBBBBBB",
      "global after cr4: BBBBBBBB AAAAAAAA",
      "paging on with a bad pdpte: vector 0D error 00000000 at 0008:00008AB8",
      "paging back on",
      "",
    ].join("\n"),
    // CPUID's physical address width is the host's on KVM (36 here), and so is the reach
    // of bit 36, reserved only below 37 physical bits.
    // kvm-in-qemu gives reserved-bit page faults without the P bit (the manuals: RSVD implies P), does not cache the PDPTEs (so clearing one shows at once) and takes a reserved PDPTE in CR3.
    kvmDiffers: {
      pvm: ["phys bits", "rsvd bit 36"],
      tcg: ["phys bits", "rsvd bit 36", "rsvd bit 62", "xd without nxe", "rsvd 2 MiB pde"],
    },
    tcgUpTo: "pdpte 1 cleared",
    // PVM raises #GP(0) for the MOV to CR0 that turns paging on, as in pm-paging.
    pvmRefuses:
      /^cpuid pae pge nx: 01 01 01\nphys bits: [0-9A-F]{2}\n vector 0D error 00000000 at 0008:/,
  },
  {
    name: "pm-sysenter",
    file: "pm-sysenter.bin",
    exitStatus: (0x17 << 1) | 1,
    serial: [
      "cpuid sep: 01",
      "msrs: 00000000:00000070 00000000:0008D000 00000000:000088A0",
      "sysexit to ring 3: cs 0083 ss 008B esp 0008E000 eflags 00000ED7",
      " sysenter: cs 0070 ss 0078 esp 0008D000 eflags 00000CD7",
      " ecx 12345678 edx 9ABCDEF0 ds 008B none",
      "sysenter_cs 0x73: cs 0083 ss 008B esp 0008DF00 then cs 0070 ss 0078 none",
      "sysenter from ring 0: cs 0070 esp 0008D000 none",
      "sysexit in ring 3: vector 0D error 00000000 at 0083:00008909",
      "sysenter with cs 0: vector 0D error 00000000 at 0008:000086E6",
      "sysexit with cs 0: vector 0D error 00000000 at 0008:00008732",
      "sysenter with cs 3: vector 0D error 00000000 at 0008:00008783",
      "sysexit with cs 3: vector 0D error 00000000 at 0008:000087CF",
      "100 round trips: count 00000064 esp 0008D000 none",
      "",
    ].join("\n"),
    // kvm-in-qemu (AMD) refuses SYSENTER only when SYSENTER_CS is 0; the manuals (Intel) also when its bits 15:2 are (CS 3), and the guest's path parts there.
    kvmDiffers: { pvm: [], tcg: [] },
    tcgUpTo: "sysenter with cs 3",
  },
];
