/**
 * COM1 input from the command line: with `--serial stdio` and a stdin that
 * is not a terminal (a pipe or a file), what stdin gives goes to COM1's
 * receiver as it arrives, as QEMU's `-serial stdio` does.
 *
 * @module
 */

import type { Machine } from "../machine/machine.ts";

/** Something read in chunks, as `Deno.stdin` is. */
export interface ChunkReader {
  /** Reads into `p`; resolves to the bytes read, or null at the end. */
  read(p: Uint8Array): Promise<number | null>;
}

/**
 * Starts feeding `input` to the machine's COM1; ends at the input's end.
 * `Deno.stdin.read` rather than its `readable`: the streams cost ~1 ms of start-up to load.
 */
export function feedSerialInput(machine: Machine, input: ChunkReader): void {
  (async () => {
    const buffer = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await input.read(buffer);
        if (n === null) return;
        if (n === 0) continue;
        machine.serial.receive(buffer.slice(0, n));
        machine.wake();
      }
    } catch {
      // A stdin that fails to read gives no more input; the guest runs on.
    }
  })();
}
