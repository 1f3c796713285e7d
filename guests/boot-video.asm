; boot-video: graphics through INT 10h. In CGA mode 4 it sets a pixel with
; AH=0Ch and finds it with AH=0Dh and in video memory at 0xBA000 (odd
; lines). In mode 13h it fills the top line through memory at 0xA0000, sets
; and reads pixels and a DAC register, and leaves a picture: a red top
; line, a green pixel at (10, 10) and a 16-colour bar at line 100.
; Ends in mode 13h with "GFX OK" and HLT.
bits 16
org 0x7c00
%include "boot-check.inc"

start:
    xor ax, ax
    mov ds, ax
    ; CGA 320x200, 4 colours
    mov ax, 0x0004
    int 0x10
    mov ah, 0x0f
    int 0x10
    cmp al, 0x04
    CHECK 1
    mov ax, 0x0c03              ; colour 3
    mov cx, 5
    mov dx, 1
    xor bh, bh
    int 0x10
    mov ah, 0x0d
    mov cx, 5
    mov dx, 1
    int 0x10
    cmp al, 3
    CHECK 2
    push ds
    mov ax, 0xb800
    mov ds, ax
    mov al, [0x2001]            ; line 1 is odd: 0x2000 + 0 * 80 + 5 / 4
    pop ds
    cmp al, 0x30
    CHECK 3
    ; VGA 320x200, 256 colours
    mov ax, 0x0013
    int 0x10
    mov ah, 0x0f
    int 0x10
    cmp al, 0x13
    CHECK 4
    mov ax, 0xa000
    mov es, ax
    xor di, di
    mov cx, 320
    mov al, 4                   ; red
    rep stosb
    mov ax, 0x0c02              ; green pixel at (10, 10)
    mov cx, 10
    mov dx, 10
    int 0x10
    cmp byte [es:10 * 320 + 10], 2
    CHECK 5
    mov ah, 0x0d
    mov cx, 10
    mov dx, 10
    int 0x10
    cmp al, 2
    CHECK 6
    ; 16 pixels of colours 0-15 at line 100, column 100
    mov di, 100 * 320 + 100
    xor al, al
.bar:
    stosb
    inc al
    cmp al, 16
    jb .bar
    ; DAC register 200: set and read back
    mov ax, 0x1010
    mov bx, 200
    mov dh, 63
    mov ch, 32
    mov cl, 1
    int 0x10
    mov ax, 0x1015
    mov bx, 200
    xor cx, cx
    xor dx, dx
    int 0x10
    cmp dh, 63
    CHECK 7
    cmp cx, 0x2001
    CHECK 8
    mov si, msg_ok
    call print
    cli
    hlt

%include "boot-lib.inc"

msg_ok: db "GFX OK", 0

times 510 - ($ - $$) db 0
dw 0xaa55
