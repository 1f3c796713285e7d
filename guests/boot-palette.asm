; boot-palette: sends the VGA DAC to COM1 as raw bytes, 768 (256 entries of
; red, green, blue, 6 bits each) in text mode 3 as the BIOS left it at
; power-on, then 768 more after INT 10h AX=0013h; then writes 0 to the
; debug-exit port. Under QEMU's BIOS it sends the same bytes.
bits 16
org 0x7c00

start:
    cli
    xor ax, ax
    mov ds, ax
    call send_dac
    mov ax, 0x0013
    int 0x10
    call send_dac
    xor al, al
    out 0xf4, al
    hlt

; send_dac: all 768 DAC components from entry 0, through the read index port.
send_dac:
    mov dx, 0x3c7
    xor al, al
    out dx, al
    mov cx, 768
.next:
    mov dx, 0x3c9
    in al, dx
    mov ah, al
    mov dx, 0x3fd
.thre:
    in al, dx
    test al, 0x20
    jz .thre
    mov dx, 0x3f8
    mov al, ah
    out dx, al
    loop .next
    ret

times 510 - ($ - $$) db 0
dw 0xaa55
