// Every service on random register states: guest values never become a host
// exception (errors are CF=1 with a code), and RAM outside what a service may
// write stays untouched.
import { strictEqual } from "@std/assert";
import { SERVICE_VECTORS } from "../../lib/bios/rom.ts";
import { BiosRegs } from "../../lib/bios/regs.ts";
import { testBios } from "./support.ts";

/** xorshift32: the same sequence on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

Deno.test("bios: 20000 random calls raise no host exception", () => {
  const image = new Uint8Array(64 * 512);
  image[510] = 0x55;
  image[511] = 0xaa;
  const { bios } = testBios(image, 1024 * 1024);
  const next = random(0x5eed);
  // Interesting values more often than chance would give them.
  const edge = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xfffe, 0xffff];
  const word = () => (next() & 3) === 0 ? edge[next() % edge.length] : next() & 0xffff;
  for (let i = 0; i < 20000; i++) {
    const vector = SERVICE_VECTORS[next() % SERVICE_VECTORS.length];
    const r = new BiosRegs();
    r.eax = ((next() & 1 ? next() & 0xffff0000 : 0) | word()) >>> 0;
    r.ebx = word();
    r.ecx = word();
    r.edx = (next() & 1) ? (next() & 0x81) | (word() & 0xff00) : word();
    r.esi = word();
    r.edi = word();
    r.ebp = word();
    r.ds = word();
    r.es = word();
    r.ss = 0;
    r.sp = 0x7c00;
    if ((next() & 7) === 0) r.edx = 0x534d4150; // E820's signature
    bios.call(vector, r);
    strictEqual(r.eax >>> 0, r.eax, "registers stay 32-bit");
    strictEqual(r.ip <= 0xffff && r.cs <= 0xffff, true);
  }
  strictEqual(bios.memoryFaults, 0, "every guest address was checked before use");
});
