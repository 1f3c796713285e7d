; busy-output: puts a line on the screen, writes a line to COM1 and one to
; the debug console, then spins with interrupts on: it never stops by
; itself. For stopping a running guest from outside (signals, the live
; display). The code finds its own address, so the image runs flat (at 0:0)
; and as a boot sector (at 0:7C00).
bits 16
org 0

start:
    cli
    call .base
.base:
    pop bp
    sub bp, .base               ; bp = where the image starts
    mov ax, 0xb800
    mov es, ax
    xor di, di
    lea si, [bp + screen_msg]
    mov ah, 0x07
.screen:
    cs lodsb
    test al, al
    jz .serial
    stosw
    jmp .screen
.serial:
    lea si, [bp + serial_msg]
.serial_next:
    cs lodsb
    test al, al
    jz .debugcon
    mov dx, 0x3f8
    out dx, al
    jmp .serial_next
.debugcon:
    lea si, [bp + debugcon_msg]
.debugcon_next:
    cs lodsb
    test al, al
    jz .spin
    out 0xe9, al
    jmp .debugcon_next
.spin:
    sti
    jmp .spin

screen_msg:   db "still running", 0
serial_msg:   db "serial so far", 13, 10, 0
debugcon_msg: db "debugcon so far", 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
