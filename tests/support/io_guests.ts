// Guests for port I/O and HLT behaviour that both accelerators must share
// with QEMU: writes to the debug-exit port (0xF4-0xF7, QEMU's isa-debug-exit
// with iobase=0xf4, iosize=4) with the exit code QEMU gives for each
// (measured with qemu-system-x86_64 7.2, TCG), and a HLT with IRQs masked.
import { assemble } from "../emu/helpers.ts";

/** A boot sector around 16-bit `code` at 0000:7C00. */
export function bootSector(code: string): Uint8Array {
  const bytes = assemble(code, 0x7c00);
  const image = new Uint8Array(512);
  image.set(bytes);
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

/** One write to the debug-exit range, then `out 0xf4, 0x30` (code 0x30 when the write was ignored). */
export interface DebugExitCase {
  name: string;
  image: Uint8Array;
  /** The code QEMU exits with. */
  code: number;
}

const IGNORED = 0x30;

function oneWrite(port: number, register: "al" | "ax" | "eax"): Uint8Array {
  return bootSector(`
    mov dx, ${port}
    mov eax, 0x05050505
    out dx, ${register}
    mov al, ${IGNORED}
    out 0xf4, al
    cli
    hlt`);
}

/** REP OUTSB of 5, 7, 8, 9 to 0xF4: QEMU and KVM stop at the first byte. */
export function repOutsGuest(): Uint8Array {
  return bootSector(`
    cld
    xor ax, ax
    mov ds, ax
    mov si, data
    mov cx, 4
    mov dx, 0xf4
    rep outsb
    cli
    hlt
data: db 5, 7, 8, 9`);
}

/** The cases: aligned accesses inside the range count, unaligned or straddling ones are dropped. */
export const DEBUG_EXIT_CASES: DebugExitCase[] = [
  { name: "byte at 0xF5", image: oneWrite(0xf5, "al"), code: 0x05 },
  { name: "byte at 0xF7", image: oneWrite(0xf7, "al"), code: 0x05 },
  { name: "word at 0xF4", image: oneWrite(0xf4, "ax"), code: 0x0505 },
  { name: "word at 0xF6", image: oneWrite(0xf6, "ax"), code: 0x0505 },
  { name: "dword at 0xF4", image: oneWrite(0xf4, "eax"), code: 0x05050505 },
  { name: "word at 0xF5 (unaligned)", image: oneWrite(0xf5, "ax"), code: IGNORED },
  { name: "word at 0xF7 (past the end)", image: oneWrite(0xf7, "ax"), code: IGNORED },
  { name: "word at 0xF3 (before the start)", image: oneWrite(0xf3, "ax"), code: IGNORED },
  { name: "dword at 0xF6", image: oneWrite(0xf6, "eax"), code: IGNORED },
  { name: "REP OUTSB of 4 bytes", image: repOutsGuest(), code: 5 },
];

/** Masks `masterMask`/`slaveMask`, STI, HLT, then reports 0x42 on debug-exit. */
export function maskedHltGuest(masterMask = 0xff, slaveMask = 0xff): Uint8Array {
  return bootSector(`
    mov al, ${masterMask}
    out 0x21, al
    mov al, ${slaveMask}
    out 0xa1, al
    sti
    hlt
    mov al, 0x42
    out 0xf4, al
    cli
    hlt`);
}

/**
 * REP INSB of `count` bytes (into 1000:0000) from CMOS register 0x50 (0x11)
 * while IRQ 0 runs at 1193182 / `divisor` Hz; the IRQ 0 handler selects register 0x51
 * (0x22), reads it, counts a mismatch, and selects 0x50 again. Exit code:
 * 0x20 + (wrong bytes in the buffer) + 0x40 when a handler read went wrong
 * (0x20 when all is well), as long as at least one tick hit the REP.
 */
export function repInsGuest(divisor = 100, count = 4000): Uint8Array {
  return bootSector(`
    cli
    cld
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    mov word [8 * 4], handler
    mov word [8 * 4 + 2], 0
    mov al, 0x50
    out 0x70, al
    mov al, 0x11
    out 0x71, al
    mov al, 0x51
    out 0x70, al
    mov al, 0x22
    out 0x71, al
    mov al, 0x50
    out 0x70, al
    mov al, 0x34               ; channel 0, mode 2
    out 0x43, al
    mov al, ${divisor & 0xff}
    out 0x40, al
    mov al, ${divisor >> 8}
    out 0x40, al
    mov al, 0xfe
    out 0x21, al
    mov ax, 0x1000
    mov es, ax
    xor di, di
    mov cx, ${count}
    mov dx, 0x71
    sti
    rep insb
    cli
    cmp word [ticks], 0
    je .none
    xor si, si
    mov cx, ${count}
    xor bx, bx
.check:
    es lodsb
    cmp al, 0x11
    je .good
    inc bx
.good:
    loop .check
    cmp bx, 0x1f
    jbe .small
    mov bx, 0x1f
.small:
    lea ax, [bx + 0x20]
    cmp byte [bad], 0
    je .report
    or al, 0x40
.report:
    out 0xf4, al
.none:
    mov al, 0x7f
    out 0xf4, al
handler:
    push ax
    inc word [ticks]
    mov al, 0x51
    out 0x70, al
    in al, 0x71
    cmp al, 0x22
    je .ok
    mov byte [bad], 1
.ok:
    mov al, 0x50
    out 0x70, al
    mov al, 0x20
    out 0x20, al
    pop ax
    iret
ticks: dw 0
bad: db 0`);
}
