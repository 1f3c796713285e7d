// A reset request reboots the machine (RAM and CMOS kept, POST again), or
// with noReboot stops the run with {kind: "reset"}.
import { strictEqual } from "@std/assert";
import { handleExit } from "../../lib/machine/exits.ts";
import { Bus } from "../../lib/machine/bus.ts";
import { exitStatus } from "../../lib/machine/stop.ts";
import { runFlatReset, runResetGuest } from "../support/reset.ts";
import { picovmm } from "../support/cli.ts";

Deno.test("reset: the keyboard controller and port 0x92 reboot a BIOS guest", async () => {
  const r = await runResetGuest("emu", false);
  strictEqual(r.debugcon, "boot 1\nboot 2\nboot 3\n");
  strictEqual(r.stop, "halt");
});

Deno.test("reset: noReboot stops at the first reset request, status 0", async () => {
  const r = await runResetGuest("emu", true);
  strictEqual(r.debugcon, "boot 1\n");
  strictEqual(r.stop, "reset");
  strictEqual(exitStatus({ kind: "reset" }), 0);
});

Deno.test("reset: a flat machine starts again at its entry state", async () => {
  const r = await runFlatReset("emu");
  strictEqual(r.debugcon, "debugcon OK\ndebugcon OK\n");
  strictEqual(r.stop, "halt");
});

Deno.test("reset: KVM's reset system event is the reset action", () => {
  const bus = new Bus("io", 0x10000);
  const ctx = { ports: bus, mmio: bus, hasInterruptSources: false, interruptsEnabled: false };
  strictEqual(handleExit(ctx, { kind: "system-event", type: 2 }).action, "reset");
});

Deno.test("reset: the CLI reboots by default and stops with --no-reboot", async () => {
  const args = ["--accel", "emu", "--display", "none", "--timeout", "20"];
  const reboot = await picovmm([...args, "guests/reset.bin"]);
  strictEqual(reboot.code, 0, reboot.stderr);
  strictEqual(reboot.stdout, "boot 1\nboot 2\nboot 3\n");
  const stop = await picovmm([...args, "--no-reboot", "guests/reset.bin"]);
  strictEqual(stop.code, 0, stop.stderr);
  strictEqual(stop.stdout, "boot 1\n");
});

Deno.test("reset: a triple fault is a crash (status 3) with or without --no-reboot", async () => {
  for (const flags of [[], ["--no-reboot"]]) {
    const r = await picovmm(["--accel", "emu", ...flags, "--boot", "flat", "guests/triple.bin"]);
    strictEqual(r.code, 3, `${flags}: ${r.stderr}`);
    strictEqual(
      r.stderr.split("\n")[0],
      "picovmm: guest crashed (triple-fault): triple fault (the CPU shut down)",
    );
  }
});
