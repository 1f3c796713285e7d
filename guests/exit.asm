; Writes 0x2A to the debug-exit port: picovmm exits with (0x2A << 1) | 1 = 85.
bits 16
org 0

    mov al, 0x2a
    out 0xf4, al
    hlt                     ; not reached: the debug-exit write stops the machine
