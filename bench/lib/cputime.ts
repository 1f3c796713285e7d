/**
 * CPU time of the calling thread (getrusage RUSAGE_THREAD through libc), so
 * that a measurement can be read both as wall time and as CPU time: on a
 * shared, loaded machine the wall time also counts the time spent waiting
 * for a core.
 *
 * @module
 */

const RUSAGE_THREAD = 1;

let getrusage: ((who: number, usage: Uint8Array) => number) | undefined;
const usage = new BigInt64Array(18); // struct rusage: 144 bytes, the two timevals first

/** User and system CPU time of the calling thread, in ns. */
export function threadTimes(): { user: number; sys: number } {
  if (!getrusage) {
    const lib = Deno.dlopen("libc.so.6", {
      getrusage: { parameters: ["i32", "buffer"], result: "i32" },
    });
    getrusage = lib.symbols.getrusage;
  }
  if (getrusage(RUSAGE_THREAD, new Uint8Array(usage.buffer)) !== 0) {
    throw new Error("getrusage(RUSAGE_THREAD) failed");
  }
  return {
    user: Number(usage[0]) * 1e9 + Number(usage[1]) * 1e3,
    sys: Number(usage[2]) * 1e9 + Number(usage[3]) * 1e3,
  };
}

/** User plus system CPU time of the calling thread, in ns. */
export function threadCpuNs(): number {
  const t = threadTimes();
  return t.user + t.sys;
}
