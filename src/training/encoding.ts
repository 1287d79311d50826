/**
 * Wire forms and hashes (spec/training.md §A round off chain). A vector is its int32 values,
 * little-endian, nothing else: its length is fixed by the job's configuration, so a decoder knows
 * it before reading and refuses any other length. The one exception is the all-zero Δ, encoded as
 * no bytes at all, so that the chain knows its hash without knowing the model. Hashes carry a
 * domain tag.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { parameterCount, type TrainingConfig } from "./config.ts";
import { TrainingError } from "./errors.ts";
import { MAX_ABS } from "./fixedPoint.ts";

const enc = new TextEncoder();
const DELTA_TAG = enc.encode("racecoin/training/v1/delta");
const CHECKPOINT_TAG = enc.encode("racecoin/training/v1/checkpoint");
const COMMIT_TAG = enc.encode("racecoin/training/v1/commit");

function tagged(tag: Uint8Array, body: Uint8Array): Uint8Array {
  const input = new Uint8Array(tag.length + body.length);
  input.set(tag);
  input.set(body, tag.length);
  return sha256(input);
}

/** θ and the outer momentum m: the state a round starts from and the outer step produces. */
export interface Checkpoint {
  readonly theta: Int32Array;
  readonly momentum: Int32Array;
}

/** A pseudo-gradient Δ = θ − θ_H: each value within ±DELTA_MAX (both ends are clamped to ±MAX_ABS). */
export const DELTA_MAX = 2 * MAX_ABS;

export function encodeVector(v: Int32Array): Uint8Array {
  const out = new Uint8Array(v.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) view.setInt32(i * 4, v[i]!, true);
  return out;
}

function decodeVector(bytes: Uint8Array, length: number, limit: number, what: string): Int32Array {
  if (bytes.length !== length * 4)
    throw new TrainingError(
      "TRAINING_ERROR_LENGTH",
      `${what} must be ${length * 4} bytes (${length} int32), got ${bytes.length}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const v = view.getInt32(i * 4, true);
    if (v > limit || v < -limit)
      throw new TrainingError("TRAINING_ERROR_RANGE", `${what}[${i}] = ${v} is outside ±${limit}`);
    out[i] = v;
  }
  return out;
}

/** A Δ on the wire: no bytes when every value is 0, else encodeVector(Δ). */
export function encodeDelta(delta: Int32Array): Uint8Array {
  return delta.every((v) => v === 0) ? new Uint8Array(0) : encodeVector(delta);
}

/** Refuses a Δ of the wrong length or with a value outside ±DELTA_MAX; no bytes is the zero Δ. */
export function decodeDelta(bytes: Uint8Array, config: TrainingConfig): Int32Array {
  const n = parameterCount(config);
  if (bytes.length === 0) return new Int32Array(n);
  return decodeVector(bytes, n, DELTA_MAX, "delta");
}

/** A checkpoint is θ ‖ m, each parameterCount int32 within ±MAX_ABS. */
export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const out = new Uint8Array((c.theta.length + c.momentum.length) * 4);
  out.set(encodeVector(c.theta), 0);
  out.set(encodeVector(c.momentum), c.theta.length * 4);
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array, config: TrainingConfig): Checkpoint {
  const n = parameterCount(config);
  if (bytes.length !== 8 * n)
    throw new TrainingError(
      "TRAINING_ERROR_LENGTH",
      `checkpoint must be ${8 * n} bytes (θ and m, ${n} int32 each), got ${bytes.length}`,
    );
  return {
    theta: decodeVector(bytes.subarray(0, 4 * n), n, MAX_ABS, "theta"),
    momentum: decodeVector(bytes.subarray(4 * n), n, MAX_ABS, "momentum"),
  };
}

/** SHA-256("racecoin/training/v1/delta" ‖ encodeDelta(Δ)): what a participant commits. */
export function deltaHash(delta: Int32Array): Uint8Array {
  return tagged(DELTA_TAG, encodeDelta(delta));
}

/** The all-zero Δ's hash, whatever the model: it scores 0 on chain without any verifier. */
export const ZERO_DELTA_HASH = tagged(DELTA_TAG, new Uint8Array(0));

/**
 * What a participant commits on chain: SHA-256("racecoin/training/v1/commit" ‖ participant (20
 * bytes) ‖ deltaHash(Δ)). Bound to its committer: a commitment copied from another participant's
 * transaction verifies for nobody's bytes but the original's, so it scores 0 — whoever lands first.
 * The zero Δ's commitment is commitmentHash(participant, ZERO_DELTA_HASH): the chain knows it.
 */
export function commitmentHash(participant: Uint8Array, dHash: Uint8Array): Uint8Array {
  if (participant.length !== 20)
    throw new TrainingError(
      "TRAINING_ERROR_LENGTH",
      `participant must be 20 bytes, got ${participant.length}`,
    );
  if (dHash.length !== 32)
    throw new TrainingError("TRAINING_ERROR_LENGTH", `delta hash must be 32 bytes, got ${dHash.length}`);
  const body = new Uint8Array(52);
  body.set(participant);
  body.set(dHash, 20);
  return tagged(COMMIT_TAG, body);
}

/** SHA-256("racecoin/training/v1/checkpoint" ‖ θ ‖ m): the hash a round's outer step puts on chain. */
export function checkpointHash(c: Checkpoint): Uint8Array {
  return tagged(CHECKPOINT_TAG, encodeCheckpoint(c));
}
