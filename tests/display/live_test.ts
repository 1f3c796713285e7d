import { deepStrictEqual, ok, strictEqual } from "@std/assert";
import { AnsiTextRenderer, HalfBlockRenderer } from "../../lib/display/ansi.ts";
import { LiveTerminal, type LiveTerminalOptions } from "../../lib/display/live.ts";
import type { KeyEvent } from "../../lib/display/keys.ts";
import type { RgbaImage, TextCell, TextScreen } from "../../lib/display/raster.ts";
import { FakeTerminal } from "../support/fake-terminal.ts";

/** A mutable 80x25 text screen. */
class Screen implements TextScreen {
  cells: TextCell[];
  constructor(readonly columns = 80, readonly rows = 25) {
    this.cells = Array.from({ length: columns * rows }, () => ({ char: 0x20, attr: 0x07 }));
  }
  cell(row: number, column: number): TextCell {
    return this.cells[row * this.columns + column];
  }
  put(row: number, column: number, text: string, attr = 0x07): void {
    [...text].forEach((ch, i) => {
      this.cells[row * this.columns + column + i] = { char: ch.charCodeAt(0), attr };
    });
  }
}

Deno.test("text: the first frame draws every cell, in CP437 and VGA colours", () => {
  const term = new FakeTerminal();
  const screen = new Screen();
  screen.put(0, 0, "Hello", 0x1e);
  screen.cells[80 + 3] = { char: 0xc9, attr: 0x4f }; // ╔
  const out = new AnsiTextRenderer("truecolor").render(screen, term);
  term.apply(out);
  strictEqual(term.text(0), "Hello");
  strictEqual(term.text(1), "   ╔");
  strictEqual(term.grid[0][0].sgr, "0;38;2;255;255;85;48;2;0;0;170"); // yellow on blue
  strictEqual(term.grid[1][3].sgr, "0;38;2;255;255;255;48;2;170;0;0"); // white on red
  strictEqual(term.grid[24][79].sgr, "0;38;2;170;170;170;48;2;0;0;0");
  strictEqual(term.cursorVisible, false); // no cursor given
});

Deno.test("text: an unchanged screen writes nothing; a change writes only that cell", () => {
  const term = new FakeTerminal();
  const screen = new Screen();
  const renderer = new AnsiTextRenderer("truecolor");
  term.apply(renderer.render(screen, term));
  strictEqual(renderer.render(screen, term), "");
  screen.put(10, 40, "X", 0x0a);
  const out = renderer.render(screen, term);
  term.apply(out);
  strictEqual(term.text(10), " ".repeat(40) + "X");
  // One cursor move, one SGR, one character (plus the cursor hide).
  strictEqual(out, "\x1b[?25l\x1b[11;41H\x1b[0;38;2;85;255;85;48;2;0;0;0mX");
  // Neighbouring changes share one move and one SGR.
  screen.put(12, 0, "abc", 0x0a);
  strictEqual(
    renderer.render(screen, term),
    "\x1b[?25l\x1b[13;1H\x1b[0;38;2;85;255;85;48;2;0;0;0mabc",
  );
});

Deno.test("text: the 16-colour mode uses the ANSI colour numbers", () => {
  const term = new FakeTerminal();
  const screen = new Screen();
  screen.put(0, 0, "A", 0x1e); // yellow on blue
  screen.put(0, 1, "B", 0x74); // red on light grey
  term.apply(new AnsiTextRenderer("ansi16").render(screen, term));
  strictEqual(term.grid[0][0].sgr, "0;93;44");
  strictEqual(term.grid[0][1].sgr, "0;31;47");
});

Deno.test("text: attribute bit 7 blinks, or selects a bright background", () => {
  const screen = new Screen();
  screen.put(0, 0, "B", 0x9e); // blinking yellow on blue / yellow on light blue
  const blinking = new FakeTerminal();
  blinking.apply(new AnsiTextRenderer("ansi16").render(screen, blinking));
  strictEqual(blinking.grid[0][0].sgr, "0;5;93;44");
  const bright = new FakeTerminal();
  bright.apply(new AnsiTextRenderer("ansi16").render(screen, bright, { blink: false }));
  strictEqual(bright.grid[0][0].sgr, "0;93;104");
});

