; rom-hello: a 64 KiB BIOS-replacement ROM (--boot rom). From the reset vector
; at F000:FFF0 it jumps into the copy below 1 MiB, compares the reset vector's
; bytes there with those of the copy at the top of 4 GiB (read through a flat
; 4 GiB data segment in protected mode), writes "ROM OK" (or "ROM DIFFERS")
; to the debug console (port 0xE9) and halts.
bits 16
org 0

start:
    cli
    mov ax, cs              ; F000 after the far jump
    mov ds, ax
    lgdt [gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    mov bx, 8               ; the flat data segment
    mov es, bx
    mov eax, [es:dword 0xfffffff0]
    mov edx, [es:dword 0x000ffff0]
    mov ebx, cr0
    and bl, 0xfe
    mov cr0, ebx            ; back to real mode
    mov si, ok
    cmp eax, edx
    je .print
    mov si, differs
.print:
    lodsb
    test al, al
    jz .done
    out 0xe9, al
    jmp .print
.done:
    hlt

ok: db "ROM OK", 10, 0
differs: db "ROM DIFFERS", 10, 0

align 8
gdt:
    dq 0
    dq 0x00cf93000000ffff   ; data: base 0, 4 GiB, read/write
gdtr:
    dw 15
    dd 0xf0000 + gdt

    times 0xfff0 - ($ - $$) db 0xff
reset:                      ; F000:FFF0, the first instruction after reset
    jmp 0xf000:start
    times 0x10000 - ($ - $$) db 0xff
