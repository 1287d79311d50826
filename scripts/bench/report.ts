// The last line every benchmark prints: `bench-result ` and one JSON object on one line, so that
// `npm run bench:smoke` (smoke.ts) and anyone piping a run (`| sed -n 's/^bench-result //p' | jq`)
// find the figures without parsing progress output. scripts/bench/README.md describes the fields.

export const RESULT_PREFIX = "bench-result ";

/** A benchmark's outcome: its own figures plus the three things every figure is read against. */
export interface BenchResult {
  /** The npm script's name without `bench:` (a mode may follow, as in `devnet --race`). */
  bench: string;
  /** The best the same work could do on this machine, measured in the same run. */
  ceiling: unknown;
  /** The headline figure ÷ its ceiling (or the comparison the target is stated on); null when the run had nothing to divide. */
  ratio: number | null | Record<string, number | null>;
  /** What the figures should reach, as spec/ or the README states it; null where none is set. */
  target: unknown;
  [figure: string]: unknown;
}

/** Divide for a ratio field: null instead of NaN or Infinity when the run produced no denominator. */
export function ratioOf(figure: number, ceiling: number, digits = 3): number | null {
  const r = figure / ceiling;
  return Number.isFinite(r) ? +r.toFixed(digits) : null;
}

export function report(result: BenchResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
