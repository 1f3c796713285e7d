; 32-bit protected mode with paging: the guest builds a GDT at 10000h (flat
; 4 GiB code and data), enters protected mode, builds a page directory at
; 11000h with one page table at 12000h identity-mapping the first 4 MiB,
; turns on CR0.PG, and runs a hash table in 32-bit code: each round clears
; 4096 dword slots at 14000h (REP STOSD), then inserts 2048 keys from a
; 32-bit LCG (x = x * 1664525 + 1013904223, key x | 1, slot the top 12 bits
; of key * 9E3779B1h) with linear probing.
; Results: ESI (the LCG state), EDX (probes past an occupied slot, all
; rounds), EBP = 0. Exit value: fold of ESI ^ EDX.
; Instructions: fixed 5183 (1024 page-table entries at 4 each, 1023 REP STOSD
; iterations); per round 3 + 4096 (REP STOSD iterations) + 1 + per key 7 + 8
; per occupied slot passed + 4 (insert) or 5 (key already there), + 2.
%include "program.inc"

TABLE equ 0x14000
SLOTS equ 4096
KEYS equ 2048

GUEST_START
    LOAD_COUNT
    mov ax, 0x1000
    mov ds, ax
    mov dword [0], 0
    mov dword [4], 0
    mov dword [8], 0x0000ffff   ; 08h: code, base 0, limit 4 GiB, 32-bit
    mov dword [12], 0x00cf9a00
    mov dword [16], 0x0000ffff  ; 10h: data, base 0, limit 4 GiB
    mov dword [20], 0x00cf9200
    mov word [24], 23
    mov dword [26], 0x10000
    lgdt [24]
    xor ebx, ebx
    mov bx, cs
    shl ebx, 4
    movzx eax, bp
    add ebx, eax
    add ebx, pm32               ; the linear address of pm32
    mov eax, cr0
    or al, 1
    mov cr0, eax
    push dword 0x08
    push ebx
    o32 retf

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x7000
    mov ebp, ecx
    mov edi, 0x12000
    mov eax, 3
page_table:
    stosd
    add eax, 0x1000
    cmp edi, 0x13000
    jb page_table
    mov dword [0x11000], 0x12003
    mov edi, 0x11004
    mov ecx, 1023
    xor eax, eax
    rep stosd
    mov eax, 0x11000
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    mov esi, 0x2545f491
round:
    mov edi, TABLE
    mov ecx, SLOTS
    xor eax, eax
    rep stosd
    mov ecx, KEYS
insert:
    imul esi, esi, 1664525
    add esi, 1013904223
    mov eax, esi
    or eax, 1
    mov ebx, eax
    imul ebx, ebx, 0x9e3779b1
    shr ebx, 20
probe:
    cmp dword [TABLE + ebx * 4], 0
    je empty
    cmp [TABLE + ebx * 4], eax
    je found
    inc edx
    inc ebx
    and ebx, SLOTS - 1
    jmp probe
empty:
    mov [TABLE + ebx * 4], eax
found:
    loop insert
    dec ebp
    jnz round
    mov eax, esi
    xor eax, edx
    GUEST_EXIT
GUEST_END
