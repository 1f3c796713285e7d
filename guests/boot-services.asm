; boot-services: the small BIOS services and the BDA. INT 11h/12h, INT 15h
; (E820 map, A20, C0h configuration, 88h, an unsupported function), INT 14h
; (a line to COM1), INT 17h (no printer), INT 10h cursor, character,
; scrolling, string and display information, and the BDA video fields.
; Three sectors: the boot sector loads the other two with INT 13h.
; Ends with "services OK" and HLT, or "FAIL n" and debug-exit n.
bits 16
org 0x7c00
%include "boot-check.inc"

start:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ax, 0x0202
    mov cx, 0x0002
    xor dh, dh
    mov bx, main
    int 0x13
    jc $
    jmp main

times 510 - ($ - $$) db 0
dw 0xaa55

main:
    ; equipment: 80x25 colour
    int 0x11
    and al, 0x30
    cmp al, 0x20
    CHECK 1
    ; 639 KiB below the EBDA
    int 0x12
    cmp ax, 639
    CHECK 2
    mov ax, [0x40e]             ; EBDA segment
    cmp ax, 0x9fc0
    CHECK 3
    ; extended memory in KiB (none in picovmm's default 640 KiB)
    mov ah, 0x88
    int 0x15
    CHECK_NC 4
    mov si, msg_ext
    call print
    call hex16
    call newline
    ; E820: three entries, the first usable from 0
    xor ebx, ebx
    xor bp, bp
.e820:
    mov eax, 0xe820
    mov edx, 0x534d4150
    mov ecx, 20
    mov di, e820buf
    int 0x15
    CHECK_NC 6
    cmp eax, 0x534d4150
    CHECK 7
    test bp, bp
    jnz .next
    cmp dword [e820buf], 0
    CHECK 8
    cmp dword [e820buf + 16], 1
    CHECK 9
.next:
    inc bp
    test ebx, ebx
    jnz .e820
    cmp bp, 3                   ; picovmm: RAM, EBDA, ROM
    jae .e820_ok
    mov al, 10
    jmp fail
.e820_ok:
    mov si, msg_e820
    call print
    mov ax, bp
    call hex16
    call newline
    ; configuration table: model byte FCh
    mov ah, 0xc0
    int 0x15
    CHECK_NC 11
    cmp byte [es:bx + 2], 0xfc
    CHECK 12
    xor ax, ax
    mov es, ax
    ; A20 on, and asked
    mov ax, 0x2401
    int 0x15
    CHECK_NC 13
    mov ax, 0x2402
    int 0x15
    cmp al, 1
    CHECK 14
    ; an unsupported function
    mov ah, 0x99
    int 0x15
    CHECK_C 15
    cmp ah, 0x86
    CHECK 16
    ; COM1 through INT 14h
    mov ax, 0x00e3              ; 9600 8N1
    xor dx, dx
    int 0x14
    mov si, msg_serial
.serial:
    lodsb
    test al, al
    jz .serial_done
    mov ah, 0x01
    xor dx, dx
    int 0x14
    test ah, 0x80
    CHECK 17
    jmp .serial
.serial_done:
    ; no printer: time-out
    mov ah, 0x02
    xor dx, dx
    int 0x17
    test ah, 0x01
    jnz .printer_ok
    mov al, 18
    jmp fail
.printer_ok:
    ; cursor: set and read back
    mov ah, 0x02
    xor bh, bh
    mov dx, 0x050a              ; row 5, column 10
    int 0x10
    mov ah, 0x03
    xor bh, bh
    int 0x10
    cmp dx, 0x050a
    CHECK 19
    cmp word [0x450], 0x050a
    CHECK 20
    ; three 'X' in white on blue, then read one back
    mov ax, 0x0958
    mov bx, 0x001f
    mov cx, 3
    int 0x10
    mov ah, 0x08
    xor bh, bh
    int 0x10
    cmp ax, 0x1f58
    CHECK 21
    ; a string with AH=13h at row 7, moving the cursor
    mov ax, 0x1301
    mov bx, 0x0007
    mov cx, msg_string_len
    mov dx, 0x0700
    mov bp, msg_string
    int 0x10
    mov ah, 0x03
    xor bh, bh
    int 0x10
    cmp dx, 0x0700 + msg_string_len
    CHECK 22
    ; scroll rows 5-7 up by one line
    mov ax, 0x0601
    mov bh, 0x07
    mov cx, 0x0500
    mov dx, 0x074f
    int 0x10
    ; the string is now on row 6
    mov ah, 0x02
    xor bh, bh
    mov dx, 0x0600
    int 0x10
    mov ah, 0x08
    int 0x10
    cmp al, 'A'
    CHECK 23
    ; display information
    mov ah, 0x0f
    int 0x10
    cmp ax, 0x5003
    CHECK 24
    mov ax, 0x1a00
    int 0x10
    cmp al, 0x1a
    CHECK 25
    cmp bl, 0x08
    CHECK 26
    mov ah, 0x12
    mov bl, 0x10
    int 0x10
    cmp bl, 3
    CHECK 27
    ; the BDA's video fields
    cmp word [0x463], 0x3d4
    CHECK 28
    cmp byte [0x484], 24
    CHECK 29
    cmp word [0x44a], 80
    CHECK 30
    mov ah, 0x02
    xor bh, bh
    mov dx, 0x0a00
    int 0x10
    mov si, msg_ok
    call print
    cli
    hlt

%include "boot-lib.inc"

msg_serial: db "COM1 through INT 14h", 13, 10, 0
msg_string: db "AH=13h string"
msg_string_len equ $ - msg_string
msg_ok:     db "services OK", 13, 10, 0
msg_ext:    db "extended KiB: ", 0
msg_e820:   db "E820 entries: ", 0

times 1536 - ($ - $$) db 0

e820buf equ 0x9000
