// Port and MMIO writes the software CPU completes without leaving for the run
// loop: the devices must see them exactly as they see exits, an interrupt an
// OUT raises must be taken before the next instruction, and exit ports (the
// debug-exit port) must still stop the guest.
import { strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { assemble } from "../emu/helpers.ts";

/** A boot sector from NASM source (org 0x7C00). */
function bootSector(source: string): Uint8Array {
  const code = assemble(source, 0x7c00);
  const image = new Uint8Array(512);
  image.set(code);
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

for (const translate of [true, false]) {
  const mode = translate ? "translated" : "interpreted";

  Deno.test(`${mode}: an OUT to COM1's scratch register is read back, in a hot loop`, async () => {
    const image = bootSector(`
      cli
      mov dx, 0x3ff
      mov cx, 1000
    again:
      mov al, cl
      out dx, al
      in al, dx
      cmp al, cl
      jne bad
      loop again
      mov al, 1
      out 0xf4, al         ; debug-exit: an exit port, it stops the guest
    bad:
      mov al, 2
      out 0xf4, al`);
    using guest = Guest.create(image, { accel: "emu", translate });
    const r = await guest.run({ timeoutMs: 20_000 });
    strictEqual(r.stop.kind === "debug-exit" && r.stop.code, 1);
  });

  Deno.test(`${mode}: an interrupt an OUT raises is taken right after the OUT`, async () => {
    // Enabling COM1's transmitter-empty interrupt raises IRQ 4 (vector 0Ch) at once.
    const image = bootSector(`
      cli
      xor ax, ax
      mov ds, ax
      mov word [0x0c * 4], handler
      mov word [0x0c * 4 + 2], 0
      mov byte [seen], 0
      sti
      mov dx, 0x3f9
      mov al, 2            ; IER: THRE
      out dx, al
      mov bl, [seen]       ; the handler has run by now
      cli
      mov al, bl
      out 0xf4, al
    handler:
      mov byte [seen], 1
      push dx
      push ax
      mov dx, 0x3f9
      xor al, al
      out dx, al           ; IER: off (drops the line)
      mov al, 0x20
      out 0x20, al         ; EOI
      pop ax
      pop dx
      iret
    seen: db 0`);
    using guest = Guest.create(image, { accel: "emu", translate });
    const r = await guest.run({ timeoutMs: 20_000 });
    strictEqual(r.stop.kind === "debug-exit" && r.stop.code, 1);
  });

  Deno.test(`${mode}: text written to VGA memory on the flat machine reaches the screen`, async () => {
    // The flat machine traps VGA memory as MMIO; the CPU completes those writes itself.
    const code = assemble(
      `
      mov ax, 0xb800
      mov es, ax
      xor di, di
      mov cx, 2000
    fill:
      mov word [es:di], 0x0741 ; 'A'
      add di, 2
      loop fill
      mov word [es:0], 0x0742  ; 'B'
      hlt`,
      0,
    );
    using guest = Guest.create(code, { accel: "emu", boot: "flat", memory: 0x10000, translate });
    const r = await guest.run({ timeoutMs: 20_000 });
    strictEqual(r.stop.kind, "halt");
    const rows = guest.screenText().split("\n");
    strictEqual(rows[0], "B" + "A".repeat(79));
    strictEqual(rows[24], "A".repeat(80));
  });
}
