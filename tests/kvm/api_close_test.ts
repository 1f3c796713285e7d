// Closing a KVM guest while its run is pending, and using it after close(): the run stops, the
// VM goes only after the run loop has left KVM_RUN, and later calls throw GuestClosedError.
// Each case runs in its own process so that a crash is its exit status. Needs /dev/kvm.
import "../support/built_guests.ts";
import { deepStrictEqual, strictEqual } from "@std/assert";

async function child(scenario: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("api_close_child.ts", import.meta.url).pathname, scenario],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  strictEqual(out.code, 0, `status ${out.code} (139 is a segfault):\n${stderr}`);
  strictEqual(out.signal, null);
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

Deno.test("kvm api close: leaving a using block with a run pending stops it (no crash)", async () => {
  deepStrictEqual(await child("using"), ["wait: WaitError", "run: stopped"]);
});

Deno.test("kvm api close: await using waits for the run to stop", async () => {
  deepStrictEqual(await child("await-using"), ["running after: false"]);
});

Deno.test("kvm api close: calls after close() throw GuestClosedError, memory untouched", async () => {
  deepStrictEqual(await child("after-close"), [
    "call: GuestClosedError",
    "call: GuestClosedError",
    "call: GuestClosedError",
    "call: GuestClosedError",
    "run: stopped",
    "run again: GuestClosedError",
  ]);
});
