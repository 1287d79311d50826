// Byzantine race actors: miners that lie in every way we know, and the measurement of how often a
// lie survives the chain's own reveal check (spec/race.md §Proofs, the inflation bound).
//
// A "proof" here is a member of a set of real proof values; the chain's model check is what makes
// a nonce one, and verifiers run it on every sampled nonce, so a sample survives only if its path
// opens in the ordered tree (checkReveal, run here exactly as the chain runs it) and its nonce is
// a real proof.
import { randomBytes } from "node:crypto";
import {
  type Commitment,
  checkReveal,
  multiproof,
  openLeaves,
  ProofError,
  rootOf,
  sampleIndices,
  type Tree,
  treeOver,
} from "../../src/race/index.ts";
import type { Address } from "../../src/types/index.ts";

export type Adversary = "honest" | "periodic" | "block-repeated" | "interleaved";
export const ADVERSARIES: Adversary[] = ["periodic", "block-repeated", "interleaved"];

/**
 * The leaves a miner with the real proofs `real` (sorted, distinct) commits to claim `count`:
 * - periodic: the real proofs over and over (the cheap tree of identical subtrees, before leaves
 *   bound their index);
 * - block-repeated: each real proof repeated in a run, so the list is sorted but not strict;
 * - interleaved: real proofs and never-evaluated nonces merged into one strictly increasing list
 *   (every path opens; only the verifiers' model check tells a fake);
 * - honest: the real proofs (count must equal their number).
 */
export function adversaryLeaves(kind: Adversary, real: readonly bigint[], count: number): bigint[] {
  const P = real.length;
  if (kind === "honest") {
    if (count !== P) throw new Error("an honest miner commits exactly its proofs");
    return [...real];
  }
  if (kind === "periodic") return Array.from({ length: count }, (_, i) => real[i % P]!);
  if (kind === "block-repeated") {
    const out: bigint[] = [];
    for (let i = 0; i < P; i++) {
      const run = Math.floor(((i + 1) * count) / P) - Math.floor((i * count) / P);
      for (let r = 0; r < run; r++) out.push(real[i]!);
    }
    return out;
  }
  // Interleaved: the real proofs spread evenly, fakes (odd values, never real) in between.
  const fakes = count - P;
  const out: bigint[] = [];
  let f = 0;
  for (let i = 0; i < P; i++) {
    const before = Math.floor(((i + 1) * fakes) / (P + 1)) - Math.floor((i * fakes) / (P + 1));
    for (let k = 0; k < before; k++) out.push(-1n);
    out.push(real[i]!);
    f += before;
  }
  while (f++ < fakes) out.push(-1n);
  // Fill the fake slots with strictly increasing values between their neighbours.
  let prev = -1n;
  for (let i = 0; i < out.length; i++) {
    if (out[i]! >= 0n) {
      prev = out[i]!;
      continue;
    }
    out[i] = prev + 1n;
    prev = out[i]!;
  }
  return out;
}

/** Real proofs spaced so that fakes fit around them: 4096, 8192, … (distinct, sorted). */
export const realProofs = (n: number) => Array.from({ length: n }, (_, i) => BigInt(i + 1) * 4096n);

export interface EscapeFigure {
  adversary: Adversary;
  samples: number;
  inflation: number;
  realProofs: number;
  count: number;
  /** Leaves whose single path opens in the committed tree and hold a real proof. */
  goodProofLeaves: number;
  /** (goodProofLeaves / count)^S: the exact escape probability of this tree under uniform sampling. */
  exact: number;
  /** The bound of spec/race.md: (1 / inflation)^S. */
  bound: number;
  trials: number;
  escapes: number;
  monteCarlo: number;
}

/** Whether one sampling of this commitment passes the chain's reveal check and the model check. */
export function revealSurvives(
  tree: Tree,
  leaves: readonly bigint[],
  commitment: Commitment,
  isProof: (n: bigint) => boolean,
  miner: Address,
  samples: number,
  randomness: Uint8Array,
): boolean {
  const sampled = sampleIndices(randomness, miner, commitment.count, samples);
  try {
    checkReveal(commitment, randomness, miner, samples, {
      nonces: new Map(sampled.map((i) => [i, leaves[i]!])),
      proof: multiproof(tree, sampled),
    });
  } catch (e) {
    if (e instanceof ProofError) return false;
    throw e;
  }
  return sampled.every((i) => isProof(leaves[i]!));
}

/** The escape figures of one adversary at one inflation: exact over its tree, and Monte Carlo. */
export function escapeFigure(
  adversary: Adversary,
  samples: number,
  inflation: number,
  P: number,
  trials: number,
): EscapeFigure {
  const real = realProofs(P);
  const proofSet = new Set(real);
  const isProof = (n: bigint) => proofSet.has(n);
  const count = Math.round(P * inflation);
  const leaves = adversaryLeaves(adversary, real, count);
  const tree = treeOver(leaves);
  const commitment = { count, root: rootOf(tree) };
  let good = 0;
  for (let i = 0; i < count; i++) {
    if (!isProof(leaves[i]!)) continue;
    const violation = openLeaves(commitment, new Map([[i, leaves[i]!]]), multiproof(tree, [i]));
    if (violation === undefined) good++;
  }
  const miner = new Uint8Array(20).fill(0x5a);
  let escapes = 0;
  for (let t = 0; t < trials; t++)
    if (revealSurvives(tree, leaves, commitment, isProof, miner, samples, randomBytes(32))) escapes++;
  return {
    adversary,
    samples,
    inflation,
    realProofs: P,
    count,
    goodProofLeaves: good,
    exact: (good / count) ** samples,
    bound: (1 / inflation) ** samples,
    trials,
    escapes,
    monteCarlo: escapes / trials,
  };
}
