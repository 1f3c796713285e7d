/**
 * Fuzz cases for the software CPU: random and mutated images, each one a pure
 * function of (seed, index) so any case can be rebuilt from its number.
 *
 * @module
 */

import { Guest } from "../../mod.ts";
import type { StopReason } from "../../mod.ts";

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

/**
 * Runs one case on the software CPU with an instruction limit, once with the
 * block translator and once on the interpreter alone: both runs must end the
 * same way (stop, registers, segments, serial output, screen), or the case
 * is a finding too.
 */
export async function runFuzzCase(c: FuzzCase, instructions: number): Promise<FuzzOutcome> {
  const translated = await runOnce(c, instructions, true);
  if (!translated.outcome.ok) return translated.outcome;
  const interpreted = await runOnce(c, instructions, false);
  if (!interpreted.outcome.ok) return interpreted.outcome;
  if (translated.fingerprint !== interpreted.fingerprint) {
    return {
      ok: false,
      problem:
        `translated and interpreted runs differ:\n  translated  ${translated.fingerprint}\n` +
        `  interpreted ${interpreted.fingerprint}`,
    };
  }
  return translated.outcome;
}

/** One run of a case, and a fingerprint of how it ended. */
async function runOnce(
  c: FuzzCase,
  instructions: number,
  translate: boolean,
): Promise<{ outcome: FuzzOutcome; fingerprint: string }> {
  let guest: Guest | undefined;
  try {
    guest = Guest.create(c.image, {
      accel: "emu",
      boot: c.boot,
      memory: c.memory,
      noSignatureCheck: true,
      rtcStart: 0, // the same clock every run, so a case replays exactly
      translate,
    });
    const result = await guest.run({ instructions });
    if (!DOCUMENTED.has(result.stop.kind)) {
      const problem = `undocumented stop ${JSON.stringify(result.stop)}`;
      return { outcome: { ok: false, problem }, fingerprint: "" };
    }
    // The stop must be reportable: a snapshot and a description never throw.
    Guest.describe(result);
    const cpu = result.cpu;
    const fingerprint = JSON.stringify({
      stop: result.stop,
      regs: Object.entries(cpu.regs).map(([name, v]) => `${name}=${v.toString(16)}`).join(" "),
      segments: Object.entries(cpu.segments).map(([name, s]) =>
        `${name}=${s.selector.toString(16)}:${s.base.toString(16)}`
      ).join(" "),
      serial: guest.serialText(),
      screen: guest.screenText(),
    });
    return { outcome: { ok: true, stop: result.stop }, fingerprint };
  } catch (e) {
    const text = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ""}` : String(e);
    return { outcome: { ok: false, problem: `host exception: ${text}` }, fingerprint: "" };
  } finally {
    guest?.close();
  }
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
