; A plain ELF64 kernel: picovmm enters it in 64-bit long mode (identity-mapped first 4 GiB)
; with EAX = the Multiboot2 magic and EBX = the Multiboot2 information. kmain(EAX, EBX).
bits 64
section .text
global _start
extern kmain
_start:
    mov rsp, stack_top
    mov edi, eax
    mov esi, ebx
    call kmain
.hang:
    cli
    hlt
    jmp .hang

section .bss
align 16
    resb 8192
stack_top:
