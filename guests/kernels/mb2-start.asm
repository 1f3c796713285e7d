; The Multiboot2 header: an information request for the tags the kernel checks, console
; flags (EGA text), then the entry: a stack, then kmain(EAX, EBX). ELF32; mb2-64-start.asm
; defines KERNEL_64 and includes this file for the ELF64 kernel, whose 32-bit entry enters
; long mode first (long-mode.inc).
%include "start-common.inc"
MB2_MAGIC equ 0xE85250D6
bits 32
section .multiboot progbits alloc noexec nowrite align=8
header:
    dd MB2_MAGIC, 0, header_end - header, -(MB2_MAGIC + 0 + (header_end - header))
    align 8
request:
    dw 1, 0                      ; information request, required
    dd request_end - request
    dd 1, 3, 4, 6                ; command line, modules, basic memory, memory map
request_end:
    align 8
    dw 4, 0                      ; console flags: EGA text supported
    dd 12, 2
    align 8
    dw 0, 0                      ; end
    dd 8
header_end:

%ifdef KERNEL_64
%include "long-mode.inc"
KERNEL_ENTRY
ENTER_LONG_MODE
KERNEL_MAIN
%else
KERNEL_START_EAX_EBX
%endif
