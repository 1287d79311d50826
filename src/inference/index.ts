/**
 * Inference (spec/inference.md): the built-in exact model, deterministic sampling, generation and
 * teacher-forced verification. Pure: no I/O.
 */
export {
  choose,
  ExactModel,
  type Generation,
  generate,
  type ModelSpec,
  nextToken,
  type Sampling,
  steps,
  verifyGeneration,
} from "./model.ts";
export { type Candidate, chooseExecutor, drawByWeight, MAX_ATTEMPTS, WeightedPool } from "./routing.ts";
export {
  MAX_COMPLETION_BYTES,
  MAX_PROMPT_BYTES,
  payloadFault,
  payloadHash,
  type Receipt,
  type ReceiptBody,
  receiptCodec,
  receiptDigest,
  receiptSigner,
  requestSigner,
  samplingOf,
  signReceipt,
  signRequest,
  type TaskPayload,
  taskIdOf,
  taskPayloadCodec,
} from "./task.ts";
export {
  BYTE_LEVEL_SPLIT,
  byteLevelChars,
  filesHash,
  type ModelFile,
  sha256Hex,
  Tokenizer,
} from "./tokenizer.ts";
export {
  binomialTail,
  drawAt,
  judgeTolerance,
  logSoftmax,
  type Position,
  pick,
  pickDeviation,
  positionDeviation,
  positionOf,
  TOLERANCE,
  TOP_K,
  type ToleranceParams,
  type ToleranceVerdict,
} from "./tolerance.ts";
