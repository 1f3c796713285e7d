/**
 * The gdb stub over TCP (Deno.listen): accepts one gdb at a time, carries
 * packets between it and a {@link GdbStub}, and runs the machine while gdb
 * says continue or step. With `waitForGdb` (-S) the guest does not start
 * before gdb continues it; otherwise it runs and a connecting gdb stops it.
 *
 * @module
 */

import type { RunLimits } from "../machine/machine.ts";
import { exitStatus, type StopReason } from "../machine/stop.ts";
import type { DebugStop, MachineDebugger } from "./debugger.ts";
import type { MonitorDevices } from "./monitor.ts";
import { frameText, PacketReader, textToHex } from "./packet.ts";
import { GdbStub, stopReply } from "./stub.ts";

/** Where the stub listens. */
export interface GdbAddress {
  hostname: string;
  port: number;
}

/** Options of {@link runUnderGdb}. */
export interface GdbRunOptions {
  /** -S: stay stopped before the first instruction until gdb continues. */
  waitForGdb: boolean;
  limits?: RunLimits;
  devices?: MonitorDevices;
  /** A magic breakpoint with no gdb attached (the caller prints the registers). */
  onMagicBreak?: (stop: DebugStop) => void;
}

type Command = { kind: "resume"; step: boolean } | { kind: "kill" };

/**
 * A line for gdb's console when the CPU left the mode gdb was described
 * (once per mode): gdb keeps its register layout for the whole connection.
 */
function modeNote(dbg: MachineDebugger, stub: GdbStub): string | undefined {
  const now = dbg.arch();
  if (now === stub.noticedArch) return undefined;
  stub.noticedArch = now;
  if (now === stub.arch) return undefined;
  const wide = now === "i386:x86-64" || stub.arch === "i386:x86-64";
  return `picovmm: the CPU is now in ${now} mode; ` +
    (wide
      ? `registers stay in the ${stub.arch} layout (reconnect gdb for the ${now} one)\n`
      : `'set architecture ${now}' disassembles it\n`);
}

/** A listening stub; `address.port` is the bound port (also when 0 was asked for). */
export class GdbServer {
  readonly #listener: Deno.TcpListener;
  readonly address: GdbAddress;

  private constructor(listener: Deno.TcpListener) {
    this.#listener = listener;
    const a = listener.addr;
    this.address = { hostname: a.hostname, port: a.port };
  }

  /** Listens on `hostname:port` (port 0: any free port). */
  static listen(address: GdbAddress): GdbServer {
    return new GdbServer(Deno.listen({ hostname: address.hostname, port: address.port }));
  }

  /** Connections, one after the other. */
  accept(): Promise<Deno.TcpConn> {
    return this.#listener.accept();
  }

  close(): void {
    try {
      this.#listener.close();
    } catch { /* already closed */ }
  }
}

/** One attached gdb. */
class Connection {
  readonly stub: GdbStub;
  readonly #conn: Deno.TcpConn;
  closed = false;

  constructor(conn: Deno.TcpConn, stub: GdbStub) {
    this.#conn = conn;
    this.stub = stub;
  }

  async send(text: string): Promise<void> {
    if (this.closed) return;
    try {
      const bytes = frameText(text);
      let done = 0;
      while (done < bytes.length) done += await this.#conn.write(bytes.subarray(done));
    } catch {
      this.closed = true;
    }
  }

  async sendRaw(text: string): Promise<void> {
    if (this.closed) return;
    try {
      await this.#conn.write(new TextEncoder().encode(text));
    } catch {
      this.closed = true;
    }
  }

  read(buffer: Uint8Array): Promise<number | null> {
    return this.#conn.read(buffer).catch(() => null);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.#conn.close();
    } catch { /* gone */ }
  }
}

/**
 * Runs the machine under gdb until the guest ends or gdb kills it, and
 * returns the stop reason (a kill is `{kind: "stopped"}`). gdb hears `W`
 * with picovmm's exit status when the guest ends.
 */
