// The guests in guests/ and what each must do, shared by the software-CPU
// tests and the KVM tests so both accelerators are held to the same results.
import { strictEqual } from "@std/assert";
import { Guest, type GuestOptions, type RunResult } from "../../mod.ts";

/** One guest and its expected outcome. */
export interface GuestCase {
  name: string;
  options: GuestOptions;
  timeoutMs?: number;
  stop: RunResult["stop"]["kind"];
  exitStatus: number;
  /** The whole text screen. */
  screen: string;
  serial: string;
}

export const GUEST_CASES: GuestCase[] = [
  {
    name: "hello",
    options: { boot: "flat" },
    stop: "halt",
    exitStatus: 0,
    screen: "\n".repeat(12) + " ".repeat(34) + "Hello World!",
    serial: "",
  },
  {
    name: "serial",
    options: { boot: "flat" },
    stop: "halt",
    exitStatus: 0,
    screen: "",
    serial: "Hello from COM1!\r\n",
  },
  {
    name: "exit",
    options: { boot: "flat" },
    stop: "debug-exit",
    exitStatus: (0x2a << 1) | 1,
    screen: "",
    serial: "",
  },
  {
    name: "spin",
    options: { boot: "flat" },
    timeoutMs: 300,
    stop: "timeout",
    exitStatus: 124,
    screen: "",
    serial: "",
  },
];

const root = new URL("../../", import.meta.url);

/** Reads an assembled guest (run `deno task guests` first). */
export function guestImage(name: string): Uint8Array {
  return Deno.readFileSync(new URL(`guests/${name}.bin`, root));
}

/** What one run showed, for comparing accelerators. */
export interface Observed {
  stop: string;
  exitStatus: number;
  screen: string;
  serial: string;
}

/** Boots a case on an accelerator and returns what it showed. */
export async function runCase(c: GuestCase, accel: "kvm" | "emu"): Promise<Observed> {
  using guest = Guest.create(guestImage(c.name), { ...c.options, accel });
  strictEqual(guest.accelerator, accel);
  const result = await guest.run({ timeoutMs: c.timeoutMs ?? 20_000 });
  return {
    stop: result.stop.kind,
    exitStatus: result.exitStatus,
    screen: guest.screenText(),
    serial: guest.serialText(),
  };
}

/** Asserts a run against its case. */
export function checkCase(c: GuestCase, seen: Observed): void {
  strictEqual(seen.stop, c.stop, `${c.name}: stop`);
  strictEqual(seen.exitStatus, c.exitStatus, `${c.name}: exit status`);
  strictEqual(seen.screen, c.screen, `${c.name}: screen`);
  strictEqual(seen.serial, c.serial, `${c.name}: serial`);
}
