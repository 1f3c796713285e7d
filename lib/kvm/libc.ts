/**
 * The few libc calls KVM needs, through Deno's FFI. Each failing call becomes
 * a {@link SyscallError} that names the call and `strerror(errno)`.
 *
 * @module
 */

/** errno values picovmm tests for. */
export const Errno = { EINTR: 4, EAGAIN: 11, ENOENT: 2, EACCES: 13, ENODEV: 19 } as const;

/** open(2) flags and mmap(2) constants (x86-64 glibc). */
export const O_RDWR = 2;
/** Close the descriptor on exec. */
export const O_CLOEXEC = 0x80000;
/** mmap protection: read. */
export const PROT_READ = 1;
/** mmap protection: write. */
export const PROT_WRITE = 2;
/** Shared mapping. */
export const MAP_SHARED = 1;
/** Anonymous mapping. */
export const MAP_ANONYMOUS = 0x20;
/** Do not reserve swap for the mapping. */
export const MAP_NORESERVE = 0x4000;

const MAP_FAILED = 0xffffffffffffffffn;

/** A failed system call, with its errno. */
export class SyscallError extends Error {
  override name = "SyscallError";
  constructor(readonly call: string, readonly errno: number, message: string) {
    super(`${call}: ${message}`);
  }
}

// The calls in three groups, each bound on its first use: Deno's FFI prepares every symbol
// of a dlopen (about 0.3 ms each here), and a KVM run needs only the first group (the
// errors group once a call fails, the files group for `--accel auto`'s host check).
const symbols = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  ioctl_value: { name: "ioctl", parameters: ["i32", "u64", "u64"], result: "i32" },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  gettid: { parameters: [], result: "i32" },
  timer_create: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  timer_settime: { parameters: ["pointer", "i32", "buffer", "pointer"], result: "i32" },
  timer_delete: { parameters: ["pointer"], result: "i32" },
} as const;
const errorSymbols = {
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;
const fileSymbols = {
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  access: { parameters: ["buffer", "i32"], result: "i32" },
} as const;

type Symbols<S extends Deno.ForeignLibraryInterface> = Deno.DynamicLibrary<S>["symbols"];

let libc: Symbols<typeof symbols> | undefined;
let libcErrors: Symbols<typeof errorSymbols> | undefined;
let libcFiles: Symbols<typeof fileSymbols> | undefined;

/** Binds `wanted` in libc; throws a clear error where FFI or libc is not available. */
function bind<S extends Deno.ForeignLibraryInterface>(wanted: S): Symbols<S> {
  try {
    return Deno.dlopen("libc.so.6", wanted).symbols;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`cannot load libc.so.6 through FFI (${why}); run with --allow-ffi`);
  }
}

/** Loads libc's system calls once; throws a clear error where FFI or libc is not available. */
export function loadLibc(): Symbols<typeof symbols> {
  return libc ??= bind(symbols);
}

/** The calling thread's errno. */
export function errno(): number {
  const p = (libcErrors ??= bind(errorSymbols)).__errno_location();
  return p ? new Deno.UnsafePointerView(p).getInt32(0) : 0;
}

/** strerror(errno) as a string. */
export function strerror(code: number): string {
  const p = (libcErrors ??= bind(errorSymbols)).strerror(code);
  return p ? Deno.UnsafePointerView.getCString(p) : `errno ${code}`;
}

/** Throws a SyscallError for `call` when `result` is negative; returns it otherwise. */
export function check(call: string, result: number): number {
  if (result < 0) {
    const code = errno();
    throw new SyscallError(call, code, strerror(code));
  }
  return result;
}

const encoder = new TextEncoder();

/** open(2) with O_CLOEXEC. */
export function open(path: string, flags: number): number {
  return check(`open ${path}`, loadLibc().open(encoder.encode(path + "\0"), flags | O_CLOEXEC));
}

/** Whether `path` exists (access(2) with F_OK; no Deno read permission needed). */
export function exists(path: string): boolean {
  return (libcFiles ??= bind(fileSymbols)).access(encoder.encode(path + "\0"), 0) === 0;
}

