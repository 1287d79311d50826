/**
 * Dishonest contributions for tests and the e2e (behind the service's test-only switch): what a
 * free rider, a poisoner and a copier would send. Each must score 0 (spec/training.md §Attacks).
 */
import { parameterCount, type TrainingConfig } from "./config.ts";
import { DELTA_MAX } from "./encoding.ts";
import { clamp } from "./fixedPoint.ts";
import { u32Stream } from "./seeds.ts";

/** No work: Δ = 0. */
export function freeRiderDelta(config: TrainingConfig): Int32Array {
  return new Int32Array(parameterCount(config));
}

/** Pushes the model back up the loss: −factor·Δ_honest. */
export function poisonDelta(honest: Int32Array, factor = 1): Int32Array {
  return honest.map((v) => clamp(-factor * v, DELTA_MAX));
}

/** Noise: each value uniform in [−amplitude, amplitude] (Q16) from SHA-256(tag "noise" ‖ seed). */
export function noiseDelta(config: TrainingConfig, seed: Uint8Array, amplitude: number): Int32Array {
  const words = u32Stream("noise", [seed], parameterCount(config));
  const a = Math.min(amplitude, DELTA_MAX);
  return Int32Array.from(words, (w) => (w % (2 * a + 1)) - a);
}

/** Someone else's Δ, byte for byte. */
export function copyDelta(delta: Int32Array): Int32Array {
  return Int32Array.from(delta);
}
