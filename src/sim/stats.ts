/** Summary statistics with fixed rounding, so summaries print the same on every run. */

/** Nearest-rank percentile (p in 0..100) of `xs`; 0 for an empty list. */
export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function mean(xs: number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;
}

/** Round to `digits` decimals. */
export function r(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function histogram(xs: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of [...xs].sort((a, b) => a - b)) out[String(x)] = (out[String(x)] ?? 0) + 1;
  return out;
}

export function ms2s(x: number): number {
  return r(x / 1000, 3);
}
