/**
 * Colour palettes of the PC's display adapters, computed from their definitions: the 16 text
 * colours, the VGA's default 256-colour DAC palette (mode 13h) and the CGA's four-colour
 * palettes (mode 4).
 *
 * @example
 * ```ts
 * import { defaultVgaPalette, TEXT_COLOURS } from "./palette.ts";
 * TEXT_COLOURS[6]; // [0xaa, 0x55, 0x00]: brown, not dark yellow
 * defaultVgaPalette().rgb.subarray(40 * 3, 40 * 3 + 3); // [63, 0, 0]: bright red, 6-bit
 * ```
 *
 * @module
 */

/** One colour as 8-bit red, green, blue. */
export type Rgb = readonly [number, number, number];

/**
 * A palette: `rgb` holds red, green, blue for each entry (3 bytes an entry), with components of
 * `bits` bits: 6 for values as the VGA DAC holds them (0-63), 8 for 0-255.
 */
export interface Palette {
  /** Red, green, blue of each entry in turn. */
  readonly rgb: Uint8Array;
  /** Bits per component: 6 (DAC values 0-63) or 8 (0-255). */
  readonly bits: 6 | 8;
}

/**
 * A 6-bit DAC component (0-63) as 8 bits (0-255): shifted up, with its top two bits repeated
 * below so that 63 gives 255 (and 21, 42 give 0x55, 0xAA). The VGA registers' `paletteRgb`
 * widens the same way, so both give the same colours.
 */
export function dacToRgb8(value: number): number {
  const v = value & 0x3f;
  return (v << 2) | (v >> 4);
}

/**
 * The 16 IRGB colours as 6-bit DAC values: each of red, green, blue is 2/3 on when its bit is
 * set, and intensity adds 1/3 to all three. Colour 6 is the exception every CGA monitor made:
 * its green is halved, giving brown instead of dark yellow.
 */
function irgbDac(index: number): [number, number, number] {
  const on = (bit: number) => (index & bit ? 0x2a : 0) + (index & 8 ? 0x15 : 0);
  const rgb: [number, number, number] = [on(4), on(2), on(1)];
  if (index === 6) rgb[1] = 0x15;
  return rgb;
}

/**
 * The 16 text-mode colours (attribute nibble IRGB) as 8-bit RGB: the VGA's default attribute
 * palette, which gives the CGA/EGA colours (0x00, 0x55, 0xAA, 0xFF per component).
 */
export const TEXT_COLOURS: readonly Rgb[] = Array.from({ length: 16 }, (_, i) => {
  const [r, g, b] = irgbDac(i);
  return [dacToRgb8(r), dacToRgb8(g), dacToRgb8(b)] as const;
});

/** The 16 grey levels of DAC entries 16-31, as the IBM VGA BIOS defines them (6-bit). */
const GREYS = [0, 5, 8, 11, 14, 17, 20, 24, 28, 32, 36, 40, 45, 50, 56, 63];

/**
 * The five component levels (lowest to highest) that each of the nine colour ramps walks
 * through, by intensity (high, medium, low) and then saturation (high, medium, low), as the
 * IBM VGA BIOS defines them (6-bit). High saturation starts from 0; lower saturation raises the
 * floor towards the intensity's maximum (63, 28, 16).
 */
const RAMP_LEVELS = [
  [[0, 16, 31, 47, 63], [31, 39, 47, 55, 63], [45, 49, 54, 58, 63]],
  [[0, 7, 14, 21, 28], [14, 17, 21, 24, 28], [20, 22, 24, 26, 28]],
  [[0, 4, 8, 12, 16], [8, 10, 12, 14, 16], [11, 12, 13, 15, 16]],
];

/**
 * The 24 hues of one ramp as level indexes (0-4) of red, green and blue: a walk around the
 * colour wheel from blue through magenta, red, yellow, green and cyan, raising or lowering one
 * component by one level at each step.
 */
function hueWalk(): [number, number, number][] {
  const steps: [number, number, number][] = [];
  let rgb: [number, number, number] = [0, 0, 4]; // blue
  // Which component moves, and which way, over each run of four steps.
  const moves: [number, number][] = [[0, 1], [2, -1], [1, 1], [0, -1], [2, 1], [1, -1]];
  for (const [component, direction] of moves) {
    for (let i = 0; i < 4; i++) {
      steps.push([...rgb]);
      rgb = [...rgb];
      rgb[component] += direction;
    }
  }
  return steps;
}

/**
 * The VGA's default 256-colour palette (mode 13h), 6-bit: entries 0-15 the 16 CGA colours,
 * 16-31 a grey scale, 32-247 nine ramps of 24 hues (high, medium and low intensity, each at
 * high, medium and low saturation), 248-255 black. Returns a new palette on each call, so a
 * caller may change it as a guest programs the DAC.
 */
export function defaultVgaPalette(): Palette {
  const rgb = new Uint8Array(256 * 3);
  let at = 0;
  const put = (r: number, g: number, b: number) => {
    rgb[at++] = r;
    rgb[at++] = g;
    rgb[at++] = b;
  };
  for (let i = 0; i < 16; i++) put(...irgbDac(i));
  for (const grey of GREYS) put(grey, grey, grey);
  const hues = hueWalk();
  for (const byIntensity of RAMP_LEVELS) {
    for (const levels of byIntensity) {
      for (const [r, g, b] of hues) put(levels[r], levels[g], levels[b]);
    }
  }
  // Entries 248-255 stay black.
  return { rgb, bits: 6 };
}

/** Options for {@link cgaPalette}. */
export interface CgaPaletteOptions {
  /**
   * The palette of colour select register bit 5: 0 green/red/brown, 1 cyan/magenta/white; 2 is
   * the cyan/red/white palette of mode 5 (colour burst off) on an RGB monitor. Default 1.
   */
  palette?: 0 | 1 | 2;
  /** Colour select bit 4: the bright versions of the three colours. Default false. */
  intensity?: boolean;
  /** Colour select bits 0-3: the IRGB colour of pixel value 0. Default 0 (black). */
  background?: number;
}

/** The four colours of CGA mode 4 (or 5), as an 8-bit palette of four entries. */
export function cgaPalette(options: CgaPaletteOptions = {}): Palette {
  const { palette = 1, intensity = false, background = 0 } = options;
  const colours = palette === 0 ? [2, 4, 6] : palette === 1 ? [3, 5, 7] : [3, 4, 7];
  const rgb = new Uint8Array(12);
  rgb.set(TEXT_COLOURS[background & 15], 0);
  colours.forEach((c, i) => rgb.set(TEXT_COLOURS[c | (intensity ? 8 : 0)], (i + 1) * 3));
  return { rgb, bits: 8 };
}
