/**
 * Generates lib/display/font-data.ts, the PC's text fonts, from The Ultimate Oldschool PC Font
 * Pack by VileR (CC BY-SA 4.0), as Debian's `fonts-pc` package ships it: TrueType files whose
 * outlines are unions of square pixels. Two fonts: the IBM VGA 8x16 (Px_IBM_VGA8.ttf) and the
 * IBM CGA 8x8 (Px_IBM_CGA.ttf).
 *
 * The compiled executable cannot read system files, so the fonts are turned into a TS module
 * once and committed; run this only to regenerate it:
 *
 * ```sh
 * apt-get install -y fonts-pc          # or: apt-get download fonts-pc && dpkg-deb -x fonts-pc_*.deb x
 * deno run --allow-read --allow-write tools/gen-vga-font.ts [directory with the .ttf files]
 * deno fmt lib/display/font-data.ts
 * ```
 *
 * How: each code page 437 byte is mapped to Unicode (lib/display/cp437.ts), its glyph is looked
 * up through the font's `cmap`, and each of the 8x16 pixels is set when the centre of that
 * pixel's square lies inside the outline (non-zero winding). The pixel size and the top row come
 * from the font itself: advance width / 8, and the `hhea` ascender.
 *
 * @module
 */

import { CP437 } from "../lib/display/cp437.ts";

const DEFAULT_DIR = "/usr/share/fonts/pc";
const OUTPUT = new URL("../lib/display/font-data.ts", import.meta.url);
const WIDTH = 8;

/** A TrueType file's tables by tag. */
function tables(font: DataView): Map<string, DataView> {
  const count = font.getUint16(4);
  const out = new Map<string, DataView>();
  for (let i = 0; i < count; i++) {
    const rec = 12 + i * 16;
    const tag = String.fromCharCode(
      font.getUint8(rec),
      font.getUint8(rec + 1),
      font.getUint8(rec + 2),
      font.getUint8(rec + 3),
    );
    const offset = font.getUint32(rec + 8);
    const length = font.getUint32(rec + 12);
    out.set(tag, new DataView(font.buffer, font.byteOffset + offset, length));
  }
  return out;
}

/** Unicode -> glyph index from a format 4 (BMP) `cmap` subtable. */
function cmapFormat4(cmap: DataView): Map<number, number> {
  const count = cmap.getUint16(2);
  let sub = -1;
  for (let i = 0; i < count; i++) {
    const platform = cmap.getUint16(4 + i * 8);
    const encoding = cmap.getUint16(6 + i * 8);
    const offset = cmap.getUint32(8 + i * 8);
    if (cmap.getUint16(offset) !== 4) continue;
    if ((platform === 3 && encoding === 1) || platform === 0) sub = offset;
  }
  if (sub < 0) throw new Error("no Unicode BMP (format 4) cmap subtable");
  const segX2 = cmap.getUint16(sub + 6);
  const ends = sub + 14;
  const starts = ends + segX2 + 2;
  const deltas = starts + segX2;
  const rangeOffsets = deltas + segX2;
  const map = new Map<number, number>();
  for (let s = 0; s < segX2; s += 2) {
    const end = cmap.getUint16(ends + s);
    const start = cmap.getUint16(starts + s);
    const delta = cmap.getInt16(deltas + s);
    const rangeOffset = cmap.getUint16(rangeOffsets + s);
    for (let c = start; c <= end && c !== 0xffff; c++) {
      let glyph: number;
      if (rangeOffset === 0) glyph = (c + delta) & 0xffff;
      else {
        const at = rangeOffsets + s + rangeOffset + (c - start) * 2;
        glyph = cmap.getUint16(at);
        if (glyph !== 0) glyph = (glyph + delta) & 0xffff;
      }
      if (glyph !== 0) map.set(c, glyph);
    }
  }
  return map;
}

type Point = { x: number; y: number; on: boolean };

