; The gdb sessions' boot sector: counts a word up in a loop, then writes the
; count to the debug-exit port (status (count << 1) | 1). A debugger that
; changes CX or the count changes the status.
org 0x7c00
bits 16
start:
  xor ax, ax
  mov ds, ax
  mov cx, 3
count:
  inc word [counter]
  dec cx
  jnz count
  mov al, [counter]
  out 0xf4, al
  hlt
counter: dw 0
times 510-($-$$) db 0
dw 0xaa55
