/**
 * Training presets (spec/training.md §Model, data and arithmetic). A job's model is a character
 * MLP: the previous `context` symbols, each embedded in `embedding` values, one ReLU layer of
 * `hidden`, a softmax over the ALPHABET_SIZE symbols. `minimal` is for tests and the e2e (a round
 * of three participants trains in well under a second); `standard` is a job worth a few minutes.
 */
import { TrainingError } from "./errors.ts";
import { MAX_ABS, ONE } from "./fixedPoint.ts";

/** Symbols the corpus is mapped to (dataset.ts): 26 letters, space, . , ' ? and "other". */
export const ALPHABET_SIZE = 32;

export interface TrainingConfig {
  readonly name: string;
  /** k: symbols of context the model sees. */
  readonly context: number;
  /** d: values per embedded symbol. */
  readonly embedding: number;
  readonly hidden: number;
  /** H: SGD steps a participant runs per round. */
  readonly innerSteps: number;
  readonly batchSize: number;
  /** Inner SGD learning rate, Q16 (0.1 = 6554). */
  readonly innerLrQ16: number;
  /** DiLoCo's outer step: learning rate and Nesterov momentum in thousandths. */
  readonly outerLrMilli: number;
  readonly outerMomentumMilli: number;
  /** The training part is cut into this many contiguous shards; a participant draws one per round. */
  readonly shards: number;
  /** Proof of learning evaluates validationBatches × validationBatchSize held-out examples. */
  readonly validationBatches: number;
  readonly validationBatchSize: number;
  /** The held-out share of the corpus (its end), in thousandths. */
  readonly validationPermille: number;
}

export const minimal: TrainingConfig = {
  name: "minimal",
  context: 4,
  embedding: 16,
  hidden: 64,
  innerSteps: 128,
  batchSize: 32,
  innerLrQ16: 6554,
  outerLrMilli: 700,
  outerMomentumMilli: 900,
  shards: 4,
  validationBatches: 4,
  validationBatchSize: 32,
  validationPermille: 100,
};

export const standard: TrainingConfig = {
  ...minimal,
  name: "standard",
  context: 6,
  embedding: 16,
  hidden: 128,
  innerSteps: 400,
  batchSize: 64,
  validationBatches: 8,
  validationBatchSize: 64,
};

export const trainingPresets: Readonly<Record<string, TrainingConfig>> = { minimal, standard };

/** Offsets of each tensor in the flat parameter vector θ (row-major, in this order). */
export interface Layout {
  readonly emb: number; // ALPHABET_SIZE × embedding
  readonly w1: number; // (context·embedding) × hidden
  readonly b1: number; // hidden
  readonly w2: number; // hidden × ALPHABET_SIZE
  readonly b2: number; // ALPHABET_SIZE
  readonly size: number;
}

export function layoutOf(c: TrainingConfig): Layout {
  const emb = 0;
  const w1 = emb + ALPHABET_SIZE * c.embedding;
  const b1 = w1 + c.context * c.embedding * c.hidden;
  const w2 = b1 + c.hidden;
  const b2 = w2 + c.hidden * ALPHABET_SIZE;
  return { emb, w1, b1, w2, b2, size: b2 + ALPHABET_SIZE };
}

export function parameterCount(c: TrainingConfig): number {
  return layoutOf(c).size;
}

/** Largest fan-in and batch for which every sum of MAX_ABS² products stays below 2^53 (2^7 · 2^42 · 2 < 2^53). */
export const MAX_FAN_IN = 128;
export const MAX_BATCH = 64;

/** Refuses a configuration whose sums could leave the exact range of a JS number. */
export function checkTrainingConfig(c: TrainingConfig): void {
  const int = (v: number, lo: number, hi: number, what: string) => {
    if (!Number.isInteger(v) || v < lo || v > hi)
      throw new TrainingError("TRAINING_ERROR_CONFIG", `${what} ${v} is not an integer in [${lo}, ${hi}]`);
  };
  int(c.context, 1, 16, "context");
  int(c.embedding, 1, 64, "embedding");
  int(c.context * c.embedding, 1, MAX_FAN_IN, "context × embedding (fan-in)");
  int(c.hidden, 1, MAX_FAN_IN, "hidden");
  int(c.innerSteps, 1, 100_000, "innerSteps");
  int(c.batchSize, 1, MAX_BATCH, "batchSize");
  // G16·lr must stay below 2^53: |G16| ≤ 64·2^42/2^16 = 2^32, lr ≤ 1.0.
  int(c.innerLrQ16, 1, ONE, "innerLrQ16");
  int(c.outerLrMilli, 1, 1000, "outerLrMilli");
  int(c.outerMomentumMilli, 0, 999, "outerMomentumMilli");
  int(c.shards, 1, 1024, "shards");
  int(c.validationBatches, 1, 1024, "validationBatches");
  int(c.validationBatchSize, 1, 1024, "validationBatchSize");
  int(c.validationPermille, 1, 500, "validationPermille");
  if (MAX_FAN_IN * MAX_ABS * MAX_ABS * 2 >= 2 ** 53) throw new Error("fixed-point bounds broken");
}
