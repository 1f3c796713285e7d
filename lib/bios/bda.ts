/**
 * The BIOS data area (segment 0x40, linear 0x400-0x4FF): the addresses the
 * BIOS and many guests share. The guest may read and change these bytes
 * directly, so the services always read them back from guest memory rather
 * than keeping their own copy.
 *
 * @example
 * ```ts
 * import { BDA } from "./bda.ts";
 * console.log(BDA.TICKS.toString(16)); // "46c"
 * ```
 *
 * @module
 */

/** Linear addresses of BDA fields (IBM PC/AT technical reference). */
export const BDA = {
  /** COM1-COM4 base ports (words). */
  COM_PORTS: 0x400,
  /** LPT1-LPT3 base ports (words). */
  LPT_PORTS: 0x408,
  /** Segment of the extended BIOS data area (word). */
  EBDA_SEGMENT: 0x40e,
  /** Equipment word (INT 11h). */
  EQUIPMENT: 0x410,
  /** Conventional memory in KiB (INT 12h). */
  MEMORY_KB: 0x413,
  /** Keyboard shift flags 1: RShift, LShift, Ctrl, Alt, Scroll, Num, Caps, Insert. */
  KBD_FLAGS1: 0x417,
  /** Keyboard shift flags 2: LCtrl, LAlt, SysReq, Pause, Scroll/Num/Caps/Insert held. */
  KBD_FLAGS2: 0x418,
  /** Keyboard buffer head (offset from segment 0x40, word). */
  KBD_HEAD: 0x41a,
  /** Keyboard buffer tail (offset from segment 0x40, word). */
  KBD_TAIL: 0x41c,
  /** The default keyboard ring buffer: 16 words. */
  KBD_BUFFER: 0x41e,
  /** Diskette recalibrate status. */
  FLOPPY_RECAL: 0x43e,
  /** Diskette motor status. */
  FLOPPY_MOTOR: 0x43f,
  /** Diskette motor turn-off counter. */
  FLOPPY_MOTOR_COUNT: 0x440,
  /** Status of the last diskette operation. */
  FLOPPY_STATUS: 0x441,
  /** Current video mode. */
  VIDEO_MODE: 0x449,
  /** Text columns (word). */
  VIDEO_COLUMNS: 0x44a,
  /** Size of a video page in bytes (word). */
  VIDEO_PAGE_SIZE: 0x44c,
  /** Offset of the active page in video memory (word). */
  VIDEO_PAGE_START: 0x44e,
  /** Cursor positions of pages 0-7 (words: column low, row high). */
  CURSOR_POS: 0x450,
  /** Cursor shape (word: end line low, start line high). */
  CURSOR_SHAPE: 0x460,
  /** Active display page. */
  ACTIVE_PAGE: 0x462,
  /** CRTC base port (word: 0x3D4 colour). */
  CRTC_BASE: 0x463,
  /** CGA mode control register value. */
  CRT_MODE_CONTROL: 0x465,
  /** CGA palette register value. */
  CRT_PALETTE: 0x466,
  /** Timer ticks since midnight (dword). */
  TICKS: 0x46c,
  /** Timer overflow: set when the tick count passed midnight. */
  MIDNIGHT: 0x470,
  /** Ctrl-Break flag. */
  BREAK_FLAG: 0x471,
  /** Reset flag (0x1234: warm boot). */
  RESET_FLAG: 0x472,
  /** Status of the last hard disk operation. */
  HDD_STATUS: 0x474,
  /** Number of hard disks. */
  HDD_COUNT: 0x475,
  /** COM1-COM4 receive time-outs in timer ticks (bytes). */
  COM_TIMEOUTS: 0x47c,
  /** Keyboard buffer start (offset from segment 0x40, word). */
  KBD_BUFFER_START: 0x480,
  /** Keyboard buffer end (offset from segment 0x40, word). */
  KBD_BUFFER_END: 0x482,
  /** Text rows minus one. */
  VIDEO_ROWS: 0x484,
  /** Character height in scan lines (word). */
  CHAR_HEIGHT: 0x485,
  /** EGA/VGA control. */
  VIDEO_CONTROL: 0x487,
  /** EGA/VGA switches. */
  VIDEO_SWITCHES: 0x488,
  /** VGA mode-set option control. */
  VIDEO_MODESET: 0x489,
  /** VGA display combination code index. */
  VIDEO_DCC: 0x48a,
  /** Keyboard status 3: bit 0 E1 prefix, 1 E0 prefix, 2 RCtrl, 3 RAlt, 4 enhanced keyboard. */
  KBD_FLAGS3: 0x496,
  /** Keyboard LED status. */
  KBD_LEDS: 0x497,
} as const;

/** Segment of the BDA. */
export const BDA_SEGMENT = 0x40;
/** Timer ticks in a day (0x1800B0, about 18.2 per second). */
export const TICKS_PER_DAY = 0x1800b0;