export async function runUnderGdb(
  dbg: MachineDebugger,
  server: GdbServer,
  options: GdbRunOptions,
): Promise<StopReason> {
  let connection: Connection | undefined;
  let running = false;
  /** gdb sent c/s and waits for the stop reply. */
  let awaitingStop = false;
  let lastStop: DebugStop | undefined;
  let command: ((c: Command) => void) | undefined;
  let stopped: (() => void) | undefined;
  const stoppedNow = () => new Promise<void>((resolve) => (stopped = resolve));
  let accepting = true;

  const serve = async (conn: Connection) => {
    const reader = new PacketReader();
    const buffer = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buffer);
      if (n === null || n === 0) break;
      for (const item of reader.push(buffer.subarray(0, n))) {
        if (item.kind === "interrupt") {
          if (running) dbg.interrupt();
          continue;
        }
        if (item.kind === "bad-checksum") {
          if (!conn.stub.noAck) await conn.sendRaw("-");
          continue;
        }
        if (item.kind !== "packet") continue;
        if (!conn.stub.noAck) await conn.sendRaw("+");
        // In all-stop mode packets only come while stopped; one that races a
        // connecting gdb's stop waits for it.
        while (running) await stoppedNow();
        conn.stub.lastStop = lastStop;
        const action = conn.stub.handle(item.data);
        if (action.kind === "reply") await conn.send(action.text);
        else if (action.kind === "resume") {
          awaitingStop = true;
          command?.({ kind: "resume", step: action.step });
        } else if (action.kind === "kill") {
          command?.({ kind: "kill" });
          conn.close();
          return;
        } else {
          await conn.send("OK");
          conn.close();
          break;
        }
      }
    }
    // Closed or detached: the guest runs on without breakpoints.
    conn.close();
    if (connection === conn) {
      connection = undefined;
      dbg.clearBreakpoints();
      if (!running) command?.({ kind: "resume", step: false });
    }
  };

  const acceptLoop = async () => {
    while (accepting) {
      let tcp: Deno.TcpConn;
      try {
        tcp = await server.accept();
      } catch {
        return;
      }
      if (connection !== undefined) {
        tcp.close(); // one gdb at a time
        continue;
      }
      tcp.setNoDelay(true);
      const conn = new Connection(tcp, new GdbStub(dbg, options.devices ?? {}));
      connection = conn;
      if (running) dbg.interrupt(); // gdb expects a stopped target
      serve(conn);
    }
  };
  acceptLoop();

  const nextCommand = () => new Promise<Command>((resolve) => (command = resolve));
  let stop: StopReason;
  let pending: Promise<Command> | undefined = options.waitForGdb ? nextCommand() : undefined;
  try {
    for (;;) {
      let step = false;
      if (pending !== undefined) {
        const c = await pending;
        pending = undefined;
        if (c.kind === "kill") {
          stop = { kind: "stopped" };
          break;
        }
        step = c.step;
      }
      running = true;
      const result = await dbg.resume(step, options.limits);
      running = false;
      if (result.kind === "ended") {
        stop = result.reason;
        if (connection !== undefined && awaitingStop) {
          await connection.send(stopReply(result, exitStatus(result.reason)));
        }
        break;
      }
      lastStop = result;
      if (connection === undefined) {
        // No gdb: a magic breakpoint prints and the guest goes on.
        if (result.kind === "magic") options.onMagicBreak?.(result);
        stopped?.();
        continue;
      }
      pending = nextCommand();
      if (awaitingStop) {
        awaitingStop = false;
        const note = modeNote(dbg, connection.stub);
        if (note) await connection.send(`O${textToHex(note)}`);
        await connection.send(stopReply(result));
      }
      stopped?.();
    }
  } finally {
    accepting = false;
    connection?.close();
    server.close();
  }
  return stop;
}
