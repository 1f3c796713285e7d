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

/**
 * A boot disk whose boot sector drives the IDE ports itself (no INT 13h):
 * it reads LBA 1 of the primary master (80h, this disk: sector 1 is 0x01s)
 * polling with nIEN set, then LBA 2 of the primary slave (81h: give
 * `numbered(8, 0x40)`) waiting in HLT for IRQ 14 (vector 76h), then writes
 * 0x5A5A to the slave's LBA 3 and waits for the interrupt after it. Ends
 * with debug-exit 0 (status 1); a failed check n with debug-exit n.
 */
export const IDE_GUEST = ((): Uint8Array => {
  const boot = bootSector(`
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    mov word [0x76 * 4], irq14
    mov word [0x76 * 4 + 2], 0
    mov dx, 0x3f6              ; nIEN: polling
    mov al, 2
    out dx, al
    mov bl, 0xe0               ; master, LBA
    mov bh, 1
    call command
    call poll
    mov al, 1
    test ah, 1                 ; ERR
    jnz fail
    test ah, 8                 ; DRQ
    jz fail
    call fetch
    mov al, 2
    cmp word [0x8000], 0x0101
    jne fail
    cmp word [0x81fe], 0x0101
    jne fail
    in al, 0xa1                ; unmask IRQ 14 on the slave PIC
    and al, 0xbf
    out 0xa1, al
    mov dx, 0x3f6              ; interrupts on
    xor al, al
    out dx, al
    mov bl, 0xf0               ; slave, LBA
    mov bh, 2
    mov byte [flag], 0
    call command
    call wait_irq
    mov al, 3
    test ah, 1
    jnz fail
    call fetch
    mov al, 4
    cmp word [0x8000], 0x4242
    jne fail
    cmp word [0x81fe], 0x4242
    jne fail
    mov bl, 0xf0               ; write LBA 3 of the slave
    mov bh, 3
    mov byte [flag], 0
    mov byte [op], 0x30
    call command
    call poll
    mov al, 5
    test ah, 8                 ; DRQ, no interrupt yet
    jz fail
    cmp byte [flag], 0
    jne fail
    mov di, 0x8000
    mov cx, 256
    mov ax, 0x5a5a
    rep stosw
    mov si, 0x8000
    mov cx, 256
    mov dx, 0x1f0
    rep outsw
    call wait_irq
    mov al, 6
    test ah, 0x89              ; BSY, DRQ, ERR all clear
    jnz fail
    xor al, al
  fail:
    out 0xf4, al
    hlt
  command:                     ; BL device, BH LBA: one sector, command [op]
    mov dx, 0x1f2
    mov al, 1
    out dx, al
    inc dx
    mov al, bh
    out dx, al
    inc dx
    xor al, al
    out dx, al
    inc dx
    out dx, al
    inc dx
    mov al, bl
    out dx, al
    inc dx
    mov al, [op]
    out dx, al
    ret
  poll:                        ; AH = status once BSY is clear
    mov dx, 0x1f7
  .busy:
    in al, dx
    test al, 0x80
    jnz .busy
    mov ah, al
    ret
  wait_irq:                    ; AH = the status the handler read
    cli
    cmp byte [flag], 0
    jne .done
    sti
    hlt
    jmp wait_irq
  .done:
    mov ah, [status]
    ret
  fetch:
    mov di, 0x8000
    mov cx, 256
    mov dx, 0x1f0
    rep insw
    ret
  irq14:
    push ax
    push dx
    mov dx, 0x1f7
    in al, dx                  ; lowers INTRQ
    mov [status], al
    mov byte [flag], 1
    mov al, 0x20
    out 0xa0, al
    out 0x20, al
    pop dx
    pop ax
    iret
  op: db 0x20
  flag: db 0
  status: db 0`);
  const image = numbered(4);
  image.set(boot);
  return image;
})();
