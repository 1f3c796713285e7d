// Runs guests/spin.bin (cli; jmp $) on KVM with no timeout, calls
// Guest.stop() from a timer after 300 ms and prints the stop reason's kind.
// Used by stop_test.ts as a child process: a run that cannot be interrupted
// blocks this process's event loop for good, and the parent kills it.
import { Guest } from "../../../mod.ts";

const image = Deno.readFileSync(new URL("../../../guests/spin.bin", import.meta.url));
using guest = Guest.create(image, { accel: "kvm", boot: "flat" });
const started = performance.now();
setTimeout(() => guest.stop(), 300);
const result = await guest.run();
console.log(
  JSON.stringify({ kind: result.stop.kind, ms: Math.round(performance.now() - started) }),
);
