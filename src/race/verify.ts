/**
 * Verification (spec/race.md §Verification): a single nonce, a revealed sample against a
 * commitment, and fraud proofs. Pure functions over a loaded race model and its threshold.
 */
import type { Address } from "../types/index.ts";
import type { LoadedRace } from "./backend.ts";
import { type Commitment, ProofError, verifyMultiproof } from "./commitment.ts";
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

/** Indices a miner must reveal after the commit: S sampled ones and, for order checks, each one's successor. */
export function sampleIndices(
  randomness: Uint8Array,
  miner: Address,
  count: number,
  samples: number,
): { sampled: number[]; revealed: number[] } {
  if (count === 0) return { sampled: [], revealed: [] };
  const sampled = [
    ...new Set(Array.from({ length: samples }, (_, k) => sampleIndex(randomness, miner, k, count))),
  ].sort((a, b) => a - b);
  const revealed = [...new Set(sampled.flatMap((i) => (i + 1 < count ? [i, i + 1] : [i])))].sort(
    (a, b) => a - b,
  );
  return { sampled, revealed };
}

export interface SampleReveal {
  /** index → nonce for every index sampleIndices says to reveal. */
  nonces: Map<number, bigint>;
  proof: Uint8Array[];
}

/**
 * The part of a reveal check that needs no model (every node runs it on chain): exactly the asked
 * indices, in the committed tree, in range, strictly increasing at every revealed pair. Returns
 * the sampled indices, whose nonces must then be proofs. Throws ProofError with the reason.
 */
export function checkReveal(
  commitment: Commitment,
  randomness: Uint8Array,
  miner: Address,
  samples: number,
  reveal: SampleReveal,
): number[] {
  const { sampled, revealed } = sampleIndices(randomness, miner, commitment.count, samples);
  for (const i of revealed) if (!reveal.nonces.has(i)) throw new ProofError(`reveal is missing index ${i}`);
  for (const i of reveal.nonces.keys())
    if (!revealed.includes(i)) throw new ProofError(`index ${i} was not asked for`);
  verifyMultiproof(commitment, reveal.nonces, reveal.proof);
  for (const i of revealed) {
    const n = reveal.nonces.get(i)!;
    if (n > MAX_NONCE || n < 0n)
      throw new ProofError(`nonce ${n} at index ${i} is outside [0, ${MAX_NONCE}]`);
    const next = reveal.nonces.get(i + 1);
    if (next !== undefined && next <= n)
      throw new ProofError(`duplicate or unsorted nonces at indices ${i} and ${i + 1} (${n}, ${next})`);
  }
  return sampled;
}

/** Order fraud needs no model: both leaves in the tree, and the first not below the second. */
export function checkOrderFraud(fraud: Extract<FraudProof, { kind: "order" }>): string {
  const [a, b] = fraud.nonces;
  verifyMultiproof(
    fraud.commitment,
    new Map([
      [fraud.index, a],
      [fraud.index + 1, b],
    ]),
    fraud.proof,
  );
  if (a < b) throw new ProofError(`no fraud: nonces at ${fraud.index} and ${fraud.index + 1} are in order`);
  return `committed nonces at indices ${fraud.index} and ${fraud.index + 1} are duplicate or unsorted (${a}, ${b})`;
}

/** Check a miner's reveal: complete, in the tree, sorted at every revealed pair, and every sampled nonce a proof. */
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
      nonces: [bigint, bigint];
      proof: Uint8Array[];
    };

/**
 * A fraud proof stands iff its leaves are in the committed tree and they show a rule broken:
 * a committed nonce that is not a proof (or out of range), or two neighbours out of order.
 * Returns the reason; throws ProofError if the fraud proof itself is invalid.
 */
export async function verifyFraudProof(
  race: LoadedRace,
  threshold: bigint,
  fraud: FraudProof,
): Promise<string> {
  if (fraud.kind === "nonce") {
    verifyMultiproof(fraud.commitment, new Map([[fraud.index, fraud.nonce]]), fraud.proof);
    if (fraud.nonce > MAX_NONCE) return `committed nonce ${fraud.nonce} is out of range`;
    const [v] = await verifyNonces(race, threshold, fraud.miner, [fraud.nonce]);
    if (v!.success)
      throw new ProofError(
        `no fraud: nonce ${fraud.nonce} is a valid proof (distance ${v!.distance} < ${threshold})`,
      );
    return `committed nonce ${fraud.nonce} is not a proof: distance ${v!.distance} ≥ threshold ${threshold}`;
  }
  return checkOrderFraud(fraud);
}
