// Runs guests/debugcon.bin on one accelerator and boot mode (software CPU and KVM tests).
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { guestImage } from "./guest_cases.ts";

/** How the debugcon guest ended, what debugconOutput kept and what a sink got. */
export async function runDebugconGuest(
  accel: "emu" | "kvm",
  boot: "flat" | "bios",
): Promise<{ stop: string; output: string; sunk: string }> {
  const { machine } = createMachine({ image: guestImage("debugcon"), accel, boot });
  try {
    const sunk: number[] = [];
    machine.debugconSinks.push((b) => sunk.push(b));
    const stop = await machine.run({ timeoutMs: 10_000 });
    return {
      stop: stop.kind,
      output: machine.debugconOutput.text(),
      sunk: new TextDecoder().decode(Uint8Array.from(sunk)),
    };
  } finally {
    machine.close();
  }
}
