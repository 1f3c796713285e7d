/**
 * An ATA/IDE disk controller in PIO mode: two channels, each with a master
 * and a slave drive, over the same {@link Disk} objects the BIOS reads, so a
 * guest write goes through the disk's overlay or write-through rule.
 *
 * | channel   | command block | control | IRQ |
 * | --------- | ------------- | ------- | --- |
 * | primary   | 0x1F0-0x1F7   | 0x3F6   | 14  |
 * | secondary | 0x170-0x177   | 0x376   | 15  |
 *
 * Commands: IDENTIFY DEVICE (ECh), READ/WRITE SECTORS (20h/30h, and 21h/31h)
 * with LBA28 or CHS addresses, their EXT forms (24h/34h) with LBA48, READ/
 * WRITE MULTIPLE (C4h/C5h) after SET MULTIPLE MODE (C6h), and the no-data
 * ones a driver issues while probing (flush, set features, recalibrate,
 * initialise parameters, diagnostics). Others abort (ERR, error ABRT).
 * Commands finish at once: a data transfer sets DRQ for one block of
 * sectors at a time, and the interrupt (unless nIEN) comes up when a block
 * is ready to read, after a written block is stored, and when a no-data
 * command is done; reading the status register lowers it.
 *
 * @module
 */

import type { BusDevice } from "../machine/bus.ts";
import { type Disk, SECTOR_SIZE } from "../loader/disk.ts";

/** The primary channel's command-block and control ports and IRQ. */
export const IDE_PRIMARY = { base: 0x1f0, control: 0x3f6, irq: 14 } as const;
/** The secondary channel's. */
export const IDE_SECONDARY = { base: 0x170, control: 0x376, irq: 15 } as const;

const ST_BSY = 0x80;
const ST_DRDY = 0x40;
const ST_DSC = 0x10;
const ST_DRQ = 0x08;
const ST_ERR = 0x01;
const ERR_ABRT = 0x04;
const ERR_IDNF = 0x10;
const DEV_LBA = 0x40;
const DEV_SLAVE = 0x10;
const CTL_NIEN = 0x02;
const CTL_SRST = 0x04;
const CTL_HOB = 0x80;
/** Most sectors one READ/WRITE MULTIPLE block may hold (IDENTIFY word 47). */
const MAX_MULTIPLE = 16;

/** What the data register is moving, if anything. */
interface Transfer {
  /** The buffer the guest reads or fills: one block. */
  buffer: Uint8Array;
  /** Bytes moved in this block so far. */
  pos: number;
  /** Whether the guest writes (else reads). */
  write: boolean;
  /** The disk's next LBA for this block (absent for IDENTIFY). */
  lba: number;
  /** Sectors left after this block. */
  remaining: number;
  /** Sectors per block. */
  perBlock: number;
  disk?: Disk;
}

/** One channel's registers (shared by its two drives, as on the cable). */
class Channel {
  features = 0;
  count = 0;
  lbaLow = 0;
  lbaMid = 0;
  lbaHigh = 0;
  /** The previous values, for LBA48 (the high-order bytes, read with HOB). */
  hobCount = 0;
  hobLow = 0;
  hobMid = 0;
  hobHigh = 0;
  device = 0xa0;
  control = 0;
  error = 1;
  status = ST_DRDY | ST_DSC;
  /** The interrupt the drive asserts until the status register is read. */
  pending = false;
  multiple: [number, number] = [0, 0];
  transfer: Transfer | undefined;

  constructor(
    readonly drives: readonly [Disk | undefined, Disk | undefined],
    readonly setIrq: (level: boolean) => void,
  ) {}

  get selected(): number {
    return this.device & DEV_SLAVE ? 1 : 0;
  }

  get disk(): Disk | undefined {
    return this.drives[this.selected];
  }
}

/** Options for {@link IdeController}. */
export interface IdeOptions {
  /** The drives: [primary master, primary slave, secondary master, secondary slave]. */
  drives: readonly (Disk | undefined)[];
  /** Drives an interrupt line (14 or 15). */
  setIrq: (irq: number, level: boolean) => void;
}

/** The two channels; register {@link channelPorts} of each on the port bus. */
export class IdeController {
  readonly #channels: [Channel, Channel];

