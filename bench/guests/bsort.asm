; Bubble sort of 100 pseudo-random words at 1000:0000, re-filled each round
; from a 16-bit LCG (x = x * 25173 + 13849, carried from round to round);
; passes stop early when nothing was swapped. Then the sorted array is
; hashed (h = h * 31 + a[i], 32-bit).
; Results: ESI (the hash, over all rounds), EDX (swaps, all rounds; a dword at
; 1000:1000), EBX (the LCG state); ECX = N & FFFF0000h (CX
; counts down). Exit value: fold of ESI ^ EDX ^ EBX.
; Instructions: fixed 31; per round 1 + 9 per element + 1; per pass 3 + per
; compare 5 (8 with a swap) + 4, + 1 unless it stops early; hash 2 + 5 per
; element; + 2.
%include "program.inc"

LEN equ 100
SWAPS equ 0x1000

GUEST_START
    mov ax, 0x1000
    mov ds, ax
    mov dword [SWAPS], 0
    mov di, 0x1234
    LOAD_COUNT
    mov ebp, ecx
round:
    xor bx, bx
fill:
    mov ax, di
    mov dx, 25173
    mul dx
    add ax, 13849
    mov di, ax
    mov [bx], ax
    add bx, 2
    cmp bx, LEN * 2
    jb fill
    mov cx, LEN - 1
pass:
    xor bx, bx
    xor edx, edx
    push cx
compare:
    mov ax, [bx]
    cmp ax, [bx + 2]
    jbe noswap
    xchg ax, [bx + 2]
    mov [bx], ax
    inc dx
noswap:
    add bx, 2
    loop compare
    pop cx
    add [SWAPS], edx
    test dx, dx
    jz sorted
    loop pass
sorted:
    xor bx, bx
    mov cx, LEN
hash:
    imul esi, esi, 31
    movzx eax, word [bx]
    add esi, eax
    add bx, 2
    loop hash
    dec ebp
    jnz round
    mov edx, [SWAPS]
    movzx ebx, di
    mov eax, esi
    xor eax, edx
    xor eax, ebx
    GUEST_EXIT
GUEST_END
