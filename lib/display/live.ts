/**
 * The live terminal display (`--display live`): shows the guest's screen in the terminal while
 * it runs and passes the keys typed there to the guest.
 *
 * - {@link AnsiTextRenderer} turns a text screen into the ANSI output that brings the terminal
 *   from the last frame to this one: only changed cells are written, with cursor moves and SGR
 *   colours, code page 437 shown as Unicode.
 * - {@link HalfBlockRenderer} shows a graphics frame (an RGBA image, e.g. mode 13h's 320x200)
 *   scaled into the terminal with "▀" cells, two pixels a cell, in 24-bit colour.
 * - {@link LiveTerminal} ties them to a real terminal: alternate screen, raw input decoded by
 *   {@link KeyDecoder}, a frame-rate cap, and the terminal restored on close, on exit, on an
 *   uncaught error and on SIGTERM/SIGHUP/SIGINT.
 *
 * Nothing here knows the machine: it is given a {@link TextScreen} or an {@link RgbaImage} and
 * reports keys through callbacks.
 *
 * @example
 * ```ts
 * import { LiveTerminal } from "./live.ts";
 * const screen = { rows: 25, columns: 80, cell: () => ({ char: 0x41, attr: 0x1f }) };
 * const live = LiveTerminal.open({
 *   onKey: (key) => console.error(key),
 *   onQuit: () => live.close(),
 * });
 * live.draw(screen, { cursor: { row: 0, column: 0 } });
 * ```
 *
 * @module
 */

import { CP437 } from "./cp437.ts";
import { type InputEvent, KeyDecoder, type KeyEvent } from "./keys.ts";
import type { RgbaImage, TextCursor, TextScreen } from "./raster.ts";
import { type Rgb, TEXT_COLOURS } from "./palette.ts";

/** How colours are written: exact 24-bit RGB, or the terminal's own 16 ANSI colours. */
export type ColourMode = "truecolor" | "ansi16";

/** A terminal size in character cells. */
export interface TerminalSize {
  /** Character cells a row. */
  columns: number;
  /** Rows of cells. */
  rows: number;
}

/** VGA colour index (IRGB) to the ANSI colour number (BGR order). */
const ANSI_ORDER = [0, 4, 2, 6, 1, 5, 3, 7];

/** Moves the terminal cursor to a zero-based row and column. */
function moveTo(row: number, column: number): string {
  return `\x1b[${row + 1};${column + 1}H`;
}

/** SGR parameters that select a VGA colour index as foreground or background. */
function indexColour(index: number, background: boolean, mode: ColourMode): string {
  if (mode === "ansi16") {
    const base = background ? (index & 8 ? 100 : 40) : (index & 8 ? 90 : 30);
    return String(base + ANSI_ORDER[index & 7]);
  }
  return rgbColour(TEXT_COLOURS[index & 15], background);
}

/** SGR parameters for an exact colour. */
function rgbColour([r, g, b]: Rgb, background: boolean): string {
  return `${background ? 48 : 38};2;${r};${g};${b}`;
}

/** Options for one text frame. */
export interface TextFrameOptions {
  /** The guest's cursor; shown as the terminal's cursor when visible. */
  cursor?: TextCursor;
  /**
   * Attribute bit 7 is blink (default true): backgrounds have 8 colours and such cells get SGR
   * 5 (blink). When false, bit 7 selects the bright backgrounds.
   */
  blink?: boolean;
}

/**
 * Renders text screens as ANSI output, each frame as the difference from the previous one. It
 * assumes it owns the terminal: call {@link invalidate} when something else may have drawn (a
 * resize, another renderer) and the next frame redraws everything.
 */
export class AnsiTextRenderer {
  /** Last drawn cell per position (`char | attr << 8 | blink << 16`), -1 when unknown. */
  #cells = new Int32Array(0);
  #columns = 0;
  #rows = 0;
  #full = true;
  /** The cursor as last shown: "row,column,shape" or "" when hidden. */
  #cursor = "";

  /** A renderer writing colours as `colours` says. */
  constructor(readonly colours: ColourMode = "truecolor") {}

  /** Forgets what the terminal shows, so the next frame is drawn whole. */
  invalidate(): void {
    this.#full = true;
  }

  /** Forgets where the cursor is shown, so the next frame places it again. */
  invalidateCursor(): void {
    this.#cursor = "?";
  }

