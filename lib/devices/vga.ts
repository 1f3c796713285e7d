/**
 * The VGA adapter's memory window, 0xA0000-0xBFFFF, as one MMIO device: the
 * 64 KiB graphics window (mode 13h), the monochrome text window at 0xB0000
 * and the colour text / CGA window at 0xB8000. It also keeps what the
 * renderers need from the adapter's registers: the current mode, the visible
 * text page, the cursor, the DAC palette and the CGA colour select.
 *
 * The adapter's I/O registers are a {@link VgaPorts} (`registers`, for the
 * port bus at 0x3C0): the cursor, the start address (the visible page) and
 * the DAC are read from there, so a guest that programs the CRTC or the DAC
 * itself is shown as it asked.
 *
 * It keeps the text API of {@link VgaText} (`rows`, `columns`, `cell()`,
 * `vram` for the colour text window), so the text renderers work unchanged.
 * In graphics modes `cell()` reads a text shadow that the BIOS fills when it
 * writes characters, so scripts can still read what a graphics-mode guest
 * printed through the BIOS.
 *
 * @example
 * ```ts
 * import { Vga, VGA_BASE } from "./vga.ts";
 * const vga = new Vga();
 * vga.write(0xb8000 - VGA_BASE, Uint8Array.of(0x41, 0x1f)); // 'A', white on blue
 * console.log(vga.cell(0, 0)); // { char: 65, attr: 31 }
 * vga.setMode(0x13);
 * vga.write(0, Uint8Array.of(4)); // pixel (0, 0) in colour 4
 * console.log(vga.toRgba().data.subarray(0, 4)); // [170, 0, 0, 255]: colour 4 is red
 * ```
 *
 * @module
 */

import { type Clock, WallClock } from "./clock.ts";
import { type Cell, VGA_TEXT_SIZE, VgaText } from "./vga-text.ts";
import { TEXT_ATTR_PALETTE, VgaPorts } from "./vga-ports.ts";
import { defaultVgaPalette } from "../display/palette.ts";

/** Guest-physical base of the VGA window. */
export const VGA_BASE = 0xa0000;
/** Size of the VGA window: 0xA0000-0xBFFFF. */
export const VGA_SIZE = 0x20000;
/** Offset of the colour text window (0xB8000) inside the VGA window. */
export const VGA_COLOUR_TEXT_OFFSET = 0x18000;
/** Offset of the monochrome text window (0xB0000) inside the VGA window. */
export const VGA_MONO_TEXT_OFFSET = 0x10000;

/** The video modes picovmm's VGA shows. */
export type VgaModeKind = "text" | "cga4" | "vga256";

/** How a BIOS mode number is shown. */
export interface VgaModeInfo {
  /** The BIOS mode number. */
  mode: number;
  /** Text, CGA 4-colour or VGA 256-colour. */
  kind: VgaModeKind;
  /** Text columns (also for the BIOS's character output in graphics modes). */
  columns: number;
  /** Text rows. */
  rows: number;
  /** Pixels across (text modes: 8 per column). */
  width: number;
  /** Pixels down (text modes: 16 per row). */
  height: number;
}

const MODES: Record<number, VgaModeInfo> = {
  0x00: { mode: 0x00, kind: "text", columns: 40, rows: 25, width: 320, height: 400 },
  0x01: { mode: 0x01, kind: "text", columns: 40, rows: 25, width: 320, height: 400 },
  0x02: { mode: 0x02, kind: "text", columns: 80, rows: 25, width: 640, height: 400 },
  0x03: { mode: 0x03, kind: "text", columns: 80, rows: 25, width: 640, height: 400 },
  0x04: { mode: 0x04, kind: "cga4", columns: 40, rows: 25, width: 320, height: 200 },
  0x05: { mode: 0x05, kind: "cga4", columns: 40, rows: 25, width: 320, height: 200 },
  0x13: { mode: 0x13, kind: "vga256", columns: 40, rows: 25, width: 320, height: 200 },
};

/** The mode description for a BIOS mode number, if picovmm's VGA supports it. */
export function vgaModeInfo(mode: number): VgaModeInfo | undefined {
  return MODES[mode & 0x7f];
}

