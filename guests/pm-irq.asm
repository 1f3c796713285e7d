; pm-irq: external interrupts in protected mode. Moves the PIC's IRQs to
; vectors 0x20-0x2F, unmasks only the timer (IRQ 0), takes three ticks through a 32-bit interrupt gate while halted with IF set,
; then a fourth through a 16-bit trap gate, and ends with debug-exit 0x13. The third tick's handler
; installs the 16-bit gate itself: a fourth tick that is already due when it returns (a slow host
; runs the PIT ahead of the guest) still goes through the new gate.
%include "pm-lib.inc"

main:
    ; ICW1-4 for both PICs: vectors 0x20 and 0x28, cascade on IRQ 2, 8086 mode.
    mov al, 0x11
    out 0x20, al
    out 0xa0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xa1, al
    mov al, 4
    out 0x21, al
    mov al, 2
    out 0xa1, al
    mov al, 1
    out 0x21, al
    out 0xa1, al
    mov al, 0xfe                    ; only IRQ 0
    out 0x21, al
    mov al, 0xff
    out 0xa1, al
    ; Gate 0x20: a 32-bit interrupt gate to tick.
    mov eax, tick
    mov [idt + 0x20 * 8], ax
    mov word [idt + 0x20 * 8 + 2], 0x08
    mov word [idt + 0x20 * 8 + 4], 0x8e00
    shr eax, 16
    mov [idt + 0x20 * 8 + 6], ax
    mov dword [resume], 0
    PRINT "ticks:"
    sti
.wait:
    hlt
    cmp dword [ticks], 4
    jb .wait
    cli
    PRINT "16-bit trap gate, IF "
    mov eax, [if16]
    call hex16
    mov al, 10
    call putc
    mov al, 0x13
    jmp exit

tick:
    push eax
    inc dword [ticks]
    mov al, ' '
    call putc
    mov eax, [ticks]
    call hex8
    cmp dword [ticks], 3
    jne .eoi
    mov al, 10
    call putc
    ; Gate 0x20 from now on: a 16-bit trap gate into the 16-bit code segment 0x18.
    mov word [idt + 0x20 * 8], tick16
    mov word [idt + 0x20 * 8 + 2], 0x18
    mov word [idt + 0x20 * 8 + 4], 0x8700
    mov word [idt + 0x20 * 8 + 6], 0
.eoi:
    mov al, 0x20                    ; EOI
    out 0x20, al
    pop eax
    iretd

bits 16
tick16:
    inc dword [ticks]
    mov al, 0x20
    out 0x20, al
    ; Prints from 32-bit code would need a far call; the flag (IF) the trap gate left is shown.
    pushf
    pop ax
    and ax, 0x200
    mov [if16], ax
    iret
bits 32

align 4
ticks: dd 0
if16: dd 0

%include "pm-end.inc"
