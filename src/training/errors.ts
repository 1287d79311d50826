/** Why a training input was refused; the code is what the module and the service report. */
export type TrainingErrorCode =
  | "TRAINING_ERROR_CONFIG"
  | "TRAINING_ERROR_LENGTH"
  | "TRAINING_ERROR_RANGE"
  | "TRAINING_ERROR_SEED"
  | "TRAINING_ERROR_DATASET";

export class TrainingError extends Error {
  constructor(
    readonly code: TrainingErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
