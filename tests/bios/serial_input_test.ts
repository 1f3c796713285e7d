// COM1 input end to end on the software CPU: INT 14h AH=02h (waiting for
// each byte, retried on time-out) and the UART's registers with receive
// interrupts both get every byte a script sends, in order.
import { strictEqual } from "@std/assert";
import { checkSerialEcho, sampleText } from "../support/serial_input.ts";

Deno.test("serial input: INT 14h AH=02h reads everything sendSerial gives", async () => {
  await checkSerialEcho("boot-serial-in", "got", "emu");
});

Deno.test("serial input: the UART's receive interrupt gets everything sendSerial gives", async () => {
  await checkSerialEcho("boot-serial-irq", "irq", "emu");
});

const root = new URL("../../", import.meta.url).pathname;
const image = "guests/boot-serial-in.bin";

Deno.test("serial input: the command line feeds a piped stdin to COM1", async () => {
  const text = sampleText(5000);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--no-check",
      "main.ts",
      "--accel",
      "emu",
      "--display",
      "none",
      "--timeout",
      "20",
      image,
    ],
    cwd: root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text + "\x04"));
  await writer.close();
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  strictEqual(out.code, 0, new TextDecoder().decode(out.stderr));
  strictEqual(stdout === text, true, `echo of ${stdout.length} bytes`);
});
