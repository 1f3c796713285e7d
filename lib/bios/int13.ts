/**
 * INT 13h, disk services, on the machine's drives (floppies 00h-03h, hard
 * disks from 80h): reset, status, CHS read/write/verify, drive parameters
 * and type, and the EDD extensions (41h check, 42h/43h/44h LBA read, write
 * and verify with 64-bit LBAs, 48h parameters). Writes go where the disk
 * sends them (its overlay, or the image when it is writable; see disk.ts).
 *
 * Every buffer, packet and count from the guest is checked before it is
 * used; a bad one is the BIOS error return (CF=1, AH=code) with AL (or the
 * packet's count) saying how many sectors were transferred.
 *
 * @module
 */

import { type Disk, SECTOR_SIZE } from "../loader/disk.ts";
import { BDA } from "./bda.ts";
import type { BiosEnv } from "./env.ts";
import { type BiosRegs, linear } from "./regs.ts";
import { ROM_SEGMENT } from "./rom.ts";

/** INT 13h status codes (AH). */
export const DiskStatus = {
  OK: 0x00,
  BAD_COMMAND: 0x01,
  WRITE_PROTECTED: 0x03,
  SECTOR_NOT_FOUND: 0x04,
  DMA_BOUNDARY: 0x09,
  NOT_READY: 0xaa,
} as const;

/** Most sectors one CHS or EDD call transfers. */
const MAX_TRANSFER = 127;

/** INT 13h. */
export function int13(r: BiosRegs, env: BiosEnv): void {
  const drive = r.dl;
  const disk = env.disks.get(drive);
  const fn = r.ah;
  if (fn === 0x15 && !disk) {
    r.ah = 0; // no such drive
    r.cf = false;
    return;
  }
  if (!disk) {
    finish(r, env, drive, DiskStatus.BAD_COMMAND);
    return;
  }
  switch (fn) {
    case 0x00:
      finish(r, env, drive, DiskStatus.OK);
      return;
    case 0x01: {
      const last = env.memory.readU8(drive & 0x80 ? BDA.HDD_STATUS : BDA.FLOPPY_STATUS);
      r.ah = last;
      r.cf = last !== 0;
      return;
    }
    case 0x02:
    case 0x03:
    case 0x04:
      chsTransfer(r, env, disk, fn);
      return;
    case 0x08:
      parameters(r, env, disk);
      return;
    case 0x15:
      if (disk.type === "floppy") {
        r.ah = 0x02; // floppy with change-line support
      } else {
        // CX:DX counts sectors in 32 bits; a larger disk reports the most it can.
        const sectors = Math.min(disk.sectorCount, 0xffffffff);
        r.ah = 0x03;
        r.cx = Math.floor(sectors / 0x10000);
        r.dx = sectors & 0xffff;
      }
      r.cf = false;
      return;
    case 0x16:
      finish(r, env, drive, DiskStatus.OK); // the disk was not changed
      return;
    case 0x41:
      if (r.bx !== 0x55aa || disk.type !== "hdd") {
        finish(r, env, drive, DiskStatus.BAD_COMMAND);
        return;
      }
      r.bx = 0xaa55;
      r.ah = 0x30; // EDD 3.0
      r.cx = 0x0001; // fixed disk access (42h-44h, 47h, 48h)
      r.cf = false;
      return;
    case 0x42:
    case 0x43:
    case 0x44:
      if (disk.type !== "hdd") {
        finish(r, env, drive, DiskStatus.BAD_COMMAND);
        return;
      }
      lbaTransfer(r, env, disk, fn);
      return;
    case 0x48:
      if (disk.type !== "hdd") {
        finish(r, env, drive, DiskStatus.BAD_COMMAND);
        return;
      }
      driveParameters(r, env, disk);
      return;
    default:
      finish(r, env, drive, DiskStatus.BAD_COMMAND);
  }
}

/** Records the status in the BDA and sets AH and CF. */
function finish(r: BiosRegs, env: BiosEnv, drive: number, status: number): void {
  env.memory.writeU8(drive & 0x80 ? BDA.HDD_STATUS : BDA.FLOPPY_STATUS, status);
  r.ah = status;
  r.cf = status !== 0;
}

/** AH=02h/03h/04h: CHS read, write or verify of AL sectors to/from ES:BX. */
function chsTransfer(r: BiosRegs, env: BiosEnv, disk: Disk, fn: number): void {
  const count = r.al;
  const sector = r.cl & 0x3f;
  const cylinder = r.ch | ((r.cl & 0xc0) << 2);
  const head = r.dh;
  const lba = disk.chsToLba(cylinder, head, sector);
  if (count === 0 || count > MAX_TRANSFER) {
    r.al = 0;
    finish(r, env, r.dl, DiskStatus.BAD_COMMAND);
    return;
  }
  if (lba < 0) {
    r.al = 0;
    finish(r, env, r.dl, DiskStatus.SECTOR_NOT_FOUND);
    return;
  }
  const { done, status } = transfer(env, disk, fn - 0x02, lba, count, linear(r.es, r.bx));
  r.al = done;
  finish(r, env, r.dl, status);
}

