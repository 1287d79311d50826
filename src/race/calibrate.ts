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

/**
 * Calibration nonces are evaluated CALIBRATION_CHUNK at a time, the miner's batch: each onnxruntime
 * session's memory arena grows to the largest batch it ever ran and keeps it, so one 1,024-nonce
 * batch left a mainnet miner holding 2.6 GB of arenas beside its 2.9 GB model for the whole race.
 */
export const CALIBRATION_CHUNK = 64;

/** `onProgress(done, total)` is called after each chunk of calibration nonces. */
export async function calibrate(
  race: LoadedRace,
  onProgress?: (done: number, total: number) => void,
): Promise<Calibration> {
  const total = race.config.calibrationNonces;
  const chunk = CALIBRATION_CHUNK;
  const distances = new Float64Array(total);
  for (let start = 0; start < total; start += chunk) {
    const nonces = Array.from({ length: Math.min(chunk, total - start) }, (_, i) => BigInt(start + i));
    const r = await race.evaluate(CALIBRATION_NODE_SEED, nonces);
    distances.set(r.distances, start);
    onProgress?.(start + nonces.length, total);
  }
  return thresholdFrom(distances, race.config.zMilli);
}
