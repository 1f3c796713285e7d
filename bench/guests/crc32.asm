; Bitwise CRC-32 (reflected, polynomial EDB88320h) over 1 KiB at 1000:0000,
; a bit at a time: shift, conditional XOR. The buffer starts as
; 11, 48, 85, ... (add 37); each round stores its CRC over the first dword,
; so the next round's data differs.
; Results: EDX (the last CRC), EDI (per round: rol 1, xor the CRC),
; ESI = 1024. Exit value: fold of EDX ^ EDI.
; Instructions: fixed 28 + 5 per byte of the fill (5120); per round 2 + per
; byte 5 + per bit 4 (5 when the XOR is done) + 6.
%include "program.inc"

LEN equ 1024

GUEST_START
    mov ax, 0x1000
    mov ds, ax
    xor si, si
    mov al, 11
init:
    mov [si], al
    add al, 37
    inc si
    cmp si, LEN
    jb init
    LOAD_COUNT
    mov ebp, ecx
round:
    mov eax, 0xffffffff
    xor si, si
next_byte:
    xor al, [si]
    mov cl, 8
bit:
    shr eax, 1
    jnc no_xor
    xor eax, 0xedb88320
no_xor:
    dec cl
    jnz bit
    inc si
    cmp si, LEN
    jb next_byte
    not eax
    mov [0], eax
    rol edi, 1
    xor edi, eax
    dec ebp
    jnz round
    mov edx, eax
    xor eax, edi
    GUEST_EXIT
GUEST_END