/** The first `limit` bytes of a small file as text, or undefined when it cannot be read. */
export function readSmallFile(path: string, limit = 256): string | undefined {
  let fd: number;
  try {
    fd = open(path, 0); // O_RDONLY
  } catch {
    return undefined;
  }
  try {
    const buffer = new Uint8Array(limit);
    const n = Number((libcFiles ??= bind(fileSymbols)).read(fd, buffer, BigInt(limit)));
    return n < 0 ? undefined : new TextDecoder().decode(buffer.subarray(0, n));
  } finally {
    close(fd);
  }
}

/** close(2). */
export function close(fd: number): void {
  loadLibc().close(fd);
}

/** ioctl(2) with a struct argument; returns the (non-negative) result. */
export function ioctl(fd: number, request: bigint, arg: Uint8Array, name: string): number {
  return check(name, loadLibc().ioctl(fd, request, arg));
}

/** ioctl(2) with an integer argument. */
export function ioctlValue(
  fd: number,
  request: bigint,
  arg: bigint | number,
  name: string,
): number {
  return check(name, loadLibc().ioctl_value(fd, request, BigInt(arg)));
}

/**
 * ioctl(2) with no argument that returns instead of throwing: the result, or
 * `-errno` when it failed. The caller decides which failures are errors.
 */
export function ioctlNoThrow(fd: number, request: bigint): number {
  const r = loadLibc().ioctl_value(fd, request, 0n);
  return r >= 0 ? r : -errno();
}

/** A memory mapping: its address and a zero-copy view. */
export interface Mapping {
  readonly pointer: Deno.PointerObject;
  readonly address: bigint;
  readonly bytes: Uint8Array;
}

/** mmap(2); `fd` -1 for anonymous memory. */
export function mmap(
  length: number,
  prot: number,
  flags: number,
  fd: number,
  name: string,
): Mapping {
  const p = loadLibc().mmap(null, BigInt(length), prot, flags, fd, 0n);
  const address = BigInt(Deno.UnsafePointer.value(p));
  if (p === null || address === MAP_FAILED) {
    const code = errno();
    throw new SyscallError(name, code, strerror(code));
  }
  const bytes = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, length));
  return { pointer: p, address, bytes };
}

/** munmap(2). */
export function munmap(mapping: Mapping): void {
  loadLibc().munmap(mapping.pointer, BigInt(mapping.bytes.byteLength));
}

/** The calling thread's kernel id. */
export function gettid(): number {
  return loadLibc().gettid();
}

const CLOCK_MONOTONIC = 1;
const SIGEV_THREAD_ID = 4;

/**
 * A POSIX timer that sends `signal` to one thread every `intervalMs`: used to
 * interrupt KVM_RUN on the thread that runs the vCPU.
 */
export class ThreadTimer {
  readonly #id: Deno.PointerValue;
  #armed = false;

  constructor(signal: number, tid: number) {
    const c = loadLibc();
    // struct sigevent: sigev_value @0 (8), sigev_signo @8, sigev_notify @12, _tid @16; 64 bytes.
    const ev = new Uint8Array(64);
    const dv = new DataView(ev.buffer);
    dv.setInt32(8, signal, true);
    dv.setInt32(12, SIGEV_THREAD_ID, true);
    dv.setInt32(16, tid, true);
    const out = new BigUint64Array(1);
    check("timer_create", c.timer_create(CLOCK_MONOTONIC, ev, new Uint8Array(out.buffer)));
    this.#id = Deno.UnsafePointer.create(out[0]);
  }

  /** Fires first after `intervalMs`, then every `intervalMs`; 0 disarms. */
  arm(intervalMs: number): void {
    const spec = new BigInt64Array(4); // it_interval {sec, nsec}, it_value {sec, nsec}
    const ns = BigInt(Math.round(intervalMs * 1e6));
    spec[0] = ns / 1_000_000_000n;
    spec[1] = ns % 1_000_000_000n;
    spec[2] = spec[0];
    spec[3] = spec[1];
    check(
      "timer_settime",
      loadLibc().timer_settime(this.#id, 0, new Uint8Array(spec.buffer), null),
    );
    this.#armed = intervalMs > 0;
  }

  /** Whether the timer is running. */
  get armed(): boolean {
    return this.#armed;
  }

  /** Deletes the timer. */
  close(): void {
    loadLibc().timer_delete(this.#id);
  }
}
