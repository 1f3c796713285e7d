; Writes a line to COM1, polling the line status register before each byte
; as a real driver must, then halts.
bits 16
org 0

COM1 equ 0x3f8

start:
    mov si, message
.next:
    cs lodsb
    test al, al
    jz .done
    mov bl, al
    mov dx, COM1 + 5        ; line status register
.wait:
    in al, dx
    test al, 0x20           ; transmitter holding register empty?
    jz .wait
    mov al, bl
    mov dx, COM1
    out dx, al
    jmp .next
.done:
    hlt

message: db "Hello from COM1!", 13, 10, 0
