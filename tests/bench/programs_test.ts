// The program-like benchmark guests (bench/guests/, models in bench/lib/programs.ts) on the
// software CPU for a few rounds: each must end with its model's exit value and registers, flat
// (translated and interpreted) and booted by picovmm's BIOS at 0000:7C00, and retire exactly the
// model's instruction count. Catches a broken workload or a broken CPU without QEMU or v86.
// Assembles with nasm (a prerequisite, installed by CI).
import { deepStrictEqual as assertEquals } from "@std/assert";
import { Guest, type GuestOptions } from "../../mod.ts";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { checkRegs, type ResultRegs, withCount } from "../../bench/lib/guests.ts";
import {
  assemblePrograms,
  EMPTY_PROGRAM,
  PROGRAM_MEMORY,
  PROGRAMS,
} from "../../bench/lib/programs.ts";

const images = await assemblePrograms([EMPTY_PROGRAM, ...PROGRAMS].map((p) => p.name));

const MODES: Record<string, GuestOptions> = {
  translated: { accel: "emu", boot: "flat", memory: PROGRAM_MEMORY },
  interpreted: { accel: "emu", boot: "flat", memory: PROGRAM_MEMORY, translate: false },
  bios: { accel: "emu", boot: "bios" },
};

for (const p of [EMPTY_PROGRAM, ...PROGRAMS]) {
  Deno.test(`bench program ${p.name}: result matches the model`, async () => {
    for (const n of [1, 3]) {
      const expected = p.expected(n);
      for (const [mode, options] of Object.entries(MODES)) {
        using guest = Guest.create(withCount(images.get(p.name)!, n), options);
        const result = await guest.run();
        assertEquals(
          result.stop,
          { kind: "debug-exit", code: expected.exitValue },
          `${mode} N=${n}`,
        );
        const regs: ResultRegs = {};
        for (const r of ["rbx", "rcx", "rdx", "rsi", "rdi"] as const) {
          regs[r] = Number((result.cpu.regs[r] ?? 0n) & 0xffffffffn);
        }
        assertEquals(checkRegs(expected, regs), undefined, `${mode} N=${n}`);
      }
    }
  });

  Deno.test(`bench program ${p.name}: instruction count matches the model`, async () => {
    for (const n of [1, 4]) {
      const { machine } = createMachine({
        image: withCount(images.get(p.name)!, n),
        ...MODES.translated,
      });
      try {
        await machine.run();
        assertEquals(machine.vcpu.instructions, p.expected(n).instructions, `N=${n}`);
      } finally {
        machine.close();
      }
    }
  });
}
