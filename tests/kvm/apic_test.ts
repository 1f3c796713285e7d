// The local APIC from a guest on KVM: a boot sector in unreal mode enables
// the LAPIC, programs its timer periodic and counts its interrupts while the
// PIC's (masked off by LINT0) no longer arrive. Needs /dev/kvm. (The software
// CPU cannot run it yet: reaching 0xFEE00000 needs protected mode first.)
import "../support/built_guests.ts";
import { strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { bootSector } from "../support/disks.ts";

const APIC_TIMER_GUEST = bootSector(`
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    lgdt [gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    mov bx, 8
    mov ds, bx                 ; a 4 GiB limit for DS
    and al, 0xfe
    mov cr0, eax
    xor ax, ax
    mov ds, ax
    mov word [0x40 * 4], lapic_timer
    mov word [0x40 * 4 + 2], 0
    mov word [0x08 * 4], pic_timer
    mov word [0x08 * 4 + 2], 0
    mov edi, 0xfee00000
    mov al, 1
    mov eax, [edi + 0x30]
    cmp al, 0x14               ; version
    jne fail
    mov dword [edi + 0xf0], 0x1ff       ; SVR: enabled, spurious vector FFh
    mov dword [edi + 0x3e0], 0xb        ; divide by 1
    mov dword [edi + 0x320], 0x20040    ; periodic, vector 40h
    mov dword [edi + 0x380], 2000000    ; 2 ms at 1 GHz
    mov al, 2
    mov ecx, [edi + 0x390]
    test ecx, ecx
    jz fail                    ; counting down
    sti
  idle:
    cmp byte [count], 5
    jae done
    hlt
    jmp idle
  done:
    cli
    mov dword [edi + 0x380], 0          ; timer off
    mov al, 3
    cmp byte [pic_count], 0    ; LINT0 masked: the PIT's IRQ 0 stays away
    jne fail
    xor al, al
  fail:
    out 0xf4, al
    hlt
  lapic_timer:
    inc byte [count]
    mov dword [edi + 0xb0], 0           ; EOI
    iret
  pic_timer:
    inc byte [pic_count]
    push ax
    mov al, 0x20
    out 0x20, al
    pop ax
    iret
  count: db 0
  pic_count: db 0
  align 8
  gdt: dq 0, 0x00cf92000000ffff
  gdtr: dw 15
    dd gdt`);

Deno.test("kvm apic: a guest enables the local APIC and counts five periodic timer interrupts", async () => {
  using guest = Guest.create(APIC_TIMER_GUEST, { accel: "kvm" });
  const r = await guest.run({ timeoutMs: 30_000 });
  strictEqual(r.exitStatus, 1, Guest.describe(r));
});
