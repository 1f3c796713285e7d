/**
 * The gdb command dispatcher: one packet in, one reply (or a resume) out.
 * It knows nothing of sockets (server.ts carries the bytes), so every packet
 * is tested with plain strings against a machine.
 *
 * @module
 */

import type { BreakKind, DebugStop, MachineDebugger } from "./debugger.ts";
import { BREAK_KINDS } from "./debugger.ts";
import { monitorCommand, type MonitorDevices } from "./monitor.ts";
import { fromHex, leHex, parseLeHex, textToHex, toHex, unescape } from "./packet.ts";
import {
  decodeRegisters,
  encodeRegisters,
  type GdbArch,
  registersOf,
  writeRegister,
} from "./registers.ts";
import { targetXml, xferChunk } from "./target-xml.ts";

/** What the connection does after a packet. */
export type StubAction =
  | { kind: "reply"; text: string }
  /** Resume the guest; the stop reply comes when it stops. */
  | { kind: "resume"; step: boolean }
  /** `k`: end picovmm. */
  | { kind: "kill" }
  /** `D`: reply OK, drop the breakpoints, let the guest run on. */
  | { kind: "detach" };

/** What qSupported announces. */
export const SUPPORTED =
  "PacketSize=4000;qXfer:features:read+;QStartNoAckMode+;vContSupported+;swbreak+;hwbreak+";

/** The one thread picovmm reports (its vCPU). */
const THREAD = "01";
const ERROR = "E01", BAD_ADDRESS = "E14";

/** One gdb connection's protocol state over a debugger. */
export class GdbStub {
  readonly #dbg: MachineDebugger;
  readonly #devices: MonitorDevices;
  /** The architecture gdb was told about (fixed at connect: gdb keeps its layout). */
  arch: GdbArch;
  /** Set once QStartNoAckMode was accepted. */
  noAck = false;
  /** The mode gdb was last told about in a console note (see server.ts). */
  noticedArch: GdbArch | undefined;
  /** The last stop, for `?`. */
  lastStop: DebugStop | undefined;

  constructor(dbg: MachineDebugger, devices: MonitorDevices = {}, arch?: GdbArch) {
    this.#dbg = dbg;
    this.#devices = devices;
    this.arch = arch ?? dbg.arch();
    this.noticedArch = this.arch;
  }

