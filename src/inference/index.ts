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
export { type Candidate, chooseExecutor } from "./routing.ts";
