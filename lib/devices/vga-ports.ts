/**
 * The VGA's registers at ports 0x3C0-0x3DF (colour addressing): attribute
 * controller (0x3C0/0x3C1), miscellaneous output (0x3C2 write, 0x3CC read),
 * input status 0 (0x3C2 read), sequencer (0x3C4/0x3C5), DAC (0x3C6-0x3C9),
 * feature control (0x3CA read, 0x3DA write), graphics controller
 * (0x3CE/0x3CF), CRTC (0x3D4/0x3D5) and input status 1 (0x3DA).
 *
 * The registers are plain state with getters for renderers (cursor, start
 * address, palette); nothing here draws. Input status 1's retrace bits follow
 * the clock (a 70 Hz frame of 449 lines, as in the 80x25 text mode); if the
 * clock does not move between reads (a stopped clock), they toggle every few
 * reads instead, so a guest waiting for retrace always gets on.
 *
 * At power-on the registers hold the values of 80x25 colour text mode
 * (mode 3): the CRTC timing with cursor lines 13-14, the attribute palette
 * and the 64 EGA colours in the DAC.
 *
 * @example
 * ```ts
 * import { WallClock } from "./clock.ts";
 * import { VgaPorts } from "./vga-ports.ts";
 * const vga = new VgaPorts({ clock: new WallClock() }); // register at 0x3C0, length 0x20
 * console.log(vga.cursor.offset, vga.paletteRgb(vga.attributeColor(7)));
 * ```
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";
import type { Clock } from "./clock.ts";

/** Options for {@link VgaPorts}. */
export interface VgaPortsOptions {
  /** Time for the retrace bits. */
  clock: Clock;
  /** Called after a guest write that may change what is shown (CRTC, attributes, DAC). */
  onChange?: () => void;
}

/** The VGA register state, as plain data. */
export interface VgaPortsState {
  /** Miscellaneous output register. */
  misc: number;
  /** Feature control register. */
  featureControl: number;
  /** VGA enable (0x3C3). */
  enable: number;
  /** Sequencer index. */
  seqIndex: number;
  /** Sequencer registers 0-7. */
  seq: number[];
  /** CRTC index. */
  crtcIndex: number;
  /** CRTC registers 0-31 (0x00-0x18 are defined). */
  crtc: number[];
  /** Graphics controller index. */
  gfxIndex: number;
  /** Graphics controller registers 0-15 (0-8 defined). */
  gfx: number[];
  /** Attribute controller index (with bit 5, palette address source). */
  attrIndex: number;
  /** The attribute flip-flop: true when the next 0x3C0 write is data. */
  attrData: boolean;
  /** Attribute registers 0-31 (0x00-0x14 are defined). */
  attr: number[];
  /** DAC pixel mask. */
  dacMask: number;
  /** DAC write index. */
  dacWriteIndex: number;
  /** The colour component (0-2) the next DAC data write sets. */
  dacWriteComponent: number;
  /** DAC read index. */
  dacReadIndex: number;
  /** The colour component (0-2) the next DAC data read returns. */
  dacReadComponent: number;
  /** 0x3C7 reads 3 after a read index was set, 0 after a write index. */
  dacState: number;
  /** 256 entries of red, green, blue, 6 bits each. */
  dac: number[];
  /** Clock time of the last input status 1 read. */
  statusReadNs: number;
  /** How many input status 1 reads in a row saw that time. */
  statusReadsSameTime: number;
  /** The retrace phase used while the clock stands still. */
  stalledPhase: number;
}

/** The CRTC registers of 80x25 text mode with a 9x16 character cell. */
const MODE3_CRTC = [
  0x5f,
  0x4f,
  0x50,
  0x82,
  0x55,
  0x81,
  0xbf,
  0x1f,
  0x00,
  0x4f,
  0x0d,
  0x0e,
  0x00,
  0x00,
  0x00,
  0x00,
  0x9c,
  0x8e,
  0x8f,
  0x28,
  0x1f,
  0x96,
  0xb9,
  0xa3,
  0xff,
];
/** Attribute palette registers 0-15 of text mode: EGA colours by DAC index. */
// deno-fmt-ignore
export const TEXT_ATTR_PALETTE: readonly number[] = [
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07,
  0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
];
/** Attribute registers of text mode: the palette, then mode control, overscan, plane enable, panning, colour select. */
const MODE3_ATTR = [...TEXT_ATTR_PALETTE, 0x0c, 0x00, 0x0f, 0x08, 0x00];
const MODE3_SEQ = [0x03, 0x00, 0x03, 0x00, 0x02];
const MODE3_GFX = [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff];