  /**
   * The output that brings the terminal to `screen`, clipped to `size`; "" when nothing
   * changed. The terminal cursor is left hidden unless the guest's cursor is visible.
   */
  render(screen: TextScreen, size: TerminalSize, options: TextFrameOptions = {}): string {
    const blink = options.blink ?? true;
    const columns = Math.min(screen.columns, size.columns);
    const rows = Math.min(screen.rows, size.rows);
    let out = "";
    if (this.#full || columns !== this.#columns || rows !== this.#rows) {
      this.#cells = new Int32Array(columns * rows).fill(-1);
      this.#columns = columns;
      this.#rows = rows;
      this.#cursor = "";
      out += "\x1b[0m\x1b[2J";
      this.#full = false;
    }
    // A terminal shorter than the screen shows the top rows, or scrolls down to the cursor.
    const c = options.cursor;
    // As on the VGA, a start line below the end line shows no cursor.
    const cursorOn = c !== undefined && (c.visible ?? true) && (c.start ?? 13) <= (c.end ?? 14);
    const top = cursorOn && c.row >= rows && c.row < screen.rows ? c.row - rows + 1 : 0;
    let sgr = -1; // the attribute the terminal's SGR state is set for, -1 unknown
    let atRow = -1;
    let atColumn = -1;
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < columns; column++) {
        const { char, attr } = screen.cell(row + top, column);
        const key = (char & 0xff) | (attr & 0xff) << 8 | (blink ? 1 << 16 : 0);
        const at = row * columns + column;
        if (this.#cells[at] === key) continue;
        this.#cells[at] = key;
        if (atRow !== row || atColumn !== column) out += moveTo(row, column);
        if (sgr !== (key >> 8)) {
          const fg = indexColour(attr & 15, false, this.colours);
          const bg = indexColour(blink ? (attr >> 4) & 7 : (attr >> 4) & 15, true, this.colours);
          out += `\x1b[0;${blink && attr & 0x80 ? "5;" : ""}${fg};${bg}m`;
          sgr = key >> 8;
        }
        out += CP437[char & 0xff];
        atRow = row;
        atColumn = column + 1;
      }
    }
    const cursorRow = cursorOn ? c.row - top : -1;
    const shown = cursorOn && cursorRow >= 0 && cursorRow < rows && c.column >= 0 &&
        c.column < columns
      ? `${cursorRow},${c.column},${cursorShape(c)}`
      : "";
    if (out === "" && shown === this.#cursor) return "";
    // Hide the cursor while drawing so it does not flicker across the screen.
    out = "\x1b[?25l" + out;
    if (shown && c) out += `${moveTo(cursorRow, c.column)}\x1b[${cursorShape(c)} q\x1b[?25h`;
    this.#cursor = shown;
    return out;
  }
}

/**
 * The DECSCUSR shape closest to the guest's cursor, blinking as the VGA's does: a block when
 * it starts in the upper half of a 16-line cell, else an underline.
 */
function cursorShape(cursor: TextCursor): number {
  return (cursor.start ?? 13) <= 7 ? 1 : 3;
}

/** Options for {@link HalfBlockRenderer.render}. */
export interface ImageFrameOptions {
  /**
   * The width/height ratio the image is shown at (default 4/3, as a 320x200 or 640x400 mode
   * fills a 4:3 monitor). Terminal cells are taken to be twice as tall as wide.
   */
  aspect?: number;
}

/**
 * Renders an RGBA image into the terminal with the upper half block "▀": its foreground is the
 * upper pixel, its background the lower, so an 80x25 terminal shows up to 80x50 pixels. The
 * image is scaled down by averaging, keeps its aspect and is centred. Only changed cells are
 * written.
 */
export class HalfBlockRenderer {
  #cells = new Int32Array(0);
  #key = "";
  #full = true;

  /** A renderer writing colours as `colours` says. */
  constructor(readonly colours: ColourMode = "truecolor") {}

  /** Forgets what the terminal shows, so the next frame is drawn whole. */
  invalidate(): void {
    this.#full = true;
  }

