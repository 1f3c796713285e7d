import { ok } from "@std/assert";
import { yieldToHost } from "../../lib/machine/host-yield.ts";

/** Spins without giving the event loop a turn, as a slice of guest time does. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the guest runs */ }
}

Deno.test("yieldToHost: a timer that fell due during a busy slice runs at the next turns", async () => {
  let fired = false;
  setTimeout(() => fired = true, 1);
  busy(20);
  for (let turn = 0; turn < 3 && !fired; turn++) await yieldToHost();
  ok(fired, "the timer did not run in 3 turns");
});

Deno.test("yieldToHost: data that arrives on a pipe during busy slices is read within a turn or two", async () => {
  // A microtask-only or setImmediate-style yield leaves the runtime's I/O unpolled for
  // dozens of turns (here 0.6 s); this one parks the loop, which polls it. The child
  // writes the time it wrote at, so the delay is measured from there.
  const child = new Deno.Command("sh", {
    args: ["-c", "sleep 0.3; date +%s%N"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  let readAt = 0;
  const read = reader.read().then((r) => {
    readAt = Date.now();
    return r.value;
  });
  for (let turn = 0; turn < 1000 && readAt === 0; turn++) {
    busy(10);
    await yieldToHost();
  }
  const line = new TextDecoder().decode(await read).trim();
  const wroteAt = Number(BigInt(line) / 1_000_000n);
  ok(readAt - wroteAt < 150, `read ${readAt - wroteAt} ms after the child wrote`);
  reader.releaseLock();
  await child.stdout.cancel();
  await child.status;
});
