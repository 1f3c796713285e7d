/**
 * Runs the KVM tests (tests/kvm/) on every KVM this machine has
 * (`deno task test:kvm`): the host's /dev/kvm when it opens, and a QEMU
 * guest with nested KVM (kvm-in-qemu) when its scripts are found, at
 * $KVM_IN_QEMU or ../shared/kvm-in-qemu next to the clone. Each must pass.
 * With neither it fails and says what it looked for. Extra arguments are
 * test files or `deno test` flags (default: all of tests/kvm/).
 *
 * @module
 */

const root = new URL("../", import.meta.url).pathname;
const tests = Deno.args.length > 0 ? Deno.args : ["tests/kvm/"];

async function step(what: string, command: string, args: string[]): Promise<boolean> {
  console.error(`test:kvm: ${what}`);
  const { success } = await new Deno.Command(command, {
    args,
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!success) console.error(`test:kvm: ${what}: failed`);
  return success;
}

/** Opening /dev/kvm from Deno (not through FFI) needs --allow-all, which the task gives. */
function hostKvmOpens(): boolean {
  try {
    Deno.openSync("/dev/kvm", { read: true, write: true }).close();
    return true;
  } catch {
    return false;
  }
}

function findKvmInQemu(): string | undefined {
  const candidates = [Deno.env.get("KVM_IN_QEMU"), `${root}../shared/kvm-in-qemu`];
  return candidates.find((dir) => {
    try {
      return dir !== undefined && dir !== "" && Deno.statSync(`${dir}/run.sh`).isFile;
    } catch {
      return false;
    }
  });
}

const deno = Deno.execPath();
// Type-check on the host: inside the nested guest it would take minutes.
if (!await step("deno check tests/kvm/", deno, ["check", "tests/kvm/"])) Deno.exit(1);
const host = hostKvmOpens();
const nested = findKvmInQemu();
if (!host && !nested) {
  console.error(
    "test:kvm: no KVM to test on: /dev/kvm does not open here, and kvm-in-qemu (a QEMU guest " +
      "with nested KVM) is neither at $KVM_IN_QEMU nor at ../shared/kvm-in-qemu. Run this on a " +
      "host with /dev/kvm (check that your user can open it), or set KVM_IN_QEMU to the folder " +
      "that holds kvm-in-qemu's prepare.sh and run.sh.",
  );
  Deno.exit(1);
}
let ok = true;
const testArgs = ["test", "--no-check", "--allow-all", ...tests];
if (host) ok = await step("on the host's /dev/kvm", deno, testArgs) && ok;
if (nested) {
  const cache = Deno.env.get("KVMQ_CACHE") || "/tmp/kvm-in-qemu-cache";
  ok = await step(`preparing kvm-in-qemu (${nested})`, `${nested}/prepare.sh`, [cache]) && ok;
  // The guest has no network; the gdb sessions need its loopback up. tools/kvmq-wake.sh
  // wakes the guest when QEMU loses its timer interrupt (see there).
  ok = await step("inside kvm-in-qemu", `${nested}/run.sh`, [
    "-c",
    cache,
    "--",
    "sh",
    "-c",
    'ip link set lo up; tools/kvmq-wake.sh & exec "$0" "$@"',
    "deno",
    ...testArgs,
  ]) &&
    ok;
}
if (!ok) Deno.exit(1);
console.error("test:kvm: passed on every KVM found");
