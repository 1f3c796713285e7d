; The PVH kernel as ELF64: the same note (a 32-bit entry address), whose entry enters long
; mode and calls the 64-bit kmain(EBX).
%define KERNEL_64
%include "pvh-start.asm"
