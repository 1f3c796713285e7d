import { deepStrictEqual, strictEqual } from "@std/assert";
import { Serial16550 } from "../../lib/devices/serial.ts";

function reg(uart: Serial16550, offset: number): number {
  const data = new Uint8Array(1);
  uart.read(offset, data);
  return data[0];
}
const put = (uart: Serial16550, offset: number, value: number) =>
  uart.write(offset, new Uint8Array([value]));

Deno.test("serial: THR bytes go out; LSR always shows an empty transmitter", () => {
  const out: number[] = [];
  const uart = new Serial16550({ onOutput: (b) => out.push(b) });
  strictEqual(reg(uart, 5) & 0x60, 0x60);
  put(uart, 0, 0x41);
  put(uart, 0, 0x42);
  deepStrictEqual(out, [0x41, 0x42]);
  strictEqual(reg(uart, 5) & 0x01, 0, "no data ready");
});

Deno.test("serial: DLAB switches offsets 0/1 to the divisor latch", () => {
  const out: number[] = [];
  const uart = new Serial16550({ onOutput: (b) => out.push(b) });
  put(uart, 3, 0x80);
  put(uart, 0, 0x01);
  put(uart, 1, 0x00);
  strictEqual(uart.divisor, 1);
  strictEqual(reg(uart, 0), 1);
  put(uart, 3, 0x03);
  deepStrictEqual(out, [], "divisor writes are not output");
});

Deno.test("serial: received bytes set DR and raise the RX interrupt when enabled", () => {
  const irq: boolean[] = [];
  const uart = new Serial16550({ setIrq: (l) => irq.push(l) });
  put(uart, 1, 0x01);
  uart.receive(new TextEncoder().encode("hi"));
  strictEqual(reg(uart, 5) & 1, 1);
  strictEqual(reg(uart, 2) & 0x0f, 0x04);
  strictEqual(irq.at(-1), true);
  strictEqual(reg(uart, 0), 0x68);
  strictEqual(reg(uart, 0), 0x69);
  strictEqual(reg(uart, 5) & 1, 0);
  strictEqual(irq.at(-1), false);
  strictEqual(reg(uart, 2) & 0x0f, 0x01);
});

Deno.test("serial: input is bounded and the overrun is reported once", () => {
  const uart = new Serial16550({ inputLimit: 4 });
  strictEqual(uart.receive([1, 2, 3, 4, 5, 6]), 4);
  strictEqual(reg(uart, 5) & 0x02, 0x02);
  strictEqual(reg(uart, 5) & 0x02, 0);
});

Deno.test("serial: loopback returns written bytes as input", () => {
  const out: number[] = [];
  const uart = new Serial16550({ onOutput: (b) => out.push(b) });
  put(uart, 4, 0x10);
  put(uart, 0, 0x55);
  deepStrictEqual(out, []);
  strictEqual(reg(uart, 0), 0x55);
});
