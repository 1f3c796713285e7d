// Writes to the debug-exit port give QEMU's exit codes on the software CPU:
// a REP OUTS stops at its first element, unaligned and straddling writes are
// ignored (tests/kvm/rep_io_test.ts runs the same guests on KVM).
import { strictEqual } from "@std/assert";
import "../../lib/machine/all-code.ts";
import { createMachine } from "../../lib/machine/create.ts";
import { DEBUG_EXIT_CASES, repInsGuest } from "../support/io_guests.ts";

for (const translate of [true, false]) {
  Deno.test(`debug-exit: QEMU's codes for every access width and place (translate ${translate})`, async () => {
    for (const c of DEBUG_EXIT_CASES) {
      const { machine } = createMachine({ image: c.image, boot: "bios", accel: "emu", translate });
      try {
        const stop = await machine.run({ timeoutMs: 5_000 });
        strictEqual(stop.kind, "debug-exit", c.name);
        strictEqual(stop.kind === "debug-exit" && stop.code, c.code, c.name);
      } finally {
        machine.close();
      }
    }
  });
}

for (const translate of [true, false]) {
  Deno.test(`rep ins: an interrupt handler reading the same port mid-REP gets its own data (translate ${translate})`, async () => {
    const { machine } = createMachine({
      image: repInsGuest(),
      boot: "bios",
      accel: "emu",
      translate,
    });
    try {
      const stop = await machine.run({ timeoutMs: 5_000 });
      strictEqual(stop.kind, "debug-exit");
      // 0x20: every byte of the buffer and every handler read right (0x7F: no tick hit the REP).
      strictEqual(stop.kind === "debug-exit" && stop.code, 0x20);
    } finally {
      machine.close();
    }
  });
}