  /** Handles one packet (its data, still escaped). */
  handle(data: Uint8Array): StubAction {
    const text = new TextDecoder("latin1").decode(data);
    if (text[0] === "X") return reply(this.#writeBinary(text, data));
    return this.#handleText(text);
  }

  #handleText(p: string): StubAction {
    const head = p[0];
    switch (head) {
      case "?":
        return reply(this.lastStop ? stopReply(this.lastStop) : `T05thread:${THREAD};`);
      case "g":
        return reply(encodeRegisters(this.arch, this.#dbg.getRegs(), this.#dbg.getSregs()));
      case "G":
        return reply(this.#writeAllRegisters(p.slice(1)));
      case "p":
        return reply(this.#readRegister(p.slice(1)));
      case "P":
        return reply(this.#writeOneRegister(p.slice(1)));
      case "m":
        return reply(this.#readMemory(p.slice(1)));
      case "M":
        return reply(this.#writeMemory(p.slice(1)));
      case "c":
        return { kind: "resume", step: false };
      case "s":
        return { kind: "resume", step: true };
      case "Z":
      case "z":
        return reply(this.#breakpoint(head === "Z", p.slice(1)));
      case "k":
        return { kind: "kill" };
      case "D":
        return { kind: "detach" };
      case "H":
      case "T":
        return reply("OK");
      case "q":
      case "Q":
        return reply(this.#query(p));
      case "v":
        return this.#vPacket(p);
    }
    return reply("");
  }

  #query(p: string): string {
    if (p.startsWith("qSupported")) return SUPPORTED;
    if (p === "QStartNoAckMode") {
      this.noAck = true;
      return "OK";
    }
    if (p.startsWith("qXfer:features:read:")) {
      const m = /^qXfer:features:read:([^:]*):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(p);
      if (!m) return ERROR;
      if (m[1] !== "target.xml") return "E00";
      return xferChunk(targetXml(this.arch), parseInt(m[2], 16), parseInt(m[3], 16));
    }
    if (p === "qAttached") return "1";
    if (p === "qC") return `QC${THREAD}`;
    if (p === "qfThreadInfo") return `m${THREAD}`;
    if (p === "qsThreadInfo") return "l";
    if (p === "qOffsets") return "Text=0;Data=0;Bss=0";
    if (p.startsWith("qSymbol")) return "OK";
    if (p.startsWith("qRcmd,")) {
      const command = fromHex(p.slice(6));
      if (command === null) return ERROR;
      const out = monitorCommand(new TextDecoder().decode(command), this.#dbg, this.#devices);
      return textToHex(out.endsWith("\n") ? out : out + "\n");
    }
    return "";
  }

  #vPacket(p: string): StubAction {
    if (p === "vCont?") return reply("vCont;c;C;s;S");
    if (p.startsWith("vCont;")) {
      // One thread: the first action decides (a step for thread 1, or for all).
      const action = p.slice(6).split(";")[0].split(":")[0];
      if (action[0] === "s" || action[0] === "S") return { kind: "resume", step: true };
      if (action[0] === "c" || action[0] === "C") return { kind: "resume", step: false };
      return reply(ERROR);
    }
    if (p === "vMustReplyEmpty") return reply("");
    if (p.startsWith("vKill")) return { kind: "kill" };
    return reply("");
  }

  #writeAllRegisters(hex: string): string {
    const regs = this.#dbg.getRegs(), sregs = this.#dbg.getSregs();
    if (!decodeRegisters(this.arch, hex, regs, sregs)) return ERROR;
    this.#dbg.setRegisters(regs, sregs);
    return "OK";
  }

  #readRegister(arg: string): string {
    const def = registersOf(this.arch)[parseInt(arg, 16)];
    if (def === undefined || !/^[0-9a-fA-F]+$/.test(arg)) return ERROR;
    const hex = encodeRegisters(this.arch, this.#dbg.getRegs(), this.#dbg.getSregs());
    let at = 0;
    for (const d of registersOf(this.arch)) {
      if (d === def) return hex.slice(at, at + d.bits / 4);
      at += d.bits / 4;
    }
    return ERROR;
  }

  #writeOneRegister(arg: string): string {
    const m = /^([0-9a-fA-F]+)=([0-9a-fA-F]+)$/.exec(arg);
    const def = m ? registersOf(this.arch)[parseInt(m[1], 16)] : undefined;
    if (!m || def === undefined || m[2].length !== def.bits / 4) return ERROR;
    const regs = this.#dbg.getRegs(), sregs = this.#dbg.getSregs();
    // x87/SSE writes are accepted and dropped: gdb writes them back wholesale.
    if (writeRegister(def, parseLeHex(m[2])!, regs, sregs)) this.#dbg.setRegisters(regs, sregs);
    return "OK";
  }

  #readMemory(arg: string): string {
    const range = parseRange(arg);
    if (range === null) return ERROR;
    const bytes = this.#dbg.readLinear(range.address, Math.min(range.length, 0x1000));
    if (bytes.length === 0 && range.length > 0) return BAD_ADDRESS;
    return toHex(bytes);
  }

  #writeMemory(arg: string): string {
    const colon = arg.indexOf(":");
    const range = colon < 0 ? null : parseRange(arg.slice(0, colon));
    const data = colon < 0 ? null : fromHex(arg.slice(colon + 1));
    if (range === null || data === null || data.length !== range.length) return ERROR;
    return this.#dbg.writeLinear(range.address, data) ? "OK" : BAD_ADDRESS;
  }

  #writeBinary(text: string, raw: Uint8Array): string {
    const colon = text.indexOf(":");
    const range = colon < 0 ? null : parseRange(text.slice(1, colon));
    if (range === null) return ERROR;
    const data = unescape(raw.subarray(colon + 1));
    if (data.length !== range.length) return ERROR;
    if (data.length === 0) return "OK"; // gdb's probe for X support
    return this.#dbg.writeLinear(range.address, data) ? "OK" : BAD_ADDRESS;
  }

  #breakpoint(insert: boolean, arg: string): string {
    const m = /^([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)/.exec(arg);
    if (!m) return ERROR;
    const kind: BreakKind = BREAK_KINDS[Number(m[1])];
    // Unsupported kinds get the empty reply: gdb then knows not to ask again.
    if (!this.#dbg.supports(kind)) return "";
    const address = parseInt(m[2], 16), length = parseInt(m[3], 16);
    if (insert) return this.#dbg.addBreakpoint(kind, address, length) ? "OK" : BAD_ADDRESS;
    this.#dbg.removeBreakpoint(kind, address);
    return "OK";
  }
}

function reply(text: string): StubAction {
  return { kind: "reply", text };
}

function parseRange(text: string): { address: number; length: number } | null {
  const m = /^([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(text);
  if (!m) return null;
  const address = parseInt(m[1], 16), length = parseInt(m[2], 16);
  if (!Number.isSafeInteger(address) || !Number.isSafeInteger(length)) return null;
  return { address, length };
}

/**
 * The stop reply for a stop: `T05` with the reason gdb understands
 * (swbreak, hwbreak, watch), `T02` after ^C, `W` with the exit status when
 * the guest ended (with the exit status picovmm ends with).
 */
export function stopReply(stop: DebugStop, exitStatus = 0): string {
  const thread = `thread:${THREAD};`;
  switch (stop.kind) {
    case "breakpoint":
      return `T05${thread}${stop.hardware ? "hwbreak" : "swbreak"}:;`;
    case "watchpoint": {
      const name = stop.access === "write" ? "watch" : stop.access === "read" ? "rwatch" : "awatch";
      return `T05${thread}${name}:${stop.address.toString(16)};`;
    }
    case "step":
    case "magic":
      return `T05${thread}`;
    case "interrupted":
      return `T02${thread}`;
    case "ended":
      return `W${leHex(BigInt(exitStatus & 0xff), 1)}`;
  }
}
