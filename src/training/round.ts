/**
 * A DiLoCo round off chain (spec/training.md §A round off chain): each participant runs H SGD
 * steps from the round's checkpoint on batches of its shard and sends Δ = θ − θ_H; the outer step
 * averages the accepted Δ and applies Nesterov momentum. Every rounding is a floor.
 */
import { parameterCount, type TrainingConfig } from "./config.ts";
import type { Dataset } from "./dataset.ts";
import type { Checkpoint } from "./encoding.ts";
import { TrainingError } from "./errors.ts";
import * as fp from "./fixedPoint.ts";
import { accumulateGradient, initialTheta, sgdStep, workspace } from "./model.ts";
import { batchPositions } from "./sampling.ts";
import { taggedHash } from "./seeds.ts";

// Local copies: per-parameter loops would otherwise call an import getter each time (model.ts).
const { clamp, MAX_ABS } = fp;

/** The job's first checkpoint: θ₀ from the seed, momentum 0. */
export function initialCheckpoint(config: TrainingConfig, seed: Uint8Array): Checkpoint {
  const theta = initialTheta(config, seed);
  return { theta, momentum: new Int32Array(theta.length) };
}

/**
 * A preset's canonical first checkpoint: initialCheckpoint from SHA-256("racecoin/training/v1/genesis" ‖
 * name). Its checkpointHash is what a job on that model names as its starting model, so every node
 * can rebuild the checkpoint from the preset alone.
 */
export function genesisCheckpoint(config: TrainingConfig): Checkpoint {
  return initialCheckpoint(config, taggedHash("genesis", new TextEncoder().encode(config.name)));
}

/** θ_H: H inner SGD steps from θ on the participant's batches (θ itself is not modified). */
export function trainInner(
  config: TrainingConfig,
  data: Dataset,
  theta: Int32Array,
  roundSeed: Uint8Array,
  address: Uint8Array,
): Int32Array {
  const ws = workspace(config);
  const local = Int32Array.from(theta);
  for (let step = 0; step < config.innerSteps; step++) {
    const batch = batchPositions(config, data, roundSeed, address, step);
    for (const t of batch) accumulateGradient(ws, local, data.symbols, t);
    sgdStep(ws, local, batch.length);
  }
  return local;
}

/**
 * trainInner in slices: `pause` is awaited every `every` inner steps, so a node's event loop keeps
 * turning (blocks, votes, gossip) while it trains. The same θ_H: the slices change nothing computed.
 */
export async function trainInnerSliced(
  config: TrainingConfig,
  data: Dataset,
  theta: Int32Array,
  roundSeed: Uint8Array,
  address: Uint8Array,
  pause: () => Promise<void>,
  every = 8,
): Promise<Int32Array> {
  const ws = workspace(config);
  const local = Int32Array.from(theta);
  for (let step = 0; step < config.innerSteps; step++) {
    if (step > 0 && step % every === 0) await pause();
    const batch = batchPositions(config, data, roundSeed, address, step);
    for (const t of batch) accumulateGradient(ws, local, data.symbols, t);
    sgdStep(ws, local, batch.length);
  }
  return local;
}

/** Δ = θ − θ_H, element by element (within ±2·MAX_ABS, so an int32). */
export function pseudoGradient(theta: Int32Array, thetaH: Int32Array): Int32Array {
  if (theta.length !== thetaH.length)
    throw new TrainingError("TRAINING_ERROR_LENGTH", `θ has ${theta.length} values, θ_H ${thetaH.length}`);
  return theta.map((v, i) => v - thetaH[i]!);
}

/** What an honest participant sends for the round: Δ after H inner steps. */
export function honestDelta(
  config: TrainingConfig,
  data: Dataset,
  theta: Int32Array,
  roundSeed: Uint8Array,
  address: Uint8Array,
): Int32Array {
  return pseudoGradient(theta, trainInner(config, data, theta, roundSeed, address));
}

/**
 * The outer step over the accepted Δ (at least one; with none the checkpoint stays as it is):
 *   Δ̄ = ⌊ΣΔ / n⌋;  m' = clamp(⌊μ·m/1000⌋ + Δ̄);  θ' = clamp(θ − ⌊lr·(Δ̄ + ⌊μ·m'/1000⌋)/1000⌋)
 * with μ = outerMomentumMilli, lr = outerLrMilli, clamps to ±MAX_ABS.
 */
export function outerStep(
  config: TrainingConfig,
  checkpoint: Checkpoint,
  accepted: readonly Int32Array[],
): Checkpoint {
  const size = parameterCount(config);
  if (checkpoint.theta.length !== size || checkpoint.momentum.length !== size)
    throw new TrainingError("TRAINING_ERROR_LENGTH", `checkpoint must hold ${size} values per vector`);
  for (const d of accepted)
    if (d.length !== size)
      throw new TrainingError("TRAINING_ERROR_LENGTH", `Δ has ${d.length} values, not ${size}`);
  if (accepted.length === 0)
    return { theta: Int32Array.from(checkpoint.theta), momentum: Int32Array.from(checkpoint.momentum) };
  const n = accepted.length;
  const mu = config.outerMomentumMilli;
  const lr = config.outerLrMilli;
  const theta = new Int32Array(size);
  const momentum = new Int32Array(size);
  for (let p = 0; p < size; p++) {
    let sum = 0;
    for (const d of accepted) sum += d[p]!;
    const mean = Math.floor(sum / n);
    const m = clamp(Math.floor((mu * checkpoint.momentum[p]!) / 1000) + mean, MAX_ABS);
    momentum[p] = m;
    const update = mean + Math.floor((mu * m) / 1000);
    theta[p] = clamp(checkpoint.theta[p]! - Math.floor((lr * update) / 1000), MAX_ABS);
  }
  return { theta, momentum };
}
