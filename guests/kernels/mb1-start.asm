; The Multiboot v1 header and entry (ELF32): a stack, then kmain(EAX, EBX).
%include "start-common.inc"
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x3                ; page-aligned modules, memory information
bits 32
section .multiboot progbits alloc noexec nowrite align=4
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

KERNEL_START_EAX_EBX
