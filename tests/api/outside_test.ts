// The scripting API from outside the repository, on the software CPU (tests/kvm/ has the KVM twin).
import { runOutsideScript } from "./outside.ts";

Deno.test("api outside: a script in a folder without deno.json imports mod.ts by path", async () => {
  await runOutsideScript("emu", "path");
});

Deno.test("api outside: ... and by file:// URL", async () => {
  await runOutsideScript("emu", "url");
});
