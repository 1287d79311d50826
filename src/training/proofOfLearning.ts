/**
 * Proof of learning (spec/training.md §Proof of learning): a contribution's score is the loss it
 * removes on held-out batches rebuilt from a beacon seed, max(0, L(θ) − L(θ − Δ)), in Q16. Scores
 * are exact integers, so every verifier gets the same; a copied Δ (an earlier commitment's hash)
 * scores 0; the round's budget is paid in proportion to score, floored.
 */
import { bytesToHex } from "@noble/hashes/utils.js";
import type { TrainingConfig } from "./config.ts";
import type { Dataset } from "./dataset.ts";
import { type Checkpoint, ZERO_DELTA_HASH } from "./encoding.ts";
import { TrainingError } from "./errors.ts";
import * as fp from "./fixedPoint.ts";
import { exampleLoss, workspace } from "./model.ts";
import { outerStep } from "./round.ts";
import { validationPositions } from "./sampling.ts";

// Local copies: per-parameter loops would otherwise call an import getter each time (model.ts).
const { clamp, MAX_ABS } = fp;

/** ⌊Σ loss / count⌋ over the given target positions, Q16 nats. */
export function meanLoss(
  config: TrainingConfig,
  data: Dataset,
  theta: Int32Array,
  positions: ArrayLike<number>,
): number {
  const ws = workspace(config);
  let sum = 0;
  for (let i = 0; i < positions.length; i++) sum += exampleLoss(ws, theta, data.symbols, positions[i]!);
  return Math.floor(sum / positions.length);
}

/** The loss curve's point: mean loss over every held-out target. */
export function validationLoss(config: TrainingConfig, data: Dataset, theta: Int32Array): number {
  const first = data.trainEnd + config.context;
  const positions = Array.from({ length: data.symbols.length - first }, (_, i) => first + i);
  return meanLoss(config, data, theta, positions);
}

/** θ − Δ, clamped to ±MAX_ABS: the model a contribution alone would give. */
export function applyDelta(theta: Int32Array, delta: Int32Array): Int32Array {
  if (theta.length !== delta.length)
    throw new TrainingError("TRAINING_ERROR_LENGTH", `Δ has ${delta.length} values, θ ${theta.length}`);
  return theta.map((v, i) => clamp(v - delta[i]!, MAX_ABS));
}

/** Scores of several contributions against one θ: L(θ) on the validation batches is computed once. */
export function scoreContributions(
  config: TrainingConfig,
  data: Dataset,
  theta: Int32Array,
  deltas: readonly Int32Array[],
  validationSeed: Uint8Array,
): number[] {
  const positions = validationPositions(config, data, validationSeed);
  const base = meanLoss(config, data, theta, positions);
  return deltas.map((d) => Math.max(0, base - meanLoss(config, data, applyDelta(theta, d), positions)));
}

/** score(θ, Δ, seed) = max(0, L(θ) − L(θ − Δ)) in Q16 nats. */
export function scoreContribution(
  config: TrainingConfig,
  data: Dataset,
  theta: Int32Array,
  delta: Int32Array,
  validationSeed: Uint8Array,
): number {
  return scoreContributions(config, data, theta, [delta], validationSeed)[0]!;
}

/**
 * The copy rule: a Δ whose hash an earlier commitment (commit order) already holds scores 0; so does
 * the zero Δ's hash, as the chain applies it without a verifier.
 */
export function finalScores(scores: readonly number[], deltaHashes: readonly Uint8Array[]): number[] {
  if (scores.length !== deltaHashes.length)
    throw new TrainingError(
      "TRAINING_ERROR_LENGTH",
      `${scores.length} scores for ${deltaHashes.length} hashes`,
    );
  const seen = new Set<string>([bytesToHex(ZERO_DELTA_HASH)]);
  return scores.map((s, i) => {
    const key = bytesToHex(deltaHashes[i]!);
    if (seen.has(key)) return 0;
    seen.add(key);
    return s;
  });
}

/** ⌊budget·s_i / Σs⌋ each; the remainder (and the whole budget when Σs = 0) stays in the fund. */
export function payouts(budget: bigint, scores: readonly (number | bigint)[]): bigint[] {
  const s = scores.map((x) => BigInt(x));
  if (budget < 0n || s.some((x) => x < 0n))
    throw new TrainingError("TRAINING_ERROR_RANGE", "budget and scores must not be negative");
  const total = s.reduce((a, b) => a + b, 0n);
  return s.map((x) => (total === 0n ? 0n : (budget * x) / total));
}

export interface RoundOutcome {
  /** Scores before the copy rule, in commit order. */
  readonly rawScores: number[];
  /** After the copy rule: what is paid on. */
  readonly scores: number[];
  /** Indices (commit order) of the contributions averaged by the outer step: score > 0. */
  readonly accepted: number[];
  readonly next: Checkpoint;
}

/** What every verifier recomputes for a round: the scores, the accepted set and the next checkpoint. */
export function settleRound(
  config: TrainingConfig,
  data: Dataset,
  checkpoint: Checkpoint,
  deltas: readonly Int32Array[],
  deltaHashes: readonly Uint8Array[],
  validationSeed: Uint8Array,
): RoundOutcome {
  const rawScores = scoreContributions(config, data, checkpoint.theta, deltas, validationSeed);
  const scores = finalScores(rawScores, deltaHashes);
  const accepted = scores.flatMap((s, i) => (s > 0 ? [i] : []));
  const next = outerStep(
    config,
    checkpoint,
    accepted.map((i) => deltas[i]!),
  );
  return { rawScores, scores, accepted, next };
}
