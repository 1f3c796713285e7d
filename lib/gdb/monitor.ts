/**
 * gdb's `monitor` commands (qRcmd): registers with segment bases and limits,
 * a page walk of an address (linear, or SEG:OFF in real mode), the PIC and
 * PIT state, and the mode gdb was told about.
 *
 * @module
 */

import type { Pic } from "../devices/pic.ts";
import type { Pit } from "../devices/pit.ts";
import { formatCpuSnapshot } from "../machine/crash-report.ts";
import { formatWalk } from "../machine/page-walk.ts";
import type { MachineDebugger } from "./debugger.ts";

/** The devices `monitor pic` and `monitor pit` show (absent without the PC platform). */
export interface MonitorDevices {
  pic?: Pic;
  pit?: Pit;
}

const HELP = `monitor commands:
  info registers   registers, segments with base and limit, control registers, CS:IP as linear
  walk ADDR        page walk of a linear address (hex), or SEG:OFF (real-mode segment:offset)
  pic              the 8259A pair: IRR, ISR, IMR, vector bases
  pit              the 8254's channels: mode, reload, gate
  mode             the CPU mode and the architecture gdb was given`;

/** Runs one monitor command and returns its output. */
export function monitorCommand(
  command: string,
  dbg: MachineDebugger,
  devices: MonitorDevices,
): string {
  const words = command.trim().split(/\s+/);
  const name = words.join(" ");
  if (name === "info registers" || name === "info regs" || name === "registers") {
    return infoRegisters(dbg);
  }
  if (words[0] === "walk" && words.length === 2) {
    const address = parseAddress(words[1]);
    if (address === null) return `walk: bad address '${words[1]}' (hex, or SEG:OFF)`;
    return formatWalk(dbg.translate(address));
  }
  if (name === "pic") return devices.pic ? formatPic(devices.pic) : "no PIC on this machine";
  if (name === "pit") return devices.pit ? formatPit(devices.pit) : "no PIT on this machine";
  if (name === "mode") return `CPU mode: ${dbg.arch()}`;
  if (name === "help" || name === "") return HELP;
  return `unknown monitor command '${command.trim()}'\n${HELP}`;
}

/** A hex linear address (0x optional) or a real-mode SEG:OFF pair. */
export function parseAddress(text: string): number | null {
  const pair = /^(?:0x)?([0-9a-f]{1,4}):(?:0x)?([0-9a-f]{1,8})$/i.exec(text);
  if (pair) return parseInt(pair[1], 16) * 16 + parseInt(pair[2], 16);
  const single = /^(?:0x)?([0-9a-f]{1,16})$/i.exec(text);
  if (!single) return null;
  const v = parseInt(single[1], 16);
  return Number.isSafeInteger(v) ? v : null;
}

function infoRegisters(dbg: MachineDebugger): string {
  const regs = dbg.getRegs(), sregs = dbg.getSregs();
  const cs = sregs.cs;
  const ip = regs.get("rip");
  const at = `CS:IP ${hex(cs.selector, 4)}:${hex(ip, 4)} = linear ${hex(cs.base + ip, 8)}`;
  return `${formatCpuSnapshot(dbg.machine.snapshot())}\n${at} (${dbg.arch()})`;
}

function formatPic(pic: Pic): string {
  const s = pic.snapshot();
  const chip = (name: string, c: typeof s.master) =>
    `${name}: irr=${hex(c.irr, 2)} isr=${hex(c.isr, 2)} imr=${hex(c.imr, 2)} ` +
    `vector base=${hex(c.vectorBase, 2)} lines=${hex(c.lines, 2)} elcr=${hex(c.elcr, 2)}` +
    (c.initStep !== 0 ? ` (initialising, ICW${c.initStep} next)` : "") +
    (c.icw4 & 2 ? " auto-EOI" : "");
  return [chip("master", s.master), chip("slave ", s.slave)].join("\n");
}

function formatPit(pit: Pit): string {
  const s = pit.snapshot();
  return s.channels.map((c, i) =>
    `channel ${i}: mode ${c.mode} access ${["", "lsb", "msb", "lsb/msb"][c.access]} ` +
    `reload=${hex(c.reload, 4)}${c.bcd ? " (bcd)" : ""} gate=${c.gate ? 1 : 0} ` +
    `${c.running ? "counting" : "idle"}`
  ).join("\n") + `\nirq0 backlog ${s.backlog}, line ${s.irqLine ? "high" : "low"}`;
}

function hex(v: number | bigint, width: number): string {
  return v.toString(16).padStart(width, "0");
}
