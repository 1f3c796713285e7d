/**
 * INT 16h, keyboard services, on the BDA ring buffer that INT 09h fills:
 * read (00h/10h, waiting when empty), check (01h/11h), shift flags
 * (02h/12h), store a keystroke (05h), typematic rate (03h, accepted).
 *
 * A read with an empty buffer does not block the host: the service sends
 * the guest to the ROM wait loop (`sti; hlt; cli; jmp` back to the stub), so
 * timer and keyboard interrupts run and the call is made again.
 *
 * @module
 */

import { BDA } from "./bda.ts";
import type { BiosEnv } from "./env.ts";
import { peekKey, popKey, pushKey } from "./keyboard.ts";
import type { BiosRegs } from "./regs.ts";
import { ROM_SEGMENT } from "./rom.ts";

/** INT 16h. */
export function int16(r: BiosRegs, env: BiosEnv): void {
  const m = env.memory;
  switch (r.ah) {
    case 0x00:
    case 0x10: {
      const word = peekKey(m);
      if (word === undefined) {
        waitFor(r, env, 0x16);
        return;
      }
      popKey(m);
      r.ax = r.ah === 0x00 ? compatible(word) : word;
      return;
    }
    case 0x01:
    case 0x11: {
      const word = peekKey(m);
      r.zf = word === undefined;
      if (word !== undefined) r.ax = r.ah === 0x01 ? compatible(word) : word;
      return;
    }
    case 0x02:
      r.al = m.readU8(BDA.KBD_FLAGS1);
      return;
    case 0x12: {
      const f2 = m.readU8(BDA.KBD_FLAGS2);
      const f3 = m.readU8(BDA.KBD_FLAGS3);
      r.al = m.readU8(BDA.KBD_FLAGS1);
      // AH: bit 0 LCtrl, 1 LAlt, 2 RCtrl, 3 RAlt, 4-7 Scroll/Num/Caps/SysRq held.
      r.ah = (f2 & 0x03) | (f3 & 0x0c) | (f2 & 0x70) | ((f2 & 0x04) << 5);
      return;
    }
    case 0x03:
      return;
    case 0x05:
      r.al = pushKey(m, r.cx) ? 0 : 1;
      return;
    default:
      return;
  }
}

/** AH=00h/01h see extended keys as the original keyboard did: character E0h becomes 0. */
function compatible(word: number): number {
  return (word & 0xff) === 0xe0 && word >> 8 !== 0 ? word & 0xff00 : word;
}

/** Sends the guest to the ROM wait loop of `vector`; it re-enters the service after an interrupt. */
export function waitFor(r: BiosRegs, env: BiosEnv, vector: number): void {
  const loop = env.rom.waitLoops.get(vector);
  if (loop === undefined) throw new Error(`no wait loop for INT ${vector.toString(16)}h`);
  r.cs = ROM_SEGMENT;
  r.ip = loop;
}
