/**
 * The linear framebuffer a kernel boot offers when the kernel asks for a
 * graphics mode (Multiboot v1 header flags bit 2 with mode type 0, the
 * Multiboot2 framebuffer header tag): 32 bits a pixel, XRGB8888 (red in bits
 * 16-23, green 8-15, blue 0-7), rows of `width * 4` bytes, at a fixed
 * guest-physical address above RAM. The loaders describe it in the boot
 * information; the machine maps the same mode as guest memory
 * (lib/devices/framebuffer.ts).
 *
 * A request is a preference (both specifications let the loader choose):
 * a zero width or height means "no preference" and gives 1024x768; a size
 * picovmm cannot hold gives 1024x768 too; any depth gives 32 bits.
 *
 * @example
 * ```ts
 * import { chooseFramebufferMode } from "./framebuffer.ts";
 * const mode = chooseFramebufferMode({ width: 800, height: 600, depth: 16 });
 * console.log(mode.width, mode.height, mode.bpp, mode.pitch); // 800 600 32 3200
 * ```
 *
 * @module
 */

/** Where the framebuffer lies: above the most RAM picovmm gives (3 GiB), below the APICs. */
export const FRAMEBUFFER_BASE = 0xfd000000;
/** The most bytes a framebuffer may take (2560x1600 at 32 bits fits). */
export const FRAMEBUFFER_MAX_BYTES = 16 * 1024 * 1024;
/** The most pixels across or down. */
export const FRAMEBUFFER_MAX_SIDE = 4096;
/** The mode given for "no preference" and for sizes picovmm cannot hold. */
export const DEFAULT_FRAMEBUFFER = { width: 1024, height: 768 } as const;

/** One colour channel of a direct-colour pixel: its lowest bit and its width in bits. */
export interface ColourField {
  /** The channel's lowest bit in the pixel. */
  readonly position: number;
  /** Bits in the channel. */
  readonly size: number;
}

/** The channels of picovmm's XRGB8888 pixels (Multiboot's colour information). */
export const XRGB8888: Readonly<Record<"red" | "green" | "blue", ColourField>> = {
  red: { position: 16, size: 8 },
  green: { position: 8, size: 8 },
  blue: { position: 0, size: 8 },
};

/** What a kernel's header asks for; 0 in a field means no preference. */
export interface FramebufferRequest {
  /** Pixels across. */
  width: number;
  /** Pixels down. */
  height: number;
  /** Bits a pixel. */
  depth: number;
}

/** A linear framebuffer mode as picovmm sets it up and the boot information describes it. */
export interface LinearFramebufferMode {
  /** Guest-physical address of pixel (0, 0). */
  readonly address: number;
  /** Pixels across. */
  readonly width: number;
  /** Pixels down. */
  readonly height: number;
  /** Bytes from one row to the next. */
  readonly pitch: number;
  /** Bits a pixel: always 32 (XRGB8888, see {@link XRGB8888}). */
  readonly bpp: 32;
}

/** The mode picovmm gives for a request (see the module's documentation). */
export function chooseFramebufferMode(request: FramebufferRequest): LinearFramebufferMode {
  let { width, height } = request;
  const fits = width > 0 && height > 0 && width <= FRAMEBUFFER_MAX_SIDE &&
    height <= FRAMEBUFFER_MAX_SIDE && width * height * 4 <= FRAMEBUFFER_MAX_BYTES;
  if (!fits) ({ width, height } = DEFAULT_FRAMEBUFFER);
  return { address: FRAMEBUFFER_BASE, width, height, pitch: width * 4, bpp: 32 };
}

/** Bytes the mode's pixels take (`pitch * height`). */
export function framebufferBytes(mode: LinearFramebufferMode): number {
  return mode.pitch * mode.height;
}
