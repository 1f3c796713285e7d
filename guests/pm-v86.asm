; pm-v86: virtual-8086 mode. Enters it by IRETD from ring 0 and by a task
; switch; INT n with IOPL 3 to a ring-0 handler (the frame with GS FS DS ES,
; the data segments nulled) and back by IRETD; PUSHF/POPF/CLI/STI/IRET with
; IOPL 3; INT n, CLI, PUSHF, POPF and IRET with IOPL 0 (#GP(0)); INT3 through a
; DPL-0 gate; IN/OUT through the TSS's I/O permission bitmap (in V86 mode
; whatever IOPL is, and at ring 3 above IOPL); real-mode segment bases, #DE,
; and a page fault with paging on. Ends with debug-exit 0x15 (0x7D at once
; when INT n from V86 mode does not reach its handler).
%include "pm-lib.inc"

%define LIN(x) ((x) - $$ + 0x7c00)
V86_VM equ 0x20002                  ; EFLAGS.VM and the reserved bit 1
IOPL3 equ 0x3000

; DESC base, limit, access byte, flags nibble (G, D/B)
%macro DESC 4
    dw (%2) & 0xffff
    dw (%1) & 0xffff
    db ((%1) >> 16) & 0xff
    db %3
    db (((%2) >> 16) & 0x0f) | ((%4) << 4)
    db ((%1) >> 24) & 0xff
%endmacro

; V86 "name", ip, eflags: runs the V86 code at 0000:ip; a fault or INT 0x80 ends it
%macro V86 3
    TEST %1
    mov ebx, %2
    mov eax, %3
    jmp to_v86
    END_TEST
%endmacro

; INT_GATE vector, handler, dpl: a 32-bit interrupt gate to ring 0
%macro INT_GATE 3
    mov eax, %2
    mov [idt + %1 * 8], ax
    mov word [idt + %1 * 8 + 2], 0x08
    mov word [idt + %1 * 8 + 4], 0x8e00 | (%3 << 13)
    shr eax, 16
    mov [idt + %1 * 8 + 6], ax
%endmacro

main:
    mov esi, gdt
    mov edi, gdt2
    mov ecx, (gdt_end - gdt) / 4
    rep movsd
    lgdt [gdt2_desc]
    ; This guest's TSS: ring 0's stack, and an I/O bitmap that allows port 0x80 alone.
    mov dword [v86_tss + 4], 0x8f000
    mov dword [v86_tss + 8], 0x10
    mov word [v86_tss + 0x66], 0x68
    mov edi, v86_tss + 0x68
    mov ecx, 0x81
    mov al, 0xff
    rep stosb
    and byte [v86_tss + 0x68 + 0x80 / 8], 0xfe
    mov ax, 0x70
    ltr ax
    INT_GATE 0x81, int81, 3
    mov dword [0x12340], 0xcafef00d

    V86 "iopl 3 int 81 and back:", v86_int81, IOPL3
    cmp dword [v86_seen], 1
    je .v86_works
    ; Without V86 mode what follows would run away: stop here.
    PRINT "no v86 mode", 10
    mov al, 0x7d
    jmp exit
.v86_works:
    V86 "iopl 3 pushf popf sti cli iret:", v86_flags, IOPL3
    PRINT " flags "
    mov ax, [result]
    call hex16
    PRINT " pushfd "
    mov eax, [result + 4]
    call hex32
    PRINT " after iret "
    mov ax, [result + 8]
    call hex16
    mov al, 10
    call putc
    V86 "iopl 0 int 81:", v86_int81, 0
    V86 "iopl 0 cli:", v86_cli, 0
    V86 "iopl 0 pushf:", v86_pushf, 0
    V86 "iopl 0 popf:", v86_popf, 0
    V86 "iopl 0 iret:", v86_iret, 0
    V86 "iopl 3 int3 (dpl 0 gate):", v86_int3, IOPL3
    V86 "out 80 allowed by the bitmap:", v86_out80, 0
    V86 "out 81 denied:", v86_out81, 0
    V86 "word out 80 (81 denied):", v86_out80w, 0
    V86 "iopl 3 in 81 (the bitmap decides):", v86_in81, IOPL3
    V86 "ds 1234:", v86_segments, IOPL3
    PRINT " read "
    mov eax, [result]
    call hex32
    mov al, 10
    call putc
    V86 "div 0:", v86_div0, 0

    TEST "ring 3 above iopl, out 80 then 81:"
    push dword 0x5b
    push dword 0x8c000
    push dword 2
    push dword 0x53
    push dword ring3_out
    iretd
    END_TEST

    PRINT "task switch into v86:"
    mov dword [resume], .in_v86_task
    jmp 0x78:0
    PRINT " main: tr "
    str ax
    call hex16
    mov al, 10
    call putc

    TEST "v86 supervisor page:"
    ; Identity-map 4 MiB with user pages, but the page at 0x12000 for the supervisor only.
    mov edi, 0x30000
    mov eax, 0x7
    mov ecx, 1024
