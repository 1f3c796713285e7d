/**
 * The benchmark guests: the table of workloads, assembling them with NASM,
 * patching the iteration count, and a model of each loop in TypeScript that
 * gives the result registers and the exit value a correct run must end with.
 *
 * @module
 */

/** Offset of the iteration count N (a little-endian dword) in every guest. */
export const COUNT_OFFSET = 0x1f8;

/** The result registers a run must end with, by kvm_regs name (low 32 bits). */
export type ResultRegs = Partial<Record<"rbx" | "rcx" | "rdx" | "rsi" | "rdi", number>>;

/** What a correct run of a guest for some N ends with. */
export interface Expected {
  /** The value written to the debug-exit port (7 bits). */
  exitValue: number;
  /** Result registers (ECX is always 0 after the loop). */
  regs: ResultRegs;
}

/** One workload. */
export interface Workload {
  /** Short name; also the guest's file name in bench/guests/ without `.asm`. */
  name: string;
  /** What the loop does, for the tables. */
  title: string;
  /** Instructions per loop iteration, as documented in the guest's source. */
  perIteration: number;
  /** How results are reported: MIPS for the CPU loops, ns per operation for device and store loops. */
  unit: "mips" | "ns";
  /** The operation counted once per iteration when `unit` is `ns`. */
  operation?: string;
  /** The model: the result of a correct run for `n` iterations. */
  expected(n: number): Expected;
}

/** What the runners need of a guest: its name and the model of its result. */
export type Model = Pick<Workload, "name" | "expected">;

/** Folds a 32-bit value to 7 bits exactly as the guests' GUEST_EXIT does. */
export function fold7(value: number): number {
  const v = value >>> 0;
  const x = (v & 0xffff) ^ (v >>> 16);
  return ((x & 0xff) ^ (x >>> 8)) & 0x7f;
}

function alu(n: number): Expected {
  let d = 0x12345678, s = 0x9abcdef0, i = 0x0f1e2d3c;
  for (let k = n; k > 0; k--) {
    d = (d + s) >>> 0;
    s = (s ^ d) >>> 0;
    i = (i + s) >>> 0;
    d = (d ^ i) >>> 0;
  }
  return { exitValue: fold7(d ^ s ^ i), regs: { rcx: 0, rdx: d, rsi: s, rdi: i } };
}

function memory(n: number): Expected {
  const ring = new Uint32Array(256);
  let d = 0x01234567, si = 0;
  for (let k = n; k > 0; k--) {
    ring[si] = ring[si] + d;
    d = (d + k) >>> 0;
    si = (si + 1) & 255;
  }
  let x = 0;
  for (const v of ring) x = (x ^ v) >>> 0;
  return { exitValue: fold7(d ^ x), regs: { rcx: 0, rdx: d, rdi: x, rsi: 0 } };
}

function mix(n: number): Expected {
  let ax = 0x1234, dx = 0x5678, si = 0, mem = 0x4321;
  for (let k = n; k > 0; k--) {
    const carry = ax >>> 15;
    ax = (((ax << 1) & 0xffff) + (k & 0xffff) + carry) & 0xffff;
    mem = (mem + ax) & 0xffff;
    si = (si + (ax < dx ? 1 : 0)) & 0xffff;
    dx = (dx + si) & 0xffff;
  }
  return {
    exitValue: fold7(ax ^ dx ^ si ^ mem),
    regs: { rcx: 0, rbx: ax, rdx: dx, rsi: si, rdi: mem },
  };
}

function out(n: number): Expected {
  const ax = n & 0xffff;
  return { exitValue: fold7(ax ^ 0x3ff), regs: { rcx: 0, rbx: ax, rdx: 0x3ff } };
}

function vga(n: number): Expected {
  const ax = (0x1f41 + n) & 0xffff;
  const di = (2 * n) & 0xffe;
  return { exitValue: fold7(ax ^ di), regs: { rcx: 0, rbx: ax, rdi: di } };
}

function selfpage(n: number): Expected {
  const ax = n & 0xffff;
  const v = (n - 1) & 0xffff;
  return { exitValue: fold7(ax ^ v), regs: { rcx: 0, rdx: ax, rdi: v } };
}

