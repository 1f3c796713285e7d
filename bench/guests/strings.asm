; String handling on eight NUL-terminated strings (in this sector): each
; round copies them (strcpy byte loop: LODSB, STOSB) to 64-byte slots at
; 1000:0000, flips bit 5 of one byte (slot k & 7, position (k >> 3) & 7, k
; the round counter), takes every length with REPNE SCASB and again with a
; byte loop, and compares each string with the next (strcmp byte loop).
; Results: EDX (per length: rol 1, add it to DX; per comparison: rol 3, add
; the sign (-1, 0, 1) and SI to DX), EBX = 448. Exit value: fold of EDX.
; Instructions: fixed 32; per round: copies 4 + per string 4 + 4 per byte
; (NUL included); flip 10; REPNE SCASB lengths 1 + per string 10 + len + 1;
; byte-loop lengths 1 + per string 8 + 3 * (len + 1); comparisons 1 + per
; pair 8 + 7 per equal byte before the difference + 5 at it (+ 2 on equal
; strings, after the NUL); + 2.
%include "program.inc"

NSTR equ 8

GUEST_START
    LOAD_COUNT
    NORMALIZE_CS
    mov ebp, ecx
    mov ax, 0x1000
    mov es, ax
round:
    mov ax, cs
    mov ds, ax
    mov si, strings
    xor bx, bx
copy_string:
    mov di, bx
copy:
    lodsb
    stosb
    test al, al
    jnz copy
    add bx, 64
    cmp bx, NSTR * 64
    jb copy_string
    mov ax, es
    mov ds, ax
    mov bx, bp
    and bx, 7
    shl bx, 6
    mov ax, bp
    shr ax, 3
    and ax, 7
    add bx, ax
    xor byte [bx], 0x20
    xor bx, bx
scan:
    mov di, bx
    mov cx, 0xffff
    xor al, al
    repne scasb
    not cx
    dec cx
    rol edx, 1
    add dx, cx
    add bx, 64
    cmp bx, NSTR * 64
    jb scan
    xor bx, bx
length:
    mov si, bx
.byte:
    lodsb
    test al, al
    jnz .byte
    sub si, bx
    dec si
    rol edx, 1
    add dx, si
    add bx, 64
    cmp bx, NSTR * 64
    jb length
    xor bx, bx
compare:
    mov si, bx
    lea di, [bx + 64]
.byte:
    mov al, [si]
    cmp al, [di]
    jne .differ
    inc si
    inc di
    test al, al
    jnz .byte
    xor ax, ax
    jmp .done
.differ:
    sbb ax, ax
    or ax, 1
.done:
    rol edx, 3
    add dx, ax
    add dx, si
    add bx, 64
    cmp bx, (NSTR - 1) * 64
    jb compare
    dec ebp
    jnz round
    mov eax, edx
    GUEST_EXIT

strings:
    db "TheQuickBrownFox", 0
    db "TheQuickBrownDog", 0
    db "JumpsOverTheLazyDog", 0
    db "JumpsOverTheLazyCat", 0
    db "Lorem1psumDolorSitAmet", 0
    db "Lorem1psumDolor", 0
    db "picovmmBenchmarkString", 0
    db "picovmmBenchmark", 0
GUEST_END
