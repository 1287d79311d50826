/**
 * Threshold BLS beacon rounds. Member i holds x_i = F(i) of the group polynomial F; the group key
 * is F(0)·G1. For round r with previous output p, the message is `[chainId, r, p]` under the
 * beacon domain; member i's partial is x_i·H(m) (an ordinary BLS signature with x_i as the key,
 * checked against its public share X_i = x_i·G1); any t valid partials interpolate to F(0)·H(m),
 * the unique group signature, which verifies under the group key. Output = SHA-256(signature).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { blsSign, blsVerify } from "../crypto/index.ts";
import { encode, hash32, quantity, struct, uint } from "../encoding/index.ts";
import { BeaconCryptoError, G2, g2FromBytes, lagrangeAtZero, mulG2, scalarToBytes } from "./field.ts";

interface RoundBody {
  chainId: bigint;
  round: number;
  previous: Uint8Array;
}
const roundBodyCodec = struct<RoundBody>("BeaconRound", { chainId: quantity, round: uint, previous: hash32 });

export function roundMessage(chainId: bigint, round: number, previous: Uint8Array): Uint8Array {
  return encode(roundBodyCodec, { chainId, round, previous });
}

export function partialSign(share: bigint, chainId: bigint, round: number, previous: Uint8Array): Uint8Array {
  return blsSign(scalarToBytes(share), "beacon", roundMessage(chainId, round, previous));
}

export function verifyPartial(
  publicShare: Uint8Array,
  chainId: bigint,
  round: number,
  previous: Uint8Array,
  partial: Uint8Array,
): boolean {
  return blsVerify(publicShare, "beacon", roundMessage(chainId, round, previous), partial);
}

/** Interpolate t partials (already verified) at zero: the group signature. */
export function combinePartials(
  partials: { index: number; signature: Uint8Array }[],
  threshold: number,
): Uint8Array {
  if (partials.length < threshold)
    throw new BeaconCryptoError(`need ${threshold} partials, have ${partials.length}`);
  const chosen = [...partials].sort((a, b) => a.index - b.index).slice(0, threshold);
  const lambdas = lagrangeAtZero(chosen.map((p) => p.index));
  let acc = G2.ZERO;
  chosen.forEach((p, k) => {
    acc = acc.add(mulG2(g2FromBytes(p.signature, `partial of member ${p.index}`), lambdas[k]!));
  });
  return acc.toBytes();
}

export function verifyRound(
  groupKey: Uint8Array,
  chainId: bigint,
  round: number,
  previous: Uint8Array,
  signature: Uint8Array,
): boolean {
  return blsVerify(groupKey, "beacon", roundMessage(chainId, round, previous), signature);
}

export function roundOutput(signature: Uint8Array): Uint8Array {
  return sha256(signature);
}
