import { deepStrictEqual } from "@std/assert";
import { FwCfg } from "../../lib/devices/fw-cfg.ts";
import { Bus } from "../../lib/machine/bus.ts";
import { portIo } from "../support/ports.ts";

function rig() {
  const bus = new Bus("io", 0x10000);
  bus.register(0x510, 2, new FwCfg({ memoryBytes: 0x12345000, cpus: 1 }), "fw_cfg");
  const { outw, inb } = portIo(bus);
  const item = (key: number, n: number) => {
    outw(0x510, key);
    return Array.from({ length: n }, () => inb(0x511));
  };
  return { item };
}

Deno.test("fw_cfg: signature, ID, RAM size and CPU count; unknown keys read zeros", () => {
  const { item } = rig();
  deepStrictEqual(String.fromCharCode(...item(0, 4)), "QEMU");
  deepStrictEqual(item(1, 4), [1, 0, 0, 0]);
  deepStrictEqual(item(3, 8), [0x00, 0x50, 0x34, 0x12, 0, 0, 0, 0]);
  deepStrictEqual(item(5, 2), [1, 0]);
  deepStrictEqual(item(0x0f, 2), [1, 0]);
  deepStrictEqual(item(0x19, 4), [0, 0, 0, 0], "no files");
  deepStrictEqual(item(0x1234, 2), [0, 0]);
  deepStrictEqual(item(0, 6).slice(4), [0, 0], "past the end: zeros");
});