  constructor(options: IdeOptions) {
    const d = options.drives;
    this.#channels = [
      new Channel([d[0], d[1]], (l) => options.setIrq(IDE_PRIMARY.irq, l)),
      new Channel([d[2], d[3]], (l) => options.setIrq(IDE_SECONDARY.irq, l)),
    ];
    for (const c of this.#channels) resetChannel(c);
  }

  /** Whether channel `index` (0 primary, 1 secondary) has any drive. */
  hasDrives(index: 0 | 1): boolean {
    const c = this.#channels[index];
    return c.drives[0] !== undefined || c.drives[1] !== undefined;
  }

  /** Channel `index`'s command block (8 ports) and control port (1) as bus devices. */
  channelPorts(index: 0 | 1): { command: BusDevice; control: BusDevice } {
    const c = this.#channels[index];
    return {
      command: {
        read: (offset, data) => readCommandBlock(c, offset, data),
        write: (offset, data) => writeCommandBlock(c, offset, data),
      },
      control: {
        read: (_offset, data) => data.fill(statusOf(c)),
        write: (_offset, data) => writeControl(c, data[0]),
      },
    };
  }

  /** Both channels back to their power-on state (a CPU reset). */
  reset(): void {
    for (const c of this.#channels) {
      c.control = 0;
      c.multiple = [0, 0];
      resetChannel(c);
    }
  }
}

/** The status the selected drive shows; an absent drive shows 0. */
function statusOf(c: Channel): number {
  return c.disk ? c.status : 0;
}

function raise(c: Channel): void {
  c.pending = true;
  updateIrq(c);
}

function updateIrq(c: Channel): void {
  c.setIrq(c.pending && (c.control & CTL_NIEN) === 0);
}

/** Software or power-on reset: the drives' signature and no transfer. */
function resetChannel(c: Channel): void {
  c.transfer = undefined;
  c.error = 1; // diagnostic code: no error
  c.count = 1;
  c.lbaLow = 1;
  c.lbaMid = 0;
  c.lbaHigh = 0;
  c.hobCount =
    c.hobLow =
    c.hobMid =
    c.hobHigh =
      0;
  c.device = 0xa0;
  c.status = ST_DRDY | ST_DSC;
  c.pending = false;
  updateIrq(c);
}

function writeControl(c: Channel, value: number): void {
  const wasReset = (c.control & CTL_SRST) !== 0;
  c.control = value;
  if (value & CTL_SRST) {
    c.transfer = undefined;
    c.status = ST_BSY | ST_DSC;
  } else if (wasReset) {
    resetChannel(c);
  }
  updateIrq(c);
}

type Doubled = "count" | "lbaLow" | "lbaMid" | "lbaHigh";
type HobCopy = "hobCount" | "hobLow" | "hobMid" | "hobHigh";
/** Offsets 2-5, each register with the copy of its previous value. */
const DOUBLED: readonly (readonly [Doubled, HobCopy])[] = [
  ["count", "hobCount"],
  ["lbaLow", "hobLow"],
  ["lbaMid", "hobMid"],
  ["lbaHigh", "hobHigh"],
];

/**
 * The sector count and LBA registers are two deep for LBA48: a write pushes the
 * last value into the HOB copy, which reads back while the control register's
 * HOB bit is set. One rule for all four, on the read and the write side.
 */
function doubled(offset: number): readonly [Doubled, HobCopy] | undefined {
  return offset >= 2 && offset <= 5 ? DOUBLED[offset - 2] : undefined;
}

function readCommandBlock(c: Channel, offset: number, data: Uint8Array): void {
  if (offset === 0) {
    readData(c, data);
    return;
  }
  // Wider accesses to the other registers read the first one repeated.
  const pair = doubled(offset);
  if (pair) {
    const [register, hob] = pair;
    data.fill((c.control & CTL_HOB) !== 0 ? c[hob] : c[register]);
    return;
  }
  let v: number;
  switch (offset) {
    case 1:
      v = c.error;
      break;
    case 6:
      v = c.device;
      break;
    default:
      v = statusOf(c);
      c.pending = false;
      updateIrq(c);
  }
  data.fill(v);
}

function writeCommandBlock(c: Channel, offset: number, data: Uint8Array): void {
  if (offset === 0) {
    writeData(c, data);
    return;
  }
  const v = data[0];
  // Writing any command-block register clears HOB (ATA-6).
  c.control &= ~CTL_HOB;
  const pair = doubled(offset);
  if (pair) {
    const [register, hob] = pair;
    c[hob] = c[register];
    c[register] = v;
    return;
  }
  switch (offset) {
    case 1:
      c.features = v;
      break;
    case 6:
      c.device = v | 0xa0;
      break;
    default:
      command(c, v);
  }
}

