; The framebuffer test kernel's Multiboot v1 header and entry (ELF32). The header asks
; for a video mode (flags bit 2): linear graphics, 1024x768, 32 bits a pixel. The
; address fields (bit 16 clear) are unused but must be there, before the video fields.
FLAGS equ 0x7                   ; page-aligned modules, memory information, video mode
bits 32
section .multiboot progbits alloc noexec nowrite align=4
    dd 0x1BADB002, FLAGS, -(0x1BADB002 + FLAGS)
    times 5 dd 0                ; header, load, load end, BSS end and entry addresses
    dd 0                        ; mode type: linear graphics
    dd 1024, 768, 32            ; width, height, depth

section .text
global _start
extern kmain
_start:
    mov esp, boot_stack_end
    cld                         ; the pattern is drawn with rep stosd
    push ebx                    ; kmain(magic, info)
    push eax
    call kmain
.stop:
    cli
    hlt
    jmp .stop

section .bss
align 16
boot_stack:
    resb 4096
boot_stack_end:
