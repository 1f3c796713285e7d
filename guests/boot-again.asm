; boot-again: INT 19h boots the disk again; INT 18h ends with "no bootable
; device". The boot count lives at 0:0500 (outside the BDA, which the BIOS
; sets up only at power-on). The first boot writes a mark into its copy of
; sector 0 with INT 13h AH=03h; the second boot must see the mark, since
; INT 19h reads the disk's (changed) copy.
bits 16
org 0x7c00
%include "boot-check.inc"

start:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    inc byte [0x500]
    mov si, msg_boot
    call print
    mov al, [0x500]
    call hex8
    call newline
    cmp byte [0x500], 2
    jae .second
    ; mark this sector on the disk, then boot again
    mov byte [mark], 'M'
    mov ax, 0x0301
    mov cx, 0x0001
    xor dh, dh
    mov bx, 0x7c00
    int 0x13
    CHECK_NC 1
    int 0x19
    mov al, 2                   ; INT 19h does not return
    jmp fail
.second:
    cmp byte [mark], 'M'
    CHECK 3
    mov si, msg_marked
    call print
    int 0x18
    mov al, 4                   ; INT 18h does not return either
    jmp fail

%include "boot-lib.inc"

mark:       db 0
msg_boot:   db "boot ", 0
msg_marked: db "the mark survived", 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
