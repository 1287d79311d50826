/**
 * Polynomial secret sharing with Feldman commitments. A dealer picks f of degree t − 1, gives
 * member i (1-based) the share f(i), and publishes C_k = a_k·G1 for each coefficient; anyone can
 * then check a share (f(i)·G1 = Σ C_k·i^k) and derive member i's public share.
 */
import { evalPoly, G1, type G1Point, g1FromBytes, mulG1, randomScalar, scalarFromSeed } from "./field.ts";

export interface Dealing {
  coefficients: bigint[];
  commitments: Uint8Array[];
}

export function deal(threshold: number, seed?: { seed: Uint8Array; label: string }): Dealing {
  if (!Number.isInteger(threshold) || threshold < 1) throw new Error("threshold must be at least 1");
  const coefficients = Array.from({ length: threshold }, (_, k) =>
    seed ? scalarFromSeed(seed.seed, `${seed.label}/coeff/${k}`) : randomScalar(),
  );
  return { coefficients, commitments: coefficients.map((a) => G1.BASE.multiply(a).toBytes()) };
}

export function shareFor(d: Dealing, index: number): bigint {
  return evalPoly(d.coefficients, BigInt(index));
}

/** Σ_k C_k·i^k as a point: the public counterpart of share f(i). */
export function commitmentAt(commitments: G1Point[], index: number): G1Point {
  const x = BigInt(index);
  let acc = G1.ZERO;
  for (let k = commitments.length - 1; k >= 0; k--) acc = mulG1(acc, x).add(commitments[k]!);
  return acc;
}

export function parseCommitments(commitments: Uint8Array[]): G1Point[] {
  return commitments.map((c, k) => g1FromBytes(c, `commitment ${k}`));
}

/** Does `share` match the dealer's commitments for member `index`? */
export function verifyShare(commitments: G1Point[], index: number, share: bigint): boolean {
  return mulG1(G1.BASE, share).equals(commitmentAt(commitments, index));
}

/** Element-wise sum of the qualified dealers' commitments: the group polynomial's commitments. */
export function sumCommitments(all: G1Point[][]): G1Point[] {
  const t = all[0]?.length ?? 0;
  return Array.from({ length: t }, (_, k) => all.reduce((acc, c) => acc.add(c[k]!), G1.ZERO));
}
