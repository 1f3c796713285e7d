; pm-x87: the x87 in 32-bit protected mode, one result per line on COM1 and
; the screen: Linux's FPU probe and FDIV-bug check, arithmetic and square
; root in double precision (PC=10b, so the 80-bit FPU and a double-based one
; agree bit for bit), the rounding modes, integer stores and their overflow,
; compares (FNSTSW, FCOMI), FXAM, stack faults, FPREM/FSCALE/FXTRACT, 80-bit
; and packed BCD stores, the FNSAVE image (control, status and tag words and
; the registers), #NM with CR0.TS and #MF on FWAIT with CR0.NE. Only bits
; that the manuals define are printed. The x87 code runs in ring 3 (IOPL 3
; for COM1), where a KVM whose ring 0 goes through its instruction emulator
; (PVM) runs it on the host's FPU; faults bring it back to ring 0, which
; changes CR0 and enters ring 3 again. Ends with debug-exit 0x14.
%include "pm-lib.inc"

; RING3 label: IRET to ring 3 (0x53, stack 0x5b:0x8e000, IOPL 3) at label
%macro RING3 1
    push dword 0x5b
    push dword 0x8e000
    push dword 0x3002
    push dword 0x53
    push dword %1
    iret
%endmacro
; USER: the start of ring-3 code (IRET nulled the ring-0 data segments)
%macro USER 0
    mov ax, 0x5b
    mov ds, ax
    mov es, ax
%endmacro

; SHOW "label", dword: prints the label and the dword in hex
%macro SHOW 2
    PRINT %1
    mov eax, %2
    call hex32
    mov al, 10
    call putc
%endmacro
; SHOW64 "label", address: a qword as two hex dwords (high first)
%macro SHOW64 2
    PRINT %1
    mov eax, [%2 + 4]
    call hex32
    mov al, ' '
    call putc
    mov eax, [%2]
    call hex32
    mov al, 10
    call putc
%endmacro
; STATUS "label": the status word masked with AX_MASK after the last operation
%macro STATUS 2
    fnstsw ax
    and eax, %2
    SHOW %1, eax
%endmacro

main:
    mov eax, cr0
    or eax, 0x20                    ; NE: unmasked x87 errors raise #MF
    mov cr0, eax
    RING3 part1
part1:
    USER
    ; Linux's probe: FNINIT, then FNSTSW and FNSTCW into memory.
    mov word [r16a], 0x5a5a
    mov word [r16b], 0x5a5a
    fninit
    fnstsw [r16a]
    fnstcw [r16b]
    movzx eax, word [r16a]
    SHOW "probe sw: ", eax
    movzx eax, word [r16b]
    SHOW "probe cw: ", eax
    fldcw [cw_double]

    ; The FDIV-bug check of arch/x86/kernel/fpu/bugs.c.
    fld qword [fx]
    fdiv qword [fy]
    fmul qword [fy]
    fld qword [fx]
    fsubp st1, st0
    fistp dword [r32]
    fwait
    SHOW "fdiv bug: ", [r32]

    fld1
    fdiv qword [three]
    fstp qword [r64]
    SHOW64 "1/3: ", r64
    STATUS "1/3 flags: ", 0x3f
    fnclex
    fld qword [two]
    fsqrt
    fstp qword [r64]
    SHOW64 "sqrt 2: ", r64
    fld qword [fx]
    fmul qword [fy]
    fadd qword [three]
    fdiv qword [two]
    fstp qword [r64]
    SHOW64 "x*y+3 / 2: ", r64
    fld1
    fdiv qword [three]
    fstp dword [r32]
    SHOW "1/3 single: ", [r32]

    ; Rounding control: 1/3 and FRNDINT/FISTP of 2.5 and -2.5 in each mode.
    xor ebx, ebx
