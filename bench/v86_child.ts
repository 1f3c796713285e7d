/**
 * Runs boot-sector images under v86 (npm package `v86`, with Debian's
 * SeaBIOS and VGA BIOS) and prints one JSON line per run: wall time from the
 * start of emulation to the guest's write to the debug-exit port 0xF4, and
 * from the guest's start marker (its write to port 0x80) to that write; the
 * value written, the registers at that write and v86's instruction counter.
 * bench/run.ts starts it as a separate process so that v86's WebAssembly
 * and JIT never share a process with picovmm's measurements.
 *
 * Usage: deno run --allow-read --allow-env --allow-ffi bench/v86_child.ts REPS IMAGE...
 *
 * v86's public API has no port hook, so the write is caught with its I/O
 * port table (`emulator.v86.cpu.io.register_write`), which port devices use.
 *
 * @module
 */

import { V86 } from "v86";
import { threadCpuNs } from "./lib/cputime.ts";

/** Debian's SeaBIOS and VGA BIOS images. */
export const SEABIOS = "/usr/share/seabios/bios.bin";
/** The VGA BIOS matching v86's VGA (a Bochs/QEMU std VGA). */
export const VGABIOS = "/usr/share/seabios/vgabios-stdvga.bin";

/** One run's result, as printed. */
export interface V86RunResult {
  /** The image's path. */
  image: string;
  /** ms from `run()` to the debug-exit write (boot included). */
  ms: number;
  /** ms from the guest's start marker (port 0x80) to the debug-exit write. */
  guestMs: number;
  /** CPU time of the emulating thread over the same span, in ms. */
  guestCpuMs: number;
  /** The byte written to port 0xF4. */
  value: number;
  /** Registers at the write (low 32 bits, unsigned). */
  regs: { rbx: number; rcx: number; rdx: number; rsi: number; rdi: number };
  /** v86's instruction counter at the write. */
  instructions: number;
  /** Its growth from the start marker to the write. */
  guestInstructions: number;
}

/** The part of v86's internals used here (not in its type declarations). */
interface V86Internals {
  v86: {
    cpu: {
      io: {
        register_write(
          port: number,
          device: object,
          write8: (value: number) => void,
          write16?: (value: number) => void,
          write32?: (value: number) => void,
        ): void;
      };
      reg32: Int32Array;
    };
  };
}

const DEBUG_EXIT_PORT = 0xf4;
const MARKER_PORT = 0x80;
const TIMEOUT_MS = 120_000;

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

async function runOnce(
  imagePath: string,
  bios: Uint8Array,
  vgaBios: Uint8Array,
): Promise<V86RunResult> {
  const wasmPath = new URL("v86.wasm", import.meta.resolve("v86")).pathname;
  const image = await Deno.readFile(imagePath);
  const emulator = new V86({
    wasm_path: wasmPath,
    bios: { buffer: toArrayBuffer(bios) },
    vga_bios: { buffer: toArrayBuffer(vgaBios) },
    fda: { buffer: toArrayBuffer(image) },
    memory_size: 16 * 1024 * 1024,
    autostart: false,
    disable_keyboard: true,
    disable_mouse: true,
    disable_speaker: true,
  });
  await new Promise<void>((resolve) => emulator.add_listener("emulator-ready", () => resolve()));
  const cpu = (emulator as unknown as V86Internals).v86.cpu;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await new Promise<V86RunResult>((resolve, reject) => {
    let start = 0;
    let marker = NaN;
    let markerCount = 0;
    let markerCpu = 0;
    cpu.io.register_write(MARKER_PORT, {}, () => {
      if (!Number.isNaN(marker)) return;
      marker = performance.now();
      markerCpu = threadCpuNs();
      markerCount = emulator.get_instruction_counter();
    });
    cpu.io.register_write(DEBUG_EXIT_PORT, {}, (value: number) => {
      const now = performance.now();
      const cpuNow = threadCpuNs();
      const r = cpu.reg32;
      resolve({
        image: imagePath,
        ms: now - start,
        guestMs: now - marker,
        guestCpuMs: (cpuNow - markerCpu) / 1e6,
        value: value & 0xff,
        regs: {
          rcx: r[1] >>> 0,
          rdx: r[2] >>> 0,
          rbx: r[3] >>> 0,
          rsi: r[6] >>> 0,
          rdi: r[7] >>> 0,
        },
        instructions: emulator.get_instruction_counter(),
        guestInstructions: emulator.get_instruction_counter() - markerCount,
      });
    });
    timer = setTimeout(() => reject(new Error(`v86: ${imagePath} did not exit`)), TIMEOUT_MS);
    start = performance.now();
    emulator.run();
  });
  clearTimeout(timer);
  await emulator.stop();
  await emulator.destroy();
  return result;
}

if (import.meta.main) {
  const [repsArg, ...images] = Deno.args;
  const reps = Number(repsArg);
  if (!Number.isInteger(reps) || reps < 1 || images.length === 0) {
    console.error("usage: v86_child.ts REPS IMAGE...");
    Deno.exit(2);
  }
  const bios = await Deno.readFile(SEABIOS);
  const vgaBios = await Deno.readFile(VGABIOS);
  for (const path of images) {
    for (let i = 0; i < reps; i++) {
      console.log(JSON.stringify(await runOnce(path, bios, vgaBios)));
    }
  }
  Deno.exit(0);
}