  /** The output that brings the terminal to `image`; "" when nothing changed. */
  render(image: RgbaImage, size: TerminalSize, options: ImageFrameOptions = {}): string {
    const aspect = options.aspect ?? 4 / 3;
    // Target size in half-block pixels, which are about square.
    let height = Math.min(size.rows * 2, image.height);
    let width = Math.round(height * aspect);
    if (width > size.columns) {
      width = size.columns;
      height = Math.min(image.height, Math.round(width / aspect));
    }
    height = Math.max(2, height - (height & 1));
    width = Math.max(1, width);
    const rows = height / 2;
    const left = Math.floor((size.columns - width) / 2);
    const top = Math.floor((size.rows - rows) / 2);
    const key = `${width}x${height}@${left},${top}`;
    let out = "";
    if (this.#full || key !== this.#key) {
      this.#cells = new Int32Array(width * rows * 2).fill(-1);
      this.#key = key;
      out += "\x1b[0m\x1b[2J";
      this.#full = false;
    }
    const pixels = scale(image, width, height);
    let atRow = -1;
    let atColumn = -1;
    let sgr = "";
    for (let row = 0; row < rows; row++) {
      for (let column = 0; column < width; column++) {
        const upper = pixels[(row * 2) * width + column];
        const lower = pixels[(row * 2 + 1) * width + column];
        const at = (row * width + column) * 2;
        if (this.#cells[at] === upper && this.#cells[at + 1] === lower) continue;
        this.#cells[at] = upper;
        this.#cells[at + 1] = lower;
        if (atRow !== row || atColumn !== column) out += moveTo(top + row, left + column);
        const colours = `${this.#colour(upper, false)};${this.#colour(lower, true)}`;
        if (colours !== sgr) {
          out += `\x1b[0;${colours}m`;
          sgr = colours;
        }
        out += "▀";
        atRow = row;
        atColumn = column + 1;
      }
    }
    return out === "" ? "" : "\x1b[?25l" + out;
  }

  #colour(rgb: number, background: boolean): string {
    const c: Rgb = [rgb >> 16 & 0xff, rgb >> 8 & 0xff, rgb & 0xff];
    if (this.colours === "truecolor") return rgbColour(c, background);
    return indexColour(nearestTextColour(c), background, "ansi16");
  }
}

/** The text colour index closest to an RGB colour. */
function nearestTextColour([r, g, b]: Rgb): number {
  let best = 0;
  let bestDistance = Infinity;
  TEXT_COLOURS.forEach(([tr, tg, tb], i) => {
    const d = (r - tr) ** 2 + (g - tg) ** 2 + (b - tb) ** 2;
    if (d < bestDistance) {
      bestDistance = d;
      best = i;
    }
  });
  return best;
}

/** The image scaled to `width` x `height` by averaging each target pixel's source box, as 0xRRGGBB. */
function scale(image: RgbaImage, width: number, height: number): Int32Array {
  const out = new Int32Array(width * height);
  const sx = image.width / width;
  const sy = image.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y * sy);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * sy));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x * sx);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * sx));
      let r = 0, g = 0, b = 0;
      for (let yy = y0; yy < y1; yy++) {
        for (let xx = x0; xx < x1; xx++) {
          const at = (yy * image.width + xx) * 4;
          r += image.rgba[at];
          g += image.rgba[at + 1];
          b += image.rgba[at + 2];
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      out[y * width + x] = Math.round(r / n) << 16 | Math.round(g / n) << 8 | Math.round(b / n);
    }
  }
  return out;
}

/** Where the live display writes: synchronous, so the terminal can be restored in any exit path. */
export interface TerminalWriter {
  /** Writes some of `bytes`, returning how many (as `Deno.stdout.writeSync` does). */
  writeSync(bytes: Uint8Array): number;
}

/** Options for {@link LiveTerminal.open}. */
export interface LiveTerminalOptions {
  /** A key typed in the terminal (after the Ctrl-A escape is taken out). */
  onKey?: (key: KeyEvent) => void;
  /**
   * The user asked to quit (Ctrl-A x) or a signal (SIGINT, SIGTERM, SIGHUP) came; the terminal
   * is already restored when this is called for a signal. Without it, the terminal is restored
   * and the process exits: with 0 for Ctrl-A x, with 128 + the signal number for a signal.
   */
  onQuit?: (reason: "key" | "signal") => void;
  /** Most frames a second (default 30). */
  fps?: number;
  /** Default: "truecolor" when `COLORTERM` says truecolor or 24bit, else "ansi16". */
  colours?: ColourMode;
  /** A line shown under the guest's screen when the terminal has room (default: how to quit). */
  status?: string;
  /** How long a lone ESC waits for the rest of a sequence before it counts as Escape (ms, 50). */
  escapeTimeoutMs?: number;
  /** Terminal input; default `Deno.stdin.readable`. */
  input?: ReadableStream<Uint8Array>;
  /** Terminal output; default `Deno.stdout`. */
  output?: TerminalWriter;
  /** Puts the terminal into raw mode and back; default `Deno.stdin.setRaw` when stdin is a TTY. */
  setRaw?: (raw: boolean) => void;
  /** The terminal size; default `Deno.consoleSize()` (80x25 when that fails). */
  size?: () => TerminalSize;
  /** Install signal and exit handlers (default true); tests turn this off. */
  handleSignals?: boolean;
  /** Milliseconds since some start; default `performance.now`. Tests supply their own. */
  now?: () => number;
}

