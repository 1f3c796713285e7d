/**
 * The error classes the scripting API throws for misuse (bad options, a
 * closed guest) and for waits that fail. mod.ts exports them.
 *
 * @module
 */

import type { StopReason } from "../machine/stop.ts";

/**
 * An option or argument that the scripting API cannot use: an unknown key
 * (`acel`), a value of the wrong type or out of range (`serialLimit: -1`), or
 * one that does not fit the other options. `option` names it in the API's
 * terms, e.g. `"GuestOptions.accel"` or `"RunOptions.instructions"`.
 *
 * @example
 * ```ts
 * import { Guest, GuestOptionError } from "../../mod.ts";
 * import { throws } from "node:assert/strict";
 * throws(
 *   () => Guest.create(new Uint8Array(512), { accel: "EMU" as "emu" }),
 *   (e) => e instanceof GuestOptionError && e.option === "GuestOptions.accel",
 * );
 * ```
 */
export class GuestOptionError extends TypeError {
  /** The error class name. */
  override name = "GuestOptionError";
  /** The option or argument at fault, e.g. `"GuestOptions.memory"`. */
  readonly option: string;

  /** Makes the error for `option` with a message that says what it must be. */
  constructor(option: string, message: string) {
    super(message);
    this.option = option;
  }
}

/**
 * A method was called on a guest after `close()` (or after the end of the
 * `using` block that held it). Nothing of the released VM is touched.
 *
 * @example
 * ```ts
 * import { Guest, GuestClosedError } from "../../mod.ts";
 * import { throws } from "node:assert/strict";
 * const guest = Guest.create(await Deno.readFile("guests/boot-hello.bin"), { accel: "emu" });
 * guest.close();
 * throws(() => guest.screenText(), GuestClosedError);
 * ```
 */
export class GuestClosedError extends Error {
  /** The error class name. */
  override name = "GuestClosedError";

  /** Makes the error for the method that was called. */
  constructor(method: string) {
    super(`Guest.${method}: the guest is closed`);
  }
}

/**
 * A `waitForScreen` or `waitForSerial` that gave up: `reason` is `"timeout"`
 * when `timeoutMs` ran out, `"stopped"` when the guest stopped (or was not
 * running) without showing the pattern; `stop` says how it stopped. The
 * message shows the screen and the last serial lines; `screen` and `serial`
 * hold them in full.
 */
export class WaitError extends Error {
  /** The error class name. */
  override name = "WaitError";
  /** Why the wait ended. */
  readonly reason: "timeout" | "stopped";
  /** How the guest's last run ended (absent while it still runs, or if it never ran). */
  readonly stop: StopReason | undefined;
  /** The text screen when the wait gave up. */
  readonly screen: string;
  /** All serial output kept when the wait gave up. */
  readonly serial: string;

  /** Makes the error; `message` is the first line, the screen and the serial tail follow. */
  constructor(
    message: string,
    details: {
      reason: "timeout" | "stopped";
      stop: StopReason | undefined;
      screen: string;
      serial: string;
    },
  ) {
    super(`${message}\n${formatScreenAndSerial(details.screen, details.serial)}`);
    this.reason = details.reason;
    this.stop = details.stop;
    this.screen = details.screen;
    this.serial = details.serial;
  }
}

/** Serial lines a WaitError's message shows (the last ones). */
const SERIAL_TAIL_LINES = 10;

function formatScreenAndSerial(screen: string, serial: string): string {
  const lines = serial.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const tail = lines.slice(-SERIAL_TAIL_LINES);
  const skipped = lines.length - tail.length;
  const serialPart = tail.length === 0
    ? "serial output: (none)"
    : `serial output (${skipped > 0 ? `last ${tail.length} of ${lines.length} lines` : "all"}):\n${
      tail.join("\n")
    }`;
  return `screen:\n${screen === "" ? "(blank)" : screen}\n${serialPart}`;
}
