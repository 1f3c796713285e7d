// The scripting API from outside the repository, on KVM (the software-CPU twin is in tests/api/).
// Needs /dev/kvm.
import "../support/built_guests.ts";
import { runOutsideScript } from "../api/outside.ts";

Deno.test("kvm api outside: a script in a folder without deno.json imports mod.ts by path", async () => {
  await runOutsideScript("kvm", "path");
});

Deno.test("kvm api outside: ... and by file:// URL", async () => {
  await runOutsideScript("kvm", "url");
});
