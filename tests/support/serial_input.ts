// Feeding COM1 from a script: the serial-input guests echo what they read;
// a first part sent before the run, the rest (thousands of bytes at once)
// while the guest waits, must all come back in order.
import { strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { guestImage } from "./guest_cases.ts";

/** `length` printable bytes that do not repeat with a short period. */
export function sampleText(length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += String.fromCharCode(0x20 + ((i * 37 + (i >> 7)) % 95));
  return s;
}

/**
 * Boots `guest` (boot-serial-in or boot-serial-irq), sends part of a text
 * before the run and the rest while it runs, and checks the echo and the
 * count the guest prints (`label` N bytes).
 */
export async function checkSerialEcho(
  name: "boot-serial-in" | "boot-serial-irq",
  label: string,
  accel: "kvm" | "emu",
): Promise<void> {
  const text = sampleText(6000);
  using guest = Guest.create(guestImage(name), { accel });
  guest.sendSerial(text.slice(0, 1500)); // before the guest polls
  // Every byte is a BIOS call or a UART access, each an exit on KVM: inside nested
  // virtualisation on a loaded host 6000 echoed bytes took 20 s.
  const done = guest.run({ timeoutMs: 90_000 });
  // Let the guest drain the first part and wait for more.
  await guest.waitForSerial(text.slice(0, 1500), { timeoutMs: 90_000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  guest.sendSerial(new TextEncoder().encode(text.slice(1500) + "\x04"));
  const result = await done;
  strictEqual(result.stop.kind, "halt", Guest.describe(result));
  strictEqual(guest.serialText().length, text.length);
  strictEqual(guest.serialText() === text, true, "the echo is the text, in order");
  const count = text.length.toString(16).toUpperCase().padStart(4, "0");
  strictEqual(guest.screenText().split("\n").at(-1), `${label} ${count} bytes`);
}