/** Default status line. */
const STATUS = "picovmm: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A";

/** What goes to the terminal on open and on close. */
const ENTER = "\x1b[?1049h\x1b[?7l\x1b[?25l\x1b[0m\x1b[2J";
const LEAVE = "\x1b[0m\x1b[0 q\x1b[?25h\x1b[?7h\x1b[?1049l";

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const SIGNAL_NUMBER: Record<(typeof SIGNALS)[number], number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGTERM: 15,
};

/** The frame waiting to be drawn. */
type Pending =
  | { kind: "text"; screen: TextScreen; options: TextFrameOptions }
  | { kind: "image"; image: RgbaImage; options: ImageFrameOptions };

/**
 * The live display on a terminal. {@link LiveTerminal.open} takes the terminal over (alternate
 * screen, raw mode, hidden cursor); {@link draw} and {@link drawImage} show frames at most
 * `fps` times a second; {@link close} gives the terminal back as it was, and runs by itself
 * when the process exits, throws, or gets SIGINT, SIGTERM or SIGHUP.
 */
export class LiveTerminal implements Disposable {
  readonly #options: LiveTerminalOptions;
  readonly #output: TerminalWriter;
  readonly #text: AnsiTextRenderer;
  readonly #image: HalfBlockRenderer;
  readonly #decoder = new KeyDecoder();
  readonly #encoder = new TextEncoder();
  readonly #interval: number;
  readonly #now: () => number;
  #reader?: ReadableStreamDefaultReader<Uint8Array>;
  /** "image", or the text screen's size, of the last frame. */
  #mode = "";
  #pending?: Pending;
  #lastDrawn?: Pending;
  #lastFrame = -Infinity;
  #frameTimer?: ReturnType<typeof setTimeout>;
  #escapeTimer?: ReturnType<typeof setTimeout>;
  #size: TerminalSize;
  #status = "";
  #closed = false;
  #cleanups: (() => void)[] = [];

  private constructor(options: LiveTerminalOptions) {
    this.#options = options;
    this.#output = options.output ?? Deno.stdout;
    const colours = options.colours ??
      (/truecolor|24bit/i.test(envOr("COLORTERM")) ? "truecolor" : "ansi16");
    this.#text = new AnsiTextRenderer(colours);
    this.#image = new HalfBlockRenderer(colours);
    this.#interval = 1000 / Math.max(1, options.fps ?? 30);
    this.#now = options.now ?? (() => performance.now());
    this.#size = this.#measure();
  }

  /** Takes over the terminal and starts reading keys. */
  static open(options: LiveTerminalOptions = {}): LiveTerminal {
    const live = new LiveTerminal(options);
    live.#start();
    return live;
  }

  /** True after {@link close}. */
  get closed(): boolean {
    return this.#closed;
  }

  #start(): void {
    const setRaw = this.#options.setRaw ??
      (Deno.stdin.isTerminal() ? (raw: boolean) => Deno.stdin.setRaw(raw) : undefined);
    if (setRaw) {
      setRaw(true);
      this.#cleanups.push(() => setRaw(false));
    }
    this.#write(ENTER);
    if (this.#options.handleSignals ?? true) this.#installHandlers();
    this.#readInput(this.#options.input ?? Deno.stdin.readable);
  }

  #installHandlers(): void {
    for (const signal of SIGNALS) {
      const handler = () => {
        this.close();
        if (this.#options.onQuit) this.#options.onQuit("signal");
        else Deno.exit(128 + SIGNAL_NUMBER[signal]);
      };
      Deno.addSignalListener(signal, handler);
      this.#cleanups.push(() => Deno.removeSignalListener(signal, handler));
    }
    const resize = () => {
      this.#size = this.#measure();
      this.#text.invalidate();
      this.#image.invalidate();
      this.#status = "";
      this.#redraw();
    };
    Deno.addSignalListener("SIGWINCH", resize);
    this.#cleanups.push(() => Deno.removeSignalListener("SIGWINCH", resize));
    // Restore the terminal however the process ends: Deno.exit, the end of the program, or an
    // uncaught error or rejection (whose report then lands on the normal screen).
    const restore = () => this.close();
    for (const event of ["unload", "error", "unhandledrejection"]) {
      globalThis.addEventListener(event, restore);
      this.#cleanups.push(() => globalThis.removeEventListener(event, restore));
    }
  }

