export type { LoadedRace, LoadOptions, RaceBackend } from "./backend.ts";
export { type Calibration, calibrate, thresholdFrom } from "./calibrate.ts";
export {
  buildTree,
  type Commitment,
  checkProofSet,
  commit,
  depthFor,
  leafHash,
  multiproof,
  ProofError,
  verifyMultiproof,
  ZERO32,
} from "./commitment.ts";
export {
  checkRaceConfig,
  MAX_NONCE,
  macsPerNonce,
  parameterCount,
  type RaceConfig,
  RaceConfigError,
  shiftsFor,
} from "./config.ts";
export { type MineOptions, type MineProgress, type MineResult, mine } from "./miner.ts";
export { type EvalResult, outputHash } from "./outcome.ts";
export { forward, referenceBackend } from "./reference.ts";
export { backendNames, getBackend, registerBackend } from "./registry.ts";
export { CALIBRATION_NODE_SEED, inputSeed, nodeSeed, permutation, sampleIndex, tokens } from "./seeds.ts";
export {
  type FraudProof,
  type NonceVerdict,
  type SampleReveal,
  sampleIndices,
  verifyFraudProof,
  verifyNonces,
  verifySample,
} from "./verify.ts";
export { generateWeights, type RaceWeights } from "./weights.ts";
