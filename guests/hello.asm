; The seed's guest: paint the text screen green, write a banner, halt.
; Flat image: loaded at guest-physical 0, entered at 0000:0000 in real mode.
bits 16
org 0

start:
    mov ax, 0xb800
    mov es, ax
    xor di, di
    mov ax, 0x2020          ; space on a green background
    mov cx, 80 * 25
    rep stosw               ; clear the whole screen

    mov di, (12 * 80 + 34) * 2
    mov si, banner
    mov ah, 0x2f            ; bright white on green
.next:
    cs lodsb
    test al, al
    jz .done
    stosw
    jmp .next
.done:
    hlt                     ; IF is 0: the run ends here

banner: db "Hello World!", 0
