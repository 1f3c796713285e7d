// The README's first command, `deno task hello`, as a new user runs it.
import { match, strictEqual } from "@std/assert";

Deno.test("deno task hello boots the seed's guest and prints its banner", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "hello"],
    cwd: new URL("../../", import.meta.url).pathname,
    env: { PICOVMM_KVM_DEVICE: "/nonexistent/kvm" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
  match(stdout, /^ {34}Hello World!$/m);
});
