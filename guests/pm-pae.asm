; pm-pae: protected mode with PAE paging, NX and global pages. Identity-maps
; the first 2 MiB with 4 KiB pages, maps 2-4 MiB to physical 0 with one
; 2 MiB page and 1 GiB (PDPTE 1) to physical 0 with another, leaves the rest
; unmapped. Shows CPUID's PAE/PGE/NX bits, accessed and dirty bits in 64-bit
; entries, #PF with RSVD for reserved bits and with I/D for fetches from XD
; pages (EFER.NXE), cached PDPTEs and #GP for a bad one, and global pages
; over a CR3 reload. Ends with debug-exit 0x16.
%include "pm-lib.inc"

PDPT equ 0x30000
PDPT_BAD equ 0x30020
PD equ 0x31000
PT equ 0x32000
PD1 equ 0x33000
; Two pages with different markers for the global-page tests.
MARK_A equ 0x40000
MARK_B equ 0x41000
; Linear pages whose PTEs the tests change.
GLOBAL_PAGE equ 0x50000
LOCAL_PAGE equ 0x51000
XD_PAGE equ 0x52000
RSVD_PAGE equ 0x53000
AD_PAGE equ 0x54000

%define PTE(a) (PT + ((a) >> 12) * 8)      ; the PTE of linear a (its low dword)

main:
    PRINT "cpuid pae pge nx:"
    mov eax, 1
    cpuid
    mov eax, edx
    shr eax, 6
    and eax, 1
    call space_hex8
    mov eax, edx
    shr eax, 13
    and eax, 1
    call space_hex8
    mov eax, 0x80000001
    cpuid
    mov eax, edx
    shr eax, 20
    and eax, 1
    call space_hex8
    mov al, 10
    call putc
    PRINT "phys bits:"
    mov eax, 0x80000008
    cpuid
    call space_hex8
    mov al, 10
    call putc

    ; The tables: 4 KiB identity pages for 0-2 MiB, user and writable.
    mov edi, PDPT
    xor eax, eax
    mov ecx, (PD1 + 0x1000 - PDPT) / 4
    rep stosd
    xor ecx, ecx