  async #readInput(input: ReadableStream<Uint8Array>): Promise<void> {
    const reader = input.getReader();
    this.#reader = reader;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.#closed) break;
        this.#dispatch(this.#decoder.feed(value));
        clearTimeout(this.#escapeTimer);
        if (this.#decoder.pending) {
          this.#escapeTimer = setTimeout(
            () => this.#dispatch(this.#decoder.flush()),
            this.#options.escapeTimeoutMs ?? 50,
          );
        }
      }
    } catch {
      // Reading stops when the terminal goes away or close() cancels the reader.
    } finally {
      reader.releaseLock();
    }
  }

  #dispatch(events: InputEvent[]): void {
    for (const event of events) {
      if (this.#closed) return;
      if (event.kind === "key") this.#options.onKey?.(event.key);
      else if (this.#options.onQuit) this.#options.onQuit("key");
      else {
        // As QEMU does on Ctrl-A x when nobody else handles it: stop here.
        this.close();
        Deno.exit(0);
      }
    }
  }

  /**
   * Shows a text screen. The screen is read when the frame is drawn: now if the last frame is
   * older than the frame interval, else when the interval has passed (the latest call wins).
   */
  draw(screen: TextScreen, options: TextFrameOptions = {}): void {
    this.#schedule({ kind: "text", screen, options });
  }

  /** Shows a graphics frame with half blocks, under the same frame-rate cap as {@link draw}. */
  drawImage(image: RgbaImage, options: ImageFrameOptions = {}): void {
    this.#schedule({ kind: "image", image, options });
  }

  /** Draws the waiting frame now, whatever the frame-rate cap says. */
  flush(): void {
    clearTimeout(this.#frameTimer);
    this.#frameTimer = undefined;
    const frame = this.#pending;
    this.#pending = undefined;
    if (!frame || this.#closed) return;
    this.#lastFrame = this.#now();
    // A new kind of frame, or a text screen of another size, starts from a clean terminal.
    const mode = frame.kind === "text" ? `${frame.screen.columns}x${frame.screen.rows}` : "image";
    if (mode !== this.#mode) {
      this.#text.invalidate();
      this.#image.invalidate();
      this.#status = "";
      this.#mode = mode;
    }
    let out: string;
    if (frame.kind === "text") {
      out = this.#text.render(frame.screen, this.#size, frame.options);
      // The status line comes after the frame (which may clear the screen); drawing it moves
      // the terminal's cursor, so the renderer then puts the cursor back on the guest's.
      const status = this.#statusLine(frame.screen.rows);
      if (status) {
        this.#text.invalidateCursor();
        out += status + this.#text.render(frame.screen, this.#size, frame.options);
      }
    } else {
      out = this.#image.render(frame.image, this.#size, frame.options);
    }
    if (out) this.#write(out);
    this.#lastDrawn = frame;
  }

  #redraw(): void {
    if (!this.#pending && this.#lastDrawn) this.#pending = this.#lastDrawn;
    this.flush();
  }

  /** The status line under a text screen, when there is a free row for it and it changed. */
  #statusLine(screenRows: number): string {
    const text = (this.#options.status ?? STATUS).slice(0, this.#size.columns);
    if (screenRows >= this.#size.rows || text === this.#status) return "";
    this.#status = text;
    return `\x1b[?25l${moveTo(screenRows, 0)}\x1b[0;7m${text}\x1b[0m`;
  }

  #schedule(frame: Pending): void {
    if (this.#closed) return;
    this.#pending = frame;
    const wait = this.#lastFrame + this.#interval - this.#now();
    if (wait <= 0) {
      this.flush();
    } else if (this.#frameTimer === undefined) {
      this.#frameTimer = setTimeout(() => {
        this.#frameTimer = undefined;
        this.flush();
      }, wait);
    }
  }

  /** Gives the terminal back: normal screen, cursor shown, colours reset, raw mode off. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#frameTimer);
    clearTimeout(this.#escapeTimer);
    this.#reader?.cancel().catch(() => {});
    try {
      this.#write(LEAVE);
    } catch {
      // The terminal is gone; nothing to restore on it.
    }
    for (const cleanup of this.#cleanups.splice(0).reverse()) {
      try {
        cleanup();
      } catch {
        // Keep restoring the rest.
      }
    }
  }

  /** {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #measure(): TerminalSize {
    if (this.#options.size) return this.#options.size();
    try {
      return Deno.consoleSize();
    } catch {
      return { columns: 80, rows: 25 };
    }
  }

  #write(text: string): void {
    const bytes = this.#encoder.encode(text);
    let written = 0;
    while (written < bytes.length) written += this.#output.writeSync(bytes.subarray(written));
  }
}

/** An environment variable, or "" when unset or not allowed (without prompting for it). */
function envOr(name: string): string {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return "";
    return Deno.env.get(name) ?? "";
  } catch {
    return "";
  }
}
