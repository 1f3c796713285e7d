/**
 * Small statistics and number formatting for the benchmark tables.
 *
 * @module
 */

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of nothing");
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Rounds a positive count to two significant digits (at least 1). */
export function roundCount(n: number): number {
  if (!(n >= 1)) return 1;
  const scale = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
  return Math.max(1, Math.round(n / scale) * scale);
}

/** A number with three significant digits (thousands separated). */
export function sig3(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return v.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** A speed ratio `ours / theirs` as "0.031 (32x slower)" or "4.5 (4.5x faster)". */
export function ratio(ours: number, theirs: number): string {
  const r = ours / theirs;
  if (!Number.isFinite(r) || r <= 0) return "n/a";
  return r >= 1 ? `${sig3(r)} (${sig3(r)}x faster)` : `${sig3(r)} (${sig3(1 / r)}x slower)`;
}
