; A bytecode interpreter: a stack machine (top of stack in DX, the rest on
; the machine stack) whose dispatch loop jumps through a table of handlers
; (`jmp [cs:bx + table]`). The program, in this sector, runs
;   i = 150; do { acc = rol3((acc * 3 ^ i) + i); } while (--i);
; with acc (the variable at 1000:0002) set to the round counter k first.
; Results: EDI (per round: rol 5, add acc), EBX (the last acc), EDX = 0;
; ECX = 0. Exit value: fold of EDI ^ EBX.
; Instructions: fixed 33; per round 3 + the program + 5, where every opcode
; is 4 (dispatch) + its handler: HALT 1, PUSH 4, ADD 3, SUB 4, XOR 3,
; MUL3 4, DUP 2, LOAD 5, STORE 5, JNZ 5 (falls through) or 8, ROL 2.
%include "program.inc"

GUEST_START
    LOAD_COUNT
    NORMALIZE_CS
    mov ax, 0x1000
    mov ds, ax
round:
    mov [2], cx
    mov si, program
    jmp next
halted:
    movzx eax, word [2]
    rol edi, 5
    add edi, eax
    dec ecx
    jnz round
    mov ebx, eax
    mov eax, edi
    xor eax, ebx
    GUEST_EXIT

next:
    cs lodsb
    movzx bx, al
    add bx, bx
    jmp [cs:bx + table]

op_halt:
    jmp halted
op_push:
    push dx
    cs lodsw
    mov dx, ax
    jmp next
op_add:
    pop ax
    add dx, ax
    jmp next
op_sub:
    pop ax
    sub ax, dx
    mov dx, ax
    jmp next
op_xor:
    pop ax
    xor dx, ax
    jmp next
op_mul3:
    mov ax, dx
    add dx, dx
    add dx, ax
    jmp next
op_dup:
    push dx
    jmp next
op_load:
    push dx
    cs lodsb
    movzx bx, al
    mov dx, [bx]
    jmp next
op_store:
    cs lodsb
    movzx bx, al
    mov [bx], dx
    pop dx
    jmp next
op_jnz:
    cs lodsb
    mov bx, dx
    pop dx
    test bx, bx
    jz next
    cbw
    add si, ax
    jmp next
op_rol:
    rol dx, 3
    jmp next

table:
    dw op_halt, op_push, op_add, op_sub, op_xor, op_mul3, op_dup, op_load, op_store, op_jnz
    dw op_rol

OP_HALT equ 0
OP_PUSH equ 1
OP_ADD equ 2
OP_SUB equ 3
OP_XOR equ 4
OP_MUL3 equ 5
OP_DUP equ 6
OP_LOAD equ 7
OP_STORE equ 8
OP_JNZ equ 9
OP_ROL equ 10

program:
    db OP_PUSH
    dw 150
    db OP_STORE, 0
.loop:
    db OP_LOAD, 2, OP_MUL3, OP_LOAD, 0, OP_XOR, OP_LOAD, 0, OP_ADD, OP_ROL, OP_STORE, 2
    db OP_LOAD, 0, OP_PUSH
    dw 1
    db OP_SUB, OP_DUP, OP_STORE, 0, OP_JNZ
    db .loop - ($ + 1)          ; relative to the byte after this one
    db OP_HALT
GUEST_END
