/**
 * The PC's pair of 8259A programmable interrupt controllers: the master at
 * ports 0x20-0x21 takes IRQ 0-7, the slave at 0xA0-0xA1 takes IRQ 8-15 and
 * cascades into the master's IR2. Also the ELCR pair at 0x4D0-0x4D1 that
 * makes single lines level-triggered.
 *
 * The controller knows nothing of the CPU: devices call {@link Pic.setIrq},
 * the run loop asks {@link Pic.hasInterrupt} and, when the guest can take an
 * interrupt, runs the INTA cycle with {@link Pic.acknowledge}, which returns
 * the vector.
 *
 * Edge-triggered lines (the PC default) raise a request in IRR on a rising
 * edge; as on the 8259A the line must stay high until the INTA cycle, and a
 * request whose line falls first is withdrawn (an INTA that finds nothing
 * answers with IR7, the spurious interrupt). So a device keeps its line high
 * while it wants service, and gives a new edge by driving it low, then high
 * (`setIrq(n, false)`, `setIrq(n, true)`). Level-triggered lines (ICW1 LTIM or
 * ELCR) request for as long as the line is high, again after each EOI.
 *
 * @example
 * ```ts
 * import { Pic } from "./pic.ts";
 * const pic = new Pic({ pcDefaults: true }); // vectors 0x08 and 0x70
 * pic.setIrq(1, true);
 * if (pic.hasInterrupt()) console.log(pic.acknowledge().toString(16)); // "9"
 * ```
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";

/** The state of one 8259A, as plain data. */
export interface PicChipState {
  /** Interrupt request register. */
  irr: number;
  /** In-service register. */
  isr: number;
  /** Interrupt mask register (OCW1). */
  imr: number;
  /** The current level of each input line. */
  lines: number;
  /** Lines made level-triggered by the ELCR. */
  elcr: number;
  /** ICW2: the vector of IR0 (the low three bits are the line). */
  vectorBase: number;
  /** The last ICW1 (bit 0 IC4, bit 1 SNGL, bit 3 LTIM). */
  icw1: number;
  /** ICW3: on the master the lines with a slave, on a slave its ID. */
  icw3: number;
  /** ICW4 (bit 1 AEOI, bit 4 SFNM); 0 when ICW1 said none follows. */
  icw4: number;
  /** 0 when initialised; 2, 3 or 4 while ICW2, ICW3 or ICW4 is awaited. */
  initStep: number;
  /** The line with the lowest priority (7 unless rotated). */
  lowestPriority: number;
  /** OCW3: reads of the command port return ISR instead of IRR. */
  readIsr: boolean;
  /** OCW3: the next read of the command port is a poll. */
  poll: boolean;
  /** OCW3: special mask mode. */
  specialMask: boolean;
  /** OCW2: rotate priorities in automatic EOI mode. */
  rotateInAeoi: boolean;
}

/** The state of the pair, as plain data (`structuredClone` makes a snapshot). */
export interface PicState {
  /** The master, IRQ 0-7. */
  master: PicChipState;
  /** The slave, IRQ 8-15. */
  slave: PicChipState;
}

/** Options for {@link Pic}. */
export interface PicOptions {
  /**
   * Program both chips as a PC BIOS does (see {@link Pic.programPcDefaults}):
   * `true` for all lines unmasked, or the masks to leave.
   */
  pcDefaults?: boolean | { masterMask?: number; slaveMask?: number };
  /** Called whenever the INTR output (what {@link Pic.hasInterrupt} says) changes. */
  onOutput?: (pending: boolean) => void;
}

/** The line on the master that the slave drives. */
const CASCADE_LINE = 2;
/** ELCR bits that may be set: IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge. */
const ELCR_MASTER_MASK = 0xf8;
const ELCR_SLAVE_MASK = 0xde;

/** A fresh, uninitialised chip: everything masked until a BIOS programs it. */
function newChip(): PicChipState {
  return {
    irr: 0,
    isr: 0,
    imr: 0xff,
    lines: 0,
    elcr: 0,
    vectorBase: 0,
    icw1: 0,
    icw3: 0,
    icw4: 0,
    initStep: 0,
    lowestPriority: 7,
    readIsr: false,
    poll: false,
    specialMask: false,
    rotateInAeoi: false,
  };
}

