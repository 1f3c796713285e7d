; pm-tasks: hardware task switches. JMP to a 32-bit TSS (with an LDT) and back,
; CALL to a 16-bit TSS and IRET back (NT, busy bits, back-link, the ones a
; 16-bit TSS leaves in the upper halves), INT n through a task gate, #NP (with
; its error code on the handler task's stack) and #DF through task gates,
; #TS and #GP before the commit point (the main task goes on), and faults after
; it: #TS for a bad SS through a task gate, #NP for a bad ES in the new task.
; Ends with debug-exit 0x14.
%include "pm-lib.inc"

; Linear address of a label (the image is loaded at 0x7C00).
%define LIN(x) ((x) - $$ + 0x7c00)

; DESC base, limit, access byte, flags nibble (G, D/B): a segment or TSS descriptor
%macro DESC 4
    dw (%2) & 0xffff
    dw (%1) & 0xffff
    db ((%1) >> 16) & 0xff
    db %3
    db (((%2) >> 16) & 0x0f) | ((%4) << 4)
    db ((%1) >> 24) & 0xff
%endmacro

; TSS32 eip, esp, ss, ds, ldt: a 32-bit TSS of a ring-0 task (CS 0x08, EFLAGS 2, EAX A0A0A0A0)
%macro TSS32 5
    dd 0                            ; back-link
    dd 0x8f000, 0x10                ; ESP0, SS0
    dd 0, 0, 0, 0
    dd 0                            ; CR3 (paging is off)
    dd %1, 2                        ; EIP, EFLAGS
    dd 0xa0a0a0a0, 0, 0, 0          ; EAX ECX EDX EBX
    dd %2, 0, 0, 0                  ; ESP EBP ESI EDI
    dd %4, 0x08, %3, %4, %4, %4     ; ES CS SS DS FS GS
    dd %5                           ; LDT
    dw 0, 0x68                      ; T, I/O map base (none)
%endmacro

; TASK_GATE vector, selector: the IDT entry becomes a task gate (DPL 0)
%macro TASK_GATE 2
    mov dword [idt + %1 * 8], %2 << 16
    mov dword [idt + %1 * 8 + 4], 0x8500
%endmacro

%macro NEWLINE 0
    mov al, 10
    call putc
%endmacro

main:
    ; The GDT again, with this guest's TSSs, task gate and LDT after the library's.
    mov esi, gdt
    mov edi, gdt2
    mov ecx, (gdt_end - gdt) / 4
    rep movsd
    lgdt [gdt2_desc]
    mov dword [0x12340], 0xcafef00d ; what task A's LDT segment shows at offset 0

    PRINT "jmp tss:"
    jmp 0x70:0
    PRINT " main: tr "
    str ax
    call hex16
    call types_60_70
    call show_ts
    NEWLINE

    PRINT "call tss16:"
    call 0x78:0
    PRINT " main: nt "
    call show_nt
    PRINT " types 60 "
    mov ax, 0x60
    call show_type
    PRINT " 78 "
    mov ax, 0x78
    call show_type
    call show_ts
    NEWLINE

    PRINT "int 41 task gate:"
    TASK_GATE 0x41, 0x88
    int 0x41
    PRINT " main: nt "
    call show_nt
    PRINT " 88 "
    mov ax, 0x88
    call show_type
    NEWLINE

    PRINT "np task gate:"
    TASK_GATE 11, 0x90
np_at:
    mov ax, 0x28
    mov ds, ax                      ; #NP(0x28); task D resumes the main task at np_back
np_back:
    mov ecx, 11
    call set_gate
    PRINT " main: ds "
    mov ax, ds
    call hex16
    NEWLINE

    PRINT "df task gate:"
    TASK_GATE 8, 0x98
    mov dword [idt + 0x42 * 8 + 4], 0x0e00 ; gate 0x42 not present: #NP
    mov dword [idt + 11 * 8], 0     ; #NP's gate names the null selector: #GP, so #DF
    mov dword [idt + 11 * 8 + 4], 0x8e00
df_at:
    int 0x42
