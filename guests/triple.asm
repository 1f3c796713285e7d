; Triple fault: an empty interrupt table turns INT 3 into #GP, the #GP into a
; double fault and that into a shutdown. picovmm reports a crash (status 3).
bits 16
org 0

    lidt [cs:empty_idt]
    int3
    hlt                     ; not reached

empty_idt:
    dw 0                    ; limit 0: no vector fits
    dd 0