.rc:
    mov eax, ebx
    shl eax, 10
    or eax, 0x27f
    mov [r16a], ax
    fldcw [r16a]
    fld1
    fdiv qword [three]
    fstp qword [r64]
    SHOW64 "rc 1/3: ", r64
    fld qword [p25]
    frndint
    fistp dword [r32]
    fld qword [m25]
    fistp dword [r32 + 4]
    PRINT "rc ints: "
    mov eax, [r32]
    call hex32
    mov al, ' '
    call putc
    mov eax, [r32 + 4]
    call hex32
    mov al, 10
    call putc
    inc ebx
    cmp ebx, 4
    jb .rc
    fldcw [cw_double]

    ; Integer stores: in range, 64-bit, and overflow (IE, the integer indefinite).
    fild qword [big]
    fchs
    fistp qword [r64]
    SHOW64 "fistp m64: ", r64
    fnclex
    fld qword [huge]
    fistp word [r16a]
    movzx eax, word [r16a]
    SHOW "fistp m16 overflow: ", eax
    STATUS "overflow flags: ", 0x7f
    fnclex

    ; Compares: FCOM + FNSTSW (C3 C2 C0), FUCOM with a NaN, FCOMI into EFLAGS.
    fld qword [two]
    fcom qword [three]
    STATUS "2 vs 3: ", 0x4500
    fcom qword [fone]
    STATUS "2 vs 1: ", 0x4500
    fcom qword [two]
    STATUS "2 vs 2: ", 0x4500
    fld qword [qnan]
    fucom st1
    STATUS "nan fucom: ", 0x4501
    fcomi st0, st1
    pushfd
    pop eax
    and eax, 0x8d5
    SHOW "nan fcomi eflags: ", eax
    fstp st0
    fld qword [three]
    fcomip st0, st1
    pushfd
    pop eax
    and eax, 0x8d5
    SHOW "3 vs 2 fcomip: ", eax
    fstp st0
    fnclex

    ; FXAM: zero, normal, infinity, NaN, negative, empty (C3 C2 C1 C0).
    fldz
    fxam
    STATUS "fxam zero: ", 0x4700
    fstp st0
    fld qword [inf]
    fxam
    STATUS "fxam inf: ", 0x4700
    fstp st0
    fld qword [qnan]
    fxam
    STATUS "fxam nan: ", 0x4700
    fstp st0
    fld qword [three]
    fchs
    fxam
    STATUS "fxam -3: ", 0x4700
    fstp st0
    fxam
    STATUS "fxam empty: ", 0x4500

    ; Stack faults: underflow (C1 clear) and overflow (C1 set), masked.
    fninit
    fldcw [cw_double]
    fadd st0, st1
    STATUS "underflow: ", 0x0241
    fstp qword [r64]
    SHOW64 "underflow result: ", r64
    fninit
    fldcw [cw_double]
    mov ecx, 9
