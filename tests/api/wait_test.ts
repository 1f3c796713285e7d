// Waits that fail say why: how the guest stopped (or that the time ran out), its screen and the
// last serial lines; a global RegExp matches as any other.
import { match, rejects, strictEqual } from "@std/assert";
import { Guest, WaitError } from "../../mod.ts";
import { guestImage } from "../support/guest_cases.ts";

/** Rejects with a WaitError and hands it over. */
async function waitError(wait: () => Promise<unknown>): Promise<WaitError> {
  let caught: unknown;
  await rejects(async () => {
    try {
      await wait();
    } catch (e) {
      caught = e;
      throw e;
    }
  }, WaitError);
  return caught as WaitError;
}

Deno.test("api wait: a guest that stopped says how, with its screen and serial output", async () => {
  using guest = Guest.create(guestImage("boot-services"), { accel: "emu" });
  const done = guest.run({ timeoutMs: 20_000 });
  const e = await waitError(() => guest.waitForSerial(/never printed/, { timeoutMs: 10_000 }));
  strictEqual((await done).stop.kind, "halt");
  strictEqual(e.reason, "stopped");
  strictEqual(e.stop?.kind, "halt");
  match(
    e.message,
    /^the guest is not running \(guest halted\) and its serial output does not show/,
  );
  match(e.message, /\nscreen:\n[^]*services OK/);
  match(e.message, /\nserial output \(all\):\n[^]*COM1 through INT 14h/);
  match(e.screen, /services OK/);
  match(e.serial, /COM1 through INT 14h/);
});

Deno.test("api wait: a guest stopped by a timeout, or never run, says so", async () => {
  using keys = Guest.create(guestImage("boot-keys"), { accel: "emu" });
  strictEqual((await keys.run({ timeoutMs: 50 })).stop.kind, "timeout");
  const afterTimeout = await waitError(() => keys.waitForScreen("You typed"));
  match(afterTimeout.message, /not running \(timeout: the guest was still running\)/);
  match(afterTimeout.message, /Type a line/);
  match(afterTimeout.message, /serial output: \(none\)/);

  using never = Guest.create(guestImage("boot-hello"), { accel: "emu" });
  const e = await waitError(() => never.waitForScreen("x"));
  match(e.message, /^the guest is not running \(it was never run\)/);
  strictEqual(e.stop, undefined);
});

Deno.test("api wait: the message keeps the last 10 serial lines", () => {
  const serial = Array.from({ length: 25 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
  const e = new WaitError("timed out", { reason: "timeout", stop: undefined, screen: "", serial });
  match(
    e.message,
    /^timed out\nscreen:\n\(blank\)\nserial output \(last 10 of 25 lines\):\nline 16\n/,
  );
  match(e.message, /line 25$/);
  strictEqual(e.message.includes("line 15\n"), false);
  strictEqual(e.serial, serial, "the whole output stays on the error");
});

Deno.test("api wait: a timeout shows the screen", async () => {
  using guest = Guest.create(guestImage("boot-keys"), { accel: "emu" });
  const done = guest.run({ timeoutMs: 20_000 });
  await guest.waitForScreen(/Type a line/, { timeoutMs: 10_000 });
  guest.sendSerial("ignored"); // the guest does not read COM1; nothing comes back
  const e = await waitError(() => guest.waitForScreen(/You typed/, { timeoutMs: 100 }));
  strictEqual(e.reason, "timeout");
  strictEqual(e.stop, undefined, "it still runs");
  match(e.message, /^timed out waiting for \/You typed\/ in the screen\nscreen:\n[^]*Type a line/);
  guest.stop();
  strictEqual((await done).stop.kind, "stopped");
});

Deno.test("api wait: a global RegExp matches on every call", async () => {
  using guest = Guest.create(guestImage("boot-services"), { accel: "emu" });
  strictEqual((await guest.run({ timeoutMs: 20_000 })).stop.kind, "halt");
  const pattern = /services OK/g;
  for (let i = 0; i < 3; i++) match(await guest.waitForScreen(pattern), /services OK/);
});