function readData(c: Channel, data: Uint8Array): void {
  const t = c.transfer;
  if (!t || t.write) {
    data.fill(0xff);
    return;
  }
  const n = Math.min(data.length, t.buffer.length - t.pos);
  data.set(t.buffer.subarray(t.pos, t.pos + n));
  data.fill(0xff, n);
  t.pos += n;
  if (t.pos >= t.buffer.length) nextReadBlock(c, t);
}

function writeData(c: Channel, data: Uint8Array): void {
  const t = c.transfer;
  if (!t || !t.write) return;
  const n = Math.min(data.length, t.buffer.length - t.pos);
  t.buffer.set(data.subarray(0, n), t.pos);
  t.pos += n;
  if (t.pos < t.buffer.length) return;
  t.disk!.write(t.lba, t.buffer);
  t.lba += t.perBlock;
  if (t.remaining === 0) {
    finish(c);
  } else {
    startBlock(c, t);
  }
  raise(c);
}

/** After the guest read a whole block: the next one, or the end of the command. */
function nextReadBlock(c: Channel, t: Transfer): void {
  if (t.remaining === 0 || !t.disk) {
    finish(c);
    return;
  }
  startBlock(c, t);
  t.disk.read(t.lba, t.buffer);
  t.lba += t.perBlock;
  raise(c);
}

/** Sets up the next block of `t` (its size: the rest, up to one block). */
function startBlock(c: Channel, t: Transfer): void {
  const n = Math.min(t.perBlock, t.remaining);
  if (t.buffer.length !== n * SECTOR_SIZE) t.buffer = new Uint8Array(n * SECTOR_SIZE);
  t.remaining -= n;
  t.pos = 0;
  c.status = ST_DRDY | ST_DSC | ST_DRQ;
}

function finish(c: Channel): void {
  c.transfer = undefined;
  c.status = ST_DRDY | ST_DSC;
}

function abort(c: Channel, error = ERR_ABRT): void {
  c.transfer = undefined;
  c.error = error;
  c.status = ST_DRDY | ST_DSC | ST_ERR;
  raise(c);
}

function command(c: Channel, op: number): void {
  const disk = c.disk;
  if (!disk) return; // no drive answers: the command is ignored
  if (c.status & ST_BSY) return;
  c.error = 0;
  // Writing the command register clears a pending interrupt (ATA), as reading status does:
  // xv6 never reads status after a write, and the next command's edge must reach the IOAPIC.
  c.pending = false;
  updateIrq(c);
  switch (op) {
    case 0xec:
      c.transfer = {
        buffer: identify(disk, c.multiple[c.selected]),
        pos: 0,
        write: false,
        lba: 0,
        remaining: 0,
        perBlock: 1,
      };
      c.status = ST_DRDY | ST_DSC | ST_DRQ;
      raise(c);
      return;
    case 0x20:
    case 0x21:
    case 0x24:
    case 0x30:
    case 0x31:
    case 0x34:
    case 0xc4:
    case 0xc5:
    case 0x29:
    case 0x39:
      transfer(c, disk, op);
      return;
    case 0xc6: {
      const n = c.count;
      if (n > MAX_MULTIPLE || (n & (n - 1)) !== 0) {
        abort(c);
        return;
      }
      c.multiple[c.selected] = n;
      break;
    }
    case 0x90: // EXECUTE DEVICE DIAGNOSTIC: the signature, error 01h
      resetChannel(c);
      break;
    case 0x10: // RECALIBRATE
    case 0x91: // INITIALIZE DEVICE PARAMETERS (the translation stays the default)
    case 0xe7: // FLUSH CACHE
    case 0xea: // FLUSH CACHE EXT
    case 0xef: // SET FEATURES
    case 0xe0: // STANDBY IMMEDIATE
    case 0xe1: // IDLE IMMEDIATE
    case 0xe5: // CHECK POWER MODE
    case 0x40: // READ VERIFY SECTORS
    case 0x42: // READ VERIFY SECTORS EXT
      if (op === 0xe5) c.count = 0xff;
      break;
    default:
      abort(c);
      return;
  }
  c.status = ST_DRDY | ST_DSC;
  raise(c);
}

