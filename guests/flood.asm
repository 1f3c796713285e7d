; Writes to COM1 forever and never halts: only a limit stops it.
bits 16
org 0

    mov dx, 0x3f8
    mov al, 'x'
again:
    out dx, al
    jmp again
