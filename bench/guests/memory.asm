; Memory loop: load, add, store over a 1 KiB ring of dwords at 1000:0000.
; Per iteration: 8 instructions (mov load, add, mov store, add, add, and, dec, jnz).
; Afterwards the ring is XORed into EDI (256 iterations of 3 instructions).
; Results: EDX (the addend), EDI (XOR of the ring), SI = 0; ECX = 0.
; Exit value: fold of EDX ^ EDI.
%include "common.inc"

GUEST_START
    mov ax, 0x1000
    mov ds, ax
    mov es, ax
    xor di, di
    xor eax, eax
    mov cx, 256
    rep stosd                   ; clear the ring (256 iterations)
    xor si, si
    mov edx, 0x01234567
    LOAD_COUNT
.loop:
    mov eax, [si]               ; load
    add eax, edx                ; add
    mov [si], eax               ; store
    add edx, ecx
    add si, 4
    and si, 0x3fc
    dec ecx
    jnz .loop
    xor edi, edi
    xor si, si
    mov cx, 256
.fold:
    xor edi, [si]
    add si, 4
    loop .fold
    and si, 0x3fc
    mov eax, edx
    xor eax, edi
    GUEST_EXIT
GUEST_END
