/**
 * Fuzz cases for the software CPU: random and mutated images, each one a pure
 * function of (seed, index) so any case can be rebuilt from its number.
 *
 * @module
 */

import { Guest } from "../../mod.ts";
import type { StopReason } from "../../mod.ts";
import { timerLoopSector } from "./programs.ts";

/** A small, fast, seedable PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One generated case. */
export interface FuzzCase {
  index: number;
  image: Uint8Array;
  /** RAM in bytes; undefined: the boot mode's default. */
  memory?: number;
  /** Flat image at 0, or a disk booted by the BIOS (signature not required). */
  boot: "flat" | "bios";
  how: string;
}

/** The BIOS services a boot sector can call. */
const BIOS_VECTORS = [0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x1a];

/**
 * A boot sector that calls BIOS services with random registers: the hostile
 * input the TypeScript BIOS must answer with error returns, never a host fault.
 */
function biosCalls(int: (n: number) => number): number[] {
  const code: number[] = [];
  const imm = () => [int(256), int(256)];
  for (let calls = 1 + int(8); calls > 0; calls--) {
    code.push(0xb8, ...imm(), 0x8e, 0xc0); // mov ax, imm; mov es, ax
    if (int(2)) code.push(0xb8, ...imm(), 0x8e, 0xd8); // mov ds, ax
    for (const op of [0xbb, 0xb9, 0xba, 0xbe, 0xbf, 0xbd]) code.push(op, ...imm()); // bx cx dx si di bp
    code.push(0xb8, ...imm()); // ax last: it selects the function
    code.push(0xcd, BIOS_VECTORS[int(BIOS_VECTORS.length)]); // int n
  }
  code.push(0xfa, 0xf4); // cli; hlt
  return code;
}

const MEMORY_SIZES = [4096, 0x10000, 0x100000];

/** Builds case `index` of the campaign `seed`, mutating images from `corpus`. */
export function makeCase(seed: number, index: number, corpus: Uint8Array[]): FuzzCase {
  const rand = prng((seed * 0x9e3779b1) ^ (index * 0x85ebca6b));
  const int = (n: number) => Math.floor(rand() * n);
  const memory = MEMORY_SIZES[int(MEMORY_SIZES.length)];
  let image: Uint8Array;
  let how: string;
  if (rand() < 0.15) {
    return { index, image: timerLoopSector(int), boot: "bios", how: "timer loop" };
  }
  if (rand() < 0.25) {
    const sector = new Uint8Array(512);
    sector.set(biosCalls(int));
    sector[510] = 0x55;
    sector[511] = 0xaa;
    return { index, image: sector, boot: "bios", how: "bios calls" };
  }
  if (corpus.length === 0 || rand() < 0.4) {
    image = new Uint8Array(1 + int(Math.min(memory, 2048)));
    for (let i = 0; i < image.length; i++) image[i] = int(256);
    how = "random";
  } else {
    const base = corpus[int(corpus.length)];
    const bytes = [...base];
    const edits = 1 + int(8);
    for (let e = 0; e < edits; e++) {
      const at = int(bytes.length + 1);
      switch (int(4)) {
        case 0: // flip a bit
          if (bytes.length) bytes[at % bytes.length] ^= 1 << int(8);
          break;
        case 1: // replace a byte
          if (bytes.length) bytes[at % bytes.length] = int(256);
          break;
        case 2: // insert random bytes
          bytes.splice(at, 0, ...Array.from({ length: 1 + int(8) }, () => int(256)));
          break;
        default: // splice in a piece of another corpus image
        {
          const other = corpus[int(corpus.length)];
          const from = int(other.length);
          bytes.splice(at, 0, ...other.subarray(from, from + 1 + int(32)));
        }
      }
    }
    image = new Uint8Array(bytes.slice(0, memory));
    if (image.length === 0) image = new Uint8Array([0xf4]);
    how = `mutated x${edits}`;
  }
  // Boot sectors from the corpus boot through the BIOS; everything else is flat.
  if (image.length >= 512 && image[510] === 0x55 && image[511] === 0xaa && int(2)) {
    return { index, image, boot: "bios", how: `${how}, bios` };
  }
  return { index, image, memory, boot: "flat", how };
}

/** What a guest may legitimately end with; anything else is a finding. */
const DOCUMENTED: ReadonlySet<StopReason["kind"]> = new Set([
  "halt",
  "debug-exit",
  "power-off",
  "instruction-limit",
  "crash",
]);

/** The outcome of one case: its stop, or the problem found. */
export type FuzzOutcome = { ok: true; stop: StopReason } | { ok: false; problem: string };

/** Instruction counts at which a case's two runs are compared, the last being the limit. */
export function checkpoints(c: FuzzCase, instructions: number): number[] {
  const rand = prng(c.index ^ 0xc0ffee);
  const at = Array.from({ length: CHECKPOINTS - 1 }, () => 1 + Math.floor(rand() * instructions));
  return [...new Set([...at, instructions])].sort((a, b) => a - b);
}

