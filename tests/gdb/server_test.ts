// The stub over TCP, spoken to byte by byte: acks until no-ack mode, a ^C
// (0x03) that stops a running guest with T02, stop replies, and W with the
// exit status when the guest ends.
import { strictEqual } from "@std/assert";
import "../../lib/machine/all-code.ts";
import { MachineDebugger } from "../../lib/gdb/debugger.ts";
import { frameText } from "../../lib/gdb/packet.ts";
import { GdbServer, runUnderGdb } from "../../lib/gdb/server.ts";
import { SUPPORTED } from "../../lib/gdb/stub.ts";

const framed = (text: string) => new TextDecoder().decode(frameText(text));
import { createMachine } from "../../lib/machine/create.ts";

/** Reads from the connection until `pattern` shows up in what arrived. */
async function expect(
  conn: Deno.TcpConn,
  seen: { text: string },
  pattern: RegExp,
): Promise<string> {
  const buffer = new Uint8Array(4096);
  while (!pattern.test(seen.text)) {
    const n = await conn.read(buffer);
    if (n === null) throw new Error(`connection closed before ${pattern}; got ${seen.text}`);
    seen.text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  const m = pattern.exec(seen.text)!;
  seen.text = seen.text.slice(m.index + m[0].length);
  return m[0];
}

Deno.test("gdb server: acks, no-ack mode, ^C stops a running guest, W carries the exit status", async () => {
  // 0: jmp 0 (spin) / 2: mov al, 9 / 4: out 0xf4, al / 6: hlt
  const image = new Uint8Array([0xeb, 0xfe, 0xb0, 0x09, 0xe6, 0xf4, 0xf4]);
  const { machine } = createMachine({ image, accel: "emu", boot: "flat" });
  const server = GdbServer.listen({ hostname: "127.0.0.1", port: 0 });
  const done = runUnderGdb(new MachineDebugger(machine), server, { waitForGdb: true });
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.address.port });
  const seen = { text: "" };
  const send = (p: string) => conn.write(frameText(p));
  await send("qSupported:swbreak+");
  strictEqual(await expect(conn, seen, /\+\$[^#]*#../), "+" + framed(SUPPORTED));
  await conn.write(new TextEncoder().encode("+"));
  await send("QStartNoAckMode");
  await expect(conn, seen, /\+\$OK#9a/);
  await send("?");
  await expect(conn, seen, /^\$T05thread:01;#../);
  await send("c");
  // The guest spins; ^C stops it.
  await new Promise((r) => setTimeout(r, 100));
  await conn.write(new Uint8Array([0x03]));
  await expect(conn, seen, /^\$T02thread:01;#../);
  await send("P8=02000000"); // eip = 2: out of the loop
  await expect(conn, seen, /^\$OK#9a/);
  await send("vCont;c");
  strictEqual(await expect(conn, seen, /^\$W..#../), framed("W13")); // (9 << 1) | 1 = 0x13
  const stop = await done;
  strictEqual(stop.kind, "debug-exit");
  conn.close();
  machine.close();
});
