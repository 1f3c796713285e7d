; boot-serial-irq: reads COM1 through the UART's registers with receive
; interrupts: FIFO on, IER bit 0, IRQ 4 (vector 0Ch) unmasked. The handler
; drains RBR while LSR says data ready into a ring buffer; the main loop
; sleeps in HLT and writes each byte back to THR (polling LSR bit 5). A 04h
; (EOT) ends it: "irq N bytes" on the screen (N in hex), then HLT.
bits 16
org 0x7c00

COM1 equ 0x3f8

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    mov word [0x0c * 4], irq4
    mov word [0x0c * 4 + 2], 0
    mov dx, COM1 + 3
    mov al, 0x03                ; 8N1, DLAB off
    out dx, al
    mov dx, COM1 + 2
    mov al, 0x07                ; FIFO on, both FIFOs reset
    out dx, al
    mov dx, COM1 + 4
    mov al, 0x0b                ; DTR, RTS, OUT2 (the IRQ gate on a PC)
    out dx, al
    mov dx, COM1 + 1
    mov al, 0x01                ; receive-data interrupt
    out dx, al
    in al, 0x21
    and al, ~0x10               ; unmask IRQ 4
    out 0x21, al
    xor bp, bp                  ; bytes echoed
.wait:
    sti
    hlt                         ; an interrupt wakes us (IRQ 4, or the timer)
.drain:
    cli
    mov si, [tail]
    cmp si, [head]
    je .wait
    mov al, [buffer + si]
    inc si
    and si, 0xff
    mov [tail], si
    mov ah, al
    mov dx, COM1 + 1
    mov al, 0x01                ; there is room again: receive interrupts back on
    out dx, al
    mov al, ah
    sti
    cmp al, 0x04
    je .done
    inc bp
    mov ah, al
    mov dx, COM1 + 5
.thre:
    in al, dx
    test al, 0x20
    jz .thre
    mov dx, COM1
    mov al, ah
    out dx, al
    jmp .drain
.done:
    mov si, irq_msg
    call print
    mov ax, bp
    call hex16
    mov si, bytes_msg
    call print
    cli
    hlt

; IRQ 4: every byte the UART holds into the 256-byte ring, as long as it
; has room.
irq4:
    push ax
    push dx
    push si
.more:
    mov dx, COM1 + 5
    in al, dx
    test al, 0x01
    jz .eoi
    mov si, [head]
    inc si
    and si, 0xff
    cmp si, [tail]
    je .full
    mov dx, COM1
    in al, dx
    mov si, [head]
    mov [buffer + si], al
    inc si
    and si, 0xff
    mov [head], si
    jmp .more
.full:                          ; ring full: leave the rest in the UART until the
    mov dx, COM1 + 1            ; main loop has made room (it enables IER again)
    xor al, al
    out dx, al
.eoi:
    mov al, 0x20
    out 0x20, al
    pop si
    pop dx
    pop ax
    iret

%include "boot-lib.inc"

irq_msg: db "irq ", 0
bytes_msg: db " bytes", 0
head: dw 0
tail: dw 0

times 510 - ($ - $$) db 0
dw 0xaa55
buffer:
