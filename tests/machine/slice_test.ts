// The run loop's slices on the software CPU: a run limited to a few
// instructions does not shrink the slices of the runs after it.
import { ok, strictEqual } from "@std/assert";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { DEFAULT_SLICE } from "../../lib/emu/vcpu.ts";
import { FIRST_SLICE, MIN_SLICE, SLICE_MS, SlicePacer } from "../../lib/machine/slice-pacer.ts";

/** mov ecx, 2M; l: dec ecx; jnz l; cli; hlt (4M instructions), flat at 0. */
const LOOP = Uint8Array.of(0x66, 0xb9, 0x00, 0x00, 0x20, 0x00, 0x66, 0x49, 0x75, 0xfc, 0xfa, 0xf4);

Deno.test("slices: a run after a run limited to 5 instructions is not cut into 5-instruction slices", async () => {
  const { machine } = createMachine({ image: LOOP, accel: "emu", boot: "flat" });
  try {
    const vcpu = machine.vcpu;
    strictEqual((await machine.run({ instructions: 5 })).kind, "instruction-limit");
    strictEqual(vcpu.instructions, 5);
    let entries = 0;
    const run = vcpu.run.bind(vcpu);
    vcpu.run = () => {
      entries++;
      return run();
    };
    strictEqual((await machine.run()).kind, "halt");
    const done = (vcpu.instructions ?? 0) - 5;
    ok(done > 4_000_000, `${done}`);
    // Slices start short and grow to DEFAULT_SLICE (1M) as the loop measures the speed: a
    // few dozen entries at most, not one per 5 instructions (838 861).
    ok(entries <= 64, `${entries} entries for ${done}`);
    strictEqual(vcpu.sliceLimit, DEFAULT_SLICE);
  } finally {
    machine.close();
  }
});

Deno.test("slice pacer: slices take about SLICE_MS at the measured speed, within bounds", () => {
  const pacer = new SlicePacer(1 << 20, 0, 0);
  strictEqual(pacer.slice, FIRST_SLICE);
  pacer.measured(0.01, FIRST_SLICE); // a whole slice too fast to time: double
  strictEqual(pacer.slice, 2 * FIRST_SLICE);
  pacer.measured(100, 20_000); // 200 instructions per ms (a fault loop)
  strictEqual(pacer.slice, 200 * SLICE_MS);
  pacer.measured(200, 20_001); // slower still: never below MIN_SLICE
  strictEqual(pacer.slice, MIN_SLICE);
  pacer.measured(201, 1e9); // fast: never above the vCPU's slice
  strictEqual(pacer.slice, 1 << 20);
});
