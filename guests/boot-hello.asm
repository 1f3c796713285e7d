; boot-hello: the smallest PC boot sector. The BIOS loads it at 0000:7C00;
; it prints a line with INT 10h teletype, reports the boot drive (DL) in hex
; and halts with interrupts off.
bits 16
org 0x7c00

start:
    xor ax, ax
    mov ds, ax
    mov [drive], dl
    mov si, msg
    call print
    mov al, [drive]
    call hex8
    mov si, crlf
    call print
    cli
    hlt

; print: SI -> NUL-terminated string, through INT 10h AH=0Eh
print:
    lodsb
    test al, al
    jz .done
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10
    jmp print
.done:
    ret

; hex8: AL as two hex digits
hex8:
    push ax
    shr al, 4
    call nibble
    pop ax
    and al, 0x0f
nibble:
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'A' - '9' - 1
.out:
    mov ah, 0x0e
    mov bx, 0x0007
    int 0x10
    ret

drive: db 0
msg:   db "Hello from the BIOS! Boot drive: ", 0
crlf:  db 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
