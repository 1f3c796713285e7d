// The live display's serial console: Ctrl-A c switches between the guest's
// screen and COM1; keys typed in the console go to COM1's receive side, keys
// typed on the screen to the keyboard; COM1's output shows while the guest runs.
import { deepStrictEqual, strictEqual } from "@std/assert";
import { LIVE_STATUS, runWithLiveDisplay } from "../../lib/cli/live-display.ts";
import { SerialConsole } from "../../lib/display/serial-console.ts";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { FakeTerminal } from "../support/fake-terminal.ts";
import { guestImage } from "../support/guest_cases.ts";

/** Waits until `check` holds (polling), or fails with `what`. */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("live console: Ctrl-A c shows COM1 and sends typed keys to it, and back", async () => {
  const { machine, pc } = createMachine({
    image: guestImage("serial-echo"),
    accel: "emu",
    boot: "bios",
  });
  const term = new FakeTerminal(80, 30);
  let input!: ReadableStreamDefaultController<Uint8Array>;
  const type = (s: string) => input.enqueue(new TextEncoder().encode(s));
  const done = runWithLiveDisplay(machine, pc?.keyboard, () => machine.run({ timeoutMs: 30_000 }), {
    output: term,
    input: new ReadableStream({ start: (c) => void (input = c) }),
    setRaw: () => {},
    size: () => ({ columns: 80, rows: 30 }),
    handleSignals: false,
    colours: "ansi16",
  });
  try {
    await until(() => term.text(0) === "echo ready", "the guest's screen");
    strictEqual(term.text(25), LIVE_STATUS.screen);
    // On the screen view keys go to the keyboard, not to COM1.
    type("z");
    await until(() => pc!.i8042.state.obf, "the key at the keyboard controller");
    strictEqual(machine.serial.pendingInput, 0);
    type("\x01c");
    await until(() => term.text(25) === LIVE_STATUS.serial, "the serial status line");
    strictEqual(term.text(0), "", "the console starts empty");
    type("hi\r");
    await until(() => term.text(0) === "hi", "the echo in the serial console");
    strictEqual(machine.serialOutput.text(), "hi\r\n");
    type("\x01c");
    await until(() => term.text(0) === "echo ready", "the screen again");
    strictEqual(term.text(25), LIVE_STATUS.screen);
    type("\x01x");
    strictEqual((await done).kind, "stopped");
    deepStrictEqual(machine.serialSinks, [], "the console's sink is removed");
  } finally {
    machine.requestStop();
    await done.catch(() => {});
    machine.close();
  }
});

Deno.test("serial console: CR, LF, backspace, tabs, wrapping, scrolling, escapes taken out", () => {
  const c = new SerialConsole(10, 3);
  const write = (s: string) => {
    for (const b of new TextEncoder().encode(s)) c.write(b);
  };
  write("ab\bc\r\nx\ty\r\n");
  strictEqual(c.rowText(0), "ac");
  strictEqual(c.rowText(1), "x       y");
  write("\x1b[1;31mred\x1b[0m");
  strictEqual(c.rowText(2), "red");
  write("\r\n0123456789AB");
  strictEqual(c.rowText(0), "red", "scrolled up twice");
  strictEqual(c.rowText(1), "0123456789");
  strictEqual(c.rowText(2), "AB");
  deepStrictEqual(c.cursor, { row: 2, column: 2 });
  strictEqual(c.cell(2, 0).char, 0x41);
});