df_back:
    mov ecx, 8
    call set_gate
    mov ecx, 11
    call set_gate
    PRINT " main"
    NEWLINE

    TEST "short tss:"
    jmp 0xa0:0
    END_TEST
    TEST "busy tss:"
    jmp 0x60:0
    END_TEST
    TEST "iret to an available tss:"
    mov word [tss], 0x70            ; back-link to task A, which is not busy
    pushfd
    or dword [esp], 0x4000          ; NT
    popfd
    iretd
    END_TEST
    mov word [tss], 0

    PRINT "bad ss after the commit point:"
    TASK_GATE 10, 0xb0
    jmp 0xa8:0
    PRINT " main: types a8 "
    mov ax, 0xa8
    call show_type
    PRINT " b0 "
    mov ax, 0xb0
    call show_type
    NEWLINE
    mov ecx, 10
    call set_gate

    PRINT "np es after the commit point:"
    mov dword [resume], .in_new_task
    jmp 0xb8:0
    PRINT " main: tr "
    str ax
    call hex16
    NEWLINE
    mov al, 0x14
    jmp exit
.in_new_task:
    PRINT " handler came back in tr "
    str ax
    call hex16
    jmp 0x60:0

; --- the tasks -----------------------------------------------------------------

task_a:
    mov [saved], eax
    PRINT " A: tr "
    str ax
    call hex16
    PRINT " ldt "
    sldt ax
    call hex16
    PRINT " eax "
    mov eax, [saved]
    call hex32
    PRINT " fs:0 "
    mov ax, 0x04
    mov fs, ax
    mov eax, [fs:0]
    call hex32
    NEWLINE
    PRINT " nt "
    call show_nt
    call types_60_70
    call show_ts
    clts
    jmp 0x60:0
    jmp task_a

task_b:
    mov [saved], eax
    mov [saved + 4], esp
    mov esp, 0x7b000
    PRINT " B: eax "
    mov eax, [saved]
    call hex32
    PRINT " esp "
    mov eax, [saved + 4]
    call hex32
    PRINT " fs "
    mov ax, fs
    call hex16
    PRINT " nt "
    call show_nt
    PRINT " link "
    mov ax, [tss_b]
    call hex16
    NEWLINE
    PRINT " types 60 "
    mov ax, 0x60
    call show_type
    PRINT " 78 "
    mov ax, 0x78
    call show_type
    clts
    iretd
    jmp task_b

task_c:
    PRINT " C: tr "
    str ax
    call hex16
    PRINT " link "
    mov ax, [tss_c]
    call hex16
    PRINT " nt "
    call show_nt
    PRINT " 88 "
    mov ax, 0x88
    call show_type
    clts
    iretd
    jmp task_c

; #NP's task: the error code is on its stack; the main task goes on at np_back.
task_d:
    pop dword [saved]
    PRINT " D: error "
    mov eax, [saved]
    call hex32
    PRINT " esp "
    mov eax, esp
    call hex32
    PRINT " main's eip "
    mov eax, [tss + 0x20]
    call hex32
    mov dword [tss + 0x20], np_back
    clts
    iretd
    jmp task_d

; #DF's task: error code 0; the main task goes on at df_back.
task_e:
    pop dword [saved]
    PRINT " E: error "
    mov eax, [saved]
    call hex32
    PRINT " link "
    mov ax, [tss_e]
    call hex16
    PRINT " main's eip "
    mov eax, [tss + 0x20]
    call hex32
    mov dword [tss + 0x20], df_back
    clts
    iretd
    jmp task_e

; #TS's task: the failed task is in the back-link, its selectors in its TSS.
task_f:
    pop dword [saved]
    PRINT " F: error "
    mov eax, [saved]
    call hex32
    PRINT " link "
    mov ax, [tss_f]
    call hex16
    NEWLINE
    PRINT " its ss "
    mov ax, [tss_bad_ss + 0x50]
    call hex16
    PRINT " eip "
    mov eax, [tss_bad_ss + 0x20]
    call hex32
    clts
    jmp 0x60:0
    jmp task_f