/** The lines of `c` that are level-triggered. */
function levelLines(c: PicChipState): number {
  return (c.icw1 & 0x08) ? 0xff : c.elcr;
}

/** The line in `mask` with the highest priority, or -1. */
function highest(c: PicChipState, mask: number): number {
  for (let i = 0; i < 8; i++) {
    const line = (c.lowestPriority + 1 + i) & 7;
    if (mask & (1 << line)) return line;
  }
  return -1;
}

/** Priority rank of `line`: 0 is the highest. */
function rank(c: PicChipState, line: number): number {
  return (line - c.lowestPriority - 1) & 7;
}

/** The line whose request the chip would present on INT now, or -1. */
function requestLine(c: PicChipState, isMaster: boolean): number {
  if (c.initStep !== 0) return -1;
  const req = highest(c, c.irr & ~c.imr & 0xff);
  if (req < 0) return -1;
  // In special mask mode a masked in-service level does not hold others off.
  const inService = highest(c, c.specialMask ? c.isr & ~c.imr : c.isr);
  if (inService < 0 || rank(c, req) < rank(c, inService)) return req;
  // Special fully nested mode: a slave may interrupt again while its line is in service.
  const sfnm = isMaster && (c.icw4 & 0x10) !== 0 && (c.icw1 & 0x02) === 0;
  if (sfnm && req === inService && (c.icw3 & (1 << req)) !== 0) return req;
  return -1;
}

/** True when `c` would present a request on `line` alone (masks and priorities as they are). */
function wouldPresent(c: PicChipState, line: number, isMaster: boolean): boolean {
  const irr = c.irr;
  c.irr = 1 << line;
  const presented = requestLine(c, isMaster) === line;
  c.irr = irr;
  return presented;
}

/** Drives input `line` of `c` to `level`. */
function setLine(c: PicChipState, line: number, level: boolean): void {
  const bit = 1 << line;
  const isLevel = (levelLines(c) & bit) !== 0;
  if (level) {
    if (isLevel || (c.lines & bit) === 0) c.irr |= bit;
    c.lines |= bit;
  } else {
    // Edge or level: a request whose line fell before INTA is withdrawn.
    c.lines &= ~bit;
    c.irr &= ~bit;
  }
}

/**
 * The chip's half of an INTA cycle: the line acknowledged, or -1 when nothing
 * was requested (the spurious case, answered with IR7 and no ISR bit).
 */
function ack(c: PicChipState, isMaster: boolean): number {
  const line = requestLine(c, isMaster);
  if (line < 0) return -1;
  const bit = 1 << line;
  c.irr &= ~bit;
  // A level-triggered request stays while its line is high.
  if (levelLines(c) & c.lines & bit) c.irr |= bit;
  if (c.icw4 & 0x02) {
    if (c.rotateInAeoi) c.lowestPriority = line;
  } else {
    c.isr |= bit;
  }
  return line;
}

/** OCW2. */
function ocw2(c: PicChipState, value: number): void {
  const level = value & 7;
  switch (value >> 5) {
    case 0b001: // non-specific EOI
    case 0b101: { // rotate on non-specific EOI
      const line = highest(c, c.isr);
      if (line < 0) break;
      c.isr &= ~(1 << line);
      if (value & 0x80) c.lowestPriority = line;
      break;
    }
    case 0b011: // specific EOI
      c.isr &= ~(1 << level);
      break;
    case 0b111: // rotate on specific EOI
      c.isr &= ~(1 << level);
      c.lowestPriority = level;
      break;
    case 0b100:
      c.rotateInAeoi = true;
      break;
    case 0b000:
      c.rotateInAeoi = false;
      break;
    case 0b110: // set priority
      c.lowestPriority = level;
      break;
    default: // 0b010: no operation
      break;
  }
}

