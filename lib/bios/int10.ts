/**
 * INT 10h, video services, on picovmm's VGA: modes 0/1 (40x25 text), 2/3 (80x25 text), 4/5
 * (CGA 320x200x4) and 13h (320x200x256); cursor, pages, scrolling,
 * characters, teletype, pixels, palette and DAC, font and display info.
 *
 * Text goes straight into the VGA's memory; the BDA (mode, columns, page,
 * cursor positions) is kept as the IBM BIOS keeps it and read back on every
 * call, since guests change it too. Every page, row, column and count from
 * the guest is checked before it indexes video memory. In graphics modes
 * characters are drawn with the 8x8 font INT 43h points at (the ROM's, or
 * the guest's own), and also kept in the VGA's text shadow so scripts can
 * read them as text.
 *
 * @module
 */

import type { Vga } from "../devices/vga.ts";
import { BDA } from "./bda.ts";
import type { BiosEnv } from "./env.ts";
import { type BiosRegs, linear } from "./regs.ts";
import { ROM_SEGMENT } from "./rom.ts";

/** Text pages in modes 2/3. */
const TEXT_PAGES = 8;
/** Bytes per text page: 4 KiB in 80-column modes, 2 KiB in 40-column ones. */
function textPageSize(v: { columns: number }): number {
  return v.columns === 40 ? 0x800 : 0x1000;
}

/** INT 10h. */
export function int10(r: BiosRegs, env: BiosEnv): void {
  const v = env.vga;
  switch (r.ah) {
    case 0x00:
      setMode(env, r.al);
      r.al = v.mode === 0x13 ? 0x20 : 0x30;
      return;
    case 0x01:
      env.memory.writeU16(BDA.CURSOR_SHAPE, r.cx);
      v.setCursorShape(r.ch, r.cl);
      return;
    case 0x02:
      if (r.bh < pageCount(v)) setCursor(env, r.bh, r.dh, r.dl);
      return;
    case 0x03: {
      const page = r.bh < TEXT_PAGES ? r.bh : 0;
      const at = cursorOf(env, page);
      r.dh = at.row;
      r.dl = at.col;
      r.cx = env.memory.readU16(BDA.CURSOR_SHAPE);
      r.ax = 0;
      return;
    }
    case 0x05:
      setActivePage(env, r.al);
      return;
    case 0x06:
    case 0x07:
      scroll(env, activePage(env), r.al, r.bh, r.ch, r.cl, r.dh, r.dl, r.ah === 0x06);
      return;
    case 0x08: {
      if (r.bh >= pageCount(v)) return;
      const at = cursorOf(env, r.bh);
      const cell = readCell(v, r.bh, at.row, at.col);
      r.al = cell.char;
      r.ah = cell.attr;
      return;
    }
    case 0x09:
    case 0x0a:
      writeRepeated(env, r.bh, r.al, r.ah === 0x09 || v.isGraphics ? r.bl : undefined, r.cx);
      return;
    case 0x0b:
      if (r.bh === 0) v.cgaColourSelect = (v.cgaColourSelect & 0xe0) | (r.bl & 0x1f);
      else if (r.bh === 1) v.cgaColourSelect = (v.cgaColourSelect & ~0x20) | (r.bl & 1 ? 0x20 : 0);
      env.memory.writeU8(BDA.CRT_PALETTE, v.cgaColourSelect);
      return;
    case 0x0c:
      v.setPixel(r.cx, r.dx, r.al);
      return;
    case 0x0d:
      r.al = v.pixel(r.cx, r.dx);
      return;
    case 0x0e:
      teletype(env, r.al, r.bl);
      return;
    case 0x0f:
      r.al = env.memory.readU8(BDA.VIDEO_MODE);
      r.ah = env.memory.readU8(BDA.VIDEO_COLUMNS);
      r.bh = activePage(env);
      return;
    case 0x10:
      palette(r, env);
      return;
    case 0x11:
      font(r, env);
      return;
    case 0x12:
      alternateSelect(r);
      return;
    case 0x13:
      writeString(r, env);
      return;
    case 0x1a:
      if (r.al === 0x00) {
        r.al = 0x1a;
        r.bx = 0x0008; // VGA with colour analog display, no alternate
      } else if (r.al === 0x01) {
        r.al = 0x1a;
      }
      return;
    default:
      return; // unsupported functions return unchanged, as on IBM's BIOS
  }
}

