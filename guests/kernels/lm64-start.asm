; A plain ELF64 kernel: picovmm enters it in 64-bit long mode (identity-mapped first 4 GiB)
; with EAX = the Multiboot2 magic and EBX = the Multiboot2 information. kmain(EAX, EBX).
%include "start-common.inc"
bits 64
KERNEL_ENTRY
    mov rsp, stack_top
    mov edi, eax
    mov esi, ebx
KERNEL_MAIN
