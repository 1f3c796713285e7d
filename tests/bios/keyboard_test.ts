import { strictEqual } from "@std/assert";
import { BDA } from "../../lib/bios/bda.ts";
import { keyboardScancode, peekKey, popKey, pushKey } from "../../lib/bios/keyboard.ts";
import { keysToScancodes } from "../../lib/devices/i8042.ts";
import { regs, testBios } from "./support.ts";

function typeInto(memory: Parameters<typeof keyboardScancode>[0], keys: string): number[] {
  const out: number[] = [];
  for (const code of keysToScancodes(keys)) {
    const w = keyboardScancode(memory, code);
    if (w !== undefined) out.push(w);
  }
  return out;
}

Deno.test("keyboard: set-1 scan codes become BIOS words with shift, caps, ctrl and alt", () => {
  const { memory } = testBios();
  const hex = (words: number[]) => words.map((w) => w.toString(16).padStart(4, "0")).join(" ");
  strictEqual(hex(typeInto(memory, "aA1!")), "1e61 1e41 0231 0221");
  strictEqual(hex(typeInto(memory, "{Enter}{Esc}{Backspace}{Tab}")), "1c0d 011b 0e08 0f09");
  strictEqual(
    hex(typeInto(memory, "{Ctrl+C}{Alt+X}{F1}{Shift+F1}{F12}")),
    "2e03 2d00 3b00 5400 8600",
  );
  // Grey arrows carry E0h for AH=10h; Caps Lock flips letters only.
  strictEqual(hex(typeInto(memory, "{Up}{CapsLock}a1{Shift+a}{CapsLock}")), "48e0 1e41 0231 1e61");
  strictEqual(memory.readU8(BDA.KBD_FLAGS1) & 0x40, 0, "Caps Lock off again");
  // Shift held shows in the flags until released.
  keyboardScancode(memory, 0x2a);
  strictEqual(memory.readU8(BDA.KBD_FLAGS1) & 0x02, 0x02);
  keyboardScancode(memory, 0xaa);
  strictEqual(memory.readU8(BDA.KBD_FLAGS1) & 0x02, 0);
  // Pause (E1 1D 45 E1 9D C5) gives nothing.
  strictEqual(typeInto(memory, "{Pause}").length, 0);
});

Deno.test("keyboard: the ring buffer holds 15 keys; bad head/tail pointers do not escape it", () => {
  const { memory } = testBios();
  for (let i = 0; i < 15; i++) strictEqual(pushKey(memory, 0x1e61 + i), true);
  strictEqual(pushKey(memory, 0x9999), false, "full");
  strictEqual(popKey(memory), 0x1e61);
  strictEqual(peekKey(memory), 0x1e62);
  for (let i = 1; i < 15; i++) popKey(memory);
  strictEqual(peekKey(memory), undefined);
  memory.writeU16(BDA.KBD_HEAD, 0xfff0);
  memory.writeU16(BDA.KBD_TAIL, 0x0003);
  strictEqual(peekKey(memory), undefined);
  strictEqual(pushKey(memory, 0x1c0d), true);
  memory.writeU16(BDA.KBD_BUFFER_START, 0xffff);
  memory.writeU16(BDA.KBD_BUFFER_END, 0x0001);
  strictEqual(pushKey(memory, 0x1c0d), true, "bounds fall back to the default buffer");
});

Deno.test("int16: read waits in the ROM loop when empty; check, flags and store", () => {
  const { bios, memory } = testBios();
  const read = regs({ ax: 0x0000 });
  read.cs = 0x1234;
  read.ip = 0x5678;
  bios.call(0x16, read);
  strictEqual(read.cs, 0xf000, "sent to the wait loop");
  strictEqual(read.ip, bios.rom.waitLoops.get(0x16));
  strictEqual(read.ah, 0, "AH kept for the retry");
  const check = regs({ ax: 0x0100 });
  bios.call(0x16, check);
  strictEqual(check.zf, true);
  typeInto(memory, "{Down}");
  bios.call(0x16, check);
  strictEqual(check.zf, false);
  strictEqual(check.ax, 0x5000, "AH=01h hides the E0h marker");
  const ext = regs({ ax: 0x1000 });
  bios.call(0x16, ext);
  strictEqual(ext.ax, 0x50e0);
  const store = regs({ ax: 0x0500, cx: 0x3920 });
  bios.call(0x16, store);
  strictEqual(store.al, 0);
  const again = regs({ ax: 0x0000 });
  bios.call(0x16, again);
  strictEqual(again.ax, 0x3920);
  keyboardScancode(memory, 0x1d); // left Ctrl down
  const flags = regs({ ax: 0x1200 });
  bios.call(0x16, flags);
  strictEqual(flags.al & 0x04, 0x04);
  strictEqual(flags.ah & 0x01, 0x01);
});
