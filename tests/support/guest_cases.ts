// The guests in guests/ and what each must do, shared by the software-CPU
// tests and the KVM tests so both accelerators are held to the same results.
import { strictEqual } from "@std/assert";
import { Guest, type GuestOptions, type RunResult } from "../../mod.ts";

/** One guest and its expected outcome. */
export interface GuestCase {
  name: string;
  /** The image in guests/ (default: `name`). */
  image?: string;
  /** Keys to type (GuestKeyboard.type) once the screen shows `typeAfter`. */
  type?: string;
  /** What the screen must show before typing. */
  typeAfter?: RegExp;
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
  // PC boot sectors through picovmm's BIOS (boot: "bios").
  {
    name: "boot-hello",
    options: { boot: "bios" },
    stop: "halt",
    exitStatus: 0,
    screen: "Hello from the BIOS! Boot drive: 80",
    serial: "",
  },
  {
    name: "boot-hello on a floppy",
    image: "boot-hello",
    options: { boot: "bios", driveType: "floppy" },
    stop: "halt",
    exitStatus: 0,
    screen: "Hello from the BIOS! Boot drive: 00",
    serial: "",
  },
  {
    name: "boot-disk",
    options: { boot: "bios" },
    stop: "halt",
    exitStatus: 0,
    // 16 heads, 63 (3Fh) sectors: picovmm's hard disk geometry.
    screen: "stage 2 loaded by INT 13h\nheads 10 sectors 3F\nEDD OK\ndisk OK",
    serial: "",
  },
  {
    name: "boot-disk on a 160K floppy",
    image: "boot-disk",
    options: { boot: "bios", driveType: "floppy" },
    stop: "halt",
    exitStatus: 0,
    // 1 head, 8 sectors a track; no EDD on floppies.
    screen: "stage 2 loaded by INT 13h\nheads 01 sectors 08\ndisk OK",
    serial: "",
  },
  {
    name: "boot-timer",
    options: { boot: "bios" },
    stop: "halt",
    exitStatus: 0,
    screen: "waiting for 18 ticks\ntimer OK",
    serial: "",
  },
  {
    name: "boot-services",
    options: { boot: "bios" },
    stop: "halt",
    exitStatus: 0,
    // Rows 5-7 scrolled up: the string written on row 7 is on row 6; the X's are gone.
    screen: "extended KiB: 0000\nE820 entries: 0003" + "\n".repeat(5) + "AH=13h string" +
      "\n".repeat(4) + "services OK",
    serial: "COM1 through INT 14h\r\n",
  },
  {
    name: "boot-again",
    options: { boot: "bios" },
    stop: "halt",
    exitStatus: 0,
    // INT 19h reloads sector 0 from the disk's copy (changed by INT 13h AH=03h); INT 18h halts.
    screen: "boot 01\nboot 02\nthe mark survived\nNo bootable device.",
    serial: "",
  },
  {
    name: "boot-keys",
    options: { boot: "bios" },
    typeAfter: /Type a line/,
    type: "Hello, World!{Enter}",
    stop: "halt",
    exitStatus: 0,
    screen: "Type a line: Hello, World!\nYou typed: Hello, World!\nkeys OK",
    serial: "",
  },
  {
    name: "boot-hook",
    options: { boot: "bios" },
    typeAfter: /hooked/,
    type: "ab",
    stop: "halt",
    exitStatus: 0,
    // Make and break codes of A and B, as the guest's own INT 09h read them from port 0x60.
    screen: "hooked INT 08h and INT 09h\nscan codes: 1E 9E 30 B0\nhook OK",
    serial: "",
  },
  {
    name: "boot-video",
    options: { boot: "bios" },
    stop: "halt",
    exitStatus: 0,
    screen: "GFX OK",
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
  using guest = Guest.create(guestImage(c.image ?? c.name), { ...c.options, accel });
  strictEqual(guest.accelerator, accel);
  const done = guest.run({ timeoutMs: c.timeoutMs ?? 20_000 });
  if (c.type !== undefined) {
    await guest.waitForScreen(c.typeAfter ?? /./, { timeoutMs: c.timeoutMs ?? 20_000 });
    guest.keyboard.type(c.type);
  }
  const result = await done;
  return {
    stop: result.stop.kind,
    exitStatus: result.exitStatus,
    screen: guest.screenText(),
    serial: guest.serialText(),
  };
}

/** Asserts a run against its case. */
export function checkCase(c: GuestCase, seen: Observed): void {
  // A wrong stop or status says what the guest showed (a failed check prints its number).
  const shown = `screen ${JSON.stringify(seen.screen)}, serial ${JSON.stringify(seen.serial)}`;
  strictEqual(seen.stop, c.stop, `${c.name}: stop (${shown})`);
  strictEqual(seen.exitStatus, c.exitStatus, `${c.name}: exit status (${shown})`);
  strictEqual(seen.screen, c.screen, `${c.name}: screen`);
  strictEqual(seen.serial, c.serial, `${c.name}: serial`);
}
