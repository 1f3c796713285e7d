/**
 * Checking the scripting API's options: one table row per option, each a
 * check that says what the value must be. Unknown keys are errors (a typo
 * such as `acel` must not be ignored), and every message names the option
 * as the API spells it.
 *
 * @module
 */

import type { GuestOptions, RunOptions, WaitOptions } from "../../mod.ts";
import { memorySizeProblem } from "../machine/create.ts";
import { GuestOptionError } from "./errors.ts";

/** Says what a value must be, or undefined when it is fine. */
export type Check = (value: unknown) => string | undefined;

/** A check for each key of an options interface (a new option without a row does not compile). */
export type CheckTable<T> = { readonly [K in keyof Required<T>]: Check };

/** One of the given strings. */
export function oneOf(...values: readonly string[]): Check {
  return (v) =>
    typeof v === "string" && values.includes(v)
      ? undefined
      : `one of ${values.map((s) => JSON.stringify(s)).join(", ")}`;
}

/** true or false. */
export const isBoolean: Check = (v) => typeof v === "boolean" ? undefined : "true or false";

/** A whole number from `min` to `max` (default: the largest safe integer). */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): Check {
  return (v) =>
    typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max
      ? undefined
      : max === Number.MAX_SAFE_INTEGER
      ? `a whole number of at least ${min}`
      : `a whole number from ${min} to ${max}`;
}

/** A finite number of at least 0 (fractions allowed). */
export const nonNegativeNumber: Check = (v) =>
  typeof v === "number" && Number.isFinite(v) && v >= 0
    ? undefined
    : "a finite number of at least 0";

/** A valid Date, or a number of milliseconds since 1970 (as `Date.getTime()` gives). */
export const dateOrTime: Check = (v) =>
  (v instanceof Date && Number.isFinite(v.getTime())) ||
    (typeof v === "number" && Number.isFinite(v))
    ? undefined
    : "a valid Date or a number of milliseconds since 1970";

/** A string. */
export const isString: Check = (v) => typeof v === "string" ? undefined : "a string";

/** A Uint8Array of bytes. */
export const isBytes: Check = (v) => v instanceof Uint8Array ? undefined : "a Uint8Array";

/** An array whose every element passes `element` (which says what one must be). */
export function arrayOf(element: Check, what: string): Check {
  return (v) =>
    Array.isArray(v) && v.every((e) => element(e) === undefined)
      ? undefined
      : `an array of ${what}`;
}

/** A kernel module: `{ data: Uint8Array, cmdline?: string }`. */
const isModule: Check = (v) =>
  typeof v === "object" && v !== null && v instanceof Object &&
    isBytes((v as { data?: unknown }).data) === undefined &&
    ["undefined", "string"].includes(typeof (v as { cmdline?: unknown }).cmdline)
    ? undefined
    : "a module";

/** A disk: a path, or `{ path }` / `{ bytes }` with optional `writable` and `type`. */
const isDisk: Check = (v) => {
  if (typeof v === "string") return v === "" ? "a disk" : undefined;
  if (typeof v !== "object" || v === null) return "a disk";
  const d = v as { path?: unknown; bytes?: unknown; writable?: unknown; type?: unknown };
  const source = (typeof d.path === "string" && d.path !== "" && d.bytes === undefined) ||
    (d.bytes instanceof Uint8Array && d.path === undefined);
  const writable = d.writable === undefined || typeof d.writable === "boolean";
  const type = d.type === undefined || d.type === "floppy" || d.type === "hdd";
  return source && writable && type ? undefined : "a disk";
};

/** The checks for {@link GuestOptions}. */
export const GUEST_OPTION_CHECKS: CheckTable<GuestOptions> = {
  accel: oneOf("auto", "kvm", "emu"),
  boot: oneOf("auto", "bios", "flat", "rom", "multiboot", "multiboot2", "pvh", "elf", "linux"),
  memory: (v) =>
    typeof v === "number" ? memorySizeProblem(v) : "a number of bytes (a multiple of 4096)",
  driveType: oneOf("floppy", "hdd"),
  noSignatureCheck: isBoolean,
  rtcStart: dateOrTime,
  serialLimit: wholeNumber(0),
  translate: isBoolean,
  append: isString,
  initrd: isBytes,
  modules: arrayOf(isModule, "{ data: Uint8Array, cmdline?: string }"),
  disks: arrayOf(
    isDisk,
    'disks (a path, or { path } or { bytes }, with writable: boolean and type: "floppy" or "hdd")',
  ),
  diskWrite: isBoolean,
  noReboot: isBoolean,
  debugcon: isBoolean,
  linuxDecompress: oneOf("auto", "host", "guest"),
};

/** The checks for {@link RunOptions}. */
export const RUN_OPTION_CHECKS: CheckTable<RunOptions> = {
  timeoutMs: nonNegativeNumber,
  instructions: wholeNumber(0),
};

/** The checks for {@link WaitOptions}. */
export const WAIT_OPTION_CHECKS: CheckTable<WaitOptions> = {
  timeoutMs: nonNegativeNumber,
};

/**
 * Throws GuestOptionError unless `options` is undefined or a plain object
 * whose every key has a row in `table` and passes its check (`undefined`
 * values count as left out). `kind` names the interface in messages.
 */
export function checkOptions<T>(kind: string, options: unknown, table: CheckTable<T>): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new GuestOptionError(kind, `${kind} must be an object (got ${show(options)})`);
  }
  const checks: Readonly<Record<string, Check>> = table;
  for (const [key, value] of Object.entries(options)) {
    const check = Object.hasOwn(checks, key) ? checks[key] : undefined;
    if (check === undefined) {
      const near = nearest(key, Object.keys(checks));
      throw new GuestOptionError(
        `${kind}.${key}`,
        `${kind} has no option "${key}"${near ? ` (did you mean "${near}"?)` : ""}; ` +
          `it has ${Object.keys(checks).join(", ")}`,
      );
    }
    if (value === undefined) continue;
    const want = check(value);
    if (want !== undefined) {
      throw new GuestOptionError(
        `${kind}.${key}`,
        `${kind}.${key} must be ${want} (got ${show(value)})`,
      );
    }
  }
}

/** Checks {@link GuestOptions}. */
export function checkGuestOptions(options: unknown): void {
  checkOptions("GuestOptions", options, GUEST_OPTION_CHECKS);
}

/** A value as a message shows it. */
function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Date) return `Date(${value.getTime()})`;
  if (typeof value === "function") return "a function";
  if (Array.isArray(value)) return "an array";
  if (value !== null && typeof value === "object") return "an object";
  return String(value);
}

/** The known key closest to a typo (at most 2 edits away), if any. */
function nearest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}
