/**
 * Exit handling: a pure function of the devices and one decoded exit. The run
 * loop only enters the guest and acts on what this returns, so every exit
 * path is tested with hand-made exits and no accelerator.
 *
 * @module
 */

import type { VcpuExit } from "../vcpu/contract.ts";
import type { Bus } from "./bus.ts";
import type { StopReason } from "./stop.ts";

/** What the run loop does after an exit. */
export type ExitAction =
  | { action: "continue" }
  /** HLT with interrupts enabled: sleep until an interrupt is due. */
  | { action: "wait" }
  /** The guest asked for a CPU reset: reboot, or stop with `{kind: "reset"}` (`noReboot`). */
  | { action: "reset" }
  | { action: "stop"; reason: StopReason };

/** The parts of the machine exits reach. */
export interface ExitContext {
  readonly ports: Bus;
  readonly mmio: Bus;
  /** Whether any device can ever raise an interrupt (a PIC is present). */
  hasInterruptSources: boolean;
  /** The guest's IF at the exit (kvm_run.if_flag). */
  interruptsEnabled: boolean;
  /** Called with one line per exit when tracing. */
  readonly trace?: (line: string) => void;
  /**
   * True once a device has asked the run to stop (debug-exit): the rest of a
   * batched REP OUTS is not written, as hardware stops at that element.
   */
  readonly stopping?: () => boolean;
}

const CONTINUE: ExitAction = { action: "continue" };
const WAIT: ExitAction = { action: "wait" };
const RESET: ExitAction = { action: "reset" };

/** Handles one exit. */
export function handleExit(ctx: ExitContext, exit: VcpuExit): ExitAction {
  switch (exit.kind) {
    case "io":
      handleIo(ctx, exit.isWrite, exit.port, exit.size, exit.count, exit.data);
      return CONTINUE;
    case "mmio":
      if (exit.isWrite) ctx.mmio.write(exit.address, exit.data);
      else ctx.mmio.read(exit.address, exit.data);
      ctx.trace?.(
        `mmio ${exit.isWrite ? "write" : "read"} ${hex(exit.address)} ${bytes(exit.data)}`,
      );
      return CONTINUE;
    case "hlt":
      ctx.trace?.(`hlt (IF=${ctx.interruptsEnabled ? 1 : 0})`);
      return ctx.interruptsEnabled && ctx.hasInterruptSources ? WAIT : stop({ kind: "halt" });
    case "intr":
    case "irq-window-open":
      return CONTINUE;
    case "shutdown":
      return crash("triple-fault", "triple fault (the CPU shut down)");
    case "fail-entry":
      return crash(
        "invalid-guest-state",
        `invalid guest state on entry (hardware reason 0x${exit.hardwareReason.toString(16)})`,
      );
    case "internal-error":
      return crash(
        exit.suberror === 1 ? "emulation-failure" : "internal-error",
        exit.suberror === 1
          ? `emulation failure${exit.detail ? ": " + exit.detail : ""}`
          : `internal error ${exit.suberror}${exit.detail ? ": " + exit.detail : ""}`,
      );
    case "system-event":
      // KVM system events: 1 shutdown, 2 reset, 3 crash.
      if (exit.type === 1) return stop({ kind: "power-off" });
      if (exit.type === 2) return RESET;
      return crash("internal-error", `system event ${exit.type}`);
    case "debug":
      return stop({ kind: "debug", exception: exit.exception, pc: exit.pc, dr6: exit.dr6 });
    case "unknown":
      return crash("unknown-exit", `unknown exit reason ${exit.reason}`);
  }
}

/** Port I/O: `count` accesses of `size` bytes, one after the other in `data`. */
function handleIo(
  ctx: ExitContext,
  isWrite: boolean,
  port: number,
  size: number,
  count: number,
  data: Uint8Array,
): void {
  if (size !== 1 && size !== 2 && size !== 4) return;
  for (let i = 0; i < count; i++) {
    const at = i * size;
    if (at + size > data.length) break;
    const access = data.subarray(at, at + size);
    if (isWrite) {
      ctx.ports.write(port, access);
      if (ctx.stopping?.()) break;
    } else ctx.ports.read(port, access);
  }
  ctx.trace?.(
    `io ${isWrite ? "out" : "in"} port ${hex(port)} size ${size} x${count} ${bytes(data)}`,
  );
}

function stop(reason: StopReason): ExitAction {
  return { action: "stop", reason };
}

function crash(
  cause: Extract<StopReason, { kind: "crash" }>["cause"],
  message: string,
): ExitAction {
  return stop({ kind: "crash", cause, message });
}

function hex(n: number): string {
  return "0x" + n.toString(16);
}

function bytes(data: Uint8Array): string {
  const shown = Array.from(data.subarray(0, 16), (b) => b.toString(16).padStart(2, "0"));
  return `[${shown.join(" ")}${data.length > 16 ? " ..." : ""}]`;
}