/**
 * Moves up to `count` sectors: op 0 read, 1 write, 2 verify. Stops at the
 * first sector off the disk or outside guest RAM.
 */
function transfer(
  env: BiosEnv,
  disk: Disk,
  op: number,
  lba: number,
  count: number,
  buffer: number,
): { done: number; status: number } {
  const sector = new Uint8Array(SECTOR_SIZE);
  for (let i = 0; i < count; i++) {
    if (!disk.has(lba + i)) return { done: i, status: DiskStatus.SECTOR_NOT_FOUND };
    if (op === 2) continue;
    const at = buffer + i * SECTOR_SIZE;
    const region = env.memory.regionOf(at, SECTOR_SIZE);
    // Reads must land in writable RAM; writes may come from any RAM.
    if (!region || (op === 0 && region.readonly)) {
      return { done: i, status: DiskStatus.DMA_BOUNDARY };
    }
    if (op === 0) {
      disk.read(lba + i, sector);
      env.memory.write(at, sector);
    } else {
      disk.write(lba + i, env.memory.read(at, SECTOR_SIZE));
    }
  }
  return { done: count, status: DiskStatus.OK };
}

/** AH=08h: drive parameters. */
function parameters(r: BiosRegs, env: BiosEnv, disk: Disk): void {
  const drive = r.dl;
  const g = disk.geometry;
  const maxCyl = g.cylinders - 1;
  r.ch = maxCyl & 0xff;
  r.cl = (g.sectors & 0x3f) | ((maxCyl >> 2) & 0xc0);
  r.dh = g.heads - 1;
  if (disk.type === "floppy") {
    r.bl = disk.floppyType;
    r.dl = countDrives(env, false);
    r.es = ROM_SEGMENT;
    r.di = env.rom.diskParams;
  } else {
    r.dl = countDrives(env, true);
  }
  r.al = 0;
  finish(r, env, drive, DiskStatus.OK);
}

function countDrives(env: BiosEnv, hdd: boolean): number {
  let n = 0;
  for (const d of env.disks.keys()) if (((d & 0x80) !== 0) === hdd) n++;
  return n;
}

/** Reads the EDD disk address packet at DS:SI, or undefined when it is bad. */
function readPacket(
  env: BiosEnv,
  at: number,
): { count: number; buffer: number; lba: number } | undefined {
  const m = env.memory;
  if (!m.contains(at, 16)) return undefined;
  const size = m.readU8(at);
  if (size < 16) return undefined;
  const count = m.readU16(at + 2);
  let buffer = linear(m.readU16(at + 6), m.readU16(at + 4));
  if (m.readU32(at + 4) === 0xffffffff) {
    // A 64-bit flat buffer address follows in a 24-byte packet.
    if (size < 24 || !m.contains(at, 24)) return undefined;
    const high = m.readU32(at + 20);
    if (high !== 0) return undefined;
    buffer = m.readU32(at + 16);
  }
  const lbaHigh = m.readU32(at + 12);
  const lba = m.readU32(at + 8) + lbaHigh * 0x100000000;
  return { count, buffer, lba };
}

/** AH=42h/43h/44h: LBA read, write or verify through the packet at DS:SI. */
function lbaTransfer(r: BiosRegs, env: BiosEnv, disk: Disk, fn: number): void {
  const at = linear(r.ds, r.si);
  const packet = readPacket(env, at);
  if (!packet || packet.count > MAX_TRANSFER) {
    if (packet) env.memory.writeU16(at + 2, 0);
    finish(r, env, r.dl, DiskStatus.BAD_COMMAND);
    return;
  }
  const op = fn === 0x42 ? 0 : fn === 0x43 ? 1 : 2;
  const { done, status } = transfer(env, disk, op, packet.lba, packet.count, packet.buffer);
  env.memory.writeU16(at + 2, done);
  finish(r, env, r.dl, status);
}

/** AH=48h: the EDD drive parameter table at DS:SI. */
function driveParameters(r: BiosRegs, env: BiosEnv, disk: Disk): void {
  const at = linear(r.ds, r.si);
  const m = env.memory;
  if (!m.contains(at, 2) || m.readU16(at) < 0x1a || !m.contains(at, 0x1a)) {
    finish(r, env, r.dl, DiskStatus.BAD_COMMAND);
    return;
  }
  const g = disk.geometry;
  const n = disk.sectorCount;
  m.writeU16(at, 0x1a);
  // Flags bit 1: the CHS fields describe the whole disk (not so past 1024 cylinders).
  m.writeU16(at + 2, n <= g.cylinders * g.heads * g.sectors ? 0x0002 : 0);
  m.writeU32(at + 4, g.cylinders);
  m.writeU32(at + 8, g.heads);
  m.writeU32(at + 12, g.sectors);
  m.writeU32(at + 16, n >>> 0);
  m.writeU32(at + 20, Math.floor(n / 0x100000000));
  m.writeU16(at + 24, SECTOR_SIZE);
  finish(r, env, r.dl, DiskStatus.OK);
}
