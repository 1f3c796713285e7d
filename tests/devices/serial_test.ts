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

Deno.test("serial: no input is dropped: 100 000 bytes in three sends arrive in order", () => {
  const uart = new Serial16550();
  const bytes = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 7) & 0xff);
  strictEqual(uart.receive(bytes.subarray(0, 1)), 1);
  strictEqual(uart.receive(bytes.subarray(1, 60_000)), 59_999);
  strictEqual(uart.receive(Array.from(bytes.subarray(60_000))), 40_000);
  bytes.fill(0, 0, 10); // the UART keeps its own copy
  strictEqual(uart.pendingInput, 100_000);
  put(uart, 2, 0x07); // FIFO on, both FIFOs reset: host input is kept
  for (let i = 0; i < 100_000; i++) {
    if (reg(uart, 5) !== 0x61) throw new Error(`byte ${i}: LSR is not data ready only`);
    if (reg(uart, 0) !== ((i * 7) & 0xff)) throw new Error(`byte ${i} out of order`);
  }
  strictEqual(reg(uart, 5) & 0x01, 0);
  strictEqual(uart.pendingInput, 0);
});

Deno.test("serial: with the FIFO on, IIR reads C4h while data waits and C1h after", () => {
  const irq: boolean[] = [];
  const uart = new Serial16550({ setIrq: (l) => irq.push(l) });
  put(uart, 2, 0x01);
  put(uart, 1, 0x01);
  strictEqual(reg(uart, 2), 0xc1);
  uart.receive(Uint8Array.of(1, 2));
  strictEqual(reg(uart, 2), 0xc4);
  deepStrictEqual(irq, [false, true]);
  reg(uart, 0);
  strictEqual(reg(uart, 2), 0xc4, "one byte still waits");
  reg(uart, 0);
  strictEqual(reg(uart, 2), 0xc1);
  deepStrictEqual(irq, [false, true, false]);
});

Deno.test("serial: loopback returns written bytes as input", () => {
  const out: number[] = [];
  const uart = new Serial16550({ onOutput: (b) => out.push(b) });
  put(uart, 4, 0x10);
  put(uart, 0, 0x55);
  deepStrictEqual(out, []);
  strictEqual(reg(uart, 0), 0x55);
});
