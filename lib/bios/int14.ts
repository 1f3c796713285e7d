/**
 * INT 14h, serial port services, through the UART's ports at the base the
 * BDA gives for the port in DX (0-3): initialise (00h), send (01h), receive
 * (02h) and status (03h). AH returns the line status, bit 7 a time-out.
 *
 * A receive with nothing received waits, as a PC BIOS does, up to the port's
 * time-out in the BDA (0:047C + DX, in timer ticks of 1/18.2 s; POST sets
 * 10): the guest waits in the ROM wait loop with interrupts on, so a byte
 * the host sends meanwhile ends the wait at once, and the call returns AH
 * bit 7 when the time runs out. A port base of 0, or one whose eight ports
 * would cover the BIOS trap port, is no port: every call times out.
 *
 * @module
 */

import { BDA } from "./bda.ts";
import type { BiosEnv } from "./env.ts";
import { waitFor } from "./int16.ts";
import type { BiosRegs } from "./regs.ts";
import { BIOS_TRAP_PORT } from "./rom.ts";

/** The time-out bit of AH. */
const TIMEOUT = 0x80;
/** Line status: data ready; the error bits 1-4 a receive reports with its byte. */
const LSR_DATA_READY = 0x01;
const LSR_ERRORS = 0x1e;
/** One timer tick (1/18.2065 s) in nanoseconds. */
export const TICK_NS = 54_925_494;
/** The receive time-out POST stores for each port, in ticks (about 0.55 s). */
export const DEFAULT_SERIAL_TIMEOUT_TICKS = 10;
const BAUD = [110, 150, 300, 600, 1200, 2400, 4800, 9600];

/** INT 14h. */
export function int14(r: BiosRegs, env: BiosEnv): void {
  const base = portBase(r, env);
  if (base === undefined) {
    r.ah = TIMEOUT;
    return;
  }
  const inb = (port: number) => {
    const b = new Uint8Array(1);
    env.ports.read(port, b);
    return b[0];
  };
  const outb = (port: number, v: number) => env.ports.write(port, Uint8Array.of(v));
  switch (r.ah) {
    case 0x00: {
      const divisor = Math.round(115200 / BAUD[r.al >> 5]);
      outb(base + 3, 0x80);
      outb(base, divisor & 0xff);
      outb(base + 1, divisor >> 8);
      outb(base + 3, r.al & 0x1f);
      r.ah = inb(base + 5);
      r.al = inb(base + 6);
      return;
    }
    case 0x01:
      outb(base, r.al);
      r.ah = inb(base + 5) & 0x7f;
      return;
    case 0x02:
      receive(r, env, base, inb);
      return;
    case 0x03:
      r.ah = inb(base + 5);
      r.al = inb(base + 6);
      return;
    default:
      r.ah = TIMEOUT;
  }
}

/** The port base of the port in DX, or undefined when there is none (or it is unusable). */
function portBase(r: BiosRegs, env: BiosEnv): number | undefined {
  if (r.dx >= 4) return undefined;
  const base = env.memory.readU16(BDA.COM_PORTS + r.dx * 2);
  if (base === 0 || base > 0xfff8) return undefined;
  if (BIOS_TRAP_PORT >= base && BIOS_TRAP_PORT < base + 8) return undefined;
  return base;
}

/** AH=02h: the next received byte in AL, waiting up to the port's time-out for one. */
function receive(r: BiosRegs, env: BiosEnv, base: number, inb: (port: number) => number): void {
  const s = env.state;
  const lsr = inb(base + 5);
  if (lsr & LSR_DATA_READY) {
    s.serialWaitUntilNs = -1;
    r.al = inb(base);
    r.ah = lsr & LSR_ERRORS;
    return;
  }
  const now = env.now();
  if (s.serialWaitUntilNs < 0) {
    const ticks = env.memory.readU8(BDA.COM_TIMEOUTS + r.dx);
    s.serialWaitUntilNs = now + ticks * TICK_NS;
  }
  if (now >= s.serialWaitUntilNs) {
    s.serialWaitUntilNs = -1;
    r.ah = TIMEOUT | (lsr & LSR_ERRORS);
    return;
  }
  waitFor(r, env, 0x14);
}
