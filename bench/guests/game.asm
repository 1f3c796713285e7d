; A game's main loop: 64 objects (x, y, dx, dy words at 1000:0000, placed by
; a 16-bit LCG) move in a 64x32 byte frame at 1000:1000 and bounce off its
; edges; each frame clears the frame (REP STOSD), moves every object, counts
; it as a collision when its cell is already drawn, draws it (its number),
; and scores it in BP (x < 32: add y; else xor x). N frames; the count is a dword
; at 1000:0F00, decremented in memory.
; Results: EDX (collisions), EDI (score); ECX = N & FFFF0000h (CX counts down). Exit value: fold of EDX ^ EDI.
; Instructions: see gameModel in bench/lib/programs.ts.
%include "program.inc"

OBJECTS equ 64
FRAME equ 0x1000
FRAMES equ 0x0f00

GUEST_START
    mov ax, 0x1000
    mov ds, ax
    mov es, ax
    LOAD_COUNT
    mov [FRAMES], ecx
    xor ebp, ebp
    mov ax, 0x1234
    xor si, si
    mov cx, OBJECTS
place:
    imul ax, ax, 25173
    add ax, 13849
    mov bx, ax
    and bx, 63
    mov [si], bx
    mov bx, ax
    shr bx, 6
    and bx, 31
    mov [si + 2], bx
    mov bx, ax
    shr bx, 11
    and bx, 3
    inc bx
    test ah, 0x80
    jz .right
    neg bx
.right:
    mov [si + 4], bx
    mov bx, 1
    test ah, 0x40
    jz .down
    neg bx
.down:
    mov [si + 6], bx
    add si, 8
    loop place
frame:
    mov di, FRAME
    mov cx, 64 * 32 / 4
    xor eax, eax
    rep stosd
    xor si, si
    mov cx, OBJECTS
object:
    mov ax, [si]
    add ax, [si + 4]
    cmp ax, 63
    jbe .x_ok
    neg word [si + 4]
    mov ax, [si]
.x_ok:
    mov [si], ax
    mov bx, [si + 2]
    add bx, [si + 6]
    cmp bx, 31
    jbe .y_ok
    neg word [si + 6]
    mov bx, [si + 2]
.y_ok:
    mov [si + 2], bx
    cmp ax, 32
    jae .right_half
    add bp, bx
    jmp .scored
.right_half:
    xor bp, ax
.scored:
    shl bx, 6
    add bx, ax
    cmp byte [bx + FRAME], 0
    je .free
    inc edx
.free:
    mov [bx + FRAME], cl
    add si, 8
    loop object
    dec dword [FRAMES]
    jnz frame
    movzx edi, bp
    mov eax, edx
    xor eax, edi
    GUEST_EXIT
GUEST_END
