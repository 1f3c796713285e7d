// The accelerator policy and the host-kind detection, without KVM.
import { deepStrictEqual, match, strictEqual } from "@std/assert";
import { chooseAccelerator, type KvmState } from "../../lib/machine/accel.ts";
import { type ModuleFiles, realModeEmulation } from "../../lib/kvm/host-kind.ts";

const HARDWARE: KvmState = { usable: true };
const PVM: KvmState = { usable: true, emulatesRealMode: "KVM here is PVM" };
const NONE: KvmState = { usable: false, reason: "cannot open /dev/kvm" };

Deno.test("accel policy: explicit choices are taken as asked", () => {
  for (const kvm of [HARDWARE, PVM, NONE]) {
    for (const mode of ["real", "protected", "long"] as const) {
      strictEqual(chooseAccelerator("kvm", kvm, mode).name, "kvm");
      strictEqual(chooseAccelerator("emu", kvm, mode).name, "emu");
      strictEqual(chooseAccelerator("kvm", kvm, mode).note, undefined);
    }
  }
});

Deno.test("accel policy: auto takes KVM where it runs the guest in hardware, silently", () => {
  const d = chooseAccelerator("auto", HARDWARE, "real");
  strictEqual(d.name, "kvm");
  strictEqual(d.note, undefined);
  match(d.reason, /hardware/);
});

Deno.test("accel policy: auto without a usable KVM takes the software CPU with a note", () => {
  const d = chooseAccelerator("auto", NONE, "real");
  strictEqual(d.name, "emu");
  strictEqual(d.note, "cannot open /dev/kvm; using the software CPU");
});

Deno.test("accel policy: auto on a KVM that emulates real mode", () => {
  // A real-mode guest goes to the software CPU, and the user is told why.
  const real = chooseAccelerator("auto", PVM, "real");
  strictEqual(real.name, "emu");
  match(real.note ?? "", /^auto: using the software CPU: KVM here is PVM, far slower/);
  // So does a 32-bit protected-mode guest (KVM would emulate its kernel code too).
  const prot = chooseAccelerator("auto", PVM, "protected");
  strictEqual(prot.name, "emu");
  match(
    prot.note ?? "",
    /^auto: using the software CPU: KVM here is PVM, far slower for a protected-mode guest/,
  );
  // A long-mode guest still needs KVM (the software CPU does not run long mode).
  const long = chooseAccelerator("auto", PVM, "long");
  strictEqual(long.name, "kvm");
  strictEqual(long.note, undefined);
  match(long.reason, /long mode/);
});

function files(present: Record<string, string>): ModuleFiles {
  return { exists: (p) => p in present, read: (p) => present[p] };
}

Deno.test("host kind: PVM and kvm_intel without unrestricted guest emulate real mode", () => {
  match(realModeEmulation(files({ "/sys/module/kvm_pvm": "" })) ?? "", /PVM \(module kvm_pvm\)/);
  const param = "/sys/module/kvm_intel/parameters/unrestricted_guest";
  match(realModeEmulation(files({ [param]: "N\n" })) ?? "", /unrestricted guest/);
  deepStrictEqual(
    [
      realModeEmulation(files({ [param]: "Y\n" })),
      realModeEmulation(files({ "/sys/module/kvm_amd": "" })),
      realModeEmulation(files({})),
    ],
    [undefined, undefined, undefined],
  );
});
