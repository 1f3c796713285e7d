/**
 * A try-out of the live terminal display without a guest: an animated 80x25 text screen that
 * lists the keys typed, and a 320x200 256-colour frame shown with half blocks.
 *
 * ```sh
 * deno run tools/live-demo.ts            # g: graphics, t: text, Ctrl-A x: quit
 * deno run tools/live-demo.ts --throw    # throws after two seconds: the terminal must recover
 * ```
 *
 * @module
 */

import { LiveTerminal } from "../lib/display/live.ts";
import { type KeyEvent, keyEventToKeys } from "../lib/display/keys.ts";
import { indexedToRgba, type TextCell, type TextScreen } from "../lib/display/raster.ts";
import { defaultVgaPalette } from "../lib/display/palette.ts";

const COLUMNS = 80;
const ROWS = 25;
const cells: TextCell[] = Array.from(
  { length: COLUMNS * ROWS },
  () => ({ char: 0x20, attr: 0x17 }),
);
const screen: TextScreen = { rows: ROWS, columns: COLUMNS, cell: (r, c) => cells[r * COLUMNS + c] };

function put(row: number, column: number, text: string | number[], attr: number): void {
  const codes = typeof text === "string" ? [...text].map((c) => c.charCodeAt(0)) : text;
  codes.forEach((char, i) => {
    if (column + i < COLUMNS) cells[row * COLUMNS + column + i] = { char, attr };
  });
}

// A double-line box with a title, as a DOS program would draw it.
put(1, 2, [0xc9, ...Array(74).fill(0xcd), 0xbb], 0x1f);
for (let r = 2; r < 22; r++) {
  put(r, 2, [0xba], 0x1f);
  put(r, 77, [0xba], 0x1f);
}
put(22, 2, [0xc8, ...Array(74).fill(0xcd), 0xbc], 0x1f);
put(1, 30, " picovmm live display ", 0x1e);
put(3, 5, "Keys typed (g: graphics, t: text, Ctrl-A x: quit):", 0x1b);
put(20, 5, [0xb0, 0xb1, 0xb2, 0xdb, 0xdf, 0xdc, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06], 0x1a);
put(20, 20, "blinking", 0x9c);

const log: string[] = [];
let graphics = false;
let frame = 0;
let cursorColumn = 5;

function onKey(key: KeyEvent): void {
  if (key.key === "g" && !key.ctrl && !key.alt) graphics = true;
  if (key.key === "t" && !key.ctrl && !key.alt) graphics = false;
  log.push(`${JSON.stringify(key)}  ->  ${keyEventToKeys(key)}`);
  while (log.length > 12) log.shift();
  for (let i = 0; i < 12; i++) {
    put(5 + i, 5, " ".repeat(70), 0x17);
    if (log[i]) put(5 + i, 5, log[i].slice(0, 70), 0x17);
  }
  cursorColumn = 5 + (log.at(-1)?.length ?? 0) % 70;
}

/** A mode 13h frame: the default palette's 256 colours as moving stripes. */
function graphicsFrame() {
  const pixels = new Uint8Array(320 * 200);
  for (let y = 0; y < 200; y++) {
    for (let x = 0; x < 320; x++) {
      pixels[y * 320 + x] = (Math.floor(x / 20) + Math.floor(y / 25) * 16 + frame) & 0xff;
    }
  }
  return indexedToRgba(pixels, 320, 200, defaultVgaPalette());
}

const live = LiveTerminal.open({
  onKey,
  onQuit: () => {
    clearInterval(timer);
    live.close();
    console.log("live-demo: quit");
  },
});

const started = Date.now();
const timer = setInterval(() => {
  frame++;
  const bar = frame % 60;
  put(18, 5, " ".repeat(66), 0x17);
  put(18, 5 + bar, [0xdb, 0xdb, 0xdb, 0xdb, 0xdb, 0xdb], 0x1c);
  put(23, 2, `frame ${frame}  ${new Date().toISOString()}`, 0x70);
  if (graphics) live.drawImage(graphicsFrame());
  else {live.draw(screen, {
      cursor: { row: 5 + Math.max(0, log.length - 1), column: cursorColumn },
    });}
  if (Deno.args.includes("--throw") && Date.now() - started > 2000) {
    throw new Error("live-demo: thrown on purpose to check that the terminal is restored");
  }
}, 50);
