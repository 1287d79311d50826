/**
 * Difficulty (spec/race.md §Difficulty): the race's own distance distribution sets its threshold.
 * Distances of the calibration set (CALIBRATION_NODE_SEED, nonces 0 … C−1) give
 *   μ = ⌊ΣD / C⌋,  σ = ⌊√⌊Σ(D − μ)² / (C − 1)⌋⌋,  threshold = μ − ⌊zMilli · σ / 1000⌋
 * in exact integers; a nonce is a proof iff its distance < threshold.
 */
import type { LoadedRace } from "./backend.ts";
import { isqrtBig } from "./intmath.ts";
import { CALIBRATION_NODE_SEED } from "./seeds.ts";

export interface Calibration {
  mean: bigint;
  std: bigint;
  threshold: bigint;
}

export function thresholdFrom(distances: Float64Array | number[], zMilli: number): Calibration {
  const c = BigInt(distances.length);
  let sum = 0n;
  for (const d of distances) sum += BigInt(d);
  const mean = sum / c;
  let ss = 0n;
  for (const d of distances) ss += (BigInt(d) - mean) ** 2n;
  const std = isqrtBig(ss / (c - 1n));
  return { mean, std, threshold: mean - (BigInt(zMilli) * std) / 1000n };
}

export async function calibrate(race: LoadedRace): Promise<Calibration> {
  const nonces = Array.from({ length: race.config.calibrationNonces }, (_, i) => BigInt(i));
  const { distances } = await race.evaluate(CALIBRATION_NODE_SEED, nonces);
  return thresholdFrom(distances, race.config.zMilli);
}
