// Crash reports on KVM. Needs /dev/kvm (run under kvm-in-qemu).
import "../support/built_guests.ts";
import { match, strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { guestImage } from "../support/guest_cases.ts";
import { picovmm } from "../support/cli.ts";
import { realModeEmulation } from "../../lib/kvm/host-kind.ts";
import { assemble } from "../emu/helpers.ts";

const EMULATED_REAL_MODE = realModeEmulation();

Deno.test("kvm crash: a triple fault is status 3 with a register dump", async () => {
  const r = await picovmm(["--accel", "kvm", "--boot", "flat", "guests/triple.bin"]);
  strictEqual(r.code, 3, r.stderr);
  // AMD hosts reset the vCPU on shutdown, so only the dump's shape is fixed.
  match(r.stderr, /\n +cs=[0-9a-f]{4} base=[0-9a-f]{16} limit=[0-9a-f]{8}/);
  match(r.stderr, /\n +rip=[0-9a-f]{16}/);
  match(r.stderr, /cr0=[0-9a-f]+/);
  if (EMULATED_REAL_MODE === undefined) {
    match(r.stderr, /^picovmm: guest crashed \(triple-fault\)/);
    return;
  }
  // Where KVM's emulator runs real mode (PVM), it delivers INT 3 through the
  // IVT without checking the IDT limit: no #GP, no triple fault. The guest
  // re-enters itself at 0000:0000 until it runs off the end of its 4 KiB of
  // RAM, which is a crash too, reported as the instruction KVM could not run.
  console.log(`  ${EMULATED_REAL_MODE}: it ignores the real-mode IDT limit, no triple fault`);
  match(r.stderr, /^picovmm: guest crashed \(emulation-failure\)/);
  match(r.stderr, /KVM could not emulate the instruction at [0-9a-f]{4}:[0-9a-f]{4} \(/);
});

Deno.test("kvm crash: an INT past the real-mode IDT limit triple-faults, except on PVM", async () => {
  // IDT limit 0 with a valid IVT entry for vector 3: hardware (and the software
  // CPU) raise #GP, #DF, then shut down; an emulator that skips the limit check
  // runs the handler, which reports 0x33 (status 103).
  const image = assemble(
    `
    jmp start
    times 0x0c - ($ - $$) db 0
    dw handler, 0
  start:
    lidt [cs:empty_idt]
    int3
    mov al, 1
    out 0xf4, al
    hlt
  handler:
    mov al, 0x33
    out 0xf4, al
    hlt
  empty_idt:
    dw 0
    dd 0`,
    0,
  );
  const results = [];
  for (const accel of ["kvm", "emu"] as const) {
    using guest = Guest.create(image, { accel, boot: "flat" });
    results.push((await guest.run({ timeoutMs: 10_000 })).exitStatus);
  }
  strictEqual(results[1], 3, "the software CPU triple-faults");
  if (EMULATED_REAL_MODE === undefined) strictEqual(results[0], 3);
  else {
    console.log(`  ${EMULATED_REAL_MODE}: INT does not check the real-mode IDT limit`);
    strictEqual(results[0], 103);
  }
});

Deno.test("kvm crash: executing device memory is an emulation failure, status 3", async () => {
  using guest = Guest.create(guestImage("mmio-exec"), { accel: "kvm", boot: "flat" });
  const result = await guest.run({ timeoutMs: 10_000 });
  strictEqual(result.stop.kind, "crash", Guest.describe(result));
  strictEqual(result.stop.kind === "crash" && result.stop.cause, "emulation-failure");
  strictEqual(result.exitStatus, 3);
});

Deno.test("kvm runaway: an endless serial writer is stopped by the timeout", async () => {
  using guest = Guest.create(guestImage("flood"), {
    accel: "kvm",
    boot: "flat",
    serialLimit: 1024,
  });
  // Inside nested KVM each OUT is an exit of a millisecond or more: time enough for 1024.
  const result = await guest.run({ timeoutMs: 10_000 });
  strictEqual(result.stop.kind, "timeout");
  strictEqual(guest.serialBytes().length, 1024);
});
