// The run kicker's signal must never end the process: a kick still in flight
// when a run ends once killed the command line with SIGUSR2 (status 140) in
// about one run in four. Needs /dev/kvm.
import "../support/built_guests.ts";
import { deepStrictEqual } from "@std/assert";
import { picovmm } from "../support/cli.ts";

Deno.test("kvm kicker: runs that end while kicks are armed end with the guest's status", async () => {
  const codes: number[] = [];
  for (let i = 0; i < 16; i++) {
    const r = await picovmm(["--accel", "kvm", "--display", "none", "guests/kernel-mb2.elf"]);
    codes.push(r.code);
  }
  // kernel-mb2.elf leaves through the debug-exit port with 0x22: status 69.
  deepStrictEqual(codes, new Array(16).fill(69));
});
