; VGA text stores: word stores to B800:0000-0FFF (the text screen and a
; little beyond), one character cell after the other.
; Per iteration: 6 instructions (mov es:[di], add, and, inc, dec, jnz); one 16-bit store.
; Results: BX (AX at the end), DI; ECX = 0. Exit value: fold of EBX ^ EDI.
%include "common.inc"

GUEST_START
    mov ax, 0xb800
    mov es, ax
    xor di, di
    mov ax, 0x1f41              ; 'A', white on blue
    LOAD_COUNT
.loop:
    mov [es:di], ax
    add di, 2
    and di, 0xffe
    inc ax
    dec ecx
    jnz .loop
    mov bx, ax
    mov eax, ebx
    xor eax, edi
    GUEST_EXIT
GUEST_END