; A task that never runs an instruction (its TSS fails after the commit point).
task_never:
    PRINT " ran"
    mov al, 0x7e
    jmp exit

; --- helpers -------------------------------------------------------------------

; show_type: AX = selector: its descriptor's type (LAR) as a hex digit pair
show_type:
    push eax
    lar eax, ax
    shr eax, 8
    and al, 0x0f
    call hex8
    pop eax
    ret

types_60_70:
    PRINT " types 60 "
    mov ax, 0x60
    call show_type
    PRINT " 70 "
    mov ax, 0x70
    jmp show_type

; show_nt: EFLAGS.NT (0/1)
show_nt:
    pushfd
    pop eax
    shr eax, 14
    and al, 1
    jmp hex8

; show_ts: " ts" and CR0.TS (0/1), which is then cleared
show_ts:
    PRINT " ts "
    mov eax, cr0
    shr eax, 3
    and al, 1
    call hex8
    clts
    ret

; set_gate: ECX = vector: its interrupt gate to the library's stub again
set_gate:
    mov eax, [stubs + ecx * 4]
    mov [idt + ecx * 8], ax
    mov word [idt + ecx * 8 + 2], 0x08
    mov word [idt + ecx * 8 + 4], 0x8e00
    shr eax, 16
    mov [idt + ecx * 8 + 6], ax
    ret

; --- tables --------------------------------------------------------------------

align 4
saved: dd 0, 0

align 8
gdt2:
    times gdt_end - gdt db 0        ; 0x00-0x68: the library's
    DESC LIN(tss_a), 0x67, 0x89, 0  ; 0x70 TSS A, 32-bit, available
    DESC LIN(tss_b), 0x2b, 0x81, 0  ; 0x78 TSS B, 16-bit, available
    dw 0, 0x70, 0x8500, 0           ; 0x80 task gate to A
    DESC LIN(tss_c), 0x67, 0x89, 0  ; 0x88 TSS C (INT 0x41)
    DESC LIN(tss_d), 0x67, 0x89, 0  ; 0x90 TSS D (#NP)
    DESC LIN(tss_e), 0x67, 0x89, 0  ; 0x98 TSS E (#DF)
    DESC LIN(tss_a), 0x50, 0x89, 0  ; 0xA0 a TSS below the minimum limit
    DESC LIN(tss_bad_ss), 0x67, 0x89, 0 ; 0xA8 a TSS whose SS is code
    DESC LIN(tss_f), 0x67, 0x89, 0  ; 0xB0 TSS F (#TS)
    DESC LIN(tss_bad_es), 0x67, 0x89, 0 ; 0xB8 a TSS whose ES (DS, FS, GS) is not present
    DESC LIN(ldt_a), 7, 0x82, 0     ; 0xC0 task A's LDT
gdt2_end:
gdt2_desc:
    dw gdt2_end - gdt2 - 1
    dd gdt2

ldt_a:
    DESC 0x12340, 0xfff, 0x92, 4    ; 0x04: data at 0x12340

align 4
tss_a: TSS32 task_a, 0x80000, 0x10, 0x10, 0xc0
tss_c: TSS32 task_c, 0x7f000, 0x10, 0x10, 0
tss_d: TSS32 task_d, 0x7e000, 0x10, 0x10, 0
tss_e: TSS32 task_e, 0x7d000, 0x10, 0x10, 0
tss_f: TSS32 task_f, 0x7c000, 0x10, 0x10, 0
tss_bad_ss: TSS32 task_never, 0x7a000, 0x08, 0x10, 0
tss_bad_es: TSS32 task_never, 0x79000, 0x10, 0x28, 0
tss_b:                              ; 16-bit: IP, FLAGS, AX..DI, ES CS SS DS, LDT
    dw 0, 0x8000, 0x10, 0, 0, 0, 0
    dw task_b, 2
    dw 0x5678, 0, 0, 0, 0x1234, 0, 0, 0
    dw 0x10, 0x08, 0x10, 0x10
    dw 0

%include "pm-end.inc"