/** Frame timing of the 400-line modes: 449 lines at about 70 Hz. */
const FRAME_NS = 1e9 / 70;
const LINES = 449;
const LINE_NS = FRAME_NS / LINES;
/** Vertical retrace lines and the displayed lines. */
const VRETRACE_FIRST = 412;
const VRETRACE_LAST = 413;
const VISIBLE_LINES = 400;
/** The part of a line that is displayed (the rest is horizontal blanking). */
const LINE_VISIBLE = 0.8;
/** Reads at one clock time before the bits move on their own. */
const STALL_READS = 4;

/** The 6-bit DAC value of EGA colour `i` (bits: b g r B G R) for one channel. */
function egaChannel(i: number, primaryBit: number, secondaryBit: number): number {
  return ((i >> primaryBit) & 1) * 0x2a + ((i >> secondaryBit) & 1) * 0x15;
}

/** The VGA's I/O registers. Register at 0x3C0 with length 0x20. */
export class VgaPorts implements BusDevice {
  /** The registers; plain data. */
  state: VgaPortsState;
  readonly #clock: Clock;
  readonly #onChange?: () => void;

  /** Makes the registers as 80x25 colour text mode leaves them. */
  constructor(options: VgaPortsOptions) {
    this.#clock = options.clock;
    this.#onChange = options.onChange;
    const fill = (n: number, values: number[]) => {
      const a = new Array<number>(n).fill(0);
      values.forEach((v, i) => a[i] = v);
      return a;
    };
    const dac = new Array<number>(768).fill(0);
    for (let i = 0; i < 64; i++) {
      dac[i * 3] = egaChannel(i, 2, 5);
      dac[i * 3 + 1] = egaChannel(i, 1, 4);
      dac[i * 3 + 2] = egaChannel(i, 0, 3);
    }
    this.state = {
      misc: 0x67,
      featureControl: 0,
      enable: 1,
      seqIndex: 0,
      seq: fill(8, MODE3_SEQ),
      crtcIndex: 0,
      crtc: fill(32, MODE3_CRTC),
      gfxIndex: 0,
      gfx: fill(16, MODE3_GFX),
      attrIndex: 0x20,
      attrData: false,
      attr: fill(32, MODE3_ATTR),
      dacMask: 0xff,
      dacWriteIndex: 0,
      dacWriteComponent: 0,
      dacReadIndex: 0,
      dacReadComponent: 0,
      dacState: 0,
      dac,
      statusReadNs: -1,
      statusReadsSameTime: 0,
      stalledPhase: 0,
    };
  }

  /** The text cursor: its offset in characters from the start of video memory, shape and visibility. */
  get cursor(): { offset: number; start: number; end: number; visible: boolean } {
    const c = this.state.crtc;
    return {
      offset: ((c[0x0e] << 8) | c[0x0f]) & 0xffff,
      start: c[0x0a] & 0x1f,
      end: c[0x0b] & 0x1f,
      visible: (c[0x0a] & 0x20) === 0 && (c[0x0a] & 0x1f) <= (c[0x0b] & 0x1f),
    };
  }

  /** The cursor as a row and column of the visible page, for `columns` characters a row. */
  cursorPosition(columns = 80): { row: number; column: number } {
    const cols = Math.max(1, Math.floor(columns) || 80);
    const rel = (this.cursor.offset - this.startAddress) & 0xffff;
    return { row: Math.floor(rel / cols), column: rel % cols };
  }

  /** CRTC start address (in characters): where the visible page begins. */
  get startAddress(): number {
    const c = this.state.crtc;
    return ((c[0x0c] << 8) | c[0x0d]) & 0xffff;
  }

  /** The DAC index that text attribute colour `color` (0-15) shows, through the attribute palette. */
  attributeColor(color: number): number {
    const a = this.state.attr;
    const p = a[color & 0x0f] & 0x3f;
    const colorSelect = a[0x14] & 0x0f;
    // Mode control bit 7: palette bits 5-4 come from colour select bits 1-0.
    const high = (a[0x10] & 0x80) ? (colorSelect & 0x03) << 4 : p & 0x30;
    return ((colorSelect & 0x0c) << 4) | high | (p & 0x0f);
  }

  /** DAC entry `index` (masked to 0-255) as 8-bit red, green, blue. */
  paletteRgb(index: number): [number, number, number] {
    const i = (index & 0xff & this.state.dacMask) * 3;
    const d = this.state.dac;
    const to8 = (v: number) => ((v & 0x3f) << 2) | ((v & 0x3f) >> 4);
    return [to8(d[i]), to8(d[i + 1]), to8(d[i + 2])];
  }

