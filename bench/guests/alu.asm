; ALU loop: add/xor on registers only.
; Per iteration: 6 instructions (add, xor, add, xor, dec, jnz).
; Results: EDX, ESI, EDI; ECX = 0. Exit value: fold of EDX ^ ESI ^ EDI.
%include "common.inc"

GUEST_START
    mov edx, 0x12345678
    mov esi, 0x9abcdef0
    mov edi, 0x0f1e2d3c
    LOAD_COUNT
.loop:
    add edx, esi
    xor esi, edx
    add edi, esi
    xor edx, edi
    dec ecx
    jnz .loop
    mov eax, edx
    xor eax, esi
    xor eax, edi
    GUEST_EXIT
GUEST_END
