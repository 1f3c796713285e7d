// The protected-mode differential fuzz cases (tools/fuzz/pm.ts) at a fixed
// seed: random GDTs, page tables, gates and privilege changes, each case run
// interpreted and translated at several slice lengths, must end the same
// (the long form is `deno task fuzz --pm --runs 5000`).
import { deepStrictEqual as assertEquals, ok as assert, strictEqual } from "@std/assert";
import { checkPmCase, makePmCase, runPmCase } from "../../tools/fuzz/pm.ts";

Deno.test("protected-mode fuzz: 100 cases end the same translated as interpreted", () => {
  const stops: Record<string, number> = {};
  for (let i = 0; i < 100; i++) {
    const c = makePmCase(1, i);
    const { problem, stop } = checkPmCase(c, 20000);
    strictEqual(problem, null, `case ${i} (${c.how}): ${problem}`);
    stops[stop] = (stops[stop] ?? 0) + 1;
  }
  // Most cases run their steps to the final HLT; some end in a triple fault or the limit.
  assert((stops.hlt ?? 0) > 35, JSON.stringify(stops));
});

// A finding of the campaign (seed 7, case 124, made before the generator kept 16-bit code
// segments at base 0 and the pads below 64 KiB; its RAM image is stored): step 2 far jumps from 32-bit code to a 16-bit code
// segment (0xA0: base 0, limit 4 GiB, execute-only) with EIP 0x20400 (paging on, CPL 0). The
// interpreter fetches that instruction's first byte at EIP and the rest at IP's 16 bits
// (`Cpu.fetch8` wraps IP at 64 KiB in 16-bit code), so `67 0F 90 C2` at 0x20400 runs as
// `67 00 00` (ADD [EAX], AL) from 0x401, then ADD [BX+SI], AL through the zeros after it.
// The translated run agrees when stopped at 116 instructions, but a run to 117 or more
// differs already at instruction 54 (RAM byte 2 not added to, IP one byte further at 117):
// which code it runs depends on where the run stops. The same case with the code at
// 0x20400 run alone (no paging, fewer steps) agrees, so the repro is the whole case. The
// translator now leaves 16-bit code at an EIP above 0xFFFF to the interpreter.
Deno.test({
  name: "protected-mode fuzz finding: a 16-bit code segment entered with EIP above 0xFFFF",
  fn: async () => {
    const meta = JSON.parse(
      Deno.readTextFileSync(new URL("../fuzz-corpus/finding-pm-16bit-eip.json", import.meta.url)),
    );
    const gz = Uint8Array.from(atob(meta.ramGzipBase64), (ch) => ch.charCodeAt(0));
    const ram = new Uint8Array(
      await new Response(new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip")))
        .arrayBuffer(),
    );
    const c = { ...meta, ram };
    for (const n of [116, 117, 20000]) {
      const want = runPmCase(c, false, 1 << 20, n), got = runPmCase(c, true, 1 << 20, n);
      assertEquals(
        [got.regs, got.instructions, got.ram[2]],
        [want.regs, want.instructions, want.ram[2]],
        `${n} instructions`,
      );
    }
  },
});