/** An RGBA picture of the screen (4 bytes per pixel, rows top to bottom). */
export interface RgbaImage {
  /** Pixels across. */
  readonly width: number;
  /** Pixels down. */
  readonly height: number;
  /** `width * height * 4` bytes: red, green, blue, alpha per pixel. */
  readonly data: Uint8Array;
}

/** The 64 EGA colours the DAC holds in text modes (6-bit values; primary and secondary bits). */
export function egaDac(): number[] {
  const dac = new Array<number>(768).fill(0);
  const channel = (i: number, primary: number, secondary: number) =>
    ((i >> primary) & 1) * 0x2a + ((i >> secondary) & 1) * 0x15;
  for (let i = 0; i < 64; i++) {
    dac[i * 3] = channel(i, 2, 5);
    dac[i * 3 + 1] = channel(i, 1, 4);
    dac[i * 3 + 2] = channel(i, 0, 3);
  }
  return dac;
}

/** Options for {@link Vga}. */
export interface VgaOptions {
  /** Time for the retrace bits of the registers (default: the wall clock). */
  clock?: Clock;
}

/** The VGA window and the adapter state the BIOS and renderers use. */
export class Vga extends VgaText {
  /** 0xA0000-0xAFFFF: the mode 13h frame buffer. */
  graphics: Uint8Array = new Uint8Array(0x10000);
  /** 0xB0000-0xB7FFF: the monochrome text window (kept, not shown). */
  mono: Uint8Array = new Uint8Array(0x8000);
  /** Characters the BIOS wrote in graphics modes, as text cells (char, attr). */
  readonly textShadow = new Uint8Array(80 * 25 * 2);
  /** CGA colour select (port 0x3D9): bits 0-3 background, bit 5 palette, bit 4 intensity. */
  cgaColourSelect = 0x30;
  /** The current mode. */
  modeInfo: VgaModeInfo = MODES[3];
  /** The I/O registers (register at port 0x3C0, length 0x20). */
  readonly registers: VgaPorts;

  /** Makes the adapter in mode 3, its registers on `options.clock`. */
  constructor(options: VgaOptions = {}) {
    super();
    this.registers = new VgaPorts({ clock: options.clock ?? new WallClock() });
  }

  /** The DAC: 256 entries of 6-bit red, green, blue (the registers' state). */
  get dac(): number[] {
    return this.registers.state.dac;
  }

  /** Cursor position as a character offset from the start of text memory (CRTC 0Eh/0Fh). */
  get cursorOffset(): number {
    return this.registers.cursor.offset;
  }
  set cursorOffset(offset: number) {
    const c = this.registers.state.crtc;
    c[0x0e] = (offset >> 8) & 0xff;
    c[0x0f] = offset & 0xff;
  }

  /** Sets the cursor's start and end scan lines (CRTC 0Ah/0Bh; start bit 5 hides it). */
  setCursorShape(start: number, end: number): void {
    const c = this.registers.state.crtc;
    c[0x0a] = start & 0x3f;
    c[0x0b] = end & 0x1f;
  }

  /** The visible page's start, in characters from the start of text memory (CRTC 0Ch/0Dh). */
  get startAddress(): number {
    return this.registers.startAddress;
  }
  set startAddress(chars: number) {
    const c = this.registers.state.crtc;
    c[0x0c] = (chars >> 8) & 0xff;
    c[0x0d] = chars & 0xff;
    this.pageOffset = (chars * 2) % VGA_TEXT_SIZE;
  }

  /** The BIOS mode number now shown. */
  get mode(): number {
    return this.modeInfo.mode;
  }

  /** True in a graphics mode. */
  get isGraphics(): boolean {
    return this.modeInfo.kind !== "text";
  }

