; The Multiboot2 header (ELF32): an information request for the tags the kernel checks,
; console flags (EGA text), then the entry: a stack, then kmain(EAX, EBX).
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

KERNEL_START_EAX_EBX
