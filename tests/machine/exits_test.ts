import { deepStrictEqual, strictEqual } from "@std/assert";
import { ExitReason, KvmRun, PIO_DATA_OFFSET, RUN_FIELDS } from "../../lib/kvm/structs.ts";
import {
  decodeExit,
  encodeInternalError,
  encodeIoExit,
  encodeMmioExit,
  ExitDecoder,
  type VcpuExit,
} from "../../lib/vcpu/contract.ts";
import { Bus, type BusDevice } from "../../lib/machine/bus.ts";
import { type ExitContext, handleExit } from "../../lib/machine/exits.ts";
import { DebugExit } from "../../lib/devices/debug-exit.ts";
import { VgaText } from "../../lib/devices/vga-text.ts";

class Port implements BusDevice {
  written: number[] = [];
  value = 0x5a;
  read(_o: number, data: Uint8Array) {
    data.fill(this.value);
  }
  write(_o: number, data: Uint8Array) {
    this.written.push(...data);
  }
}

function context(): { ctx: ExitContext; port: Port; vga: VgaText } {
  const ports = new Bus("ports", 0x10000);
  const mmio = new Bus("mmio", 2 ** 52);
  const port = new Port();
  const vga = new VgaText();
  ports.register(0x80, 1, port, "post");
  mmio.register(0xb8000, 0x8000, vga, "vga");
  return {
    ctx: { ports, mmio, hasInterruptSources: false, interruptsEnabled: false },
    port,
    vga,
  };
}

Deno.test("exits: OUT and REP OUTS deliver every byte to the device", () => {
  const { ctx, port } = context();
  const run = new KvmRun();
  encodeIoExit(run, true, 1, 0x80, 3).set([1, 2, 3]);
  const exit = decodeExit(run);
  deepStrictEqual(handleExit(ctx, exit), { action: "continue" });
  deepStrictEqual(port.written, [1, 2, 3]);
});

Deno.test("exits: IN fills the run structure's data for the next run", () => {
  const { ctx } = context();
  const run = new KvmRun();
  encodeIoExit(run, false, 1, 0x80, 2); // REP INSB: two reads of the same port
  handleExit(ctx, decodeExit(run));
  deepStrictEqual([...run.bytes.subarray(PIO_DATA_OFFSET, PIO_DATA_OFFSET + 2)], [0x5a, 0x5a]);
  encodeIoExit(run, false, 2, 0x80, 1); // a word read covers 0x80 and the empty 0x81
  handleExit(ctx, decodeExit(run));
  deepStrictEqual([...run.bytes.subarray(PIO_DATA_OFFSET, PIO_DATA_OFFSET + 2)], [0x5a, 0xff]);
});

Deno.test("exits: MMIO writes reach VGA memory and reads come back from it", () => {
  const { ctx, vga } = context();
  const run = new KvmRun();
  encodeMmioExit(run, 0xb8000 + 10, true, 2).set([0x41, 0x1f]);
  handleExit(ctx, decodeExit(run));
  deepStrictEqual(vga.cell(0, 5), { char: 0x41, attr: 0x1f });
  const data = encodeMmioExit(run, 0xb8000 + 10, false, 2);
  data.fill(0);
  handleExit(ctx, decodeExit(run));
  deepStrictEqual([...data], [0x41, 0x1f]);
});

Deno.test("exits: HLT stops unless interrupts are on and something can raise one", () => {
  const { ctx } = context();
  const hlt: VcpuExit = { kind: "hlt" };
  deepStrictEqual(handleExit(ctx, hlt), { action: "stop", reason: { kind: "halt" } });
  ctx.interruptsEnabled = true;
  deepStrictEqual(handleExit(ctx, hlt), { action: "stop", reason: { kind: "halt" } });
  ctx.hasInterruptSources = true;
  deepStrictEqual(handleExit(ctx, hlt), { action: "wait" });
  ctx.interruptsEnabled = false;
  deepStrictEqual(handleExit(ctx, hlt), { action: "stop", reason: { kind: "halt" } });
});

