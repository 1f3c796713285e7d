; boot-disk: a four-sector disk. The boot sector loads the next two sectors
; with INT 13h AH=02h (CHS) and jumps there; stage 2 checks the disk
; services: parameters, errors for bad requests, a write and read-back
; (AH=03h), and on a hard disk the EDD extensions (41h, 42h, 48h).
; Ends with "disk OK" and HLT, or "FAIL n" and debug-exit n.
bits 16
org 0x7c00
%include "boot-check.inc"

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov [drive], dl
    mov ah, 0x00                ; reset
    int 0x13
    CHECK_NC 1
    mov ax, 0x0202              ; read 2 sectors
    mov cx, 0x0002              ; cylinder 0, sector 2
    xor dh, dh                  ; head 0
    mov dl, [drive]
    mov bx, stage2
    int 0x13
    CHECK_NC 2
    cmp al, 2
    CHECK 3
    jmp stage2

%include "boot-lib.inc"

drive: db 0

times 510 - ($ - $$) db 0
dw 0xaa55

; ---- sectors 2 and 3 (LBA 1-2), loaded at 0x7E00 ----
stage2:
    mov si, msg_loaded
    call print
    ; AH=08h: drive parameters (ES:DI gets the diskette table on a floppy)
    push es
    mov ah, 0x08
    mov dl, [drive]
    int 0x13
    pop es
    CHECK_NC 4
    mov si, msg_heads
    call print
    mov al, dh
    inc al
    call hex8
    mov si, msg_spt
    call print
    mov al, cl
    and al, 0x3f
    call hex8
    call newline
    ; a read of zero sectors is a bad command
    mov ax, 0x0200
    mov cx, 0x0001
    xor dh, dh
    mov dl, [drive]
    mov bx, buf
    int 0x13
    CHECK_C 5
    cmp ah, 0x01
    CHECK 6
    ; a sector off the disk is an error (picovmm says 04h, not found)
    mov ax, 0x0201
    mov cx, 0xffc1              ; cylinder 1023, sector 1
    xor dh, dh
    mov dl, [drive]
    mov bx, buf
    int 0x13
    CHECK_C 7
    test ah, ah
    jz .fail8
    mov [status], ah
    ; status of the last operation: the same code
    mov ah, 0x01
    mov dl, [drive]
    int 0x13
    cmp ah, [status]
    CHECK 9
    ; read sector 4 (LBA 3): the data sector
    mov ax, 0x0201
    mov cx, 0x0004
    xor dh, dh
    mov dl, [drive]
    mov bx, buf
    int 0x13
    CHECK_NC 10
    cmp word [buf], 'DA'
    CHECK 11
    ; write it back changed, then read it into another buffer
    mov word [buf], 'OK'
    mov ax, 0x0301
    mov cx, 0x0004
    xor dh, dh
    mov dl, [drive]
    mov bx, buf
    int 0x13
    CHECK_NC 12
    mov ax, 0x0201
    mov cx, 0x0004
    xor dh, dh
    mov dl, [drive]
    mov bx, buf2
    int 0x13
    CHECK_NC 13
    cmp word [buf2], 'OK'
    CHECK 14
    cmp byte [drive], 0x80
    jb .done
    ; EDD: installation check
    mov ah, 0x41
    mov bx, 0x55aa
    mov dl, [drive]
    int 0x13
    CHECK_NC 15
    cmp bx, 0xaa55
    CHECK 16
    ; LBA read of sector 3 through a disk address packet
    mov word [buf2], 0
    mov ah, 0x42
    mov dl, [drive]
    mov si, dap
    int 0x13
    CHECK_NC 17
    cmp word [buf2], 'OK'
    CHECK 18
    ; a packet asking for too many sectors fails
    mov word [dap + 2], 200
    mov ah, 0x42
    mov dl, [drive]
    mov si, dap
    int 0x13
    CHECK_C 19
    ; drive parameters: 4 sectors in all
    mov word [params], 0x1a
    mov ah, 0x48
    mov dl, [drive]
    mov si, params
    int 0x13
    CHECK_NC 20
    cmp word [params + 16], 4
    CHECK 21
    mov si, msg_edd
    call print
.done:
    mov si, msg_ok
    call print
    cli
    hlt

.fail8:
    mov al, 8
    jmp fail

status:     db 0
msg_loaded: db "stage 2 loaded by INT 13h", 13, 10, 0
msg_heads:  db "heads ", 0
msg_spt:    db " sectors ", 0
msg_edd:    db "EDD OK", 13, 10, 0
msg_ok:     db "disk OK", 13, 10, 0
align 4
dap:    db 0x10, 0
        dw 1                    ; sectors
        dw buf2, 0              ; offset, segment
        dq 3                    ; LBA
params: times 0x1a db 0

times 1536 - ($ - $$) db 0
; ---- sector 4 (LBA 3): data ----
db "DATA SECTOR"
times 2048 - ($ - $$) db 0

buf  equ 0x9000
buf2 equ 0x9200