/** A write to the command port (A0 = 0): ICW1, OCW2 or OCW3. */
function writeCommand(c: PicChipState, value: number): void {
  if (value & 0x10) {
    // ICW1 starts initialisation over.
    c.icw1 = value;
    c.initStep = 2;
    c.imr = 0;
    c.isr = 0;
    // The edge detectors are reset: an edge line needs a new rising edge.
    c.irr = levelLines(c) & c.lines;
    c.lowestPriority = 7;
    c.readIsr = false;
    c.poll = false;
    c.specialMask = false;
    c.rotateInAeoi = false;
    c.icw3 = 0;
    if ((value & 0x01) === 0) c.icw4 = 0;
  } else if (value & 0x08) {
    if (value & 0x04) c.poll = true;
    if (value & 0x02) c.readIsr = (value & 0x01) !== 0;
    if (value & 0x40) c.specialMask = (value & 0x20) !== 0;
  } else {
    ocw2(c, value);
  }
}

/** A write to the data port (A0 = 1): ICW2-4 during initialisation, else OCW1. */
function writeData(c: PicChipState, value: number): void {
  switch (c.initStep) {
    case 2:
      c.vectorBase = value & 0xf8;
      if ((c.icw1 & 0x02) === 0) c.initStep = 3;
      else c.initStep = (c.icw1 & 0x01) ? 4 : 0;
      break;
    case 3:
      c.icw3 = value;
      c.initStep = (c.icw1 & 0x01) ? 4 : 0;
      break;
    case 4:
      c.icw4 = value & 0x1f;
      c.initStep = 0;
      break;
    default:
      c.imr = value;
  }
}

/** The master and slave 8259A of a PC, with the ELCR. */
export class Pic {
  /** The state of both chips; plain data. */
  state: PicState;
  /** The master's ports (0x20-0x21): register with length 2. */
  readonly master: BusDevice;
  /** The slave's ports (0xA0-0xA1): register with length 2. */
  readonly slave: BusDevice;
  /** The ELCR ports (0x4D0-0x4D1): register with length 2. */
  readonly elcr: BusDevice;
  readonly #onOutput?: (pending: boolean) => void;
  #output = false;

  /** Makes both chips, uninitialised (all masked) unless `pcDefaults` says otherwise. */
  constructor(options: PicOptions = {}) {
    this.state = { master: newChip(), slave: newChip() };
    this.#onOutput = options.onOutput;
    this.master = this.#ports(true);
    this.slave = this.#ports(false);
    this.elcr = {
      read: (offset, data) => {
        for (let i = 0; i < data.length; i++) {
          const o = offset + i;
          data[i] = o === 0 ? this.state.master.elcr : o === 1 ? this.state.slave.elcr : 0xff;
        }
      },
      write: (offset, data) => {
        for (let i = 0; i < data.length; i++) this.#writeElcr(offset + i, data[i]);
        this.#sync();
      },
    };
    const d = options.pcDefaults;
    if (d) {
      const masks = d === true ? {} : d;
      this.programPcDefaults(masks.masterMask ?? 0, masks.slaveMask ?? 0);
    }
  }

  /**
   * Programs both chips the way a PC BIOS does, through the same register
   * writes a guest would make: edge-triggered, cascaded, 8086 mode, master
   * vectors 0x08-0x0F, slave vectors 0x70-0x77, then the given masks.
   */
  programPcDefaults(masterMask = 0, slaveMask = 0): void {
    const out = (dev: BusDevice, offset: number, value: number) =>
      dev.write(offset, Uint8Array.of(value & 0xff));
    out(this.master, 0, 0x11); // ICW1: edge, cascade, ICW4 follows
    out(this.master, 1, 0x08); // ICW2: vector base
    out(this.master, 1, 1 << CASCADE_LINE); // ICW3: slave on IR2
    out(this.master, 1, 0x01); // ICW4: 8086 mode
    out(this.slave, 0, 0x11);
    out(this.slave, 1, 0x70);
    out(this.slave, 1, CASCADE_LINE); // ICW3: slave ID
    out(this.slave, 1, 0x01);
    out(this.master, 1, masterMask);
    out(this.slave, 1, slaveMask);
  }

  /**
   * Drives interrupt line `line` (0-15) to `level`. IRQ 2 is the cascade, so
   * as on the AT's bus a device on IRQ 2 arrives as IRQ 9. Other lines are ignored.
   */
  setIrq(line: number, level: boolean): void {
    if (!Number.isInteger(line) || line < 0 || line > 15) return;
    if (line === CASCADE_LINE) line = 9;
    if (line < 8) setLine(this.state.master, line, level);
    else setLine(this.state.slave, line - 8, level);
    this.#sync();
  }

