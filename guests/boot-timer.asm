; boot-timer: counts timer ticks. Hooks INT 1Ch (called by the BIOS's IRQ 0
; handler), waits in HLT until the BDA tick count at 0:046C has advanced by
; 18 (about one second), and checks that INT 1Ch ran as often, that INT 1Ah
; AH=00h agrees, that INT 15h AH=86h waits, that the RTC answers in BCD and
; that the PIT's counter moves, and that a busy loop polling the count
; (no HLT) sees it move. Ends with "timer OK" and HLT.
bits 16
org 0x7c00
%include "boot-check.inc"

start:
    xor ax, ax
    mov ds, ax
    mov es, ax
    cli
    mov word [0x1c * 4], tick
    mov word [0x1c * 4 + 2], 0
    sti
    mov si, msg_wait
    call print
    mov bx, [0x46c]
.wait:
    hlt
    mov ax, [0x46c]
    sub ax, bx
    cmp ax, 18
    jb .wait
    ; INT 1Ch ran once per tick (at least as often as we saw ticks)
    cmp word [count], 18
    jae .count_ok
    mov al, 1
    jmp fail
.count_ok:
    ; two more ticks, polled without HLT: the timer interrupts a busy loop too
    mov bx, [0x46c]
.poll:
    mov ax, [0x46c]
    sub ax, bx
    cmp ax, 2
    jb .poll
    ; INT 1Ah AH=00h reads the same counter (interrupts off: no tick in between)
    cli
    mov ah, 0x00
    int 0x1a
    mov ax, [0x46c]
    sti
    cmp ax, dx
    CHECK 2
    ; INT 15h AH=86h: wait 120 ms (CX:DX microseconds): at least one tick passes
    mov bx, [0x46c]
    mov ah, 0x86
    mov cx, 0x0001
    mov dx, 0xd4c0
    int 0x15
    CHECK_NC 3
    mov ax, [0x46c]
    sub ax, bx
    cmp ax, 1
    jae .waited
    mov al, 4
    jmp fail
.waited:
    ; RTC time: valid BCD hours
    mov ah, 0x02
    int 0x1a
    CHECK_NC 5
    cmp ch, 0x23
    jbe .rtc_ok
    mov al, 6
    jmp fail
.rtc_ok:
    mov ah, 0x04
    int 0x1a
    CHECK_NC 7
    cmp ch, 0x19                ; century 19 or 20
    jae .pit
    mov al, 8
    jmp fail
.pit:
    ; the PIT's channel 0 counts: two latched reads differ
    call read_pit
    mov bx, ax
    mov cx, 200                 ; port reads take time on any machine (exits under a VMM)
.spin:
    in al, 0x61
    loop .spin
    call read_pit
    cmp ax, bx
    jne .pit_ok
    mov al, 9
    jmp fail
.pit_ok:
    mov si, msg_ok
    call print
    cli
    hlt

read_pit:
    mov al, 0x00                ; latch channel 0
    out 0x43, al
    in al, 0x40
    mov ah, al
    in al, 0x40
    xchg al, ah
    ret

tick:
    inc word [cs:count]
    iret

%include "boot-lib.inc"

count:    dw 0
msg_wait: db "waiting for 18 ticks", 13, 10, 0
msg_ok:   db "timer OK", 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
