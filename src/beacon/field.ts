/**
 * Arithmetic in Fr (the BLS12-381 scalar field) and on its G1/G2 groups for threshold BLS:
 * polynomials, Lagrange coefficients at zero, and point sums. @noble/curves does the curve
 * arithmetic; its encodings are the same compressed ZCash encodings blst reads and writes.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bigintToBytes, bytesToBigint, concatBytes } from "../types/index.ts";

const { Fr } = bls12_381.fields;
export const FR_ORDER: bigint = Fr.ORDER;
export const G1 = bls12_381.G1.Point;
export const G2 = bls12_381.G2.Point;
export type G1Point = InstanceType<typeof G1>;
export type G2Point = InstanceType<typeof G2>;

export class BeaconCryptoError extends Error {}

export const mod = (x: bigint): bigint => Fr.create(x);

/** A nonzero scalar from 64 uniformly random bytes (bias < 2^-250). */
export function randomScalar(): bigint {
  for (;;) {
    const x = mod(bytesToBigint(crypto.getRandomValues(new Uint8Array(64))));
    if (x !== 0n) return x;
  }
}

/** A nonzero scalar derived from a seed and a label (deterministic vectors and tests). */
export function scalarFromSeed(seed: Uint8Array, label: string): bigint {
  for (let ctr = 0; ; ctr++) {
    const tag = new TextEncoder().encode(`${label}/${ctr}`);
    const wide = concatBytes(
      sha256(concatBytes(seed, tag, new Uint8Array([0]))),
      sha256(concatBytes(seed, tag, new Uint8Array([1]))),
    );
    const x = mod(bytesToBigint(wide));
    if (x !== 0n) return x;
  }
}

export function scalarToBytes(x: bigint): Uint8Array {
  const b = bigintToBytes(x);
  const out = new Uint8Array(32);
  out.set(b, 32 - b.length);
  return out;
}

export function scalarFromBytes(b: Uint8Array, what = "scalar"): bigint {
  if (b.length !== 32) throw new BeaconCryptoError(`${what} must be 32 bytes`);
  const x = bytesToBigint(b);
  if (x >= FR_ORDER) throw new BeaconCryptoError(`${what} is not reduced modulo r`);
  return x;
}

/** f(x) = Σ coeffs[k]·x^k mod r (Horner). */
export function evalPoly(coeffs: bigint[], x: bigint): bigint {
  let acc = 0n;
  for (let k = coeffs.length - 1; k >= 0; k--) acc = mod(acc * x + coeffs[k]!);
  return acc;
}

/** λ_i for interpolation at 0 over the distinct nonzero indices given: Π_{j≠i} j / (j − i). */
export function lagrangeAtZero(indices: number[]): bigint[] {
  if (new Set(indices).size !== indices.length || indices.some((i) => i <= 0))
    throw new BeaconCryptoError("interpolation needs distinct positive indices");
  return indices.map((i) => {
    let num = 1n;
    let den = 1n;
    for (const j of indices) {
      if (j === i) continue;
      num = mod(num * BigInt(j));
      den = mod(den * BigInt(j - i));
    }
    return mod(num * Fr.inv(den));
  });
}

/** Decode a compressed point, refusing off-curve, wrong-subgroup and identity points. */
function pointFromBytes<P extends { assertValidity(): void; is0(): boolean }>(
  decodePoint: (b: Uint8Array) => P,
  b: Uint8Array,
  what: string,
): P {
  try {
    const p = decodePoint(b);
    p.assertValidity();
    if (p.is0()) throw new Error("identity");
    return p;
  } catch (e) {
    throw new BeaconCryptoError(`invalid ${what}: ${(e as Error).message}`);
  }
}

export function g1FromBytes(b: Uint8Array, what = "G1 point"): G1Point {
  return pointFromBytes((x) => G1.fromBytes(x), b, what);
}

export function g2FromBytes(b: Uint8Array, what = "G2 point"): G2Point {
  return pointFromBytes((x) => G2.fromBytes(x), b, what);
}

/** s·P for s possibly 0 (noble's safe multiply refuses 0). */
export function mulG1(p: G1Point, s: bigint): G1Point {
  return s === 0n ? G1.ZERO : p.multiply(s);
}
export function mulG2(p: G2Point, s: bigint): G2Point {
  return s === 0n ? G2.ZERO : p.multiply(s);
}
