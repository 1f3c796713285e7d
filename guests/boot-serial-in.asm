; boot-serial-in: reads text from COM1 through INT 14h AH=02h and echoes it.
; Each byte received goes back out through INT 14h AH=01h, printable ones
; also to the screen; a receive that times out (AH bit 7) is retried. A
; 04h (EOT) ends the text: the guest prints "got N bytes" (N in hex) and
; halts. Bytes sent before the guest polls, and many at once, must all come
; back in order.
bits 16
org 0x7c00

start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    xor bp, bp                  ; bytes received
.next:
    mov ah, 0x02
    xor dx, dx
    int 0x14
    test ah, 0x80
    jnz .next                   ; timed out: try again
    cmp al, 0x04
    je .done
    inc bp
    push ax
    mov ah, 0x01                ; echo to COM1
    xor dx, dx
    int 0x14
    pop ax
    cmp al, 0x20
    jb .next
    call putc
    jmp .next
.done:
    call newline
    mov si, got_msg
    call print
    mov ax, bp
    call hex16
    mov si, bytes_msg
    call print
    cli
    hlt

%include "boot-lib.inc"

got_msg: db "got ", 0
bytes_msg: db " bytes", 0

times 510 - ($ - $$) db 0
dw 0xaa55
