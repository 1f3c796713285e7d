; Jumps into VGA memory, which is a device, not RAM. Executing device memory
; is an emulation failure on KVM; picovmm reports a crash (status 3).
bits 16
org 0

    jmp 0xb800:0x0000
