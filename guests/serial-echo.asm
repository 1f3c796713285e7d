; serial-echo: shows "echo ready" on the screen and sends every byte COM1
; receives back to COM1 (a carriage return as CR LF), polling the line
; status register with interrupts off. It never stops by itself. The code
; finds its own address, so the image runs flat (at 0:0) and as a boot
; sector (at 0:7C00).
bits 16
org 0

COM1 equ 0x3f8

start:
    cli
    call .base
.base:
    pop bp
    sub bp, .base
    mov ax, 0xb800
    mov es, ax
    xor di, di
    lea si, [bp + ready]
    mov ah, 0x07
.screen:
    cs lodsb
    test al, al
    jz .poll
    stosw
    jmp .screen
.poll:
    mov dx, COM1 + 5
    in al, dx
    test al, 0x01               ; data ready?
    jz .poll
    mov dx, COM1
    in al, dx
    out dx, al
    cmp al, 13
    jne .poll
    mov al, 10
    out dx, al
    jmp .poll

ready: db "echo ready", 0

times 510 - ($ - $$) db 0
dw 0xaa55
