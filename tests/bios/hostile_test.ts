// Guests that hand the BIOS hostile values (BDA pointers, ports, counts):
// each call ends in guest-visible behaviour (an error return), never a host
// exception, and a service that fails anyway is a crash report naming it.
import { match, strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { describeStop, exitStatus } from "../../lib/machine/stop.ts";
import { assemble } from "../emu/helpers.ts";

/** A boot sector from NASM source (org 0x7C00). */
function bootSector(source: string): Uint8Array {
  const image = new Uint8Array(512);
  image.set(assemble(source, 0x7c00));
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

async function run(source: string) {
  using guest = Guest.create(bootSector(source), { accel: "emu" });
  return await guest.run({ timeoutMs: 10_000 });
}

Deno.test("hostile: COM1's BDA base at the BIOS trap port times out INT 14h", async () => {
  for (const [fn, base] of [[0, 0xef], [1, 0xef], [2, 0xef], [3, 0xef], [1, 0xe8], [2, 0xec]]) {
    const r = await run(`
      cli
      mov word [0x400], ${base} ; COM1's ports cover the BIOS trap port
      mov ah, ${fn}
      mov al, 0x41
      xor dx, dx
      int 0x14
      mov al, ah
      shr al, 7                ; 1 when the call reports a time-out
      out 0xf4, al`);
    strictEqual(r.stop.kind, "debug-exit", `AH=${fn} at ${base}: ${Guest.describe(r)}`);
    strictEqual(
      r.stop.kind === "debug-exit" && r.stop.code,
      1,
      `AH=${fn} at ${base}: time-out bit`,
    );
  }
});

Deno.test("hostile: a service that fails with an exception is a crash report naming it", async () => {
  const image = bootSector(`
    mov word [0x400], 0x2f8    ; COM1 at a device that fails (below)
    mov ax, 0x0141
    xor dx, dx
    int 0x14
    mov al, 1
    out 0xf4, al`);
  const { machine } = createMachine({ image, boot: "bios", accel: "emu" });
  try {
    machine.ports.register(0x2f8, 8, {
      read: () => {
        throw new Error("broken device");
      },
      write: () => {
        throw new Error("broken device");
      },
    }, "broken");
    const stop = await machine.run({ timeoutMs: 10_000 });
    strictEqual(stop.kind, "crash", describeStop(stop));
    strictEqual(exitStatus(stop), 3);
    match(describeStop(stop), /the BIOS's INT 14h AH=01h failed: broken device/);
  } finally {
    machine.close();
  }
});

Deno.test("hostile: a BDA full of nonsense: every service still returns to the guest", async () => {
  for (const fill of [0x00, 0x7f, 0x80, 0xff]) {
    // Each call below must return; a host exception or a crash stop fails the test.
    const image = bootSector(`
      xor ax, ax
      mov ds, ax
      mov es, ax
      mov di, 0x400
      mov cx, 0x100
      mov al, ${fill}
      rep stosb               ; the whole BDA
      sti
      mov cx, 3
    .ticks:
      hlt                     ; the timer (and a typed key) run with this BDA
      loop .ticks
      mov ax, 0x0e41
      int 0x10
      mov ax, 0x0300
      int 0x10
      mov ax, 0x0200
      mov dx, 0x1f4f
      int 0x10
      mov ax, 0x0920
      mov cx, 0xffff
      int 0x10
      mov ax, 0x0601
      mov cx, 0
      mov dx, 0xffff
      int 0x10
      mov ax, 0x0f00
      int 0x10
      mov ax, 0x1130
      mov bh, 6
      int 0x10
      mov ah, 0x01
      int 0x16
      mov ah, 0x05
      mov cx, 0x1e61
      int 0x16
      mov ah, 0x12
      int 0x16
      mov ax, 0x0300
      xor dx, dx
      int 0x14
      mov ah, 0x02
      int 0x14
      mov ax, 0x0100
      mov dl, 0x80
      int 0x13
      mov ah, 0x08
      mov dl, 0x80
      int 0x13
      mov ah, 0x00
      int 0x1a
      int 0x11
      int 0x12
      mov eax, 0xe820
      xor ebx, ebx
      mov ecx, 20
      mov edx, 0x534d4150
      mov di, 0x6000
      int 0x15
      mov al, 0x42
      out 0xf4, al
      hlt`);
    using guest = Guest.create(image, { accel: "emu" });
    guest.keyboard.type("ab");
    const r = await guest.run({ timeoutMs: 10_000 });
    strictEqual(r.stop.kind, "debug-exit", `fill ${fill}: ${Guest.describe(r)}`);
    strictEqual(r.stop.kind === "debug-exit" && r.stop.code, 0x42, `fill ${fill}`);
  }
});
