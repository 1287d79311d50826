/**
 * The job's dataset (spec/training.md §Model, data and arithmetic): a text corpus whose files hash
 * is SHA-256 of its bytes, mapped byte by byte to ALPHABET_SIZE symbols, then split: the first
 * part trains, the last `validationPermille` is held out for proof of learning and the loss curve.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { ALPHABET_SIZE, checkTrainingConfig, type TrainingConfig } from "./config.ts";
import { TrainingError } from "./errors.ts";

/** Where the repository ships the default corpus (read by callers: the core does no I/O). */
export const DEFAULT_CORPUS_PATH = "genesis/training/corpus.txt";

export interface Dataset {
  /** One symbol per corpus byte. */
  readonly symbols: Uint8Array;
  /** Symbols [0, trainEnd) train; [trainEnd, length) are held out. */
  readonly trainEnd: number;
  readonly filesHash: Uint8Array;
}

const SPACE = 26;
const OTHER = ALPHABET_SIZE - 1;
const PUNCTUATION: Record<number, number> = { 46: 27, 44: 28, 39: 29, 63: 30 }; // . , ' ?

/** Letters fold to lower case; any whitespace is a space; the rest of the bytes share one symbol. */
export function symbolOf(byte: number): number {
  if (byte >= 97 && byte <= 122) return byte - 97;
  if (byte >= 65 && byte <= 90) return byte - 65;
  if (byte === 32 || byte === 10 || byte === 13 || byte === 9) return SPACE;
  return PUNCTUATION[byte] ?? OTHER;
}

/** The printable form of a symbol, for samples and logs. */
export function charOf(symbol: number): string {
  return "abcdefghijklmnopqrstuvwxyz .,'?~"[symbol] ?? "~";
}

export function datasetFilesHash(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}

/** Both parts must hold more than a context's worth of symbols, or no example can be drawn from them. */
export function prepareDataset(bytes: Uint8Array, config: TrainingConfig): Dataset {
  checkTrainingConfig(config);
  const symbols = Uint8Array.from(bytes, symbolOf);
  const held = Math.floor((symbols.length * config.validationPermille) / 1000);
  const trainEnd = symbols.length - held;
  const need = config.context + config.shards;
  if (trainEnd < need || held <= config.context)
    throw new TrainingError(
      "TRAINING_ERROR_DATASET",
      `corpus of ${bytes.length} bytes is too short for context ${config.context} and ${config.shards} shards`,
    );
  return { symbols, trainEnd, filesHash: datasetFilesHash(bytes) };
}