/** Number of display pages in the current mode. */
function pageCount(v: Vga): number {
  return v.isGraphics ? 1 : TEXT_PAGES;
}

/** The active page from the BDA (0 when the guest stored nonsense). */
function activePage(env: BiosEnv): number {
  const p = env.memory.readU8(BDA.ACTIVE_PAGE);
  return p < pageCount(env.vga) ? p : 0;
}

/** A page's cursor from the BDA. */
function cursorOf(env: BiosEnv, page: number): { row: number; col: number } {
  const w = env.memory.readU16(BDA.CURSOR_POS + (page & 7) * 2);
  return { row: w >> 8, col: w & 0xff };
}

/** Sets the video mode and the BDA fields that describe it. */
export function setMode(env: BiosEnv, al: number): void {
  const v = env.vga;
  const mode = al & 0x7f;
  if (!v.setMode(mode, (al & 0x80) !== 0)) return;
  const m = env.memory;
  const info = v.modeInfo;
  m.writeU8(BDA.VIDEO_MODE, mode);
  m.writeU16(BDA.VIDEO_COLUMNS, info.columns);
  m.writeU16(
    BDA.VIDEO_PAGE_SIZE,
    info.kind === "text" ? textPageSize(info) : info.kind === "cga4" ? 0x4000 : 0xfa00,
  );
  m.writeU16(BDA.VIDEO_PAGE_START, 0);
  for (let p = 0; p < 8; p++) m.writeU16(BDA.CURSOR_POS + p * 2, 0);
  m.writeU16(BDA.CURSOR_SHAPE, info.kind === "text" ? 0x0607 : 0);
  m.writeU8(BDA.ACTIVE_PAGE, 0);
  m.writeU16(BDA.CRTC_BASE, 0x3d4);
  const modeControl: Record<number, number> = {
    0: 0x2c,
    1: 0x28,
    2: 0x2d,
    3: 0x29,
    4: 0x2a,
    5: 0x2e,
    0x13: 0x29,
  };
  m.writeU8(BDA.CRT_MODE_CONTROL, modeControl[mode] ?? 0x29);
  m.writeU8(BDA.CRT_PALETTE, v.cgaColourSelect);
  m.writeU8(BDA.VIDEO_ROWS, info.rows - 1);
  m.writeU16(BDA.CHAR_HEIGHT, info.kind === "text" ? 16 : 8);
  m.writeU8(BDA.VIDEO_CONTROL, 0x60 | (al & 0x80));
  m.writeU8(BDA.VIDEO_SWITCHES, 0xf9);
  m.writeU8(BDA.VIDEO_MODESET, 0x51);
  m.writeU8(BDA.VIDEO_DCC, 0x0b);
  // INT 43h: the font of the mode (8x8 in the 200-line graphics modes).
  m.writeU16(0x43 * 4, info.kind === "text" ? env.rom.font8x16 : env.rom.font8x8);
  m.writeU16(0x43 * 4 + 2, ROM_SEGMENT);
}

/** Stores a page's cursor; moves the hardware cursor when the page is active. */
function setCursor(env: BiosEnv, page: number, row: number, col: number): void {
  env.memory.writeU16(BDA.CURSOR_POS + page * 2, ((row & 0xff) << 8) | (col & 0xff));
  if (page === activePage(env)) {
    const cols = env.vga.modeInfo.columns;
    env.vga.cursorOffset = (page * textPageSize(env.vga.modeInfo) >> 1) + row * cols + col;
  }
}