  /** Port read at `offset` from 0x3C0. */
  read(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) data[i] = this.#read(offset + i);
  }

  /** Port write at `offset` from 0x3C0. */
  write(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) this.#write(offset + i, data[i] & 0xff);
    this.#onChange?.();
  }

  /** A copy of the state. */
  snapshot(): VgaPortsState {
    return structuredClone(this.state);
  }

  /** Replaces the state with a copy of `state`. */
  restore(state: VgaPortsState): void {
    this.state = structuredClone(state);
  }

  #read(offset: number): number {
    const s = this.state;
    switch (offset) {
      case 0x00:
        return s.attrIndex;
      case 0x01:
        return s.attr[s.attrIndex & 0x1f];
      case 0x02:
        return 0x10; // input status 0: switch sense
      case 0x03:
        return s.enable;
      case 0x04:
        return s.seqIndex;
      case 0x05:
        return s.seq[s.seqIndex & 0x07];
      case 0x06:
        return s.dacMask;
      case 0x07:
        return s.dacState;
      case 0x08:
        return s.dacWriteIndex;
      case 0x09: {
        const v = s.dac[s.dacReadIndex * 3 + s.dacReadComponent];
        if (++s.dacReadComponent === 3) {
          s.dacReadComponent = 0;
          s.dacReadIndex = (s.dacReadIndex + 1) & 0xff;
        }
        return v;
      }
      case 0x0a:
        return s.featureControl;
      case 0x0c:
        return s.misc;
      case 0x0e:
        return s.gfxIndex;
      case 0x0f:
        return s.gfx[s.gfxIndex & 0x0f];
      case 0x14:
        return s.crtcIndex;
      case 0x15:
        return s.crtc[s.crtcIndex & 0x1f];
      case 0x1a:
        s.attrData = false; // reading input status 1 resets the attribute flip-flop
        return this.#inputStatus1();
      default:
        return 0xff;
    }
  }

  #write(offset: number, v: number): void {
    const s = this.state;
    switch (offset) {
      case 0x00:
        if (s.attrData) {
          const index = s.attrIndex & 0x1f;
          if (index < 0x15) s.attr[index] = v;
        } else {
          s.attrIndex = v & 0x3f;
        }
        s.attrData = !s.attrData;
        break;
      case 0x02:
        s.misc = v;
        break;
      case 0x03:
        s.enable = v & 0x01;
        break;
      case 0x04:
        s.seqIndex = v & 0x07;
        break;
      case 0x05:
        s.seq[s.seqIndex & 0x07] = v;
        break;
      case 0x06:
        s.dacMask = v;
        break;
      case 0x07:
        s.dacReadIndex = v;
        s.dacReadComponent = 0;
        s.dacState = 0x03;
        break;
      case 0x08:
        s.dacWriteIndex = v;
        s.dacWriteComponent = 0;
        s.dacState = 0x00;
        break;
      case 0x09:
        s.dac[s.dacWriteIndex * 3 + s.dacWriteComponent] = v & 0x3f;
        if (++s.dacWriteComponent === 3) {
          s.dacWriteComponent = 0;
          s.dacWriteIndex = (s.dacWriteIndex + 1) & 0xff;
        }
        break;
      case 0x0e:
        s.gfxIndex = v & 0x0f;
        break;
      case 0x0f:
        s.gfx[s.gfxIndex & 0x0f] = v;
        break;
      case 0x14:
        s.crtcIndex = v & 0x1f;
        break;
      case 0x15: {
        const index = s.crtcIndex & 0x1f;
        // CR11 bit 7 protects CR0-CR7, except CR7's line compare bit 4.
        if ((s.crtc[0x11] & 0x80) && index <= 7) {
          if (index === 7) s.crtc[7] = (s.crtc[7] & ~0x10) | (v & 0x10);
          break;
        }
        s.crtc[index] = v;
        break;
      }
      case 0x1a:
        s.featureControl = v;
        break;
      default:
        break;
    }
  }

  /** Input status 1: bit 0 display disabled (blanking), bit 3 vertical retrace. */
  #inputStatus1(): number {
    const s = this.state;
    const now = this.#clock.now();
    if (now === s.statusReadNs) {
      s.statusReadsSameTime++;
    } else {
      s.statusReadNs = now;
      s.statusReadsSameTime = 0;
    }
    let blank: boolean;
    let vretrace: boolean;
    if (s.statusReadsSameTime >= STALL_READS) {
      // The clock stands still: step through the phases on reads instead.
      s.stalledPhase = (s.stalledPhase + 1) & 3;
      vretrace = s.stalledPhase >= 2;
      blank = vretrace || (s.stalledPhase & 1) === 1;
    } else {
      const inFrame = now % FRAME_NS;
      const line = Math.floor(inFrame / LINE_NS);
      const inLine = (inFrame - line * LINE_NS) / LINE_NS;
      vretrace = line >= VRETRACE_FIRST && line <= VRETRACE_LAST;
      blank = line >= VISIBLE_LINES || inLine >= LINE_VISIBLE;
    }
    return (blank ? 0x01 : 0) | (vretrace ? 0x08 : 0);
  }
}
