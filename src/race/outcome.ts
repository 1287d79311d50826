/** Shared end of every backend: permute the final vector, measure the distance (spec/race.md §Output). */
import { createHash } from "node:crypto";
import { permutation } from "./seeds.ts";

export interface EvalResult {
  /** Squared Euclidean distance of each nonce's permuted output to the target (exact integers). */
  distances: Float64Array;
  /** Permuted outputs, n × d int8, when requested. */
  outputs?: Int8Array;
}

/** From raw (unpermuted) final vectors: permute per nonce, then distance to the target. */
export function finishOutputs(
  raw: Int8Array,
  seeds: Uint8Array[],
  target: Int8Array,
  keepOutputs: boolean,
): EvalResult {
  const d = target.length;
  const distances = new Float64Array(seeds.length);
  const outputs = keepOutputs ? new Int8Array(raw.length) : undefined;
  const row = new Int8Array(d);
  seeds.forEach((seed, i) => {
    const perm = permutation(seed, d);
    let dist = 0;
    for (let j = 0; j < d; j++) {
      const y = raw[i * d + perm[j]!]!;
      row[j] = y;
      const diff = y - target[j]!;
      dist += diff * diff;
    }
    distances[i] = dist;
    outputs?.set(row, i * d);
  });
  return { distances, ...(outputs ? { outputs } : {}) };
}

/** outputHash = SHA-256 of the permuted output vector as d int8 bytes. */
export function outputHash(permuted: Int8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(permuted).digest());
}
