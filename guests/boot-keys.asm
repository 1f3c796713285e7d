; boot-keys: reads a line with INT 16h AH=00h (waiting for each key), echoes
; it, then checks the other keyboard services: AH=01h on an empty buffer,
; AH=05h to store a keystroke, AH=11h/10h to see and take it, AH=02h flags.
; Ends with "keys OK" and HLT, or "FAIL n" and debug-exit n.
bits 16
org 0x7c00
%include "boot-check.inc"

start:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov si, msg_prompt
    call print
    mov di, line
.key:
    mov ah, 0x00
    int 0x16
    cmp al, 13
    je .enter
    cmp di, line + 60
    jae .key
    stosb
    call putc
    jmp .key
.enter:
    mov byte [di], 0
    call newline
    mov si, msg_typed
    call print
    mov si, line
    call print
    call newline
    ; nothing is waiting now
    mov ah, 0x01
    int 0x16
    CHECK 1
    ; store a keystroke, see it with AH=11h, take it with AH=10h
    mov ah, 0x05
    mov cx, 0x2c7a              ; 'z'
    int 0x16
    cmp al, 0
    CHECK 2
    mov ah, 0x11
    int 0x16
    jz .fail3
    cmp ax, 0x2c7a
    CHECK 4
    mov ah, 0x10
    int 0x16
    cmp ax, 0x2c7a
    CHECK 5
    ; shift flags: no shift key is held
    mov ah, 0x02
    int 0x16
    test al, 0x0f
    CHECK 6
    mov si, msg_ok
    call print
    cli
    hlt
.fail3:
    mov al, 3
    jmp fail

%include "boot-lib.inc"

msg_prompt: db "Type a line: ", 0
msg_typed:  db "You typed: ", 0
msg_ok:     db "keys OK", 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55

line equ 0x8000