function setActivePage(env: BiosEnv, page: number): void {
  const v = env.vga;
  if (page >= pageCount(v)) return;
  env.memory.writeU8(BDA.ACTIVE_PAGE, page);
  const pageSize = textPageSize(v.modeInfo);
  env.memory.writeU16(BDA.VIDEO_PAGE_START, page * pageSize);
  v.startAddress = v.isGraphics ? 0 : (page * pageSize) >> 1;
  const at = cursorOf(env, page);
  setCursor(env, page, at.row, at.col);
}

/** One character cell of a page: text memory, or the text shadow in graphics modes. */
function cellIndex(v: Vga, page: number, row: number, col: number): number {
  const { columns, rows } = v.modeInfo;
  if (page < 0 || page >= pageCount(v)) return -1;
  if (row < 0 || row >= rows || col < 0 || col >= columns) return -1;
  return v.isGraphics
    ? (row * 80 + col) * 2
    : page * textPageSize(v.modeInfo) + (row * columns + col) * 2;
}

function cells(v: Vga): Uint8Array {
  return v.isGraphics ? v.textShadow : v.vram;
}

function readCell(v: Vga, page: number, row: number, col: number): { char: number; attr: number } {
  const at = cellIndex(v, page, row, col);
  if (at < 0) return { char: 0, attr: 0 };
  const mem = cells(v);
  return { char: mem[at], attr: mem[at + 1] };
}

/** Writes a character (and an attribute, unless undefined) into a cell. */
function writeCell(
  env: BiosEnv,
  page: number,
  row: number,
  col: number,
  char: number,
  attr: number | undefined,
): void {
  const v = env.vga;
  const at = cellIndex(v, page, row, col);
  if (at < 0) return;
  const mem = cells(v);
  mem[at] = char;
  if (attr !== undefined) mem[at + 1] = attr;
  else if (v.isGraphics) mem[at + 1] = 0x07;
  if (v.isGraphics) drawGlyph(env, row, col, char, attr ?? 7);
}

/**
 * Draws a character into its 8x8 cell in a graphics mode, with the glyph
 * from the font at INT 43h. Colour bit 7 XORs the glyph onto the screen
 * (CGA modes, as on IBM's BIOS); otherwise the background is cleared.
 */
function drawGlyph(env: BiosEnv, row: number, col: number, char: number, colour: number): void {
  const v = env.vga;
  const m = env.memory;
  const font = linear(m.readU16(0x43 * 4 + 2), m.readU16(0x43 * 4)) + char * 8;
  // A vector the guest pointed off RAM and ROM draws nothing rather than fail.
  if (!m.contains(font, 8)) return;
  const xor = (colour & 0x80) !== 0 && v.modeInfo.kind === "cga4";
  for (let y = 0; y < 8; y++) {
    const bits = m.readU8(font + y);
    for (let x = 0; x < 8; x++) {
      const on = (bits & (0x80 >> x)) !== 0;
      if (xor && !on) continue;
      v.setPixel(col * 8 + x, row * 8 + y, on ? colour : 0);
    }
  }
}

/** AH=09h/0Ah: `count` copies of a character from the cursor on, clipped to the page. */
function writeRepeated(
  env: BiosEnv,
  page: number,
  char: number,
  attr: number | undefined,
  count: number,
): void {
  const v = env.vga;
  if (page >= pageCount(v)) return;
  const { columns, rows } = v.modeInfo;
  const at = cursorOf(env, page);
  if (at.row >= rows || at.col >= columns) return;
  const start = at.row * columns + at.col;
  const n = Math.min(count, rows * columns - start);
  for (let i = 0; i < n; i++) {
    const pos = start + i;
    writeCell(env, page, Math.floor(pos / columns), pos % columns, char, attr);
  }
}

