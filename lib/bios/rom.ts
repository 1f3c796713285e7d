/**
 * The BIOS ROM image (64 KiB at F000:0000, a read-only slot): tiny guest
 * stubs that trap to the VMM, the hardware interrupt handlers, the wait
 * loops of services that wait, and the tables guests expect. The bytes are
 * generated here; no assembler is needed.
 *
 * A trap site is `out 0xEF, al` at an 8-byte-aligned ROM address. KVM
 * reports a port-I/O exit with IP still at the OUT, the software CPU with IP
 * after it, so the site is found by rounding the linear IP down to 8 bytes.
 *
 * @example
 * ```ts
 * import { buildRom, ROM_BASE } from "./rom.ts";
 * const rom = buildRom();
 * const site = rom.vectors[0x10]; // INT 10h's stub, F000:xxxx
 * console.log(rom.trapAt(ROM_BASE + site.offset)); // { kind: "service", vector: 16 }
 * ```
 *
 * @module
 */

import { CGA_FONT_8X8, VGA_FONT_8X16 } from "../display/font.ts";

/** Linear base of the ROM. */
export const ROM_BASE = 0xf0000;
/** ROM segment. */
export const ROM_SEGMENT = 0xf000;
/** ROM size. */
export const ROM_SIZE = 0x10000;
/** The port the stubs write to. */
export const BIOS_TRAP_PORT = 0xef;

/** What a trap site stands for. */
export type TrapKind =
  /** A software-interrupt service (the stub returns with `retf 2`). */
  | { kind: "service"; vector: number }
  /** IRQ 0: count a tick (the ROM code then calls INT 1Ch and sends EOI). */
  | { kind: "timer" }
  /** IRQ 1: take a scan code from port 0x60 (the ROM code then sends EOI). */
  | { kind: "keyboard" };

/** A far pointer into the ROM. */
export interface RomPointer {
  /** Offset in segment F000. */
  offset: number;
}

/** The built ROM and where things are in it. */
export interface Rom {
  /** The 64 KiB image. */
  bytes: Uint8Array;
  /** The IVT entry (offset in segment F000) for each vector 0-255. */
  vectors: RomPointer[];
  /** The wait loop that re-enters each waiting service's stub, by vector. */
  waitLoops: Map<number, number>;
  /** `cli; hlt` forever: where INT 18h sends a machine with nothing to boot. */
  haltLoop: number;
  /** The INT 15h AH=C0h configuration table. */
  configTable: number;
  /** The diskette parameter table (INT 1Eh). */
  diskParams: number;
  /** The 8x8 font (IBM CGA), 256 glyphs: INT 43h, and INT 1Fh for its upper half. */
  font8x8: number;
  /** The 8x16 font (IBM VGA), 256 glyphs: INT 10h AH=11h AL=30h BH=6. */
  font8x16: number;
  /** The trap kind at a linear address (rounded down to 8 bytes), if it is a trap site. */
  trapAt(linearAddress: number): TrapKind | undefined;
}

/** Where the trap sites start in the ROM. */
const TRAP_AREA = 0xe000;
/**
 * ROM bytes left free (0xFF) in the image, below the trap area, for the
 * firmware tables the PC writes after each POST (the ACPI tables of
 * lib/bios/acpi.ts): read-only to the guest, reserved in the E820 map, and
 * inside 0xE0000-0xFFFFF where an OS scans for the ACPI RSDP.
 */
export const ROM_TABLES = { offset: 0xd000, size: TRAP_AREA - 0xd000 } as const;
/** Software-interrupt vectors with a TypeScript service. */
export const SERVICE_VECTORS = [
  0x10,
  0x11,
  0x12,
  0x13,
  0x14,
  0x15,
  0x16,
  0x17,
  0x18,
  0x19,
  0x1a,
] as const;
/** Services that may wait, and so get a wait loop. */
const WAITING_VECTORS = [0x14, 0x15, 0x16];

/** Emits bytes at a moving position. */
class Emitter {
  at: number;
  constructor(readonly bytes: Uint8Array, start: number) {
    this.at = start;
  }
  emit(...b: number[]): number {
    const start = this.at;
    for (const x of b) this.bytes[this.at++] = x & 0xff;
    return start;
  }
  align(n: number): void {
    while (this.at % n !== 0) this.bytes[this.at++] = 0x90;
  }
  /** `jmp near target` (E9 rel16). */
  jmp(target: number): void {
    const rel = (target - (this.at + 3)) & 0xffff;
    this.emit(0xe9, rel & 0xff, rel >> 8);
  }
}

const OUT_TRAP = [0xe6, BIOS_TRAP_PORT]; // out 0xEF, al
const RETF_2 = [0xca, 0x02, 0x00];
const IRET = 0xcf;
const EOI_MASTER = [0x50, 0xb0, 0x20, 0xe6, 0x20, 0x58]; // push ax; mov al,20h; out 20h,al; pop ax
const EOI_BOTH = [0x50, 0xb0, 0x20, 0xe6, 0xa0, 0xe6, 0x20, 0x58];

