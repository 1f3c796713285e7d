; kick-exit: a boot sector that waits in HLT for the next timer tick, runs a
; short busy loop and ends the run through the debug-exit port with 0x21
; (exit status 67). On KVM the run kicker's timer is armed the whole time
; (the PC has timed devices), so a kick can still be on its way when the run
; ends: it must never end picovmm.
bits 16
org 0x7c00

start:
    xor ax, ax
    mov ds, ax
    sti
    mov bx, [0x46c]
.wait:
    hlt
    cmp bx, [0x46c]
    je .wait
    mov cx, 0x8000
.spin:
    loop .spin
    mov al, 0x21
    out 0xf4, al
    cli
    hlt

times 510 - ($ - $$) db 0
dw 0xaa55