/** AH=06h/07h: scrolls a window of a page up or down; 0 lines (or too many) clears it. */
export function scroll(
  env: BiosEnv,
  page: number,
  lines: number,
  attr: number,
  top: number,
  left: number,
  bottom: number,
  right: number,
  up: boolean,
): void {
  const v = env.vga;
  const { columns, rows } = v.modeInfo;
  bottom = Math.min(bottom, rows - 1);
  right = Math.min(right, columns - 1);
  if (top > bottom || left > right || page >= pageCount(v)) return;
  const height = bottom - top + 1;
  if (lines === 0 || lines > height) lines = height;
  const mem = cells(v);
  const blank = v.isGraphics ? 0x07 : attr;
  for (let i = 0; i < height; i++) {
    const row = up ? top + i : bottom - i;
    const from = up ? row + lines : row - lines;
    const inside = up ? from <= bottom : from >= top;
    for (let col = left; col <= right; col++) {
      const dst = cellIndex(v, page, row, col);
      if (inside) {
        const src = cellIndex(v, page, from, col);
        mem[dst] = mem[src];
        mem[dst + 1] = mem[src + 1];
      } else {
        mem[dst] = 0x20;
        mem[dst + 1] = blank;
      }
    }
    if (v.isGraphics) scrollPixels(v, row, inside ? from : -1, left, right, attr);
  }
}

/** Copies character row `from`'s pixels (or fills with `colour` when -1) into row `row`. */
function scrollPixels(
  v: Vga,
  row: number,
  from: number,
  left: number,
  right: number,
  colour: number,
): void {
  for (let y = 0; y < 8; y++) {
    for (let x = left * 8; x < (right + 1) * 8; x++) {
      v.setPixel(x, row * 8 + y, from >= 0 ? v.pixel(x, from * 8 + y) : colour & 0x7f);
    }
  }
}

/** AH=0Eh: teletype output on the active page, with BEL, BS, LF, CR and scrolling. */
export function teletype(env: BiosEnv, char: number, colour: number): void {
  const v = env.vga;
  const page = activePage(env);
  const { columns, rows } = v.modeInfo;
  let { row, col } = cursorOf(env, page);
  // A cursor the guest put off-screen is brought back before writing.
  if (row >= rows) row = rows - 1;
  if (col >= columns) col = columns - 1;
  switch (char) {
    case 0x07:
      return;
    case 0x08:
      if (col > 0) col--;
      break;
    case 0x0a:
      row++;
      break;
    case 0x0d:
      col = 0;
      break;
    default:
      writeCell(env, page, row, col, char, v.isGraphics ? colour : undefined);
      col++;
  }
  if (col >= columns) {
    col = 0;
    row++;
  }
  if (row >= rows) {
    const attr = v.isGraphics ? 0 : readCell(v, page, rows - 1, Math.min(col, columns - 1)).attr;
    scroll(env, page, 1, attr, 0, 0, rows - 1, columns - 1, true);
    row = rows - 1;
  }
  setCursor(env, page, row, col);
}

/** AH=13h: writes a string from ES:BP; AL bit 0 moves the cursor, bit 1 the string has attributes. */
function writeString(r: BiosRegs, env: BiosEnv): void {
  const v = env.vga;
  const page = r.bh;
  if (page >= pageCount(v)) return;
  const withAttrs = (r.al & 2) !== 0;
  const length = r.cx * (withAttrs ? 2 : 1);
  const start = linear(r.es, r.bp);
  if (!env.memory.contains(start, length)) return;
  const text = env.memory.read(start, length);
  const saved = cursorOf(env, page);
  const { columns, rows } = v.modeInfo;
  let row = r.dh, col = r.dl;
  for (let i = 0; i < r.cx; i++) {
    const char = text[withAttrs ? i * 2 : i];
    const attr = withAttrs ? text[i * 2 + 1] : r.bl;
    if (char === 0x07 || char === 0x08 || char === 0x0a || char === 0x0d) {
      setCursor(env, page, row, col);
      if (page === activePage(env)) teletype(env, char, attr);
      ({ row, col } = cursorOf(env, page));
      continue;
    }
    writeCell(env, page, row, col, char, attr);
    if (++col >= columns) {
      col = 0;
      if (++row >= rows) {
        scroll(env, page, 1, attr, 0, 0, rows - 1, columns - 1, true);
        row = rows - 1;
      }
    }
  }
  if (r.al & 1) setCursor(env, page, row, col);
  else setCursor(env, page, saved.row, saved.col);
}