/** A READ or WRITE (SECTORS, MULTIPLE, their EXT forms): checks the address and starts. */
function transfer(c: Channel, disk: Disk, op: number): void {
  const ext = op === 0x24 || op === 0x34 || op === 0x29 || op === 0x39;
  const multipleOp = op === 0xc4 || op === 0xc5 || op === 0x29 || op === 0x39;
  const write = op === 0x30 || op === 0x31 || op === 0x34 || op === 0xc5 || op === 0x39;
  let perBlock = 1;
  if (multipleOp) {
    perBlock = c.multiple[c.selected];
    if (perBlock === 0) {
      abort(c);
      return;
    }
  }
  let count: number;
  let lba: number;
  if (ext) {
    count = (c.hobCount << 8 | c.count) || 0x10000;
    lba = (c.hobHigh * 2 ** 40) + (c.hobMid * 2 ** 32) + (c.hobLow * 2 ** 24) +
      ((c.lbaHigh << 16 | c.lbaMid << 8 | c.lbaLow) >>> 0);
    if (!(c.device & DEV_LBA)) {
      abort(c);
      return;
    }
  } else {
    count = c.count || 0x100;
    if (c.device & DEV_LBA) {
      lba = ((c.device & 0x0f) << 24 | c.lbaHigh << 16 | c.lbaMid << 8 | c.lbaLow) >>> 0;
    } else {
      const g = disk.geometry;
      const cyl = c.lbaHigh << 8 | c.lbaMid;
      const head = c.device & 0x0f;
      const sector = c.lbaLow;
      lba = head < g.heads && sector >= 1 && sector <= g.sectors
        ? (cyl * g.heads + head) * g.sectors + sector - 1
        : -1;
    }
  }
  if (lba < 0 || !disk.has(lba, count)) {
    abort(c, ERR_IDNF);
    return;
  }
  const t: Transfer = {
    buffer: new Uint8Array(0),
    pos: 0,
    write,
    lba,
    remaining: count,
    perBlock,
    disk,
  };
  c.transfer = t;
  startBlock(c, t);
  if (write) return; // DRQ without an interrupt: the guest sends the first block
  disk.read(t.lba, t.buffer);
  t.lba += perBlock;
  raise(c);
}

/** IDENTIFY DEVICE's 256 words for a disk. */
export function identify(disk: Disk, multiple = 0): Uint8Array {
  const words = new Uint16Array(256);
  const g = disk.geometry;
  const total = disk.sectorCount;
  const lba28 = Math.min(total, 0x0fffffff);
  words[0] = 0x0040; // fixed disk
  words[1] = g.cylinders;
  words[3] = g.heads;
  words[6] = g.sectors;
  putString(words, 10, 10, "PICOVMM0001");
  putString(words, 23, 4, "1.0");
  putString(words, 27, 20, "picovmm hard disk");
  words[47] = 0x8000 | MAX_MULTIPLE;
  words[49] = 0x0200; // LBA supported
  words[53] = 0x0001; // words 54-58 valid
  words[54] = g.cylinders;
  words[55] = g.heads;
  words[56] = g.sectors;
  const chs = g.cylinders * g.heads * g.sectors;
  words[57] = chs & 0xffff;
  words[58] = chs >>> 16;
  words[59] = multiple ? 0x100 | multiple : 0;
  words[60] = lba28 & 0xffff;
  words[61] = lba28 >>> 16;
  words[80] = 0x007e; // ATA-1 to ATA-6
  words[83] = 0x4400; // LBA48 supported
  words[86] = 0x0400; // LBA48 enabled
  words[87] = 0x4000;
  for (let i = 0; i < 4; i++) words[100 + i] = Math.floor(total / 2 ** (16 * i)) & 0xffff;
  const bytes = new Uint8Array(SECTOR_SIZE);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setUint16(i * 2, w, true));
  return bytes;
}

/** An ATA string: two characters a word, the first in the high byte, padded with spaces. */
function putString(words: Uint16Array, at: number, length: number, text: string): void {
  const s = text.padEnd(length * 2, " ");
  for (let i = 0; i < length; i++) {
    words[at + i] = s.charCodeAt(2 * i) << 8 | s.charCodeAt(2 * i + 1);
  }
}
