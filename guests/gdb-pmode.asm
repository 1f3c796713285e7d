; The gdb mode-switch session's boot sector: enters 32-bit protected mode
; (flat code and data segments), computes in 32-bit code and writes the
; result to the debug-exit port. KVM only (the software CPU runs real mode).
org 0x7c00
bits 16
start:
  cli
  xor ax, ax
  mov ds, ax
  lgdt [gdt_descriptor]
  mov eax, cr0
  or eax, 1
  mov cr0, eax
  jmp 0x08:protected

bits 32
protected:
  mov ax, 0x10
  mov ds, ax
  mov ss, ax
  mov esp, 0x7000
  mov eax, 0x12345678
  mov ebx, 0x11
  add ebx, 0x10
  mov al, bl
  out 0xf4, al
  hlt

align 8
gdt:
  dq 0
  dq 0x00cf9a000000ffff             ; 0x08: code, base 0, 4 GiB, 32-bit
  dq 0x00cf92000000ffff             ; 0x10: data, base 0, 4 GiB
gdt_descriptor:
  dw gdt_descriptor - gdt - 1
  dd gdt

times 510-($-$$) db 0
dw 0xaa55
