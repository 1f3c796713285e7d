// Run by api_close_test.ts in its own process, so that a crash of the process (a vCPU run on
// unmapped memory is a SIGSEGV) shows up as its exit status. Prints one line per step.
import { Guest, GuestClosedError } from "../../mod.ts";

const image = await Deno.readFile(new URL("../../guests/boot-keys.bin", import.meta.url));
const scenario = Deno.args[0];

if (scenario === "using") {
  // The README's pattern: a background run, a wait that times out, the block ends.
  let running: Promise<{ stop: { kind: string } }> | undefined;
  {
    using guest = Guest.create(image, { accel: "kvm" });
    running = guest.run({ timeoutMs: 60_000 });
    await guest.waitForScreen(/Type a line/, { timeoutMs: 30_000 });
    try {
      await guest.waitForScreen(/never shown/, { timeoutMs: 200 });
    } catch (e) {
      console.log(`wait: ${(e as Error).name}`);
    }
  }
  console.log(`run: ${(await running).stop.kind}`);
} else if (scenario === "await-using") {
  let guestRef: Guest | undefined;
  {
    await using guest = Guest.create(image, { accel: "kvm" });
    guestRef = guest;
    guest.run({ timeoutMs: 60_000 });
    await guest.waitForScreen(/Type a line/, { timeoutMs: 30_000 });
  }
  console.log(`running after: ${guestRef.running}`);
} else if (scenario === "after-close") {
  const guest = Guest.create(image, { accel: "kvm" });
  const running = guest.run({ timeoutMs: 60_000 });
  await guest.waitForScreen(/Type a line/, { timeoutMs: 30_000 });
  guest.close();
  for (
    const call of [
      () => guest.readMemory(0x7c00, 512),
      () => guest.cpu(),
      () => guest.screenText(),
      () => guest.keyboard.type("x"),
    ]
  ) {
    try {
      call();
      console.log("call: no error");
    } catch (e) {
      console.log(`call: ${e instanceof GuestClosedError ? "GuestClosedError" : e}`);
    }
  }
  console.log(`run: ${(await running).stop.kind}`);
  try {
    await guest.run({ timeoutMs: 100 });
  } catch (e) {
    console.log(`run again: ${(e as Error).name}`);
  }
}
