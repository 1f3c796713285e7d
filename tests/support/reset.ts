// Runs guests/reset.bin (or the flat debugcon guest with a reset asked from the host).
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { guestImage } from "./guest_cases.ts";

/** How a run of guests/reset.bin ended and what it wrote to the debug console. */
export async function runResetGuest(
  accel: "emu" | "kvm",
  noReboot: boolean,
): Promise<{ stop: string; debugcon: string }> {
  const { machine } = createMachine({ image: guestImage("reset"), accel, boot: "bios", noReboot });
  try {
    const stop = await machine.run({ timeoutMs: 20_000 });
    return { stop: stop.kind, debugcon: machine.debugconOutput.text() };
  } finally {
    machine.close();
  }
}

/**
 * Runs guests/debugcon.bin flat and asks for one reset when its first line is
 * out: a rebooted flat machine starts at its entry again and prints it twice.
 */
export async function runFlatReset(
  accel: "emu" | "kvm",
): Promise<{ stop: string; debugcon: string }> {
  const { machine } = createMachine({ image: guestImage("debugcon"), accel, boot: "flat" });
  try {
    let asked = false;
    machine.debugconSinks.push((b) => {
      if (b === 10 && !asked) {
        asked = true;
        machine.requestReset();
      }
    });
    const stop = await machine.run({ timeoutMs: 20_000 });
    return { stop: stop.kind, debugcon: machine.debugconOutput.text() };
  } finally {
    machine.close();
  }
}