/** AH=10h: the attribute controller's palette and the DAC (in the VGA's registers). */
function palette(r: BiosRegs, env: BiosEnv): void {
  const regs = env.vga.registers.state;
  const dac = regs.dac;
  const m = env.memory;
  switch (r.al) {
    case 0x00:
      if (r.bl < 0x15) regs.attr[r.bl] = r.bh;
      return;
    case 0x01:
      regs.attr[0x11] = r.bh;
      return;
    case 0x02: {
      const at = linear(r.es, r.dx);
      if (!m.contains(at, 17)) return;
      m.read(at, 17).forEach((b, i) => regs.attr[i < 16 ? i : 0x11] = b);
      return;
    }
    case 0x03:
      // Blink (BL=1) or bright backgrounds (BL=0): attribute mode control bit 3.
      regs.attr[0x10] = (regs.attr[0x10] & ~0x08) | (r.bl & 1 ? 0x08 : 0);
      return;
    case 0x07:
      if (r.bl < 0x15) r.bh = regs.attr[r.bl];
      return;
    case 0x08:
      r.bh = regs.attr[0x11];
      return;
    case 0x09: {
      const at = linear(r.es, r.dx);
      if (!m.contains(at, 17)) return;
      m.write(at, Uint8Array.from([...regs.attr.slice(0, 16), regs.attr[0x11]]));
      return;
    }
    case 0x10:
      if (r.bx < 256) [r.dh, r.ch, r.cl].forEach((c, k) => dac[r.bx * 3 + k] = c & 63);
      return;
    case 0x12:
    case 0x17: {
      const first = r.bx, count = r.cx;
      if (first >= 256 || count > 256 - first) return;
      const at = linear(r.es, r.dx);
      if (!m.contains(at, count * 3)) return;
      if (r.al === 0x12) {
        m.read(at, count * 3).forEach((b, i) => dac[first * 3 + i] = b & 63);
      } else {
        m.write(at, Uint8Array.from(dac.slice(first * 3, (first + count) * 3)));
      }
      return;
    }
    case 0x15:
      if (r.bx < 256) {
        r.dh = dac[r.bx * 3];
        r.ch = dac[r.bx * 3 + 1];
        r.cl = dac[r.bx * 3 + 2];
      }
      return;
    case 0x18:
      regs.dacMask = r.bl;
      return;
    case 0x19:
      r.bl = regs.dacMask;
      return;
    case 0x1a:
      r.bx = 0; // paging mode 0, page 0
      return;
    default:
      return;
  }
}

/** AH=11h: character generator. Loading text fonts is accepted and ignored; AL=30h informs. */
function font(r: BiosRegs, env: BiosEnv): void {
  if (r.al !== 0x30) return;
  const rom = env.rom;
  // BH: 0 INT 1Fh, 1 INT 43h, 2 8x14, 3 8x8, 4 8x8 upper half, 5 9x14, 6 8x16, 7 9x16.
  // There is no 8x14 font: the 14-line requests get the 8x16 one.
  const offsets: Record<number, number> = {
    0: rom.font8x8 + 128 * 8,
    1: rom.font8x8,
    2: rom.font8x16,
    3: rom.font8x8,
    4: rom.font8x8 + 128 * 8,
    5: rom.font8x16,
    6: rom.font8x16,
    7: rom.font8x16,
  };
  const offset = offsets[r.bh];
  if (offset === undefined) return;
  r.es = ROM_SEGMENT;
  r.bp = offset;
  r.cx = env.memory.readU16(BDA.CHAR_HEIGHT);
  r.dl = env.memory.readU8(BDA.VIDEO_ROWS);
}

/** AH=12h: alternate select (EGA/VGA information and settings). */
function alternateSelect(r: BiosRegs): void {
  if (r.bl === 0x10) {
    r.bh = 0; // colour
    r.bl = 3; // 256 KiB
    r.ch = 0;
    r.cl = 9;
  } else if (r.bl >= 0x30 && r.bl <= 0x36) {
    r.al = 0x12; // function supported
  }
}
