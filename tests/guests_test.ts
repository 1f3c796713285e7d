// Every guest in guests/ on the software CPU, through the scripting API.
import { checkCase, GUEST_CASES, runCase } from "./support/guest_cases.ts";

for (const c of GUEST_CASES) {
  Deno.test(`guest ${c.name} on the software CPU`, async () => {
    checkCase(c, await runCase(c, "emu"));
  });
}
