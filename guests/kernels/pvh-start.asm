; A PVH kernel (ELF32): the XEN_ELFNOTE_PHYS32_ENTRY note gives the 32-bit entry;
; EBX points to struct hvm_start_info. A stack, then kmain(EBX).
%include "start-common.inc"
bits 32
section .note.Xen note alloc noexec nowrite align=4
    dd 4, 4, 18                  ; name size, descriptor size, XEN_ELFNOTE_PHYS32_ENTRY
    db "Xen", 0
    dd _start

KERNEL_ENTRY
    mov esp, stack_top
    push ebx
KERNEL_MAIN
