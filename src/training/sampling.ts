/**
 * Which examples are used where (spec/training.md §A round off chain). An example is a target
 * position t with its `context` preceding symbols. A participant trains on one shard of the
 * training part, drawn from the round seed and its address; its batches are drawn per step. Proof
 * of learning draws its batches from the held-out part with the validation seed.
 */
import type { TrainingConfig } from "./config.ts";
import type { Dataset } from "./dataset.ts";
import { TrainingError } from "./errors.ts";
import { checkSeed, u32le, u32Stream } from "./seeds.ts";

/** Target positions [from, to) of shard s: the training targets [context, trainEnd) cut into equal parts. */
export function shardRange(config: TrainingConfig, data: Dataset, s: number): [number, number] {
  const first = config.context;
  const n = data.trainEnd - first;
  return [first + Math.floor((n * s) / config.shards), first + Math.floor((n * (s + 1)) / config.shards)];
}

/** shard = first u32 of SHA-256(tag "shard" ‖ roundSeed ‖ address) mod shards. */
export function shardOf(config: TrainingConfig, roundSeed: Uint8Array, address: Uint8Array): number {
  checkSeed(roundSeed, "round seed");
  if (address.length !== 20)
    throw new TrainingError("TRAINING_ERROR_LENGTH", `address must be 20 bytes, got ${address.length}`);
  return u32Stream("shard", [roundSeed, address], 1)[0]! % config.shards;
}

/** Step `step`'s batch: batchSize positions from u32Stream(tag "batch", roundSeed ‖ address ‖ u32le(step)) mod the shard's length. */
export function batchPositions(
  config: TrainingConfig,
  data: Dataset,
  roundSeed: Uint8Array,
  address: Uint8Array,
  step: number,
): Uint32Array {
  const [from, to] = shardRange(config, data, shardOf(config, roundSeed, address));
  const words = u32Stream("batch", [roundSeed, address, u32le(step)], config.batchSize);
  for (let i = 0; i < words.length; i++) words[i] = from + (words[i]! % (to - from));
  return words;
}

/** validationBatches × validationBatchSize held-out targets: u32Stream(tag "validation", seed) mod the held-out targets. */
export function validationPositions(
  config: TrainingConfig,
  data: Dataset,
  validationSeed: Uint8Array,
): Uint32Array {
  checkSeed(validationSeed, "validation seed");
  const first = data.trainEnd + config.context;
  const n = data.symbols.length - first;
  const words = u32Stream(
    "validation",
    [validationSeed],
    config.validationBatches * config.validationBatchSize,
  );
  for (let i = 0; i < words.length; i++) words[i] = first + (words[i]! % n);
  return words;
}
