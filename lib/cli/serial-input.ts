/**
 * COM1 input from the command line: with `--serial stdio` and a stdin that
 * is not a terminal (a pipe or a file), what stdin gives goes to COM1's
 * receiver as it arrives, as QEMU's `-serial stdio` does.
 *
 * @module
 */

import type { Machine } from "../machine/machine.ts";

/** Starts feeding `input` to the machine's COM1; ends at the input's end. */
export function feedSerialInput(machine: Machine, input: ReadableStream<Uint8Array>): void {
  (async () => {
    try {
      for await (const chunk of input) {
        machine.serial.receive(chunk);
        machine.wake();
      }
    } catch {
      // A stdin that fails to read gives no more input; the guest runs on.
    }
  })();
}
