// Closing a guest on the software CPU: with a run pending (the README's `using` pattern), twice,
// and every method after close() throwing GuestClosedError without touching the released VM.
import { match, ok, rejects, strictEqual, throws } from "@std/assert";
import { Guest, GuestClosedError } from "../../mod.ts";
import { guestImage } from "../support/guest_cases.ts";

Deno.test("api close: leaving a using block with a run pending stops the run, then releases", async () => {
  let running: Promise<{ stop: { kind: string } }> | undefined;
  let waitFailure: unknown;
  {
    using guest = Guest.create(guestImage("boot-keys"), { accel: "emu" });
    running = guest.run({ timeoutMs: 20_000 });
    try {
      await guest.waitForScreen(/never shown/, { timeoutMs: 100 });
    } catch (e) {
      waitFailure = e;
    }
  }
  match(String(waitFailure), /timed out/);
  // The pending run ends at its next exit, as a stop rather than an error or a hang.
  const result = await running;
  strictEqual(result.stop.kind, "stopped");
});

Deno.test("api close: await using waits until the pending run has stopped", async () => {
  let guestRef: Guest | undefined;
  let running: Promise<{ stop: { kind: string } }> | undefined;
  {
    await using guest = Guest.create(guestImage("boot-keys"), { accel: "emu" });
    guestRef = guest;
    running = guest.run(); // no limit: it waits for a key forever
    await guest.waitForScreen(/Type a line/, { timeoutMs: 10_000 });
  }
  strictEqual(guestRef.running, false, "the run is over when await using is");
  strictEqual(guestRef.closed, true);
  strictEqual((await running).stop.kind, "stopped");
});

Deno.test("api close: every method after close() throws GuestClosedError", async () => {
  const guest = Guest.create(guestImage("boot-keys"), { accel: "emu" });
  const keyboard = guest.keyboard;
  strictEqual((await guest.run({ instructions: 1000 })).stop.kind, "instruction-limit");
  guest.close();
  guest.close(); // twice is fine
  strictEqual(guest.closed, true);
  strictEqual(guest.accelerator, "emu", "what needs no VM still answers");
  const calls: [string, () => unknown][] = [
    ["screenText", () => guest.screenText()],
    ["screenAnsi", () => guest.screenAnsi()],
    ["screenRgba", () => guest.screenRgba()],
    ["cursor", () => guest.cursor()],
    ["videoMode", () => guest.videoMode],
    ["serialText", () => guest.serialText()],
    ["serialBytes", () => guest.serialBytes()],
    ["sendSerial", () => guest.sendSerial("x")],
    ["cpu", () => guest.cpu()],
    ["readMemory", () => guest.readMemory(0x7c00, 16)],
    ["stop", () => guest.stop()],
    ["keyboard", () => guest.keyboard],
    ["keyboard.type", () => keyboard.type("a")],
    ["keyboard.sendScancodes", () => keyboard.sendScancodes([0x1e])],
  ];
  for (const [name, call] of calls) {
    throws(call, (e: unknown) => {
      if (!(e instanceof GuestClosedError)) throw new Error(`${name}: ${e}`);
      match(e.message, new RegExp(`^Guest\\.${name.replace(".", "\\.")}: the guest is closed$`));
      return true;
    });
  }
  for (
    const [name, call] of [
      ["run", () => guest.run({ timeoutMs: 100 })],
      ["waitForScreen", () => guest.waitForScreen("x")],
      ["waitForSerial", () => guest.waitForSerial("x")],
      ["screenRgba", () => guest.screenPng()],
      ["screenRgba", () => guest.saveScreenshot("never-written.png")],
    ] as const
  ) {
    await rejects(call, GuestClosedError, name);
  }
  throws(() => Deno.statSync("never-written.png"), Deno.errors.NotFound);
});

Deno.test("api close: close() during a run rejects a pending wait with GuestClosedError", async () => {
  const guest = Guest.create(guestImage("boot-keys"), { accel: "emu" });
  const running = guest.run({ timeoutMs: 20_000 });
  await guest.waitForScreen(/Type a line/, { timeoutMs: 10_000 });
  const waiting = guest.waitForScreen(/You typed/, { timeoutMs: 10_000 });
  guest.close();
  await rejects(() => waiting, GuestClosedError);
  const result = await running;
  strictEqual(result.stop.kind, "stopped");
  // The CPU state at the stop, code bytes included, was read before the VM went.
  ok(result.cpu.code.length > 0, "code bytes at CS:IP");
});