Deno.test("text: the guest's cursor becomes the terminal's cursor", () => {
  const term = new FakeTerminal();
  const screen = new Screen();
  const renderer = new AnsiTextRenderer();
  term.apply(renderer.render(screen, term, { cursor: { row: 5, column: 7 } }));
  ok(term.cursorVisible);
  deepStrictEqual([term.row, term.column, term.cursorShape], [5, 7, 3]); // blinking underline
  // Moving the cursor alone is a frame.
  const moved = renderer.render(screen, term, { cursor: { row: 6, column: 0, start: 0 } });
  term.apply(moved);
  deepStrictEqual([term.row, term.column, term.cursorShape], [6, 0, 1]); // blinking block
  strictEqual(renderer.render(screen, term, { cursor: { row: 6, column: 0, start: 0 } }), "");
  term.apply(renderer.render(screen, term, { cursor: { row: 6, column: 0, visible: false } }));
  strictEqual(term.cursorVisible, false);
  term.apply(renderer.render(screen, term, { cursor: { row: 6, column: 0 } }));
  ok(term.cursorVisible);
  term.apply(renderer.render(screen, term, { cursor: { row: 6, column: 0, start: 15, end: 2 } }));
  strictEqual(term.cursorVisible, false);
});

Deno.test("text: a small terminal clips, and scrolls to keep the cursor in view", () => {
  const term = new FakeTerminal(40, 24);
  const screen = new Screen();
  screen.put(0, 0, "top line");
  screen.put(24, 0, "bottom line, long enough to be clipped at forty columns");
  const renderer = new AnsiTextRenderer();
  term.apply(renderer.render(screen, term));
  strictEqual(term.text(0), "top line");
  strictEqual(term.text(23), "");
  term.apply(renderer.render(screen, term, { cursor: { row: 24, column: 3 } }));
  strictEqual(term.text(0), "");
  strictEqual(term.text(23), "bottom line, long enough to be clipped a");
  deepStrictEqual([term.row, term.column], [23, 3]);
});

Deno.test("text: invalidate redraws everything after a clear", () => {
  const term = new FakeTerminal();
  const screen = new Screen();
  screen.put(3, 3, "kept");
  const renderer = new AnsiTextRenderer();
  term.apply(renderer.render(screen, term));
  renderer.invalidate();
  const out = renderer.render(screen, term);
  ok(out.includes("\x1b[2J"));
  term.apply(out);
  strictEqual(term.text(3), "   kept");
});

/** A solid image with a differently coloured lower half. */
function twoTone(width: number, height: number, upper: number[], lower: number[]): RgbaImage {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      rgba.set([...(y < height / 2 ? upper : lower), 255], (y * width + x) * 4);
    }
  }
  return { width, height, rgba };
}

Deno.test("graphics: 320x200 as half blocks, scaled to 4:3 and centred", () => {
  const term = new FakeTerminal(80, 25);
  const renderer = new HalfBlockRenderer("truecolor");
  const image = twoTone(320, 200, [255, 0, 0], [0, 0, 255]);
  term.apply(renderer.render(image, term));
  // 50 half-block rows (25 cells) high, 67 pixels wide for 4:3, centred from column 6.
  strictEqual(term.text(0), " ".repeat(6) + "▀".repeat(67));
  strictEqual(term.grid[0][6].sgr, "0;38;2;255;0;0;48;2;255;0;0");
  strictEqual(term.grid[24][72].sgr, "0;38;2;0;0;255;48;2;0;0;255");
  strictEqual(term.grid[0][5].ch, " ");
  strictEqual(renderer.render(image, term), "");
});

Deno.test("graphics: averaging when scaling down, and only changed cells redrawn", () => {
  const term = new FakeTerminal(4, 1);
  const renderer = new HalfBlockRenderer("truecolor");
  // 8x4 pixels into 4x2 half-block pixels: each averages a 2x2 box of white and black.
  const rgba = new Uint8Array(8 * 4 * 4).fill(255);
  for (let i = 0; i < rgba.length; i += 8) rgba.set([0, 0, 0], i);
  const image = { width: 8, height: 4, rgba };
  term.apply(renderer.render(image, term, { aspect: 2 }));
  strictEqual(term.text(0), "▀▀▀▀");
  strictEqual(term.grid[0][0].sgr, "0;38;2;128;128;128;48;2;128;128;128");
  rgba.fill(0, 0, 8 * 4); // the top pixel row turns black: the upper halves darken
  const out = renderer.render(image, term, { aspect: 2 });
  term.apply(out);
  strictEqual(term.grid[0][0].sgr, "0;38;2;64;64;64;48;2;128;128;128");
});

Deno.test("graphics: the 16-colour mode picks the nearest text colour", () => {
  const term = new FakeTerminal(80, 25);
  const renderer = new HalfBlockRenderer("ansi16");
  term.apply(renderer.render(twoTone(320, 200, [250, 250, 80], [10, 10, 160]), term));
  strictEqual(term.grid[0][6].sgr, "0;93;103"); // yellow above yellow
  strictEqual(term.grid[24][6].sgr, "0;34;44"); // blue above blue
});