  /** True when the master presents an interrupt on INTR. */
  hasInterrupt(): boolean {
    return requestLine(this.state.master, true) >= 0;
  }

  /**
   * True when a request on `line` (0-15) would reach the CPU now: unmasked,
   * of higher priority than what is in service, on both chips for a slave line.
   */
  canDeliver(line: number): boolean {
    if (!Number.isInteger(line) || line < 0 || line > 15) return false;
    if (line === CASCADE_LINE) line = 9;
    const onMaster = line < 8 ? line : CASCADE_LINE;
    if (!wouldPresent(this.state.master, onMaster, true)) return false;
    return line < 8 || wouldPresent(this.state.slave, line - 8, false);
  }

  /** True while a request on `line` (0-15) is latched in IRR and not yet acknowledged. */
  isRequested(line: number): boolean {
    if (!Number.isInteger(line) || line < 0 || line > 15) return false;
    if (line === CASCADE_LINE) line = 9;
    const c = line < 8 ? this.state.master : this.state.slave;
    return (c.irr & (1 << (line & 7))) !== 0;
  }

  /**
   * The INTA cycle: returns the vector of the highest-priority request and
   * moves it from IRR to ISR (unless in automatic EOI). A request that went
   * away answers with IR7's vector (spurious IRQ 7, or IRQ 15 from the slave,
   * in which case the master's IR2 is in service as on real hardware).
   */
  acknowledge(): number {
    const m = this.state.master;
    const line = ack(m, true);
    let vector: number;
    if (line < 0) {
      vector = m.vectorBase | 7;
    } else if ((m.icw1 & 0x02) === 0 && (m.icw3 & (1 << line)) !== 0) {
      const s = this.state.slave;
      const sl = ack(s, false);
      vector = s.vectorBase | (sl < 0 ? 7 : sl);
    } else {
      vector = m.vectorBase | line;
    }
    this.#sync();
    return vector;
  }

  /** A copy of the state. */
  snapshot(): PicState {
    return structuredClone(this.state);
  }

  /** Replaces the state with a copy of `state`. */
  restore(state: PicState): void {
    this.state = structuredClone(state);
    this.#sync();
  }

  #chip(isMaster: boolean): PicChipState {
    return isMaster ? this.state.master : this.state.slave;
  }

  #ports(isMaster: boolean): BusDevice {
    return {
      read: (offset, data) => {
        for (let i = 0; i < data.length; i++) data[i] = this.#read(isMaster, offset + i);
        this.#sync();
      },
      write: (offset, data) => {
        for (let i = 0; i < data.length; i++) {
          const o = offset + i;
          const c = this.#chip(isMaster);
          if (o === 0) writeCommand(c, data[i]);
          else if (o === 1) writeData(c, data[i]);
        }
        this.#sync();
      },
    };
  }

  #read(isMaster: boolean, offset: number): number {
    const c = this.#chip(isMaster);
    if (offset === 1) return c.imr;
    if (offset !== 0) return 0xff;
    if (c.poll) {
      // A poll is an INTA without the vector: bit 7 says a request was taken.
      c.poll = false;
      const line = ack(c, isMaster);
      return line < 0 ? 0 : 0x80 | line;
    }
    return c.readIsr ? c.isr : c.irr;
  }

  #writeElcr(offset: number, value: number): void {
    const c = offset === 0 ? this.state.master : offset === 1 ? this.state.slave : undefined;
    if (!c) return;
    c.elcr = value & (offset === 0 ? ELCR_MASTER_MASK : ELCR_SLAVE_MASK);
    // Lines that became level-triggered show their level at once.
    const lv = levelLines(c);
    c.irr = (c.irr & ~lv) | (c.lines & lv);
  }

  /** Propagates the slave's INT to the master's IR2 and reports INTR changes. */
  #sync(): void {
    const slaveInt = requestLine(this.state.slave, false) >= 0;
    const m = this.state.master;
    if (slaveInt !== ((m.lines & (1 << CASCADE_LINE)) !== 0)) {
      setLine(m, CASCADE_LINE, slaveInt);
    }
    const out = this.hasInterrupt();
    if (out !== this.#output) {
      this.#output = out;
      this.#onOutput?.(out);
    }
  }
}
