; The Multiboot2 kernel as ELF64: the same header and 32-bit entry, which enters long mode
; and calls the 64-bit kmain(EAX, EBX).
%define KERNEL_64
%include "mb2-start.asm"
