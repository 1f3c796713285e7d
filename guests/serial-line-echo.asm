; serial-line-echo: echoes what COM1 receives (polling the line status
; register for data) until a line feed, then halts with interrupts off.
bits 16
org 0

COM1 equ 0x3f8

start:
    mov dx, COM1 + 5        ; line status register
.wait:
    in al, dx
    test al, 0x01           ; data ready?
    jz .wait
    mov dx, COM1
    in al, dx
    out dx, al              ; the transmitter is always empty: no wait
    cmp al, 10
    jne start
    cli
    hlt
