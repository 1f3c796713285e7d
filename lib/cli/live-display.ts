/**
 * `--display live`: the guest's screen redrawn in the terminal while it runs,
 * and the keys typed there sent to its keyboard. Ctrl-A x stops the guest.
 *
 * @module
 */

import type { Vga } from "../devices/vga.ts";
import { keyEventToScancodes } from "../display/keys.ts";
import { LiveTerminal } from "../display/live.ts";
import { graphicsFrame, textOptions } from "../display/screen.ts";
import type { Machine } from "../machine/machine.ts";
import type { PcKeyboard } from "../machine/pc.ts";
import type { StopReason } from "../machine/stop.ts";

/** How often the screen is redrawn while the guest runs. */
const FRAME_MS = 33;

/** Draws the VGA's current picture on the terminal. */
function paint(live: LiveTerminal, vga: Vga): void {
  const frame = graphicsFrame(vga);
  if (frame) live.drawImage(frame);
  else live.draw(vga, textOptions(vga));
}

/**
 * Runs `run()` with the live display open, and restores the terminal when
 * the guest stops, whatever ends the run.
 */
export async function runWithLiveDisplay(
  machine: Machine,
  keyboard: PcKeyboard | undefined,
  run: () => Promise<StopReason>,
): Promise<StopReason> {
  const live = LiveTerminal.open({
    onKey: (key) => {
      const codes = keyEventToScancodes(key);
      if (codes && keyboard) {
        keyboard.sendScancodes(codes);
        machine.wake();
      }
    },
    onQuit: () => machine.requestStop(),
  });
  const painter = setInterval(() => paint(live, machine.vga), FRAME_MS);
  try {
    const stop = await run();
    paint(live, machine.vga);
    live.flush();
    return stop;
  } finally {
    clearInterval(painter);
    live.close();
  }
}
