/**
 * Boots a PC guest with the live terminal display: a try-out of the display layer on a real
 * machine before the command line offers `--display live`, and a sketch of that wiring.
 *
 * ```sh
 * deno task guests
 * deno run --allow-read --allow-env --allow-ffi tools/live-guest.ts guests/boot-keys.bin
 * ```
 *
 * Keys typed go to the guest's keyboard; Ctrl-A x stops the guest. When it stops, the terminal
 * is given back and the stop reason printed; `--screenshot FILE.png` also saves the last screen,
 * and `--hold` keeps the last screen shown until Ctrl-A x.
 *
 * @module
 */

import { createMachine } from "../lib/machine/create.ts";
import { describeStop } from "../lib/machine/stop.ts";
import type { Vga } from "../lib/devices/vga.ts";
import { LiveTerminal } from "../lib/display/live.ts";
import { keyEventToScancodes } from "../lib/display/keys.ts";
import type { Rgb } from "../lib/display/palette.ts";
import { cgaToIndexed, indexedToRgba, renderText, type RgbaImage } from "../lib/display/raster.ts";
import { writePngAtomically } from "../lib/display/png.ts";

/** The 16 text colours as the VGA's attribute palette and DAC give them now. */
function textColours(vga: Vga): Rgb[] {
  const r = vga.registers;
  return Array.from({ length: 16 }, (_, i) => r.paletteRgb(r.attributeColor(i)));
}

/** A graphics-mode frame through the VGA's palette (undefined in text modes). */
function graphicsFrame(vga: Vga): RgbaImage | undefined {
  const r = vga.registers;
  if (vga.modeInfo.kind === "vga256") {
    const rgb = Uint8Array.from({ length: 768 }, (_, i) => r.paletteRgb(i / 3 | 0)[i % 3]);
    return indexedToRgba(vga.graphics, 320, 200, { rgb, bits: 8 });
  }
  if (vga.modeInfo.kind === "cga4") {
    const rgb = Uint8Array.from(
      vga.cgaColours().flatMap((c) => r.paletteRgb(r.attributeColor(c))),
    );
    return indexedToRgba(cgaToIndexed(vga.vram), 320, 200, { rgb, bits: 8 });
  }
  return undefined;
}

/** Text-mode options from the VGA's registers: cursor, blink/bright background, line graphics. */
function textOptions(vga: Vga) {
  const modeControl = vga.registers.state.attr[0x10];
  const { start, end } = vga.registers.cursor;
  return {
    colours: textColours(vga),
    blink: (modeControl & 0x08) !== 0,
    lineGraphics: (modeControl & 0x04) !== 0,
    cursor: { ...vga.cursor, start, end },
  };
}

const args = [...Deno.args];
const hold = args.includes("--hold");
if (hold) args.splice(args.indexOf("--hold"), 1);
const shotAt = args.indexOf("--screenshot");
const screenshot = shotAt >= 0 ? args.splice(shotAt, 2)[1] : undefined;
const path = args[0];
if (!path) {
  console.error("usage: live-guest.ts [--hold] [--screenshot FILE.png] IMAGE");
  Deno.exit(2);
}

const { machine, pc, note } = createMachine({ image: await Deno.readFile(path), boot: "bios" });
const vga = machine.vga;
let quit = () => {};
const quitting = new Promise<void>((resolve) => quit = resolve);
const live = LiveTerminal.open({
  onKey: (key) => {
    const codes = keyEventToScancodes(key);
    if (codes) pc?.keyboard.sendScancodes(codes);
  },
  onQuit: () => {
    machine.requestStop();
    quit();
  },
});

function show(): void {
  const frame = graphicsFrame(vga);
  if (frame) live.drawImage(frame);
  else live.draw(vga, textOptions(vga));
}

const painter = setInterval(show, 20);
let stop;
try {
  stop = await machine.run();
  show();
  live.flush();
  if (hold) await quitting;
} finally {
  clearInterval(painter);
  live.close();
}
if (note) console.error(note);
console.log(`guest stopped: ${describeStop(stop)}`);
if (screenshot) {
  await writePngAtomically(screenshot, graphicsFrame(vga) ?? renderText(vga, textOptions(vga)));
  console.log(`screenshot: ${screenshot}`);
}