/** The contours of a glyph (composite glyphs flattened; only offsets, no scaling). */
function contours(glyf: DataView, loca: (g: number) => [number, number], g: number): Point[][] {
  const [start, end] = loca(g);
  if (end === start) return [];
  const n = glyf.getInt16(start);
  if (n < 0) {
    const out: Point[][] = [];
    let p = start + 10;
    for (;;) {
      const flags = glyf.getUint16(p);
      const child = glyf.getUint16(p + 2);
      p += 4;
      let dx: number, dy: number;
      if (flags & 1) {
        dx = glyf.getInt16(p);
        dy = glyf.getInt16(p + 2);
        p += 4;
      } else {
        dx = glyf.getInt8(p);
        dy = glyf.getInt8(p + 1);
        p += 2;
      }
      if (!(flags & 2)) throw new Error(`glyph ${g}: component by point matching`);
      if (flags & (0x08 | 0x40 | 0x80)) throw new Error(`glyph ${g}: scaled component`);
      for (const c of contours(glyf, loca, child)) {
        out.push(c.map((q) => ({ x: q.x + dx, y: q.y + dy, on: q.on })));
      }
      if (!(flags & 0x20)) break;
    }
    return out;
  }
  const endPts: number[] = [];
  for (let i = 0; i < n; i++) endPts.push(glyf.getUint16(start + 10 + i * 2));
  const total = n ? endPts[n - 1] + 1 : 0;
  let p = start + 10 + n * 2;
  p += 2 + glyf.getUint16(p); // instructions
  const flags: number[] = [];
  while (flags.length < total) {
    const f = glyf.getUint8(p++);
    flags.push(f);
    if (f & 8) {
      for (let r = glyf.getUint8(p++); r > 0; r--) flags.push(f);
    }
  }
  const coords = (short: number, same: number): number[] => {
    const out: number[] = [];
    let v = 0;
    for (const f of flags) {
      if (f & short) v += f & same ? glyf.getUint8(p++) : -glyf.getUint8(p++);
      else if (!(f & same)) {
        v += glyf.getInt16(p);
        p += 2;
      }
      out.push(v);
    }
    return out;
  };
  const xs = coords(2, 16);
  const ys = coords(4, 32);
  const out: Point[][] = [];
  let first = 0;
  for (const last of endPts) {
    const c: Point[] = [];
    for (let i = first; i <= last; i++) c.push({ x: xs[i], y: ys[i], on: (flags[i] & 1) === 1 });
    out.push(c);
    first = last + 1;
  }
  return out;
}

/** Straight edges of a contour; quadratic curves are flattened into short lines. */
function edges(contour: Point[]): [number, number, number, number][] {
  const pts: { x: number; y: number }[] = [];
  const n = contour.length;
  for (let i = 0; i < n; i++) {
    const cur = contour[i];
    if (cur.on) {
      pts.push(cur);
      continue;
    }
    const prev = contour[(i + n - 1) % n];
    const next = contour[(i + 1) % n];
    const from = prev.on ? prev : { x: (prev.x + cur.x) / 2, y: (prev.y + cur.y) / 2 };
    const to = next.on ? next : { x: (next.x + cur.x) / 2, y: (next.y + cur.y) / 2 };
    if (!prev.on) pts.push(from);
    for (let t = 1; t < 8; t++) {
      const u = t / 8;
      pts.push({
        x: (1 - u) ** 2 * from.x + 2 * u * (1 - u) * cur.x + u * u * to.x,
        y: (1 - u) ** 2 * from.y + 2 * u * (1 - u) * cur.y + u * u * to.y,
      });
    }
  }
  return pts.map((a, i) => {
    const b = pts[(i + 1) % pts.length];
    return [a.x, a.y, b.x, b.y];
  });
}

/** Non-zero winding test of a point against a glyph's contours. */
function inside(shape: Point[][], x: number, y: number): boolean {
  let winding = 0;
  for (const c of shape) {
    for (const [x0, y0, x1, y1] of edges(c)) {
      if ((y0 <= y) !== (y1 <= y)) {
        const cross = x0 + (y - y0) / (y1 - y0) * (x1 - x0);
        if (cross > x) winding += y1 > y0 ? 1 : -1;
      }
    }
  }
  return winding !== 0;
}

