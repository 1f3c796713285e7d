// The software CPU's clock: virtual time from the instruction counter, jumping
// to the next timer event in HLT, so timer guests are fast and reproducible.
import { ok, strictEqual } from "@std/assert";
import { InstructionClock, NS_PER_INSTRUCTION } from "../../lib/machine/instruction-clock.ts";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { guestImage } from "../support/guest_cases.ts";

Deno.test("instruction clock: instructions times 100 ns, plus skipped time; never backwards", () => {
  let n = 0;
  const clock = new InstructionClock(() => n);
  n = 10;
  strictEqual(clock.now(), 10 * NS_PER_INSTRUCTION);
  clock.skipTo(5_000);
  strictEqual(clock.now(), 5_000);
  clock.skipTo(100); // the past: no change
  strictEqual(clock.now(), 5_000);
  n = 20;
  strictEqual(clock.now(), 6_000);
  strictEqual(clock.instructionsUntil(6_050), 1);
  strictEqual(clock.instructionsUntil(7_000), 10);
});

async function timerRun() {
  const { machine } = createMachine({
    image: guestImage("boot-timer"),
    boot: "bios",
    accel: "emu",
    rtcStart: Date.UTC(2026, 0, 1, 12, 0, 0),
  });
  try {
    const t0 = performance.now();
    const stop = await machine.run({ timeoutMs: 20_000 });
    return {
      stop: stop.kind,
      wallMs: performance.now() - t0,
      instructions: machine.vcpu.instructions ?? 0,
      virtualNs: machine.clock.now(),
      ticks: machine.memory.readU32(0x46c),
    };
  } finally {
    machine.close();
  }
}

Deno.test("pc clock: a guest that waits a second of ticks runs fast and the same every time", async () => {
  const a = await timerRun();
  strictEqual(a.stop, "halt");
  ok(a.virtualNs >= 1.1e9, `at least 18 ticks and a 120 ms wait of virtual time: ${a.virtualNs}`);
  ok(a.wallMs < 5_000, `HLT jumps ahead instead of sleeping: ${a.wallMs} ms`);
  const b = await timerRun();
  strictEqual(b.instructions, a.instructions);
  strictEqual(b.virtualNs, a.virtualNs);
  // The BDA count started at 12:00:00 (ticks since midnight) and moved by the run's ticks.
  strictEqual(b.ticks, a.ticks);
  const elapsed = a.ticks - 786520;
  ok(
    elapsed >= 22 && elapsed <= 26,
    `18 ticks, 2 polled, then at least 2 in the 120 ms wait: ${elapsed}`,
  );
});
