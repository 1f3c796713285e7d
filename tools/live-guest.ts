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

import "../lib/machine/all-code.ts";
import { createMachine } from "../lib/machine/create.ts";
import { describeStop } from "../lib/machine/stop.ts";
import { LiveTerminal } from "../lib/display/live.ts";
import { keyEventToScancodes } from "../lib/display/keys.ts";
import { graphicsFrame, screenImage, textOptions } from "../lib/display/screen.ts";
import { writePngAtomically } from "../lib/display/png.ts";

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
  await writePngAtomically(screenshot, screenImage(vga));
  console.log(`screenshot: ${screenshot}`);
}