  /**
   * Switches the adapter to a BIOS mode; returns false (and changes nothing)
   * for a mode it does not support. Clears video memory unless `keepMemory`.
   */
  setMode(mode: number, keepMemory = false): boolean {
    const info = vgaModeInfo(mode);
    if (!info) return false;
    this.modeInfo = info;
    // Graphics modes keep the BIOS's 80-column text shadow behind `cell()`.
    this.columns = info.kind === "text" ? info.columns : 80;
    this.startAddress = 0;
    this.cursorOffset = 0;
    this.cgaColourSelect = info.kind === "cga4" ? 0x30 : 0;
    const regs = this.registers.state;
    // As the VGA BIOS sets them: its default 256-colour table for mode 13h, the 64 EGA colours
    // (the rest black) for the others.
    const dac = info.kind === "vga256" ? Array.from(defaultVgaPalette().rgb) : egaDac();
    dac.forEach((v, i) => regs.dac[i] = v);
    regs.dacMask = 0xff;
    const palette = info.kind === "text" ? TEXT_ATTR_PALETTE : TEXT_ATTR_PALETTE.map((_, i) => i);
    palette.forEach((v, i) => regs.attr[i] = v);
    regs.attr[0x10] = info.kind === "vga256" ? 0x41 : info.kind === "cga4" ? 0x01 : 0x0c;
    regs.attr[0x11] = 0;
    this.setCursorShape(info.kind === "text" ? 0x0d : 0x20, 0x0e);
    if (!keepMemory) {
      this.graphics.fill(0);
      this.textShadow.fill(0);
      if (info.kind === "text") {
        // Blank cells (space, grey on black), doubled with copyWithin: a byte loop here is
        // start-up time on every bios boot.
        this.vram[0] = 0x20;
        this.vram[1] = 0x07;
        for (let n = 2; n < VGA_TEXT_SIZE; n *= 2) {
          this.vram.copyWithin(n, 0, Math.min(n, VGA_TEXT_SIZE - n));
        }
      } else {
        this.vram.fill(0);
      }
    }
    return true;
  }

  /** MMIO read at an offset from 0xA0000. */
  override read(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const at = offset + i;
      const mem = this.#memoryAt(at);
      data[i] = mem ? mem[at - this.#baseOf(at)] : 0xff;
    }
  }

  /** MMIO write at an offset from 0xA0000. */
  override write(offset: number, data: Uint8Array): void {
    this.writes++;
    for (let i = 0; i < data.length; i++) {
      const at = offset + i;
      const mem = this.#memoryAt(at);
      if (mem) mem[at - this.#baseOf(at)] = data[i];
    }
  }

  /**
   * Moves video memory into `window` (0x20000 bytes for 0xA0000-0xBFFFF), as
   * views: the machine maps that buffer as guest RAM, so guest stores to the
   * frame buffer no longer exit to the VMM. Every mode picovmm's VGA shows
   * is linear in memory, so the device reads the same bytes either way.
   */
  attachMemory(window: Uint8Array): void {
    if (window.length !== VGA_SIZE) throw new RangeError(`VGA memory must be ${VGA_SIZE} bytes`);
    window.subarray(0, VGA_MONO_TEXT_OFFSET).set(this.graphics);
    window.subarray(VGA_MONO_TEXT_OFFSET, VGA_COLOUR_TEXT_OFFSET).set(this.mono);
    window.subarray(VGA_COLOUR_TEXT_OFFSET).set(this.vram);
    this.graphics = window.subarray(0, VGA_MONO_TEXT_OFFSET);
    this.mono = window.subarray(VGA_MONO_TEXT_OFFSET, VGA_COLOUR_TEXT_OFFSET);
    this.vram = window.subarray(VGA_COLOUR_TEXT_OFFSET);
  }

  /** The cell at a row and column: text memory in text modes, the shadow in graphics modes. */
  override cell(row: number, column: number): Cell {
    if (!this.isGraphics) {
      this.pageOffset = (this.startAddress * 2) % VGA_TEXT_SIZE;
      return super.cell(row, column);
    }
    const r = Math.trunc(row), c = Math.trunc(column);
    if (r < 0 || r >= 25 || c < 0 || c >= 80) return { char: 0x20, attr: 0x07 };
    const at = (r * 80 + c) * 2;
    return { char: this.textShadow[at], attr: this.textShadow[at + 1] };
  }

  /** Cursor row and column on the visible page, as the CRTC shows it. */
  get cursor(): { row: number; column: number; visible: boolean } {
    const { row, column } = this.registers.cursorPosition(this.modeInfo.columns);
    return { row, column, visible: this.registers.cursor.visible && !this.isGraphics };
  }

  /** A pixel's colour index in graphics modes (0 outside the screen or in text modes). */
  pixel(x: number, y: number): number {
    const { width, height, kind } = this.modeInfo;
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0) return 0;
    if (x >= width || y >= height) return 0;
    if (kind === "vga256") return this.graphics[y * 320 + x];
    if (kind === "cga4") {
      const at = cgaByteOffset(x, y);
      return (this.vram[at] >> (6 - (x & 3) * 2)) & 3;
    }
    return 0;
  }

