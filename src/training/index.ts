/**
 * The pure core of training jobs (spec/training.md): the character MLP in Q16 integers, the
 * dataset and its split, a DiLoCo round (inner steps, pseudo-gradient, outer step with Nesterov
 * momentum), encodings and hashes, proof-of-learning scores and payouts, and the cheats tests use.
 * No I/O: the trainer, the verifiers, the module and the vectors run the same code.
 */
export { copyDelta, freeRiderDelta, noiseDelta, poisonDelta } from "./cheats.ts";
export {
  ALPHABET_SIZE,
  checkTrainingConfig,
  type Layout,
  layoutOf,
  MAX_BATCH,
  MAX_FAN_IN,
  minimal,
  parameterCount,
  standard,
  type TrainingConfig,
  trainingPresets,
} from "./config.ts";
export {
  charOf,
  type Dataset,
  DEFAULT_CORPUS_PATH,
  datasetFilesHash,
  prepareDataset,
  symbolOf,
} from "./dataset.ts";
export {
  type Checkpoint,
  checkpointHash,
  commitmentHash,
  DELTA_MAX,
  decodeCheckpoint,
  decodeDelta,
  deltaHash,
  encodeCheckpoint,
  encodeDelta,
  encodeVector,
  ZERO_DELTA_HASH,
} from "./encoding.ts";
export { TrainingError, type TrainingErrorCode } from "./errors.ts";
export { expNegQ30, FRAC_BITS, lnQ16, MAX_ABS, ONE } from "./fixedPoint.ts";
export { exampleLoss, initialTheta, workspace } from "./model.ts";
export {
  applyDelta,
  finalScores,
  meanLoss,
  payouts,
  type RoundOutcome,
  scoreContribution,
  scoreContributions,
  settleRound,
  validationLoss,
} from "./proofOfLearning.ts";
export {
  genesisCheckpoint,
  honestDelta,
  initialCheckpoint,
  outerStep,
  pseudoGradient,
  trainInner,
  trainInnerSliced,
} from "./round.ts";
export { batchPositions, shardOf, shardRange, validationPositions } from "./sampling.ts";