/** A LiveTerminal on fakes: a controllable clock, input stream and terminal. */
function fakeLive(options: Partial<LiveTerminalOptions> = {}, size = { columns: 80, rows: 30 }) {
  const term = new FakeTerminal(size.columns, size.rows);
  let clock = 0;
  let input!: ReadableStreamDefaultController<Uint8Array>;
  const raw: boolean[] = [];
  const keys: KeyEvent[] = [];
  const quits: string[] = [];
  const live = LiveTerminal.open({
    output: term,
    input: new ReadableStream({ start: (c) => void (input = c) }),
    setRaw: (on) => raw.push(on),
    size: () => size,
    now: () => clock,
    handleSignals: false,
    colours: "ansi16",
    onKey: (k) => keys.push(k),
    onQuit: (why) => quits.push(why),
    ...options,
  });
  return {
    term,
    live,
    raw,
    keys,
    quits,
    type: (s: string) => input.enqueue(new TextEncoder().encode(s)),
    advance: (ms: number) => void (clock += ms),
  };
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("LiveTerminal: takes the terminal over and gives it back", async () => {
  const f = fakeLive();
  ok(f.term.altScreen);
  strictEqual(f.term.cursorVisible, false);
  strictEqual(f.term.autowrap, false);
  deepStrictEqual(f.raw, [true]);
  f.live.close();
  f.live.close(); // once only
  strictEqual(f.term.altScreen, false);
  ok(f.term.cursorVisible);
  ok(f.term.autowrap);
  strictEqual(f.term.sgr, "0");
  deepStrictEqual(f.raw, [true, false]);
  ok(f.live.closed);
  const before = f.term.written.length;
  f.live.draw(new Screen());
  f.live.flush();
  strictEqual(f.term.written.length, before); // nothing after close
  await tick();
});

Deno.test("LiveTerminal: keys reach onKey, Ctrl-A x reaches onQuit, a lone ESC times out", async () => {
  const f = fakeLive({ escapeTimeoutMs: 5 });
  f.type("hi\x1b[A\x01\x01");
  await tick();
  deepStrictEqual(f.keys, [{ key: "h" }, { key: "i" }, { key: "ArrowUp" }, {
    key: "a",
    ctrl: true,
  }]);
  f.type("\x1b");
  await tick();
  strictEqual(f.keys.length, 4); // held: could be the start of a sequence
  await tick(20);
  deepStrictEqual(f.keys[4], { key: "Escape" });
  f.type("\x01x");
  await tick();
  deepStrictEqual(f.quits, ["key"]);
  f.live.close();
  await tick();
});

Deno.test("LiveTerminal: frames are capped at the frame rate; the latest one wins", async () => {
  const f = fakeLive({ fps: 50 }); // one frame per 20 ms
  const screen = new Screen();
  screen.put(0, 0, "one");
  f.live.draw(screen);
  strictEqual(f.term.text(0), "one"); // the first frame is drawn at once
  f.advance(5);
  screen.put(0, 0, "two");
  f.live.draw(screen);
  screen.put(0, 0, "six");
  f.live.draw(screen);
  strictEqual(f.term.text(0), "one"); // too soon: waits
  f.advance(20);
  await tick(30);
  strictEqual(f.term.text(0), "six");
  // A draw after the interval is drawn at once, without waiting for a timer.
  f.advance(25);
  screen.put(0, 0, "ten");
  f.live.draw(screen);
  strictEqual(f.term.text(0), "ten");
  f.live.close();
});

Deno.test("LiveTerminal: a status line under the screen when there is room", () => {
  const f = fakeLive({ status: "press Ctrl-A x" });
  const screen = new Screen();
  f.live.draw(screen, { cursor: { row: 2, column: 2 } });
  strictEqual(f.term.text(25), "press Ctrl-A x");
  strictEqual(f.term.grid[25][0].sgr, "0;7");
  deepStrictEqual([f.term.row, f.term.column], [2, 2]); // the cursor is back on the guest's
  f.live.close();
  const small = fakeLive({}, { columns: 80, rows: 25 });
  small.live.draw(screen);
  strictEqual(small.term.text(24), "");
  small.live.close();
});

Deno.test("LiveTerminal: switching between text and graphics redraws from clear", () => {
  const f = fakeLive();
  const screen = new Screen();
  screen.put(0, 0, "text");
  f.live.draw(screen);
  f.advance(100);
  f.live.drawImage(twoTone(320, 200, [255, 0, 0], [255, 0, 0]));
  strictEqual(f.term.text(0).trim()[0], "▀");
  f.advance(100);
  f.live.draw(screen);
  strictEqual(f.term.text(0), "text");
  strictEqual(f.term.text(1), "");
  f.live.close();
});
