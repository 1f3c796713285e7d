/**
 * `--display live`: the guest's screen redrawn in the terminal while it runs,
 * and the keys typed there sent to its keyboard. Ctrl-A c switches to a
 * serial console (COM1's output, and keys typed there go to COM1's receive
 * side, as QEMU's Ctrl-A c does for its serial mux) and back; Ctrl-A x stops
 * the guest.
 *
 * @module
 */

import type { Vga } from "../devices/vga.ts";
import type { LinearFramebuffer } from "../devices/framebuffer.ts";
import { keyEventToBytes, keyEventToScancodes } from "../display/keys.ts";
import { LiveTerminal, type LiveTerminalOptions } from "../display/live.ts";
import { graphicsFrame, textOptions } from "../display/screen.ts";
import { SerialConsole } from "../display/serial-console.ts";
import type { Machine } from "../machine/machine.ts";
import type { PcKeyboard } from "../machine/pc.ts";
import type { StopReason } from "../machine/stop.ts";

/** How often the screen is redrawn while the guest runs. */
const FRAME_MS = 33;

/** The status line in each view. */
export const LIVE_STATUS = {
  screen: "picovmm: Ctrl-A c serial console, Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A",
  serial: "picovmm: serial console (COM1): Ctrl-A c back to the screen, Ctrl-A x quits",
} as const;

/** Draws the screen's current picture on the terminal: a kernel's framebuffer, else the VGA. */
function paintScreen(live: LiveTerminal, vga: Vga, framebuffer?: LinearFramebuffer): void {
  if (framebuffer) {
    // Square pixels: shown at the mode's own shape.
    const { width, height } = framebuffer.mode;
    live.drawImage(framebuffer.toRgba(), { aspect: width / height });
    return;
  }
  const frame = graphicsFrame(vga);
  if (frame) live.drawImage(frame);
  else live.draw(vga, textOptions(vga));
}

/**
 * Runs `run()` with the live display open, and restores the terminal when
 * the guest stops, whatever ends the run. `terminal` replaces the real
 * terminal's input, output and size (tests); its callbacks are this module's.
 */
export async function runWithLiveDisplay(
  machine: Machine,
  keyboard: PcKeyboard | undefined,
  run: () => Promise<StopReason>,
  terminal: LiveTerminalOptions = {},
): Promise<StopReason> {
  const serialConsole = new SerialConsole(80, 25);
  const feed = (byte: number) => serialConsole.write(byte);
  machine.serialSinks.push(feed);
  let view: "screen" | "serial" = "screen";
  const paint = () => {
    if (view === "screen") paintScreen(live, machine.vga, machine.framebuffer);
    else live.draw(serialConsole, { cursor: serialConsole.cursor });
  };
  const live = LiveTerminal.open({
    status: LIVE_STATUS.screen,
    ...terminal,
    onKey: (key) => {
      if (view === "serial") {
        const bytes = keyEventToBytes(key);
        if (bytes) {
          machine.serial.receive(bytes);
          machine.wake();
        }
        return;
      }
      const codes = keyEventToScancodes(key);
      if (codes && keyboard) keyboard.sendScancodes(codes);
    },
    onSwitch: () => {
      view = view === "screen" ? "serial" : "screen";
      live.setStatus(LIVE_STATUS[view]);
      paint();
    },
    onQuit: () => machine.requestStop(),
  });
  const painter = setInterval(paint, FRAME_MS);
  try {
    const stop = await run();
    paint();
    live.flush();
    return stop;
  } finally {
    clearInterval(painter);
    live.close();
    machine.serialSinks.splice(machine.serialSinks.indexOf(feed), 1);
  }
}