.push:
    fld1
    loop .push
    STATUS "overflow: ", 0x0241
    fninit
    fldcw [cw_double]

    ; FPREM, FPREM1 (quotient bits in C0 C3 C1), FSCALE, FXTRACT.
    fld qword [five]
    fld qword [eighteen]
    fprem
    STATUS "fprem flags: ", 0x4700
    fistp dword [r32]
    fld qword [eighteen]
    fprem1
    fistp dword [r32 + 4]
    fstp st0
    SHOW "fprem: ", [r32]
    SHOW "fprem1: ", [r32 + 4]
    fld qword [three]
    fld qword [five]
    fscale
    fistp dword [r32]
    fstp st0
    SHOW "5 scale 3: ", [r32]
    fld qword [eighteen]
    fxtract
    fstp qword [r64]
    fistp dword [r32]
    SHOW64 "fxtract significand: ", r64
    SHOW "fxtract exponent: ", [r32]

    ; sin, cos, atan to six digits (FSIN's last bits are the FPU's own).
    fld qword [half]
    fsin
    fmul qword [million]
    fistp dword [r32]
    SHOW "sin 0.5 e6: ", [r32]
    fld qword [half]
    fcos
    fmul qword [million]
    fistp dword [r32]
    SHOW "cos 0.5 e6: ", [r32]
    fld1
    fld1
    fpatan
    fmul qword [million]
    fistp dword [r32]
    SHOW "atan 1 e6: ", [r32]

    ; 80-bit stores: 2.5, and a double denormal (DE), which the 80-bit format normalizes.
    fnclex
    fld qword [p25]
    fstp tword [r80]
    SHOW64 "m80 2.5: ", r80
    movzx eax, word [r80 + 8]
    SHOW "m80 2.5 exp: ", eax
    fld qword [denormal]
    STATUS "denormal load: ", 0x3f
    fstp tword [r80]
    SHOW64 "m80 denormal: ", r80
    movzx eax, word [r80 + 8]
    SHOW "m80 denormal exp: ", eax
    fld tword [r80]
    fstp qword [r64]
    SHOW64 "back to m64: ", r64
    fild dword [bcdval]
    fbstp [r80]
    SHOW64 "fbstp: ", r80
    movzx eax, word [r80 + 8]
    SHOW "fbstp sign: ", eax

    ; FNSAVE's 108-byte image: words and the registers in use; then FRSTOR.
    fninit
    fldcw [cw_double]
    fld1
    fld qword [p25]
    fldz
    fnsave [image]
    fnstcw [r16a]
    movzx eax, word [r16a]
    SHOW "after fnsave cw: ", eax
    movzx eax, word [image]
    SHOW "image cw: ", eax
    movzx eax, word [image + 4]
    SHOW "image sw: ", eax
    movzx eax, word [image + 8]
    SHOW "image tw: ", eax
    SHOW64 "image st0: ", image + 28
    SHOW64 "image st1: ", image + 38
    movzx eax, word [image + 46]
    SHOW "image st1 exp: ", eax
    SHOW64 "image st2: ", image + 48
    frstor [image]
    fadd st0, st2
    fistp dword [r32]
    SHOW "after frstor st0+st2: ", [r32]
    fnstsw ax
    shr eax, 11
    and eax, 7
    SHOW "after frstor top: ", eax
    fninit

    ; #MF: an unmasked ZE is reported on the next FWAIT (the handler returns in ring 0).
    fldcw [cw_zero_unmasked]
    fld1
    fldz
    fdivp st1, st0
    STATUS "unmasked ze: ", 0x80bf
    TEST "fwait:"
    fwait
    END_TEST
    RING3 part2
part2:
    USER
    fnclex
    TEST "after fnclex fwait:"
    fwait
    END_TEST
    fninit
    TEST "to ring 0:"
    ud2
    END_TEST

    ; #NM: CR0.TS makes an FPU instruction fault; CLTS lets it run.
    mov eax, cr0
    or eax, 8
    mov cr0, eax
    RING3 part3
part3:
    USER
    TEST "ts fld1:"
    fld1
    END_TEST
    clts
    RING3 part4
part4:
    USER
    TEST "clts fld1:"
    fld1
    END_TEST
    fninit
    TEST "to ring 0 again:"
    ud2
    END_TEST
    mov al, 0x14
    jmp exit

align 8
fx: dq 4195835.0
fy: dq 3145727.0
three: dq 3.0
two: dq 2.0
fone: dq 1.0
five: dq 5.0
eighteen: dq 18.0
half: dq 0.5
million: dq 1000000.0
p25: dq 2.5
m25: dq -2.5
huge: dq 1.0e10
big: dq 1234567890123
qnan: dq 0x7ff8000000000000
inf: dq 0x7ff0000000000000
denormal: dq 0x000123456789abcd
bcdval: dd -987654321
cw_double: dw 0x027f
cw_zero_unmasked: dw 0x027b

align 8
r64: dq 0
r80: dq 0, 0
r32: dd 0, 0
r16a: dw 0
r16b: dw 0
align 16
image: times 108 db 0

%include "pm-end.inc"
