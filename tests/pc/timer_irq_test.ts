// A guest's own IRQ 0 handler on the software CPU: every timer tick that
// falls inside a busy loop is delivered, the same with and without a trace
// and with and without translation.
import { deepStrictEqual, strictEqual } from "@std/assert";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { NS_PER_INSTRUCTION } from "../../lib/machine/instruction-clock.ts";
import { PIT_HZ } from "../../lib/devices/pit.ts";
import { ticksAt } from "../../lib/devices/clock.ts";
import { assemble } from "../emu/helpers.ts";

/** Where the guest keeps its results: tick count, then RDTSC at the loop's start and end. */
const COUNT = 0x600;
const T_START = 0x604;
const T_END = 0x60c;

/**
 * A boot sector: its own INT 08h handler (count, EOI, IRET), only IRQ 0
 * unmasked, optionally channel 0 reprogrammed to `divisor`, then a busy loop
 * of `iterations` DEC/JNZ pairs between two RDTSCs, then CLI; HLT.
 */
function tickGuest(iterations: number, divisor?: number): Uint8Array {
  const pit = divisor === undefined ? "" : `
    mov al, 0x34
    out 0x43, al
    mov al, ${divisor & 0xff}
    out 0x40, al
    mov al, ${divisor >> 8}
    out 0x40, al`;
  const code = assemble(
    `
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    mov word [8 * 4], handler
    mov word [8 * 4 + 2], 0
    mov al, 0xfe
    out 0x21, al
    ${pit}
    rdtsc
    mov [${T_START}], eax
    mov [${T_START + 4}], edx
    sti
    mov ecx, ${iterations}
.busy:
    dec ecx
    jnz .busy
    cli
    rdtsc
    mov [${T_END}], eax
    mov [${T_END + 4}], edx
    hlt
handler:
    inc dword [${COUNT}]
    push ax
    mov al, 0x20
    out 0x20, al
    pop ax
    iret
`,
    0x7c00,
  );
  const image = new Uint8Array(512);
  image.set(code);
  image[510] = 0x55;
  image[511] = 0xaa;
  return image;
}

interface TickRun {
  ticks: number;
  expected: number;
  instructions: number;
}

async function runTicks(
  image: Uint8Array,
  options: { translate: boolean; trace: boolean },
): Promise<TickRun> {
  const { machine, pc } = createMachine({
    image,
    boot: "bios",
    accel: "emu",
    translate: options.translate,
  });
  try {
    if (options.trace) machine.trace = () => {};
    const stop = await machine.run({ timeoutMs: 60_000 });
    strictEqual(stop.kind, "halt");
    const mem = machine.memory;
    const instructions = machine.vcpu.instructions ?? 0;
    // Virtual time = instructions x 100 ns + time the BIOS's POST and calls added (fixed
    // before the loop): RDTSC gives the instruction count, so the loop's virtual times are known.
    const offset = machine.clock.now() - instructions * NS_PER_INSTRUCTION;
    const at = (a: number) =>
      (mem.readU32(a) + mem.readU32(a + 4) * 2 ** 32) * NS_PER_INSTRUCTION + offset;
    const c = pc!.pit.state.channels[0];
    const edges = (ns: number) => Math.floor((ticksAt(ns, PIT_HZ) - c.start) / c.period);
    return {
      ticks: mem.readU32(COUNT),
      expected: edges(at(T_END)) - edges(at(T_START)),
      instructions,
    };
  } finally {
    machine.close();
  }
}

async function checkAllWays(image: Uint8Array, least: number): Promise<void> {
  const runs: TickRun[] = [];
  for (const translate of [true, false]) {
    for (const trace of [false, true]) {
      const r = await runTicks(image, { translate, trace });
      strictEqual(r.ticks, r.expected, `translate ${translate}, trace ${trace}`);
      runs.push(r);
    }
  }
  strictEqual(runs[0].expected >= least, true, `${runs[0].expected} ticks expected`);
  deepStrictEqual(runs.map((r) => r.ticks), runs.map(() => runs[0].ticks));
  deepStrictEqual(runs.map((r) => r.instructions), runs.map(() => runs[0].instructions));
}

Deno.test("timer irq: 18.2 Hz ticks over a 6.6M-instruction busy loop all reach the guest's handler", async () => {
  // 3.3M iterations of 2 instructions: 0.66 s of virtual time, 12 periods of 54.9 ms.
  await checkAllWays(tickGuest(3_300_000), 12);
});

Deno.test("timer irq: ~12 kHz ticks all reach the guest's handler", async () => {
  // Divisor 100: a period of 83.8 us (838 instructions); 100K instructions of loop.
  await checkAllWays(tickGuest(100_000, 100), 200);
});