/** How many times a case's runs are compared. */
const CHECKPOINTS = 4;

/**
 * Runs one case on the software CPU with an instruction limit, once with the
 * block translator and once on the interpreter alone: both runs must be in
 * the same state (stop, registers, segments, memory, serial output, screen)
 * at each of {@link checkpoints}, or the case is a finding too. The
 * translated run also stops at other counts in between, which must change
 * nothing.
 */
export async function runFuzzCase(c: FuzzCase, instructions: number): Promise<FuzzOutcome> {
  const compared = checkpoints(c, instructions);
  const between = compared.map((n, i) => Math.max(1, n - 1 - ((n * 7 + i) % 97)));
  const translated = await runOnce(c, compared, between);
  if (!translated.outcome.ok) return translated.outcome;
  const interpreted = await runOnce(c, compared, undefined);
  if (!interpreted.outcome.ok) return interpreted.outcome;
  for (let i = 0; i < compared.length; i++) {
    if (translated.fingerprints[i] !== interpreted.fingerprints[i]) {
      return {
        ok: false,
        problem: `translated and interpreted runs differ at ${compared[i]} instructions:\n` +
          `  translated  ${translated.fingerprints[i]}\n  interpreted ${
            interpreted.fingerprints[i]
          }`,
      };
    }
  }
  return translated.outcome;
}

/**
 * One run of a case to each of `compared` in turn (translated when `between`,
 * which adds stops that are not compared), and a fingerprint at each.
 */
async function runOnce(
  c: FuzzCase,
  compared: number[],
  between: number[] | undefined,
): Promise<{ outcome: FuzzOutcome; fingerprints: string[] }> {
  let guest: Guest | undefined;
  const fingerprints: string[] = [];
  try {
    guest = Guest.create(c.image, {
      accel: "emu",
      boot: c.boot,
      memory: c.memory,
      noSignatureCheck: true,
      rtcStart: 0, // the same clock every run, so a case replays exactly
      translate: between !== undefined,
    });
    const ram = Math.min(c.memory ?? (c.boot === "bios" ? 0xa0000 : 0x1000), 0xa0000);
    const stops = [...new Set([...compared, ...(between ?? [])])].sort((a, b) => a - b);
    let last: Awaited<ReturnType<Guest["run"]>> | undefined;
    let reached = 0;
    for (const n of stops) {
      // `instructions` counts from where each run starts.
      const result = await guest.run({ instructions: n - reached });
      reached = n;
      last = result;
      if (!DOCUMENTED.has(result.stop.kind)) {
        const problem = `undocumented stop ${JSON.stringify(result.stop)}`;
        return { outcome: { ok: false, problem }, fingerprints };
      }
      // The stop must be reportable: a snapshot and a description never throw.
      Guest.describe(result);
      const ended = result.stop.kind !== "instruction-limit";
      if (compared.includes(n) || ended) {
        const cpu = result.cpu;
        // The whole of RAM and the screen's pixels at the end; before it, what guests touch most
        // (the IVT, the BIOS data area, the boot sector, the stack and the segment at 0x10000).
        const final = ended || n === compared[compared.length - 1];
        const fingerprint = JSON.stringify({
          stop: result.stop,
          regs: Object.entries(cpu.regs).map(([name, v]) => `${name}=${v.toString(16)}`).join(" "),
          segments: Object.entries(cpu.segments).map(([name, s]) =>
            `${name}=${s.selector.toString(16)}:${s.base.toString(16)}`
          ).join(" "),
          memory: hash(guest.readMemory(0, final ? ram : Math.min(ram, 0x20000))),
          serial: guest.serialText(),
          screen: final ? hash(guest.screenRgba().rgba) : guest.screenText(),
        });
        // After the end, every later checkpoint sees the end.
        while (
          fingerprints.length < compared.length && (ended || compared[fingerprints.length] <= n)
        ) {
          fingerprints.push(fingerprint);
        }
      }
      if (ended) break;
    }
    return { outcome: { ok: true, stop: last!.stop }, fingerprints };
  } catch (e) {
    const text = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
    return { outcome: { ok: false, problem: `host exception: ${text}` }, fingerprints };
  } finally {
    guest?.close();
  }
}

/** FNV-1a over the 32-bit words of `bytes` (a multiple of 4 bytes long, as RAM is). */
function hash(bytes: Uint8Array): number {
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i], 0x01000193);
  return h >>> 0;
}

/** Loads the assembled guests as the mutation corpus. */
export function loadCorpus(dir: URL): Uint8Array[] {
  const corpus: Uint8Array[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile && entry.name.endsWith(".bin")) {
      corpus.push(Deno.readFileSync(new URL(entry.name, dir)));
    }
  }
  return corpus.sort((a, b) => a.length - b.length);
}
