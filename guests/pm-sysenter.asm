; pm-sysenter: SYSENTER and SYSEXIT (CPUID.1:EDX.SEP, MSRs 0x174-0x176).
; Extends the GDT with the four flat descriptors SYSENTER_CS = 0x70 names
; (0x70 ring-0 code, 0x78 ring-0 data, 0x80 ring-3 code, 0x88 ring-3 data),
; goes to ring 3 with SYSEXIT and back with SYSENTER, printing the selectors,
; ESP and EFLAGS each side sees (IF is cleared by SYSENTER, the rest kept),
; then the #GP(0) cases: SYSEXIT from ring 3, SYSENTER and SYSEXIT with a
; null SYSENTER_CS (0 and 3) at ring 0, and a hundred round trips with a counter.
; Ends with debug-exit 0x17.
%include "pm-lib.inc"

SYSENTER_CS equ 0x174
SYSENTER_ESP equ 0x175
SYSENTER_EIP equ 0x176
KSTACK equ 0x8d000
USTACK equ 0x8e000

%macro WRMSR 2
    mov ecx, %1
    mov eax, %2
    xor edx, edx
    wrmsr
%endmacro

main:
    ; No IRQs: ring 0 sets IF before SYSEXIT to see SYSENTER clear it.
    mov al, 0xff
    out 0x21, al
    out 0xa1, al
    PRINT "cpuid sep: "
    mov eax, 1
    cpuid
    shr edx, 11
    and edx, 1
    mov eax, edx
    call hex8
    mov al, 10
    call putc
    ; The GDT again, with 0x70-0x88 added.
    mov esi, gdt
    mov edi, newgdt
    mov ecx, gdt_end - gdt
    rep movsb
    lgdt [newgdt_desc]

    PRINT "msrs:"
    WRMSR SYSENTER_CS, 0x70
    WRMSR SYSENTER_ESP, KSTACK
    WRMSR SYSENTER_EIP, entry
    mov esi, SYSENTER_CS
.msr:
    mov al, ' '
    call putc
    mov ecx, esi
    mov eax, 0xdeadbeef
    mov edx, eax
    rdmsr
    push eax
    mov eax, edx
    call hex32
    mov al, ':'
    call putc
    pop eax
    call hex32
    inc esi
    cmp esi, SYSENTER_EIP
    jbe .msr
    mov al, 10
    call putc

    TEST "sysexit to ring 3:"
    mov dword [after], .back
    push dword 0xed7                ; OF DF IF SF ZF AF PF CF (TF clear)
    popfd
    mov ecx, USTACK
    mov edx, user
    sysexit
.back:
    cld
    PRINT " cs "
    mov eax, [u_cs]
    call hex16
    PRINT " ss "
    mov eax, [u_ss]
    call hex16
    PRINT " esp "
    mov eax, [u_esp]
    call hex32
    PRINT " eflags "
    mov eax, [u_flags]
    call hex32
    mov al, 10
    call putc
    PRINT " sysenter: cs "
    mov eax, [k_cs]
    call hex16
    PRINT " ss "
    mov eax, [k_ss]
    call hex16
    PRINT " esp "
    mov eax, [k_esp]
    call hex32
    PRINT " eflags "
    mov eax, [k_flags]
    call hex32
    mov al, 10
    call putc
    PRINT " ecx "
    mov eax, [k_ecx]
    call hex32
    PRINT " edx "
    mov eax, [k_edx]
    call hex32
    PRINT " ds "
    mov eax, [k_ds]
    call hex16
    END_TEST

    ; RPL bits in SYSENTER_CS: SYSENTER masks them, SYSEXIT ORs in 3.
    TEST "sysenter_cs 0x73:"
    WRMSR SYSENTER_CS, 0x73
    mov dword [after], .back2
    push dword 0x2
    popfd
    mov ecx, USTACK - 0x100
    mov edx, user
    sysexit
.back2:
    PRINT " cs "
    mov eax, [u_cs]
    call hex16
    PRINT " ss "
    mov eax, [u_ss]
    call hex16
    PRINT " esp "
    mov eax, [u_esp]
    call hex32
    PRINT " then cs "
    mov eax, [k_cs]
    call hex16
    PRINT " ss "
    mov eax, [k_ss]
    call hex16
    END_TEST
    WRMSR SYSENTER_CS, 0x70

    TEST "sysenter from ring 0:"
    mov dword [after], .back3
    sysenter
.back3:
    PRINT " cs "
    mov eax, [k_cs]
    call hex16
    PRINT " esp "
    mov eax, [k_esp]
    call hex32
    END_TEST

    TEST "sysexit in ring 3:"
    mov ecx, USTACK
    mov edx, user_sysexit
    sysexit
    END_TEST

    TEST "sysenter with cs 0:"
    WRMSR SYSENTER_CS, 0
    sysenter
    END_TEST
    TEST "sysexit with cs 0:"
    mov ecx, USTACK
    mov edx, user
    sysexit
    END_TEST
    TEST "sysenter with cs 3:"
    WRMSR SYSENTER_CS, 3
    sysenter
    END_TEST
    TEST "sysexit with cs 3:"
    mov ecx, USTACK
    mov edx, user
    sysexit
    END_TEST
    WRMSR SYSENTER_CS, 0x70

    TEST "100 round trips:"
    mov dword [after], .loop_back
    mov dword [count], 0
.loop:
    mov ecx, USTACK
    mov edx, user_count
    sysexit
.loop_back:
    cmp dword [count], 100
    jb .loop
    PRINT " count "
    mov eax, [count]
    call hex32
    PRINT " esp "
    mov eax, [k_esp]
    call hex32
    END_TEST

    mov al, 0x17
    jmp exit

; SYSENTER lands here: record what ring 0 sees, then continue at [after].
entry:
    mov [k_esp], esp
    pushfd
    pop dword [k_flags]
    mov [k_ecx], ecx
    mov [k_edx], edx
    mov word [k_ds], ds
    mov word [k_cs], cs
    mov word [k_ss], ss
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov esp, 0x90000
    jmp [after]

; Ring 3 (no port I/O: IOPL is 0): record the state, back with SYSENTER.
user:
    mov word [u_cs], cs
    mov word [u_ss], ss
    mov [u_esp], esp
    pushfd
    pop dword [u_flags]
    mov ax, 0x8b
    mov ds, ax
    mov ecx, 0x12345678
    mov edx, 0x9abcdef0
    sysenter
user_sysexit:
    sysexit
user_count:
    inc dword [count]
    sysenter

align 4
after: dd 0
count: dd 0
u_cs: dd 0
u_ss: dd 0
u_esp: dd 0
u_flags: dd 0
k_cs: dd 0
k_ss: dd 0
k_esp: dd 0
k_flags: dd 0
k_ecx: dd 0
k_edx: dd 0
k_ds: dd 0
newgdt_desc:
    dw newgdt_end - newgdt - 1
    dd newgdt
align 8
newgdt:
    times 0x70 db 0
    dq 0x00cf9a000000ffff           ; 0x70 code, flat, 32-bit, DPL 0
    dq 0x00cf92000000ffff           ; 0x78 data, flat, DPL 0
    dq 0x00cffa000000ffff           ; 0x80 code, flat, 32-bit, DPL 3
    dq 0x00cff2000000ffff           ; 0x88 data, flat, DPL 3
newgdt_end:

%include "pm-end.inc"
