// HLT with interrupts enabled waits for an interrupt the CPU can take: with
// every IRQ masked at the PIC it sleeps until the timeout (QEMU: status 124),
// and does not run on at the next (masked) timer event.
import { ok, strictEqual } from "@std/assert";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { maskedHltGuest } from "../support/io_guests.ts";

for (const translate of [true, false]) {
  Deno.test(`hlt: every IRQ masked sleeps until the timeout (translate ${translate})`, async () => {
    const { machine } = createMachine({
      image: maskedHltGuest(),
      boot: "bios",
      accel: "emu",
      translate,
    });
    try {
      const t0 = performance.now();
      const stop = await machine.run({ timeoutMs: 150 });
      const ms = performance.now() - t0;
      strictEqual(stop.kind, "timeout");
      ok(ms >= 140, `slept until the timeout: ${ms.toFixed(0)} ms`);
      // Asleep, not racing through timer events on virtual time.
      const before = machine.clock.now();
      const again = await machine.run({ timeoutMs: 50 });
      strictEqual(again.kind, "timeout");
      ok(
        machine.clock.now() - before < 1e9,
        `virtual time moved ${machine.clock.now() - before} ns`,
      );
    } finally {
      machine.close();
    }
  });
}

Deno.test("hlt: with IRQ 0 unmasked the same guest wakes at the next tick and runs on", async () => {
  const { machine } = createMachine({
    image: maskedHltGuest(0xfe, 0xff),
    boot: "bios",
    accel: "emu",
  });
  try {
    const stop = await machine.run({ timeoutMs: 5_000 });
    strictEqual(stop.kind, "debug-exit");
    strictEqual(stop.kind === "debug-exit" && stop.code, 0x42);
  } finally {
    machine.close();
  }
});

Deno.test("hlt: a stop request ends a run asleep in a masked HLT without a timeout", async () => {
  const { machine } = createMachine({ image: maskedHltGuest(), boot: "bios", accel: "emu" });
  try {
    const run = machine.run();
    setTimeout(() => machine.requestStop(), 50);
    strictEqual((await run).kind, "stopped");
  } finally {
    machine.close();
  }
});
