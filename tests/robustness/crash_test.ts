// Crashes and runaway guests on the software CPU: a crash is status 3 with a
// register dump, a runaway guest is stopped by a limit with status 124, and
// a guest that writes serial output forever cannot grow the VMM's memory.
import { match, ok, strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import { guestImage } from "../support/guest_cases.ts";
import { picovmm } from "../support/cli.ts";

Deno.test("crash: a triple fault stops with status 3 and a register dump", async () => {
  const r = await picovmm(["--accel", "emu", "--boot", "flat", "guests/triple.bin"]);
  strictEqual(r.code, 3);
  match(r.stderr, /^picovmm: guest crashed \(triple-fault\)/);
  match(r.stderr, /rip=0000000000000006/);
  match(r.stderr, /idt=0000000000000000\/0000/);
  match(r.stderr, /code at 00000006: cc f4/);
  strictEqual(r.stderr.includes("    at "), false, "no stack trace");
});

Deno.test("crash: the scripting API returns the same report as data", async () => {
  using guest = Guest.create(guestImage("triple"), { accel: "emu", boot: "flat" });
  const result = await guest.run({ timeoutMs: 5000 });
  strictEqual(result.stop.kind, "crash");
  strictEqual(result.stop.kind === "crash" && result.stop.cause, "triple-fault");
  strictEqual(result.exitStatus, 3);
  strictEqual(result.cpu.regs.rip, 6n);
  strictEqual(result.cpu.idt.limit, 0);
  strictEqual(result.cpu.code[0], 0xcc);
  match(Guest.describe(result), /triple fault[\s\S]*code at 00000006/);
});

Deno.test("runaway: an endless serial writer is stopped and its output is bounded", async () => {
  using guest = Guest.create(guestImage("flood"), {
    accel: "emu",
    boot: "flat",
    serialLimit: 4096,
  });
  const result = await guest.run({ instructions: 100_000 });
  strictEqual(result.stop.kind, "instruction-limit");
  strictEqual(result.exitStatus, 124);
  strictEqual(guest.serialBytes().length, 4096);
  ok(guest.serialText().startsWith("xxxx"));
});

Deno.test("runaway: --timeout stops an endless serial writer on the command line", async () => {
  const r = await picovmm([
    "--accel",
    "emu",
    "--boot",
    "flat",
    "--timeout",
    "0.5",
    "guests/flood.bin",
  ]);
  strictEqual(r.code, 124);
  ok(r.stdout.length > 1000, `only ${r.stdout.length} bytes of output`);
  strictEqual(r.stdout.replaceAll("x", ""), "");
});

Deno.test("crash: executing device memory is an emulation failure, as on KVM", async () => {
  using guest = Guest.create(guestImage("mmio-exec"), { accel: "emu", boot: "flat" });
  const result = await guest.run({ timeoutMs: 5000 });
  strictEqual(result.stop.kind === "crash" && result.stop.cause, "emulation-failure");
  strictEqual(result.exitStatus, 3);
  match(Guest.describe(result), /instruction fetch from 0xb8000, which is not RAM/);
});
