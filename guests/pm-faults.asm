; pm-faults: one protected-mode check per line on COM1 and the screen: segment
; loads (not present, beyond the GDT, wrong type, RPL/DPL), limits (expand-up
; and expand-down), a read-only segment, a null segment, the stack limit,
; far jumps, #UD, #DE, INT3, LAR/LSL/VERR/VERW/ARPL, and ring 3 (IRET to an
; outer level, #GP for CLI and a ring-0 data selector there, INT 0x80 back
; through the TSS's stack). Ends with debug-exit 0x11.
%include "pm-lib.inc"

main:
    TEST "np ds:"
    mov ax, 0x28
    mov ds, ax
    END_TEST
    TEST "beyond gdt es:"
    mov ax, 0x1f8
    mov es, ax
    END_TEST
    TEST "exec-only ds:"
    mov ax, 0x38
    mov ds, ax
    END_TEST
    TEST "read-only ss:"
    mov ax, 0x40
    mov ss, ax
    END_TEST
    TEST "dpl3 data ds:"
    mov ax, 0x30
    mov ds, ax
    mov ax, 0x10
    mov ds, ax
    END_TEST
    TEST "rpl3 dpl0 ds:"
    mov ax, 0x13
    mov ds, ax
    END_TEST
    TEST "code as ss:"
    mov ax, 0x08
    mov ss, ax
    END_TEST
    TEST "null ss:"
    xor ax, ax
    mov ss, ax
    END_TEST
    TEST "limit es:"
    mov ax, 0x20
    mov es, ax
    mov eax, [es:0xffffd]
    END_TEST
    TEST "limit ok es:"
    mov ax, 0x20
    mov es, ax
    mov eax, [es:0xffffc]
    END_TEST
    TEST "expand-down low es:"
    mov ax, 0x48
    mov es, ax
    mov eax, [es:0x100]
    END_TEST
    TEST "expand-down high es:"
    mov ax, 0x48
    mov es, ax
    mov eax, [es:0x2000]
    END_TEST
    TEST "read-only write es:"
    mov ax, 0x40
    mov es, ax
    mov [es:0x2000], eax
    END_TEST
    TEST "null es:"
    xor ax, ax
    mov es, ax
    mov eax, [es:0x2000]
    END_TEST
    TEST "stack limit ss:"
    mov ax, 0x20
    mov ss, ax
    mov eax, [ss:0x100000]
    END_TEST
    TEST "code write cs:"
    mov [cs:0x2000], eax
    END_TEST
    TEST "jmp data:"
    jmp 0x10:0
    END_TEST
    TEST "jmp np code:"
    jmp 0x68:0
    END_TEST
    TEST "ud2:"
    ud2
    END_TEST
    TEST "div 0:"
    xor ecx, ecx
    div ecx
    END_TEST
    TEST "int3:"
    int3
    END_TEST
    TEST "int 0x40 (no gate):"
    int 0x40
    END_TEST
    TEST "far call and retf:"
    call 0x08:far_target
    PRINT " back"
    END_TEST

    PRINT "lar 08 "
    mov eax, 0xffffffff
    lar eax, [sel08]
    call hex32
    PRINT " lsl 20 "
    mov eax, 0x20
    lsl eax, eax
    call hex32
    PRINT " lsl 28 "
    mov eax, 0x28
    lsl eax, eax
    call hex32
    mov al, 10
    call putc
    PRINT "lar bad zf "
    mov eax, 0x1f8
    lar ebx, eax
    setz al
    call hex8
    PRINT " verr 38 "
    mov ax, 0x38
    verr ax
    setz al
    call hex8
    PRINT " verw 40 "
    mov ax, 0x40
    verw ax
    setz al
    call hex8
    PRINT " verw 10 "
    mov ax, 0x10
    verw ax
    setz al
    call hex8
    PRINT " arpl "
    mov ax, 0x10
    mov bx, 0x03
    arpl ax, bx
    setz bl
    call hex16
    mov al, bl
    call hex8
    PRINT " str "
    str eax
    call hex16
    mov al, 10
    call putc

    ; Ring 3: IRET to 0x53:user with the stack 0x5b:0x8e000.
    TEST "ring 3:"
    push dword 0x5b
    push dword 0x8e000
    push dword 0x2
    push dword 0x53
    push dword user
    iret
    END_TEST
    TEST "ring 3 cli:"
    push dword 0x5b
    push dword 0x8e000
    push dword 0x2
    push dword 0x53
    push dword user_cli
    iret
    END_TEST
    TEST "ring 3 ds=10:"
    push dword 0x5b
    push dword 0x8e000
    push dword 0x2
    push dword 0x53
    push dword user_ds
    iret
    END_TEST

    mov al, 0x11
    jmp exit

far_target:
    PRINT " in 08"
    retf

sel08: dw 0x08

; Ring 3 code: no port I/O here (IOPL is 0); INT 0x80 prints CS and SS.
user:
    mov ax, 0x5b
    mov ds, ax
    int 0x80
user_cli:
    cli
    int 0x80
user_ds:
    mov ax, 0x10
    mov ds, ax
    int 0x80

%include "pm-end.inc"
