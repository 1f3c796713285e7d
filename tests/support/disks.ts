// Disk fixtures shared by the disk tests on both accelerators.
import { assemble } from "../emu/helpers.ts";

/** A boot sector from NASM source (org 0x7C00). */
export function bootSector(source: string): Uint8Array {
  const image = new Uint8Array(512);
  image.set(assemble(source, 0x7c00));
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

/** `sectors` sectors, each filled with (LBA + seed) & 0xFF. */
export function numbered(sectors: number, seed = 0): Uint8Array {
  const image = new Uint8Array(sectors * 512);
  for (let i = 0; i < sectors; i++) image.fill((i + seed) & 0xff, i * 512, (i + 1) * 512);
  return image;
}

/**
 * A boot sector that checks three hard disks (80h boot, 81h of 8 sectors,
 * 82h of 4096 sectors filled with LBA + 0x40): the BDA count, AH=08h, 15h,
 * 41h/42h/43h/48h. It writes 0x5A to 81h's LBA 1 and ends with debug-exit 0;
 * a failed check n ends with debug-exit n.
 */
export const DRIVES_GUEST = bootSector(`
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov al, 1
    cmp byte [0x475], 3        ; the BDA counts three hard disks
    jne fail
    mov ah, 0x08
    mov dl, 0x80
    int 0x13
    mov al, 2
    jc fail
    cmp dl, 3
    jne fail
    mov ah, 0x15
    mov dl, 0x82
    int 0x13
    mov al, 3
    cmp ah, 3
    jne fail
    test cx, cx
    jnz fail
    cmp dx, 4096
    jne fail
    mov ah, 0x15
    mov dl, 0x83
    int 0x13
    mov al, 4
    test ah, ah                ; no such drive
    jnz fail
    mov word [dap + 8], 4095   ; the last sector of 82h
    mov ah, 0x42
    mov dl, 0x82
    mov si, dap
    int 0x13
    mov al, 5
    jc fail
    cmp byte [0x8000], (4095 + 0x40) & 0xff
    jne fail
    mov di, 0x8000             ; write 0x5A to 81h's LBA 1
    mov cx, 512
    mov al, 0x5a
    rep stosb
    mov word [dap + 8], 1
    mov ah, 0x43
    mov dl, 0x81
    mov si, dap
    int 0x13
    mov al, 6
    jc fail
    mov byte [0x8000], 0
    mov ah, 0x42
    mov dl, 0x81
    mov si, dap
    int 0x13
    mov al, 7
    cmp byte [0x8000], 0x5a
    jne fail
    mov word [params], 0x1a
    mov ah, 0x48
    mov dl, 0x82
    mov si, params
    int 0x13
    mov al, 8
    jc fail
    cmp word [params + 16], 4096
    jne fail
    xor al, al
  fail:
    out 0xf4, al
    hlt
  dap: db 16, 0
    dw 1, 0x8000, 0            ; one sector to 0000:8000
    dq 0
  params: times 0x1a db 0`);