Deno.test("exits: crashes map to causes", () => {
  const { ctx } = context();
  const cause = (exit: VcpuExit) => {
    const a = handleExit(ctx, exit);
    return a.action === "stop" && a.reason.kind === "crash" ? a.reason.cause : a.action;
  };
  strictEqual(cause({ kind: "shutdown" }), "triple-fault");
  strictEqual(cause({ kind: "fail-entry", hardwareReason: 0x80000021n }), "invalid-guest-state");
  strictEqual(cause({ kind: "internal-error", suberror: 1, detail: "" }), "emulation-failure");
  strictEqual(cause({ kind: "internal-error", suberror: 2, detail: "" }), "internal-error");
  strictEqual(cause({ kind: "unknown", reason: 99 }), "unknown-exit");
  strictEqual(cause({ kind: "intr" }), "continue");
});

Deno.test("exits: decoding never indexes outside the run structure", () => {
  const run = new KvmRun();
  run.exitReason = ExitReason.IO;
  run.setU8(RUN_FIELDS["io.size"], 4);
  run.setU32(RUN_FIELDS["io.count"], 0xffffffff);
  run.setU64(RUN_FIELDS["io.data_offset"], 2n ** 63n);
  strictEqual(decodeExit(run).kind, "internal-error");
  run.setU32(RUN_FIELDS["io.count"], 1);
  run.setU64(RUN_FIELDS["io.data_offset"], run.bytes.length - 2);
  strictEqual(decodeExit(run).kind, "internal-error");
  run.exitReason = ExitReason.MMIO;
  run.setU32(RUN_FIELDS["mmio.len"], 0xffffffff);
  const mmio = decodeExit(run);
  strictEqual(mmio.kind === "mmio" && mmio.data.length, 8);
  run.exitReason = 0xdeadbeef;
  deepStrictEqual(decodeExit(run), { kind: "unknown", reason: 0xdeadbeef });
});

Deno.test("exits: internal errors carry their data words", () => {
  const run = new KvmRun();
  encodeInternalError(run, 1, [0x1234n, 5n]);
  deepStrictEqual(decodeExit(run), { kind: "internal-error", suberror: 1, detail: "0x1234 0x5" });
});

Deno.test("debug-exit: the value written becomes the code", () => {
  const d = new DebugExit();
  d.write(0, new Uint8Array([0x34, 0x12]));
  strictEqual(d.code, 0x1234);
});

Deno.test("exit decoder: same exits as decodeExit, one object per kind, views reused", () => {
  const run = new KvmRun();
  const decoder = new ExitDecoder(run);
  encodeIoExit(run, true, 2, 0x3f8, 3).set([1, 2, 3, 4, 5, 6]);
  const io = decoder.decode();
  deepStrictEqual({ ...io }, { ...decodeExit(run) });
  encodeIoExit(run, false, 2, 0x60, 3);
  const io2 = decoder.decode();
  strictEqual(io2, io, "the io exit object is reused");
  strictEqual(io2.kind === "io" && io2.isWrite, false);
  encodeMmioExit(run, 0xb8000 + 4, true, 2).set([0x41, 0x07]);
  const mmio = decoder.decode();
  deepStrictEqual({ ...mmio }, { ...decodeExit(run) });
  encodeMmioExit(run, 0xa0000, false, 1);
  strictEqual(decoder.decode(), mmio);
  strictEqual(mmio.kind === "mmio" && mmio.data.length, 1);
  run.exitReason = ExitReason.HLT;
  deepStrictEqual(decoder.decode(), { kind: "hlt" });
  encodeInternalError(run, 1, [7n]);
  deepStrictEqual(decoder.decode(), { kind: "internal-error", suberror: 1, detail: "0x7" });
  // Hostile values still never index outside the run structure.
  run.exitReason = ExitReason.IO;
  run.setU8(RUN_FIELDS["io.size"], 4);
  run.setU32(RUN_FIELDS["io.count"], 0xffffffff);
  strictEqual(decoder.decode().kind, "internal-error");
});

Deno.test("exits: a batched REP OUTS stops writing after the element that stops the run", () => {
  const { ctx } = context();
  const exit = new DebugExit();
  ctx.ports.register(0xf4, 4, exit, "debug-exit");
  const run = new KvmRun();
  encodeIoExit(run, true, 1, 0xf4, 4).set([5, 7, 8, 9]);
  const stopping = { ...ctx, stopping: () => exit.code !== undefined };
  strictEqual(handleExit(stopping, decodeExit(run)).action, "continue");
  strictEqual(exit.code, 5);
});
