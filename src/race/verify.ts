/**
 * Verification (spec/race.md §Verification): a single nonce, a revealed sample against a
 * commitment, and fraud proofs. Pure functions over a loaded race model and its threshold.
 */
import type { Address } from "../types/index.ts";
import type { LoadedRace } from "./backend.ts";
import { type Commitment, openLeaves, ProofError, verifyMultiproof } from "./commitment.ts";
import { MAX_NONCE } from "./config.ts";
import { nodeSeed, sampleIndex } from "./seeds.ts";

export interface NonceVerdict {
  nonce: bigint;
  distance: number;
  success: boolean;
}

export async function verifyNonces(
  race: LoadedRace,
  threshold: bigint,
  miner: Address,
  nonces: readonly bigint[],
): Promise<NonceVerdict[]> {
  for (const n of nonces)
    if (n < 0n || n > MAX_NONCE) throw new ProofError(`nonce ${n} is outside [0, ${MAX_NONCE}]`);
  const { distances } = await race.evaluate(nodeSeed(miner), nonces);
  return nonces.map((nonce, i) => ({
    nonce,
    distance: distances[i]!,
    success: BigInt(distances[i]!) < threshold,
  }));
}

/**
 * The indices a miner opens after the commit: S indices drawn uniformly, with replacement, from the
 * sample randomness (duplicates collapse), sorted.
 */
export function sampleIndices(
  randomness: Uint8Array,
  miner: Address,
  count: number,
  samples: number,
): number[] {
  if (count === 0) return [];
  return [
    ...new Set(Array.from({ length: samples }, (_, k) => sampleIndex(randomness, miner, k, count))),
  ].sort((a, b) => a - b);
}

export interface SampleReveal {
  /** index → nonce for every sampled index. */
  nonces: Map<number, bigint>;
  proof: Uint8Array[];
}

/**
 * The part of a reveal check that needs no model (every node runs it on chain): exactly the sampled
 * indices, in range, each one's path through the committed ordered tree opening (rebuilds the root
 * and every interval on it is in order). Returns the sampled indices, whose nonces must then be
 * proofs. Throws ProofError with the reason.
 */
export function checkReveal(
  commitment: Commitment,
  randomness: Uint8Array,
  miner: Address,
  samples: number,
  reveal: SampleReveal,
): number[] {
  const sampled = sampleIndices(randomness, miner, commitment.count, samples);
  for (const i of sampled) if (!reveal.nonces.has(i)) throw new ProofError(`reveal is missing index ${i}`);
  if (reveal.nonces.size !== sampled.length)
    for (const i of reveal.nonces.keys())
      if (!sampled.includes(i)) throw new ProofError(`index ${i} was not asked for`);
  for (const [i, n] of reveal.nonces)
    if (n > MAX_NONCE || n < 0n)
      throw new ProofError(`nonce ${n} at index ${i} is outside [0, ${MAX_NONCE}]`);
  verifyMultiproof(commitment, reveal.nonces, reveal.proof);
  return sampled;
}

/**
 * Order fraud needs no model: a leaf's path rebuilds the committed root and one of the intervals on
 * it is out of order. Returns the violation; throws ProofError if the path is in order or invalid.
 */
export function checkOrderFraud(fraud: Extract<FraudProof, { kind: "order" }>): string {
  if (fraud.nonce < 0n || fraud.nonce > MAX_NONCE)
    throw new ProofError(`nonce ${fraud.nonce} is outside [0, ${MAX_NONCE}]`);
  const violation = openLeaves(fraud.commitment, new Map([[fraud.index, fraud.nonce]]), fraud.proof);
  if (violation === undefined) throw new ProofError(`no fraud: the path to index ${fraud.index} is in order`);
  return `committed tree is not sorted on the path to index ${fraud.index}: ${violation}`;
}

/** Check a miner's reveal: complete, every sampled path open in the ordered tree, and every sampled nonce a proof. */
export async function verifySample(
  race: LoadedRace,
  threshold: bigint,
  miner: Address,
  commitment: Commitment,
  randomness: Uint8Array,
  reveal: SampleReveal,
): Promise<void> {
  const sampled = checkReveal(commitment, randomness, miner, race.config.samples, reveal);
  const verdicts = await verifyNonces(
    race,
    threshold,
    miner,
    sampled.map((i) => reveal.nonces.get(i)!),
  );
  for (const v of verdicts) {
    if (!v.success)
      throw new ProofError(
        `nonce ${v.nonce} is not a proof: distance ${v.distance} ≥ threshold ${threshold}`,
      );
  }
}

export type FraudProof =
  | {
      kind: "nonce";
      miner: Address;
      commitment: Commitment;
      index: number;
      nonce: bigint;
      proof: Uint8Array[];
    }
  | {
      kind: "order";
      miner: Address;
      commitment: Commitment;
      index: number;
      nonce: bigint;
      proof: Uint8Array[];
    };

/**
 * A fraud proof stands iff its leaves are in the committed tree and they show a rule broken:
 * a committed nonce that is not a proof, or an opened path whose intervals are out of order.
 * Returns the reason; throws ProofError if the fraud proof itself is invalid.
 */
export async function verifyFraudProof(
  race: LoadedRace,
  threshold: bigint,
  fraud: FraudProof,
): Promise<string> {
  if (fraud.kind === "nonce") {
    // Membership is enough: a non-proof convicts whether or not the tree around it is in order.
    openLeaves(fraud.commitment, new Map([[fraud.index, fraud.nonce]]), fraud.proof);
    const [v] = await verifyNonces(race, threshold, fraud.miner, [fraud.nonce]);
    if (v!.success)
      throw new ProofError(
        `no fraud: nonce ${fraud.nonce} is a valid proof (distance ${v!.distance} < ${threshold})`,
      );
    return `committed nonce ${fraud.nonce} is not a proof: distance ${v!.distance} ≥ threshold ${threshold}`;
  }
  return checkOrderFraud(fraud);
}
