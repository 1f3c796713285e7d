; Stores into the code's own page: a boot sector keeping a variable next to
; its code (DS = CS, the variable a few bytes after the loop).
; Per iteration: 4 instructions (mov [bx+var], inc, dec, jnz); one 16-bit store.
; Results: DX (AX at the end: N mod 65536), DI (the variable: N - 1 mod 65536); ECX = 0.
; Exit value: fold of EDX ^ EDI.
%include "common.inc"

GUEST_START
    mov ax, cs
    mov ds, ax
    mov bx, bp
    xor ax, ax
    LOAD_COUNT
.loop:
    mov [bx + var], ax
    inc ax
    dec ecx
    jnz .loop
    mov dx, ax
    mov di, [bx + var]
    mov eax, edx
    xor eax, edi
    GUEST_EXIT

var: dw 0xffff
GUEST_END
