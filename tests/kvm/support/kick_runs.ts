// Runs guests/kick-exit.bin on KVM again and again in one process and prints
// each run's exit status on its own line. Used by kick_test.ts as a child
// process, so that a stray kick signal ending the process shows as the
// child's death instead of taking the test runner down.
// Usage: deno run -A tests/kvm/support/kick_runs.ts COUNT
import { Guest } from "../../../mod.ts";

const count = Number(Deno.args[0] ?? "50");
const image = Deno.readFileSync(new URL("../../../guests/kick-exit.bin", import.meta.url));
for (let i = 0; i < count; i++) {
  using guest = Guest.create(image, { accel: "kvm" });
  const result = await guest.run({ timeoutMs: 20_000 });
  console.log(result.exitStatus);
}
