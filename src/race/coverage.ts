/**
 * Branch counters of the reference arithmetic, for conformance vectors: the generator turns them
 * on to show that its cases reach every clamp and rounding branch (spec/vectors/race/
 * conformance.json lists the counts). Off by default; a disabled check costs one branch.
 */
export const coverage = { enabled: false, counts: {} as Record<string, number> };

export function hit(branch: string): void {
  coverage.counts[branch] = (coverage.counts[branch] ?? 0) + 1;
}
