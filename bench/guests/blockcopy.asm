; Block copies in segment 1000h: REP STOSW fills 8 KiB at 0000 with a
; pattern (the round counter k XOR 5A5Ah), a marker word k is stored at
; ((k * 26) & 0FFCh) + 2, REP MOVSW copies the 8 KiB to 4000h, and 4 KiB
; from the odd address 4001h to 8000h. Then 32 words of the last copy (every
; 128 bytes) and the marker as read back from it are folded into EDX.
; Results: EDX (per sample: rol 1, xor the word), EBX (the last marker's
; offset); ECX = N & FFFF0000h (CX counts down). Exit value: fold of EDX.
; Instructions: fixed 26; per round 4 + 4096 + 5 + 3 + 4096 + 3 + 2048
; (REP iterations) + 2 + 32 * 5 + 3.
%include "program.inc"

GUEST_START
    mov ax, 0x1000
    mov ds, ax
    mov es, ax
    LOAD_COUNT
    mov ebp, ecx
round:
    xor di, di
    mov cx, 4096
    mov ax, bp
    xor ax, 0x5a5a
    rep stosw
    mov bx, bp
    imul bx, bx, 26
    and bx, 0x0ffc
    add bx, 2
    mov [bx], bp
    xor si, si
    mov di, 0x4000
    mov cx, 4096
    rep movsw
    mov si, 0x4001
    mov di, 0x8000
    mov cx, 2048
    rep movsw
    mov si, 0x8000
    mov cx, 32
sample:
    lodsw
    rol edx, 1
    xor dx, ax
    add si, 126
    loop sample
    xor dx, [bx + 0x7fff]
    dec ebp
    jnz round
    mov eax, edx
    GUEST_EXIT
GUEST_END
