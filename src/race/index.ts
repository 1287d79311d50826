/**
 * The race's pure core (spec/race.md): model configuration, integer arithmetic, weights from the
 * seed, the reference forward pass, calibration, commitments and proof verification. No I/O, no
 * threads: the miner, its worker threads and the fast backends live in src/miner.
 */
export type { LoadedRace, LoadOptions, RaceBackend } from "./backend.ts";
export { type Calibration, calibrate, thresholdFrom } from "./calibrate.ts";
export {
  buildTree,
  type Commitment,
  checkProofSet,
  commit,
  depthFor,
  encodeProofNode,
  leafHash,
  MAX_DEPTH,
  multiproof,
  openLeaves,
  PROOF_NODE_BYTES,
  ProofError,
  rootOf,
  type Tree,
  type TreeNode,
  treeOver,
  verifyMultiproof,
  ZERO32,
} from "./commitment.ts";
export {
  ACT_MAX,
  ACT_MIN,
  checkRaceConfig,
  HIDDEN_ZERO_POINT,
  MAX_NONCE,
  MAX_SAMPLES,
  macsPerNonce,
  NORM_SCALE,
  parameterCount,
  type RaceConfig,
  RaceConfigError,
  RES_MAX,
  shiftsFor,
} from "./config.ts";
export { coverage } from "./coverage.ts";
export { clamp as clampValue, EXP_TABLE, floorDiv, requantU8 } from "./intmath.ts";
export { nonceDistance, raceThreshold, rememberThreshold, thresholdKnown } from "./oracle.ts";
export { type EvalResult, finishOutputs, outputHash } from "./outcome.ts";
export { forward, forwardPositions, gemmRequant, referenceBackend, rmsNorm } from "./reference.ts";
export {
  CALIBRATION_NODE_SEED,
  inputSeed,
  keystream,
  nodeSeed,
  permutation,
  sampleIndex,
  tokens,
  weightKey,
} from "./seeds.ts";
export {
  checkOrderFraud,
  checkReveal,
  type FraudProof,
  type NonceVerdict,
  type SampleReveal,
  sampleIndices,
  verifyFraudProof,
  verifyNonces,
  verifySample,
} from "./verify.ts";
export { generateLayer, generateWeights, type LayerWeights, type RaceWeights, tensor } from "./weights.ts";
