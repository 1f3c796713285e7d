; pm-paging: protected mode with paging on. Identity-maps the first 4 MiB
; with 4 KiB pages (0x3000 supervisor-only, 0x5000 read-only), leaves 4-8 MiB
; unmapped and maps 0xC00000 to physical 0 with one 4 MiB page (CR4.PSE).
; Takes page faults (the handler prints CR2 and the error code to COM1 and
; the screen), shows WP, accessed and dirty bits, INVLPG, and faults from
; ring 3. Ends with debug-exit 0x12.
%include "pm-lib.inc"

PD equ 0x30000
PT equ 0x31000

main:
    ; The page table: every page user and writable, then the exceptions.
    xor ecx, ecx
.fill:
    mov eax, ecx
    shl eax, 12
    or eax, 7
    mov [PT + ecx * 4], eax
    inc ecx
    cmp ecx, 1024
    jb .fill
    mov dword [PT + 3 * 4], 0x3003          ; supervisor only
    mov dword [PT + 5 * 4], 0x5005          ; read-only (user)
    mov dword [PT + 6 * 4], 0x6007          ; clean: accessed and dirty shown below
    mov edi, PD
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov dword [PD], PT | 7
    mov dword [PD + 3 * 4], 0x00000083      ; 0xC00000: a 4 MiB page at physical 0
    mov eax, PD
    mov cr3, eax
    mov eax, cr4
    or eax, 0x10                            ; PSE
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax

    TEST "read unmapped:"
    mov eax, [0x00400123]
    END_TEST
    TEST "write unmapped:"
    mov byte [0x007ff001], 1
    END_TEST
    TEST "write read-only, WP=0:"
    mov dword [0x5000], 0x12345678
    END_TEST
    mov eax, cr0
    or eax, 0x10000                         ; WP
    mov cr0, eax
    TEST "write read-only, WP=1:"
    mov dword [0x5004], 0x12345678
    END_TEST
    TEST "across pages:"
    mov eax, [0x003ffffe]
    END_TEST

    PRINT "4 MiB page: "
    mov eax, [0x00c07c00]
    call hex32
    PRINT " pde "
    mov eax, [PD + 3 * 4]
    call hex32
    PRINT " pte6 "
    mov eax, [PT + 6 * 4]
    call hex32
    mov eax, [0x6000]
    PRINT " read "
    mov eax, [PT + 6 * 4]
    call hex32
    mov [0x6000], eax
    PRINT " written "
    mov eax, [PT + 6 * 4]
    call hex32
    mov al, 10
    call putc

    TEST "invlpg:"
    mov dword [PT + 6 * 4], 0
    invlpg [0x6000]
    mov eax, [0x6010]
    END_TEST
    mov dword [PT + 6 * 4], 0x6007
    invlpg [0x6000]

    TEST "cr3 reload:"
    mov dword [PT + 2 * 4], 0x2006          ; not present
    mov eax, cr3
    mov cr3, eax
    mov eax, [0x2468]
    END_TEST
    mov dword [PT + 2 * 4], 0x2007
    mov eax, cr3
    mov cr3, eax

    TEST "ring 3 supervisor page:"
    push dword 0x5b
    push dword 0x8e000
    push dword 0x2
    push dword 0x53
    push dword user_read
    iret
    END_TEST
    TEST "ring 3 read-only page:"
    push dword 0x5b
    push dword 0x8e000
    push dword 0x2
    push dword 0x53
    push dword user_write
    iret
    END_TEST

    ; The last fault ends the guest through the handler: resume 0 exits with 0x7F.
    TEST "unmapped code:"
    jmp 0x00500000
    END_TEST

    mov al, 0x12
    jmp exit

; Ring 3 code: DS was made null by the IRET to ring 3 (DPL 0), so load it first.
user_read:
    mov ax, 0x5b
    mov ds, ax
    mov eax, [0x3000]
    hlt
user_write:
    mov ax, 0x5b
    mov ds, ax
    mov dword [0x5008], 1
    hlt

%include "pm-end.inc"
