; Port output loop: OUT to COM1's scratch register (0x3FF), a register
; without side effects on the 16550s of all three VMMs.
; Per iteration: 4 instructions (out, inc, dec, jnz); one port write.
; Results: BX (AX at the end: N mod 65536), DX = 0x3FF; ECX = 0.
; Exit value: fold of EBX ^ EDX.
%include "common.inc"

GUEST_START
    mov dx, 0x3ff
    LOAD_COUNT
.loop:
    out dx, al
    inc ax
    dec ecx
    jnz .loop
    mov bx, ax
    mov eax, ebx
    xor eax, edx
    GUEST_EXIT
GUEST_END
