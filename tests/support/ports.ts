// Byte and word port access on a bus, as device tests drive their devices.
import type { Bus } from "../../lib/machine/bus.ts";

/** `out`, `outw` and `inb` on `bus`, like the guest's instructions of those names. */
export function portIo(bus: Bus): {
  out: (port: number, value: number) => void;
  outw: (port: number, value: number) => void;
  inb: (port: number) => number;
} {
  return {
    out: (port, value) => bus.write(port, Uint8Array.of(value)),
    outw: (port, value) => bus.write(port, Uint8Array.of(value & 0xff, (value >> 8) & 0xff)),
    inb: (port) => {
      const d = new Uint8Array(1);
      bus.read(port, d);
      return d[0];
    },
  };
}
