/**
 * VGA text memory (80x25 colour text at 0xB8000). The device owns its video
 * RAM; the screen is always read from here, never from guest memory.
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";

/** Guest-physical base of colour text memory. */
export const VGA_TEXT_BASE = 0xb8000;
/** 32 KiB: eight 80x25 pages (4000 bytes each, 4 KiB apart). */
export const VGA_TEXT_SIZE = 0x8000;

/** One character cell: code page 437 byte and attribute. */
export interface Cell {
  char: number;
  attr: number;
}

/** The text-mode frame buffer as a bus device. */
export class VgaText implements BusDevice {
  /** Characters per row of the visible text mode (80, or 40 in modes 0 and 1). */
  columns = 80;
  readonly rows = 25;
  /** Video RAM; guest writes land here. */
  vram: Uint8Array = new Uint8Array(VGA_TEXT_SIZE);
  /** Start of the visible page within vram (CRTC start address * 2). */
  pageOffset = 0;
  /** Number of guest writes seen (for tests and traces). */
  writes = 0;

  /** MMIO read: bytes from video RAM (the offset is within the device's range). */
  read(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const at = offset + i;
      data[i] = at < this.vram.length ? this.vram[at] : 0xff;
    }
  }

  /** MMIO write into video RAM. */
  write(offset: number, data: Uint8Array): void {
    this.writes++;
    for (let i = 0; i < data.length; i++) {
      const at = offset + i;
      if (at < this.vram.length) this.vram[at] = data[i];
    }
  }

  /** The cell at a row and column of the visible page. */
  cell(row: number, column: number): Cell {
    const at = (this.pageOffset + (row * this.columns + column) * 2) % this.vram.length;
    return { char: this.vram[at], attr: this.vram[at + 1] };
  }
}
