; Byte sieve of Eratosthenes: count the primes below 8190, N times.
; Flags at 1000:0000 (one byte per number); each round sets flags 2..8189
; with REP STOSB, then for every i with its flag set counts it and clears
; 2i, 3i, ... below 8190.
; Results: EDX (primes below 8190), EBX (per round: rol 5, add the count),
; ESI = 8190. Exit value: fold of EBX ^ EDX.
; Instructions: fixed 27; per round 3 + 8188 (REP STOSB iterations) + 2
; + for each i in 2..8189: 5 if composite; prime: 10 if 2i >= 8190, else
; 10 + 4 per multiple cleared; + 4.
%include "program.inc"

SIZE equ 8190

GUEST_START
    mov ax, 0x1000
    mov ds, ax
    mov es, ax
    LOAD_COUNT
    mov ebp, ecx
round:
    mov di, 2
    mov cx, SIZE - 2
    mov al, 1
    rep stosb
    xor dx, dx
    mov si, 2
outer:
    cmp byte [si], 0
    je next
    inc dx
    mov di, si
    add di, si
    cmp di, SIZE
    jae next
inner:
    mov byte [di], 0
    add di, si
    cmp di, SIZE
    jb inner
next:
    inc si
    cmp si, SIZE
    jb outer
    rol ebx, 5
    add ebx, edx
    dec ebp
    jnz round
    mov eax, ebx
    xor eax, edx
    GUEST_EXIT
GUEST_END