/** Builds the ROM. */
export function buildRom(): Rom {
  const bytes = new Uint8Array(ROM_SIZE).fill(0xff);
  const e = new Emitter(bytes, TRAP_AREA);
  const traps = new Map<number, TrapKind>();
  const site = (kind: TrapKind): number => {
    e.align(8);
    traps.set(e.at, kind);
    return e.emit(...OUT_TRAP);
  };

  // A service stub, 7 bytes in one 8-byte slot: `sti; nop; out 0xEF, al; retf 2`. A PC
  // BIOS enables interrupts on entry to its services, so a pending timer tick is taken
  // during a call even when the caller runs with IF=0 (games that poll INT 1Ah with
  // interrupts off rely on it). The tick comes after the NOP, before the trap; the
  // service then gives the caller back its own IF.
  const stubs = new Map<number, number>();
  for (const v of SERVICE_VECTORS) {
    e.align(8);
    const at = e.emit(0xfb, 0x90);
    traps.set(at, { kind: "service", vector: v });
    e.emit(...OUT_TRAP, ...RETF_2);
    stubs.set(v, at);
  }
  const timer = site({ kind: "timer" });
  e.emit(0xcd, 0x1c, ...EOI_MASTER, IRET); // int 1Ch; EOI; iret
  const keyboard = site({ kind: "keyboard" });
  e.emit(...EOI_MASTER, IRET);

  // Code that is not a trap site lives after the trap area's last site.
  e.align(8);
  const waitLoops = new Map<number, number>();
  for (const v of WAITING_VECTORS) {
    const at = e.emit(0xfb, 0xf4, 0xfa); // sti; hlt; cli
    e.jmp(stubs.get(v)!);
    waitLoops.set(v, at);
  }
  const iret = e.emit(IRET);
  const irqMaster = e.emit(...EOI_MASTER, IRET);
  const irqSlave = e.emit(...EOI_BOTH, IRET);
  const haltLoop = e.emit(0xfa, 0xf4); // cli; hlt
  e.jmp(haltLoop);

  // Tables.
  e.align(16);
  // INT 15h AH=C0h: length 8; model FCh (AT), submodel 1, revision 0;
  // feature 1: bit 6 second 8259, bit 5 RTC; features 2-5 none.
  const configTable = e.emit(0x08, 0x00, 0xfc, 0x01, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00);
  e.align(16);
  // Diskette parameters (1.44 MB): step rate/head unload, head load/DMA, motor
  // off delay, 512-byte sectors, 18 sectors a track, gap, data length, format
  // gap, fill byte, head settle, motor start.
  const diskParams = e.emit(0xaf, 0x02, 0x25, 0x02, 0x12, 0x1b, 0xff, 0x6c, 0xf6, 0x0f, 0x08);
  e.align(16);
  // The ROM fonts, as a PC's BIOS carries them (graphics-mode text is drawn from INT 43h).
  const font8x16 = e.at;
  bytes.set(VGA_FONT_8X16.glyphs, font8x16);
  const font8x8 = font8x16 + VGA_FONT_8X16.glyphs.length;
  bytes.set(CGA_FONT_8X8.glyphs, font8x8);
  e.at = font8x8 + CGA_FONT_8X8.glyphs.length;

  // Reset vector: INT 19h boots again. Then the BIOS date and the model byte.
  const reset = 0xfff0;
  bytes.set([0xcd, 0x19, 0xfa, 0xf4], reset); // int 19h; cli; hlt
  bytes.set(new TextEncoder().encode("11/24/26"), 0xfff5);
  bytes[0xfffe] = 0xfc;
  if (e.at > reset) throw new Error("BIOS ROM overflow");

  const vectors: RomPointer[] = [];
  for (let v = 0; v < 256; v++) {
    let offset = iret;
    if (stubs.has(v)) offset = stubs.get(v)!;
    else if (v === 0x08) offset = timer;
    else if (v === 0x09) offset = keyboard;
    else if (v >= 0x0a && v <= 0x0f) offset = irqMaster;
    else if (v >= 0x70 && v <= 0x77) offset = irqSlave;
    vectors.push({ offset });
  }
  vectors[0x1e] = { offset: diskParams };
  vectors[0x1f] = { offset: font8x8 + 128 * 8 };
  vectors[0x43] = { offset: font8x8 };

  return {
    bytes,
    vectors,
    waitLoops,
    haltLoop,
    configTable,
    diskParams,
    font8x8,
    font8x16,
    trapAt(linearAddress: number): TrapKind | undefined {
      const offset = linearAddress - ROM_BASE;
      if (offset < TRAP_AREA || offset >= ROM_SIZE) return undefined;
      return traps.get(offset & ~7);
    },
  };
}
