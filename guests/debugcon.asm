; debugcon: writes a line to the debug console (port 0xE9) and halts. It
; first reads the port, which answers 0xE9 where a debug console is fitted;
; otherwise it stops through the debug-exit port with code 1 (status 3).
; The code finds its own address, so the same image runs flat (at 0:0) and
; as a boot sector (at 0:7C00).
bits 16
org 0

start:
    cli
    call .base
.base:
    pop si
    add si, message - .base
    in al, 0xe9
    cmp al, 0xe9
    jne .absent
.next:
    cs lodsb
    test al, al
    jz .done
    out 0xe9, al
    jmp .next
.done:
    hlt
.absent:
    mov al, 1
    out 0xf4, al
    hlt

message: db "debugcon OK", 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