.pte:
    stosd
    add eax, 0x1000
    loop .pte
    and dword [0x30000 + 0x12 * 4], ~4
    mov dword [0x31000], 0x30007
    mov eax, 0x31000
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    mov ebx, v86_segments
    mov eax, IOPL3
    jmp to_v86
    END_TEST
    mov al, 0x15
    jmp exit

.in_v86_task:
    PRINT " back in tr "
    str ax
    call hex16
    PRINT " read "
    mov eax, [result]
    call hex32
    jmp 0x70:0

; to_v86: IRETD to V86 mode at 0000:EBX with EFLAGS EAX (VM added); SS:SP 0000:7000,
; ES 0100, DS 0000, FS 0200, GS 0300
to_v86:
    push dword 0x300
    push dword 0x200
    push dword 0
    push dword 0x100
    push dword 0
    push dword 0x7000
    or eax, V86_VM
    push eax
    push dword 0
    push ebx
    iretd

; INT 0x81 from V86 mode: the frame and the data segments on entry, then back.
int81:
    mov bx, ds
    mov cx, es
    mov dx, fs
    mov di, gs
    push eax
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov dword [v86_seen], 1
    PRINT " entry ds es fs gs "
    mov ax, bx
    call hex16
    mov al, ' '
    call putc
    mov ax, cx
    call hex16
    mov al, ' '
    call putc
    mov ax, dx
    call hex16
    mov al, ' '
    call putc
    mov ax, di
    call hex16
    PRINT " ax "
    pop eax
    call hex16
    mov al, 10
    call putc
    PRINT " frame"
    xor ecx, ecx
.frame:
    cmp ecx, 5
    jne .space
    mov al, 10
    call putc
.space:
    mov al, ' '
    call putc
    mov eax, [esp + ecx * 4]
    call hex32
    inc ecx
    cmp ecx, 9
    jb .frame
    iretd

; --- V86 code --------------------------------------------------------------------
bits 16
v86_int81:
    mov ax, 0x1234
    int 0x81
    int 0x80

v86_flags:
    pushf
    pop ax
    mov [result], ax
    pushfd
    pop eax
    mov [result + 4], eax
    push ax
    popf
    push eax
    popfd
    sti
    cli
    pushf
    push cs
    push word .back
    iret
.back:
    pushf
    pop ax
    mov [result + 8], ax
    int 0x80

v86_cli:
    cli
    int 0x80
v86_pushf:
    pushf
    int 0x80
v86_popf:
    push word 0
    popf
    int 0x80
v86_iret:
    pushf
    push cs
    push word v86_cli
    iret
v86_int3:
    int3
v86_out80:
    out 0x80, al
    hlt
v86_out81:
    out 0x81, al
    hlt
v86_out80w:
    out 0x80, ax
    hlt
v86_in81:
    in al, 0x81
    hlt

v86_segments:
    mov ax, 0x1234
    mov ds, ax
    mov eax, [0]
    mov [cs:result], eax
    int 0x80

v86_div0:
    xor cx, cx
    div cx
    int 0x80

v86_task:
    mov eax, [0]                    ; DS 1234 from the TSS
    mov [cs:result], eax
    int 0x80
bits 32

ring3_out:
    out 0x80, al
    out 0x81, al
    hlt

; --- tables ----------------------------------------------------------------------

align 4
result: dd 0, 0, 0
v86_seen: dd 0

align 8
gdt2:
    times gdt_end - gdt db 0        ; 0x00-0x68: the library's
    DESC v86_tss, 0x68 + 0x80, 0x89, 0 ; 0x70 the TSS with the I/O bitmap
    DESC LIN(task_tss), 0x67, 0x89, 0 ; 0x78 a task that starts in V86 mode
gdt2_end:
gdt2_desc:
    dw gdt2_end - gdt2 - 1
    dd gdt2

align 4
task_tss:
    dd 0, 0x8e000, 0x10, 0, 0, 0, 0, 0
    dd v86_task, V86_VM | IOPL3     ; EIP, EFLAGS
    dd 0, 0, 0, 0, 0x6000, 0, 0, 0  ; EAX..EDI
    dd 0, 0, 0, 0x1234, 0, 0        ; ES CS SS DS FS GS
    dd 0
    dw 0, 0x68

%include "pm-end.inc"

absolute 0x28000
v86_tss: resb 0x68 + 0x81           ; ESP0/SS0 set by main, the bitmap after it
