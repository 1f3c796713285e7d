; Recursive Fibonacci: fib(18 + (k & 3)) for k = N down to 1, through
; call/ret and push/pop (16-bit: fib(21) = 10946).
; Results: EDX (sum of the results), ESI (per round: rol 3, xor the result);
; ECX = 0. Exit value: fold of EDX ^ ESI.
; Instructions: fixed 23; per round 9 + calls(arg), where a call of fib(n)
; is 3 for n < 2 and 12 + calls(n-1) + calls(n-2) otherwise.
%include "program.inc"

GUEST_START
    LOAD_COUNT
round:
    mov ax, cx
    and ax, 3
    add ax, 18
    call fib
    add edx, eax
    rol esi, 3
    xor esi, eax
    dec ecx
    jnz round
    mov eax, edx
    xor eax, esi
    GUEST_EXIT

fib:
    cmp ax, 2
    jb .done
    dec ax
    push ax
    call fib
    pop bx
    push ax
    lea ax, [bx - 1]
    call fib
    pop bx
    add ax, bx
.done:
    ret
GUEST_END
