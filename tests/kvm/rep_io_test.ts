// String I/O and HLT on KVM give what QEMU and the software CPU give: the
// debug-exit codes and the REP INS of tests/pc/debug_exit_test.ts, and a HLT with every IRQ
// masked that sleeps until the timeout. Needs /dev/kvm.
import "../support/built_guests.ts";
import { ok, strictEqual } from "@std/assert";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { DEBUG_EXIT_CASES, maskedHltGuest, repInsGuest } from "../support/io_guests.ts";

Deno.test("kvm debug-exit: QEMU's codes for every access width and place, REP OUTS included", async () => {
  for (const c of DEBUG_EXIT_CASES) {
    const { machine } = createMachine({ image: c.image, boot: "bios", accel: "kvm" });
    try {
      const stop = await machine.run({ timeoutMs: 20_000 });
      strictEqual(stop.kind, "debug-exit", c.name);
      strictEqual(stop.kind === "debug-exit" && stop.code, c.code, c.name);
    } finally {
      machine.close();
    }
  }
});

Deno.test("kvm hlt: every IRQ masked sleeps until the timeout", async () => {
  const { machine } = createMachine({ image: maskedHltGuest(), boot: "bios", accel: "kvm" });
  try {
    const t0 = performance.now();
    const stop = await machine.run({ timeoutMs: 300 });
    strictEqual(stop.kind, "timeout");
    ok(performance.now() - t0 >= 290);
  } finally {
    machine.close();
  }
});

Deno.test("kvm rep ins: an interrupt handler reading the same port mid-REP gets its own data", async () => {
  // A slower timer than on the software CPU: KVM's wall-clock ticks must leave the guest time
  // to run (nested KVM runs 25-30 times slower), and a longer REP for them to land in.
  const { machine } = createMachine({
    image: repInsGuest(3000, 60000),
    boot: "bios",
    accel: "kvm",
  });
  try {
    const stop = await machine.run({ timeoutMs: 20_000 });
    strictEqual(stop.kind, "debug-exit");
    strictEqual(stop.kind === "debug-exit" && stop.code, 0x20);
  } finally {
    machine.close();
  }
});