.fill:
    mov eax, ecx
    shl eax, 12
    or eax, 7
    mov [PT + ecx * 8], eax
    inc ecx
    cmp ecx, 512
    jb .fill
    mov dword [PD], PT | 7
    mov dword [PD + 8], 0x00000087          ; 2 MiB: a 2 MiB page at physical 0
    mov dword [PD1], 0x00000087             ; 1 GiB: a 2 MiB page at physical 0
    mov dword [PDPT], PD | 1
    mov dword [PDPT + 8], PD1 | 1
    ; A second PDPT like the first, but PDPTE 1 has a reserved bit (bit 5).
    mov dword [PDPT_BAD], PD | 1
    mov dword [PDPT_BAD + 8], PD1 | 0x21
    mov dword [MARK_A], 0xaaaaaaaa
    mov dword [MARK_B], 0xbbbbbbbb
    mov byte [XD_PAGE], 0xc3                ; RET, if it ever ran
    mov byte [XD_PAGE + 0x10], 0xf4         ; HLT, for ring 3

    mov eax, PDPT
    mov cr3, eax
    mov eax, cr4
    or eax, 0x20                            ; PAE
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax

    TEST "read unmapped:"
    mov eax, [0x00400123]
    END_TEST
    TEST "write unmapped pdpte:"
    mov byte [0x80000001], 1
    END_TEST

    PRINT "2 MiB page: "
    mov eax, [0x00207c00]
    call hex32
    PRINT " pde "
    mov eax, [PD + 8]
    call hex32
    mov al, 10
    call putc
    PRINT "pte a/d: "
    mov eax, [PTE(AD_PAGE)]
    call hex32
    mov eax, [AD_PAGE]
    PRINT " read "
    mov eax, [PTE(AD_PAGE)]
    call hex32
    mov [AD_PAGE], eax
    PRINT " written "
    mov eax, [PTE(AD_PAGE)]
    call hex32
    PRINT " high"
    mov eax, [PTE(AD_PAGE) + 4]
    call space_hex32
    mov al, 10
    call putc

    ; Reserved bits: bit 62 (reserved whatever MAXPHYADDR), bit 36 (beyond 36
    ; physical bits), XD without EFER.NXE, bits 13-20 of a 2 MiB PDE.
    mov dword [PTE(RSVD_PAGE) + 4], 0x40000000
    TEST "rsvd bit 62 read:"
    mov eax, [RSVD_PAGE]
    END_TEST
    TEST "rsvd bit 62 write:"
    mov dword [RSVD_PAGE], 1
    END_TEST
    mov dword [PTE(RSVD_PAGE) + 4], 0x10
    invlpg [RSVD_PAGE]
    TEST "rsvd bit 36:"
    mov eax, [RSVD_PAGE]
    END_TEST
    mov dword [PTE(RSVD_PAGE) + 4], 0x80000000
    invlpg [RSVD_PAGE]
    TEST "xd without nxe:"
    mov eax, [RSVD_PAGE]
    END_TEST
    mov dword [PTE(RSVD_PAGE) + 4], 0
    invlpg [RSVD_PAGE]
    mov dword [PD + 3 * 8], 0x00202087      ; 6 MiB: a 2 MiB page with bit 13 set
    TEST "rsvd 2 MiB pde:"
    mov eax, [0x00600000]
    END_TEST

    ; NX: EFER.NXE on, the XD page's PTE gets bit 63.
    mov ecx, 0xc0000080
    rdmsr
    or eax, 0x800
    wrmsr
    rdmsr
    PRINT "efer:"
    call space_hex32
    mov al, 10
    call putc
    mov dword [PTE(XD_PAGE) + 4], 0x80000000
    invlpg [XD_PAGE]
    TEST "xd read and write:"
    mov eax, [XD_PAGE]
    mov [XD_PAGE + 4], eax
    END_TEST
    TEST "xd fetch:"
    call XD_PAGE
    END_TEST
    TEST "unmapped fetch with nxe:"
    call 0x00400000
    END_TEST
    TEST "ring 3 xd fetch:"
    push dword 0x5b
    push dword 0x8e000
    push dword 0x2
    push dword 0x53
    push dword XD_PAGE + 0x10
    iret
    END_TEST
    TEST "ring 3 unmapped write:"
    push dword 0x5b
    push dword 0x8e000
    push dword 0x2
    push dword 0x53
    push dword user_write
    iret
    END_TEST

    ; PDPTEs are cached: clearing PDPTE 1 in memory changes nothing until CR3 is loaded.
    TEST "pdpte 1 cleared, invlpg:"
    mov dword [PDPT + 8], 0
    invlpg [0x40007c00]
    mov eax, [0x40007c00]
    call hex32
    END_TEST
    TEST "then cr3 reload:"
    mov eax, cr3
    mov cr3, eax
    mov eax, [0x40007c00]
    END_TEST
    mov dword [PDPT + 8], PD1 | 1
    TEST "bad pdpte:"
    mov eax, PDPT_BAD
    mov cr3, eax
    END_TEST
    PRINT "cr3 after:"
    mov eax, cr3
    call space_hex32
    mov al, 10
    call putc

    ; Global pages: CR4.PGE, G in one PTE; both pages then point elsewhere.
    mov eax, cr4
    or eax, 0x80                            ; PGE
    mov cr4, eax
    mov dword [PTE(GLOBAL_PAGE)], MARK_A | 0x107
    mov dword [PTE(LOCAL_PAGE)], MARK_A | 0x007
    invlpg [GLOBAL_PAGE]
    invlpg [LOCAL_PAGE]
    PRINT "global:"
    mov eax, [GLOBAL_PAGE]
    call space_hex32
    mov eax, [LOCAL_PAGE]
    call space_hex32
    mov dword [PTE(GLOBAL_PAGE)], MARK_B | 0x107
    mov dword [PTE(LOCAL_PAGE)], MARK_B | 0x007
    mov eax, cr3
    mov cr3, eax
    PRINT " cr3:"
    mov eax, [GLOBAL_PAGE]
    call space_hex32
    mov eax, [LOCAL_PAGE]
    call space_hex32
    invlpg [GLOBAL_PAGE]
    PRINT " invlpg:"
    mov eax, [GLOBAL_PAGE]
    call space_hex32
    mov al, 10
    call putc
    PRINT "global after cr4:"
    mov dword [PTE(GLOBAL_PAGE)], MARK_A | 0x107
    mov eax, cr3
    mov cr3, eax
    mov eax, [GLOBAL_PAGE]
    call space_hex32
    mov eax, cr4
    and eax, ~0x80
    mov cr4, eax
    or eax, 0x80
    mov cr4, eax
    mov eax, [GLOBAL_PAGE]
    call space_hex32
    mov al, 10
    call putc

    ; The last fault ends the guest through the handler: resume 0 exits with 0x7F.
    TEST "paging on with a bad pdpte:"
    mov eax, cr0
    and eax, 0x7fffffff
    mov cr0, eax
    mov eax, PDPT_BAD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    END_TEST
    mov eax, PDPT
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    PRINT "paging back on", 10

    mov al, 0x16
    jmp exit

; Ring 3 code: a write to an unmapped page (W and U, no I/D: it is not a fetch).
user_write:
    mov ax, 0x5b
    mov ds, ax
    mov dword [0x00400010], 1
    hlt

space_hex8:
    push eax
    mov al, ' '
    call putc
    pop eax
    jmp hex8
space_hex32:
    push eax
    mov al, ' '
    call putc
    pop eax
    jmp hex32

%include "pm-end.inc"
