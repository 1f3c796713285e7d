; reset: a boot sector that asks for a CPU reset twice and counts its boots.
; Boot 1 stores a mark in CMOS RAM (register 0x40), spoils the IVT entry of
; INT 12h and resets through the keyboard controller (0xFE to port 0x64).
; Boot 2 checks that the mark survived and that POST rebuilt the IVT (INT 12h
; works again), then resets through port 0x92 (bit 0 going 0 -> 1). Boot 3
; halts. Each boot writes "boot N" to the debug console (port 0xE9). The
; count lives at 0:0500, RAM that POST leaves alone. A failed check stops
; through the debug-exit port with its number; a reset that does nothing
; falls through to debug-exit code 9.
bits 16
org 0x7c00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    inc byte [0x500]
    mov si, msg_boot
    call print
    mov al, [0x500]
    add al, '0'
    out 0xe9, al
    mov al, 10
    out 0xe9, al
    mov al, [0x500]
    cmp al, 1
    je .first
    cmp al, 2
    je .second
    hlt                         ; boot 3: done (interrupts off)

.first:
    mov al, 0x40
    out 0x70, al
    mov al, 0x5a
    out 0x71, al                ; CMOS mark
    mov word [0x12 * 4], 0      ; INT 12h now points at 0000:0000
    mov word [0x12 * 4 + 2], 0
    mov al, 0xfe
    out 0x64, al                ; pulse the reset line
    jmp .no_reset

.second:
    mov al, 0x40
    out 0x70, al
    in al, 0x71
    cmp al, 0x5a
    mov al, 1
    jne fail                    ; the CMOS mark was lost
    int 0x12
    cmp ax, 0
    mov al, 2
    je fail                     ; INT 12h did not come back
    in al, 0x92
    and al, 0xfe
    out 0x92, al
    or al, 1
    out 0x92, al                ; fast reset
.no_reset:
    mov cx, 0xffff
.spin:
    loop .spin
    mov al, 9
fail:
    out 0xf4, al
    hlt

; print: DS:SI -> NUL-terminated string to the debug console
print:
    lodsb
    test al, al
    jz .done
    out 0xe9, al
    jmp print
.done:
    ret

msg_boot: db "boot ", 0

times 510 - ($ - $$) db 0
dw 0xaa55
