; boot-hook: a guest that takes the keyboard and timer interrupts itself.
; Its INT 09h handler reads scan codes from port 0x60 and sends EOI; its
; INT 08h handler counts ticks and chains to the BIOS's handler (which
; keeps the BDA count). It prints the first four scan codes typed and
; checks that both tick counts moved. Ends with "hook OK" and HLT.
bits 16
org 0x7c00
%include "boot-check.inc"

start:
    xor ax, ax
    mov ds, ax
    mov es, ax
    cli
    mov ax, [8 * 4]
    mov [old8], ax
    mov ax, [8 * 4 + 2]
    mov [old8 + 2], ax
    mov word [8 * 4], irq0
    mov word [8 * 4 + 2], 0
    mov word [9 * 4], irq1
    mov word [9 * 4 + 2], 0
    sti
    mov si, msg_wait
    call print
    mov bx, [0x46c]
.wait:
    hlt
    cmp byte [count], 4
    jb .wait
    cmp word [ticks], 2
    jb .wait
    mov si, msg_codes
    call print
    xor si, si
.show:
    mov al, [codes + si]
    call hex8
    mov al, ' '
    call putc
    inc si
    cmp si, 4
    jb .show
    call newline
    ; the BIOS's handler ran too: the BDA count moved
    mov ax, [0x46c]
    cmp ax, bx
    jne .bda_ok
    mov al, 1
    jmp fail
.bda_ok:
    ; the BIOS buffer stayed empty: our handler took the keys
    mov ah, 0x01
    int 0x16
    CHECK 2
    mov si, msg_ok
    call print
    cli
    hlt

irq0:
    inc word [cs:ticks]
    jmp far [cs:old8]

irq1:
    push ax
    push bx
    in al, 0x60
    movzx bx, byte [cs:count]
    cmp bx, 8
    jae .full
    mov [cs:codes + bx], al
    inc byte [cs:count]
.full:
    mov al, 0x20
    out 0x20, al
    pop bx
    pop ax
    iret

%include "boot-lib.inc"

old8:      dd 0
ticks:     dw 0
count:     db 0
codes:     times 8 db 0
msg_wait:  db "hooked INT 08h and INT 09h", 13, 10, 0
msg_codes: db "scan codes: ", 0
msg_ok:    db "hook OK", 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