  /** Sets a pixel in graphics modes (XOR with bit 7 set in CGA mode, as the BIOS does). */
  setPixel(x: number, y: number, colour: number): void {
    const { width, height, kind } = this.modeInfo;
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0) return;
    if (x >= width || y >= height) return;
    if (kind === "vga256") {
      this.graphics[y * 320 + x] = colour & 0xff;
    } else if (kind === "cga4") {
      const at = cgaByteOffset(x, y);
      const shift = 6 - (x & 3) * 2;
      const v = (colour & 3) << shift;
      this.vram[at] = colour & 0x80 ? this.vram[at] ^ v : (this.vram[at] & ~(3 << shift)) | v;
    }
  }

  /**
   * The screen as RGBA pixels. Graphics modes give their pixels through the
   * DAC (mode 13h) or the CGA palette (mode 4). Text modes give one 8x16
   * block per cell in the background colour with the foreground colour in
   * the middle for a visible character (picovmm ships no font).
   */
  toRgba(): RgbaImage {
    const { width, height, kind } = this.modeInfo;
    const data = new Uint8Array(width * height * 4);
    const put = (i: number, dacIndex: number) => {
      const [r, g, b] = this.registers.paletteRgb(dacIndex);
      data[i * 4] = r;
      data[i * 4 + 1] = g;
      data[i * 4 + 2] = b;
      data[i * 4 + 3] = 255;
    };
    const attr = (colour: number) => this.registers.attributeColor(colour);
    if (kind === "vga256") {
      for (let i = 0; i < width * height; i++) put(i, this.graphics[i]);
    } else if (kind === "cga4") {
      const colours = this.cgaColours();
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) put(y * width + x, attr(colours[this.pixel(x, y)]));
      }
    } else {
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const { char, attr: a } = this.cell(y >> 4, x >> 3);
          const ink = char !== 0 && char !== 0x20 && char !== 0xff &&
            (x & 7) >= 2 && (x & 7) <= 5 && (y & 15) >= 4 && (y & 15) <= 11;
          put(y * width + x, attr(ink ? a & 15 : (a >> 4) & 7));
        }
      }
    }
    return { width, height, data };
  }

  /** The four EGA colour numbers of CGA mode 4 under the current colour select. */
  cgaColours(): [number, number, number, number] {
    const s = this.cgaColourSelect;
    const bright = s & 0x10 ? 8 : 0;
    const base = s & 0x20 ? [3, 5, 7] : [2, 4, 6];
    return [s & 15, base[0] + bright, base[1] + bright, base[2] + bright];
  }

  /** Maps an offset in the window to its backing array. */
  /** The buffer holding window offset `at` (graphics, mono text or colour text), if any. */
  #memoryAt(at: number): Uint8Array | undefined {
    if (at < 0 || at >= VGA_SIZE) return undefined;
    if (at < VGA_MONO_TEXT_OFFSET) return this.graphics;
    return at < VGA_COLOUR_TEXT_OFFSET ? this.mono : this.vram;
  }

  /** The window offset where the buffer holding `at` starts (no allocation per access). */
  #baseOf(at: number): number {
    if (at < VGA_MONO_TEXT_OFFSET) return 0;
    return at < VGA_COLOUR_TEXT_OFFSET ? VGA_MONO_TEXT_OFFSET : VGA_COLOUR_TEXT_OFFSET;
  }
}

/** CGA mode 4: even lines at 0xB8000, odd lines at 0xBA000, 80 bytes a line. */
function cgaByteOffset(x: number, y: number): number {
  return (y & 1) * 0x2000 + (y >> 1) * 80 + (x >> 2);
}