/** The empty guest: starts and exits at once (its time is subtracted from the others). */
export const EMPTY: Workload = {
  name: "empty",
  title: "empty sector",
  perIteration: 0,
  unit: "ns",
  expected: () => ({ exitValue: 0, regs: {} }),
};

/** The timed workloads, in report order. */
export const WORKLOADS: readonly Workload[] = [
  {
    name: "alu",
    title: "ALU loop (add/xor/dec/jnz)",
    perIteration: 6,
    unit: "mips",
    expected: alu,
  },
  {
    name: "memory",
    title: "memory loop (load, add, store)",
    perIteration: 8,
    unit: "mips",
    expected: memory,
  },
  {
    name: "mix",
    title: "mix (call/ret, push/pop, shift, cmp, RMW)",
    perIteration: 12,
    unit: "mips",
    expected: mix,
  },
  {
    name: "out",
    title: "OUT to a port (COM1 scratch 0x3FF)",
    perIteration: 4,
    unit: "ns",
    operation: "OUT",
    expected: out,
  },
  {
    name: "vga",
    title: "stores to VGA text memory",
    perIteration: 6,
    unit: "ns",
    operation: "store",
    expected: vga,
  },
  {
    name: "selfpage",
    title: "stores into the code's own page",
    perIteration: 4,
    unit: "ns",
    operation: "store",
    expected: selfpage,
  },
];

/** Looks a workload up by name (the empty guest included). */
export function workload(name: string): Workload {
  if (name === EMPTY.name) return EMPTY;
  const w = WORKLOADS.find((x) => x.name === name);
  if (!w) throw new Error(`unknown workload ${name}`);
  return w;
}

const expectedCache = new Map<string, Expected>();

/** The model's result for `n` iterations (cached: the long loops take a second to model). */
export function expectedFor<E extends Expected>(
  w: { name: string; expected(n: number): E },
  n: number,
): E {
  const key = `${w.name}:${n}`;
  let e = expectedCache.get(key) as E | undefined;
  if (!e) {
    e = w.expected(n);
    expectedCache.set(key, e);
  }
  return e;
}

/** Returns a copy of a guest image with its iteration count set to `n`. */
export function withCount(image: Uint8Array, n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new RangeError(`bad count ${n}`);
  const copy = image.slice();
  new DataView(copy.buffer).setUint32(COUNT_OFFSET, n, true);
  return copy;
}

/** Compares result registers with the model; returns a description of the first mismatch. */
export function checkRegs(expected: Expected, actual: ResultRegs): string | undefined {
  for (const [name, want] of Object.entries(expected.regs)) {
    const got = actual[name as keyof ResultRegs];
    if (got === undefined || (got >>> 0) !== (want >>> 0)) {
      return `${name} = 0x${(got ?? 0).toString(16)}, expected 0x${want.toString(16)}`;
    }
  }
  return undefined;
}

/** The assembled guests, by name. */
export type GuestImages = Map<string, Uint8Array>;

/** Assembles bench/guests/*.asm (all workloads and the empty guest) with NASM. */
export async function assembleGuests(): Promise<GuestImages> {
  const dir = new URL("../guests/", import.meta.url).pathname;
  const out = await Deno.makeTempDir({ prefix: "picovmm-bench-" });
  const images: GuestImages = new Map();
  try {
    for (const w of [EMPTY, ...WORKLOADS]) {
      const bin = `${out}/${w.name}.bin`;
      let result: Deno.CommandOutput;
      try {
        result = await new Deno.Command("nasm", {
          args: ["-f", "bin", "-I", dir, "-o", bin, `${dir}${w.name}.asm`],
        }).output();
      } catch {
        throw new Error("nasm not found (apt-get install nasm)");
      }
      if (!result.success) {
        throw new Error(`nasm ${w.name}.asm: ${new TextDecoder().decode(result.stderr)}`);
      }
      const image = await Deno.readFile(bin);
      if (image.length !== 512 || image[510] !== 0x55 || image[511] !== 0xaa) {
        throw new Error(`${w.name}.bin is not a 512-byte boot sector`);
      }
      images.set(w.name, image);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  return images;
}
