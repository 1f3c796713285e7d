/**
 * The live terminal display (`--display live`): shows the guest's screen in the terminal while
 * it runs and passes the keys typed there to the guest.
 *
 * {@link LiveTerminal} ties the renderers of ansi.ts ({@link AnsiTextRenderer} for text,
 * {@link HalfBlockRenderer} for graphics) to a real terminal: alternate screen, raw input
 * decoded by {@link KeyDecoder}, a frame-rate cap, and the terminal restored on close, on exit,
 * on an uncaught error and on SIGTERM/SIGHUP/SIGINT.
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

import {
  AnsiTextRenderer,
  type ColourMode,
  HalfBlockRenderer,
  type ImageFrameOptions,
  moveTo,
  type TerminalSize,
  type TextFrameOptions,
} from "./ansi.ts";
import { type InputEvent, KeyDecoder, type KeyEvent } from "./keys.ts";
import type { RgbaImage, TextScreen } from "./raster.ts";

export type { ColourMode, ImageFrameOptions, TerminalSize, TextFrameOptions } from "./ansi.ts";

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
  /** The user asked to switch between the guest's screen and its serial console (Ctrl-A c). */
  onSwitch?: () => void;
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
  /** The status line's text; undefined: the option's, else {@link STATUS}. */
  #statusText: string | undefined;
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

  /** Changes the status line under text screens (drawn with the next frame). */
  setStatus(text: string): void {
    this.#statusText = text;
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
      else if (event.kind === "switch") this.#options.onSwitch?.();
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
    const text = (this.#statusText ?? this.#options.status ?? STATUS).slice(0, this.#size.columns);
    if (screenRows >= this.#size.rows || text === this.#status) return "";
    // Blanks after a shorter text cover what the last one left.
    const rest = " ".repeat(Math.max(0, this.#status.length - text.length));
    this.#status = text;
    return `\x1b[?25l${moveTo(screenRows, 0)}\x1b[0;7m${text}\x1b[0m${rest}`;
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
