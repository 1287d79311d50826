/**
 * BLS-VRF: the proof is the BLS signature on `input` under the VRF domain and a per-purpose
 * domain string; the output is SHA-256 of the proof. BLS signatures are unique (one valid
 * signature per key and message), so the output is a deterministic function of key and input
 * that nobody without the key can predict and anyone with the public key can check.
 * Callers must put a beacon output in `input` that did not exist when the key was registered, so
 * a key cannot be chosen to favour future selections.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { blsSign, blsVerify } from "../crypto/index.ts";
import { bytes, encode, str, struct } from "../encoding/index.ts";
import { bytesToBigint } from "../types/index.ts";

const vrfInputCodec = struct<{ domain: string; input: Uint8Array }>("VrfInput", {
  domain: str(64),
  input: bytes({ max: 1024 }),
});

export class VrfError extends Error {}

const selectionInputCodec = struct<{ beacon: Uint8Array; context: Uint8Array }>("VrfSelectionInput", {
  beacon: bytes({ length: 32 }),
  context: bytes({ max: 512 }),
});

/**
 * The VRF input for a selection: a beacon output (which did not exist when any key was
 * registered, so no key can have been chosen to win it) and the selection's context (a race
 * cycle, an AI task id).
 */
export function selectionInput(beaconOutput: Uint8Array, context: Uint8Array): Uint8Array {
  return encode(selectionInputCodec, { beacon: beaconOutput, context });
}

function message(domain: string, input: Uint8Array): Uint8Array {
  return encode(vrfInputCodec, { domain, input });
}

export function vrfProve(
  secretKey: Uint8Array,
  domain: string,
  input: Uint8Array,
): { proof: Uint8Array; output: Uint8Array } {
  const proof = blsSign(secretKey, "vrf", message(domain, input));
  return { proof, output: sha256(proof) };
}

/** The output if `proof` is the key's VRF proof for (domain, input); throws VrfError otherwise. */
export function vrfVerify(
  publicKey: Uint8Array,
  domain: string,
  input: Uint8Array,
  proof: Uint8Array,
): Uint8Array {
  if (!blsVerify(publicKey, "vrf", message(domain, input), proof))
    throw new VrfError("VRF proof does not verify for this key, domain and input");
  return sha256(proof);
}

/**
 * Weighted sortition: selected iff output / 2^256 < expected · weight / totalWeight, so a member
 * is picked with probability proportional to its weight and `expected` members are picked on
 * average. Exact integer comparison.
 */
export function selectedByWeight(
  output: Uint8Array,
  weight: bigint,
  totalWeight: bigint,
  expected: bigint,
): boolean {
  if (totalWeight <= 0n) return false;
  return bytesToBigint(output) * totalWeight < (expected * weight) << 256n;
}

/** Choose k of n by the smallest outputs (ties broken by index). */
export function chooseK(outputs: { index: number; output: Uint8Array }[], k: number): number[] {
  return [...outputs]
    .sort((a, b) => Buffer.compare(a.output, b.output) || a.index - b.index)
    .slice(0, k)
    .map((o) => o.index);
}
