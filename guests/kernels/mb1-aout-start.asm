; A Multiboot v1 kernel in a flat binary: the header's address fields (flags bit 16,
; the "a.out kludge") say where it loads and starts.
%include "start-common.inc"
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x10003
bits 32
section .multiboot progbits alloc exec nowrite align=4
extern load_start, load_end, bss_end
header:
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)
    dd header, load_start, load_end, bss_end, _start

KERNEL_START_EAX_EBX
