; A PVH kernel: the XEN_ELFNOTE_PHYS32_ENTRY note gives the 32-bit entry; EBX points to
; struct hvm_start_info. A stack, then kmain(EBX). ELF32; pvh-64-start.asm defines KERNEL_64
; and includes this file for the ELF64 kernel, whose entry enters long mode first.
%include "start-common.inc"
bits 32
section .note.Xen note alloc noexec nowrite align=4
    dd 4, 4, 18                  ; name size, descriptor size, XEN_ELFNOTE_PHYS32_ENTRY
    db "Xen", 0
    dd _start

%ifdef KERNEL_64
%include "long-mode.inc"
KERNEL_ENTRY
ENTER_LONG_MODE
    mov rdi, rsi                 ; kmain(EBX)
%else
KERNEL_ENTRY
    mov esp, stack_top
    push ebx
%endif
KERNEL_MAIN