/** The 256 glyphs of code page 437 from a pixel-outline TrueType font, as hex rows. */
function convert(path: string, height: number): string[] {
  const bytes = Deno.readFileSync(path);
  const font = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const t = tables(font);
  const need = (tag: string): DataView => {
    const v = t.get(tag);
    if (!v) throw new Error(`${path}: no ${tag} table`);
    return v;
  };
  const head = need("head");
  const hhea = need("hhea");
  const hmtx = need("hmtx");
  const glyf = need("glyf");
  const locaTable = need("loca");
  const longLoca = head.getInt16(50) === 1;
  const loca = (g: number): [number, number] =>
    longLoca
      ? [locaTable.getUint32(g * 4), locaTable.getUint32(g * 4 + 4)]
      : [locaTable.getUint16(g * 2) * 2, locaTable.getUint16(g * 2 + 2) * 2];
  const cmap = cmapFormat4(need("cmap"));
  const ascender = hhea.getInt16(4);

  // Every glyph of a pixel font has the same advance: eight pixels.
  const spaceGlyph = cmap.get(0x20);
  if (spaceGlyph === undefined) throw new Error(`${path}: no space glyph`);
  const metrics = hhea.getUint16(34);
  const advance = hmtx.getUint16(Math.min(spaceGlyph, metrics - 1) * 4);
  const pixel = advance / WIDTH;

  const glyphs = new Uint8Array(256 * height);
  const missing: string[] = [];
  for (let code = 0; code < 256; code++) {
    // 0x00 and 0xFF are blank in the ROMs; cp437.ts shows both as spaces.
    if (code === 0 || code === 0xff) continue;
    const unicode = CP437[code].codePointAt(0) ?? 0;
    const g = cmap.get(unicode);
    if (g === undefined) {
      missing.push(`0x${code.toString(16)} U+${unicode.toString(16)}`);
      continue;
    }
    const shape = contours(glyf, loca, g);
    for (let row = 0; row < height; row++) {
      let bits = 0;
      const y = ascender - (row + 0.5) * pixel;
      for (let col = 0; col < WIDTH; col++) {
        if (inside(shape, (col + 0.5) * pixel, y)) bits |= 0x80 >> col;
      }
      glyphs[code * height + row] = bits;
    }
  }
  if (missing.length) throw new Error(`glyphs missing from ${path}: ${missing.join(", ")}`);
  console.log(`${path}: 256 glyphs of ${height} rows, pixel ${pixel} units`);
  const hex = (b: number): string => b.toString(16).padStart(2, "0");
  return Array.from(
    { length: 256 },
    (_, code) => [...glyphs.subarray(code * height, (code + 1) * height)].map(hex).join(""),
  );
}

/** The array literal lines of one font, each glyph labelled with its code. */
function lines(rows: string[]): string {
  return rows.map((hex, code) => {
    const label = code >= 0x21 && code < 0x7f ? ` ${CP437[code]}` : "";
    return `  "${hex}", // 0x${code.toString(16).padStart(2, "0")}${label}`;
  }).join("\n");
}

const dir = Deno.args[0] ?? DEFAULT_DIR;
const vga = convert(`${dir}/Px_IBM_VGA8.ttf`, 16);
const cga = convert(`${dir}/Px_IBM_CGA.ttf`, 8);

const source = `// Generated by tools/gen-vga-font.ts; do not edit by hand.
//
// The IBM VGA 8x16 and IBM CGA 8x8 fonts from The Ultimate Oldschool PC Font Pack by VileR
// (https://int10h.org/oldschool-pc-fonts/), as shipped in Debian's fonts-pc package
// (Px_IBM_VGA8.ttf, Px_IBM_CGA.ttf), licensed under the Creative Commons Attribution-ShareAlike
// 4.0 International licence (https://creativecommons.org/licenses/by-sa/4.0/), provided as-is
// without warranties. Changed: the pixel outlines were converted back to bitmaps in code page
// 437 order. This file is shared under the same licence.

/**
 * The PC's ROM text fonts: 256 glyphs each in code page 437 order, one hex string a glyph (two
 * digits a row, top row first, bit 7 the leftmost pixel).
 *
 * @module
 */

/** The IBM VGA 8x16 font (16 rows a glyph). */
export const VGA_FONT_8X16_HEX: readonly string[] = [
${lines(vga)}
];

/** The IBM CGA 8x8 font (8 rows a glyph), the shapes of 200-line modes. */
export const CGA_FONT_8X8_HEX: readonly string[] = [
${lines(cga)}
];
`;
await Deno.writeTextFile(OUTPUT, source);
console.log(`wrote ${OUTPUT.pathname}`);
