; Mixed loop: call/ret, push/pop, shift, compare, read-modify-write of memory.
; Per iteration: 12 instructions (push, call, shl, adc, ret, pop, add [mem],
; cmp, adc, add, dec, jnz).
; Results: BX (AX at the end), DX, SI, DI (the word at 1000:0100); ECX = 0.
; Exit value: fold of EBX ^ EDX ^ ESI ^ EDI.
%include "common.inc"

GUEST_START
    mov ax, 0x1000
    mov ds, ax
    mov word [0x100], 0x4321
    mov di, 0x100
    mov ax, 0x1234
    mov dx, 0x5678
    LOAD_COUNT
.loop:
    push dx
    call step
    pop dx
    add [di], ax                ; read-modify-write
    cmp ax, dx
    adc si, 0
    add dx, si
    dec ecx
    jnz .loop
    mov di, [di]
    mov bx, ax
    mov eax, ebx
    xor eax, edx
    xor eax, esi
    xor eax, edi
    GUEST_EXIT

step:
    shl ax, 1
    adc ax, cx
    ret
GUEST_END
