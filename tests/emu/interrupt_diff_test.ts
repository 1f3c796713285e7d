/**
 * Translated and interpreted runs with interrupts: boot sectors in which a
 * fast timer interrupts random loops that read the timer's ports (see
 * tools/fuzz/programs.ts) must be in the same state at every instruction
 * count compared, however the runs are cut into slices.
 */
import { deepStrictEqual, ok } from "@std/assert";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import type { Machine } from "../../lib/machine/machine.ts";
import { prng } from "../../tools/fuzz/cases.ts";
import { timerLoopSector } from "../../tools/fuzz/programs.ts";
import { assemble } from "./helpers.ts";

/** Registers, the virtual clock and hashes of conventional memory and of the screen. */
function state(m: Machine): string {
  const r = m.vcpu.getRegs();
  const regs = (["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp", "rip", "rflags"] as const)
    .map((n) => r.get32(n).toString(16)).join(" ");
  return `${regs} n=${m.vcpu.instructions} t=${m.clock.now()} ram=${
    hash(m.memory.read(0, 0xa0000))
  } ` +
    `screen=${hash(m.vga.toRgba().data)}`;
}

function hash(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** The state at each of `checkpoints`, running there in the steps `stops` adds. */
async function statesAt(
  image: Uint8Array,
  translate: boolean,
  checkpoints: number[],
  stops: number[],
) {
  const { machine } = createMachine({ image, boot: "bios", accel: "emu", translate, rtcStart: 0 });
  try {
    const states: string[] = [];
    const all = [...new Set([...checkpoints, ...stops])].sort((a, b) => a - b);
    for (const n of all) {
      const stop = await machine.run({ instructions: n });
      if (stop.kind !== "instruction-limit") {
        // The end (HLT with interrupts off): every later checkpoint sees it.
        const end = `${stop.kind} ${state(machine)}`;
        while (states.length < checkpoints.length) states.push(end);
        break;
      }
      if (checkpoints.includes(n)) states.push(`${stop.kind} ${state(machine)}`);
    }
    const rgba = machine.vga.toRgba().data;
    const colours = new Set<number>();
    for (let i = 0; i < rgba.length; i += 4) {
      colours.add(rgba[i] << 16 | rgba[i + 1] << 8 | rgba[i + 2]);
    }
    return {
      states,
      instructions: machine.vcpu.instructions ?? 0,
      ticks: machine.memory.readU16(DEMO_TICKS),
      colours: colours.size,
    };
  } finally {
    machine.close();
  }
}

Deno.test("interrupts inside translated blocks: timer loops match the interpreter at every checkpoint", async () => {
  let interrupted = 0;
  for (let seed = 1; seed <= 24; seed++) {
    const rand = prng(seed * 7919);
    const int = (n: number) => Math.floor(rand() * n);
    const image = timerLoopSector(int);
    const checkpoints = Array.from({ length: 12 }, () => 1 + int(400_000)).sort((a, b) => a - b);
    // The translated run also stops in between, the interpreted one goes straight on.
    const stops = Array.from({ length: 12 }, () => 1 + int(400_000));
    const want = await statesAt(image, false, checkpoints, []);
    const got = await statesAt(image, true, checkpoints, stops);
    deepStrictEqual(got.states, want.states, `seed ${seed}`);
    if (want.instructions > 100_000) interrupted++;
  }
  ok(interrupted > 6, `${interrupted} programs ran long enough to be interrupted often`);
});

/** Where the mode 13h demo counts its ticks (then its angle and random number). */
const DEMO_TICKS = 0x600;

/**
 * A mode 13h demo in the manner of a boot-sector game: its own IRQ 0 handler
 * at 1 kHz stirs a random number with the PIT's count, a busy loop waits for
 * the next tick, INT 16h and INT 1Ah are polled, the VGA's retrace bit is
 * awaited, and 320 columns are drawn with heights from that random number,
 * so the picture depends on the exact instruction each interrupt came at.
 */
const DEMO_13H = `
ticks equ ${DEMO_TICKS}
angle equ ${DEMO_TICKS + 2}
rnd equ ${DEMO_TICKS + 4}
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    mov word [8 * 4], irq0
    mov word [8 * 4 + 2], 0
    mov word [rnd], 0x1234
    mov al, 0x36
    out 0x43, al
    mov ax, 1193
    out 0x40, al
    mov al, ah
    out 0x40, al
    sti
    mov ax, 0x13
    int 0x10
    mov ax, 0xa000
    mov es, ax
    cld
frame:
    mov ax, [ticks]
.wait:
    cmp [ticks], ax
    je .wait
    mov ah, 2
    int 0x16
    add [angle], al
    mov ah, 0
    int 0x1a
    add [angle], dl
    mov dx, 0x3da
.retrace:
    in al, dx
    test al, 8
    jz .retrace
    xor bx, bx
.column:
    mov ax, bx
    add ax, [angle]
    mov cx, 3
    mul cx
    xor ax, [rnd]
    and ax, 63
    add ax, 20
    mov si, ax
    mov di, bx
    mov cx, 100
    sub cx, si
    mov al, 0x01
    call vline
    mov cx, si
    shl cx, 1
    mov al, bl
    or al, 0x20
    call vline
    mov cx, 100
    sub cx, si
    mov al, 0x03
    call vline
    inc bx
    cmp bx, 320
    jb .column
    mov ax, [rnd]
    mov cx, 25173
    mul cx
    add ax, 13849
    mov [rnd], ax
    jmp frame
vline:
    jcxz .done
.row:
    stosb
    add di, 319
    loop .row
.done:
    ret
irq0:
    push ax
    inc word [cs:ticks]
    in al, 0x40
    xor [cs:rnd], al
    mov al, 0x20
    out 0x20, al
    pop ax
    iret`;

Deno.test("interrupts inside translated blocks: a mode 13h demo matches the interpreter at every checkpoint", async () => {
  const code = assemble(DEMO_13H, 0x7c00);
  const image = new Uint8Array(512);
  image.set(code);
  image[510] = 0x55;
  image[511] = 0xaa;
  const rand = prng(13);
  const checkpoints = Array.from({ length: 16 }, () => 1 + Math.floor(rand() * 6_000_000))
    .sort((a, b) => a - b);
  const stops = Array.from({ length: 16 }, () => 1 + Math.floor(rand() * 6_000_000));
  const want = await statesAt(image, false, checkpoints, []);
  const got = await statesAt(image, true, checkpoints, stops);
  deepStrictEqual(got.states, want.states);
  ok(want.ticks > 300, `${want.ticks} ticks`);
  ok(want.colours > 16, `${want.colours} colours on the screen`);
});
