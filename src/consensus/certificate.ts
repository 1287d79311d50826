/**
 * Commit certificates: the precommits that finalised a block, as a signer bitfield over the
 * validator set plus one aggregated BLS signature (spec/consensus.md §Certificates). Anyone who
 * knows the validator set can check a block's finality with `verifyCertificate` alone.
 */
import { blsAggregate, blsSign, blsVerifyAggregate, blsVerifyAggregateBatch } from "../crypto/index.ts";
import {
  CodedError,
  type CommitCertificate,
  equalBytes,
  toHex,
  type Vote,
  VoteType,
} from "../types/index.ts";
import { voteSignBytes } from "./messages.ts";
import type { ValidatorSet } from "./validatorSet.ts";

export type CertificateErrorCode =
  | "CERT_ERROR_EMPTY"
  | "CERT_ERROR_BITFIELD"
  | "CERT_ERROR_NO_QUORUM"
  | "CERT_ERROR_SIGNATURE";

export class CertificateError extends CodedError<CertificateErrorCode> {}

export const EMPTY_CERTIFICATE: CommitCertificate = {
  round: 0,
  signers: new Uint8Array(0),
  signature: new Uint8Array(0),
};

export function bitfieldLength(validators: number): number {
  return Math.ceil(validators / 8);
}

export function hasBit(bits: Uint8Array, i: number): boolean {
  return (((bits[i >> 3] ?? 0) >> (i & 7)) & 1) === 1;
}

/** Aggregate precommits for one (height, round, block); the caller has checked each signature. */
export function buildCertificate(set: ValidatorSet, precommits: Vote[]): CommitCertificate {
  const first = precommits[0];
  if (!first) throw new CertificateError("CERT_ERROR_EMPTY", "no precommits to aggregate");
  const signers = new Uint8Array(bitfieldLength(set.size));
  const sigs: Uint8Array[] = [];
  for (const v of [...precommits].sort((a, b) => a.validator - b.validator)) {
    if (v.type !== VoteType.precommit || v.round !== first.round || !equalBytes(v.blockHash, first.blockHash))
      throw new CertificateError("CERT_ERROR_BITFIELD", "precommits disagree on round or block");
    if (hasBit(signers, v.validator)) continue;
    signers[v.validator >> 3]! |= 1 << (v.validator & 7);
    sigs.push(v.signature);
  }
  return { round: first.round, signers, signature: blsAggregate(sigs) };
}

/** Total weight of the certificate's signers; throws on a malformed bitfield. */
export function signerWeight(set: ValidatorSet, cert: CommitCertificate): bigint {
  if (cert.signers.length !== bitfieldLength(set.size))
    throw new CertificateError(
      "CERT_ERROR_BITFIELD",
      `signer bitfield is ${cert.signers.length} bytes, the set of ${set.size} needs ${bitfieldLength(set.size)}`,
    );
  const spare = set.size & 7;
  if (spare !== 0 && cert.signers[cert.signers.length - 1]! >> spare !== 0)
    throw new CertificateError("CERT_ERROR_BITFIELD", "signer bitfield has bits beyond the validator set");
  let weight = 0n;
  for (let i = 0; i < set.size; i++) if (hasBit(cert.signers, i)) weight += set.validators[i]!.weight;
  return weight;
}

/**
 * Does `cert` prove that `blockHash` at `height` was committed by `set`? Checks the bitfield,
 * that the signers hold > 2/3 of the weight, and the aggregate signature over the precommit.
 */
export function verifyCertificate(
  set: ValidatorSet,
  chainId: bigint,
  height: number,
  blockHash: Uint8Array,
  cert: CommitCertificate,
): void {
  // A block's certificate is checked twice on import (as its commit, then as its child's last
  // commit): remember the last few that verified. Same inputs, same answer, half the pairings.
  const claim = { height, blockHash, cert };
  const key = cacheKey(set, chainId, claim);
  if (verified.has(key)) return;
  verifyUncached(set, chainId, claim);
  remember(key);
}

/** What a certificate claims: block `blockHash` at `height` is final. */
interface CommitClaim {
  height: number;
  blockHash: Uint8Array;
  cert: CommitCertificate;
}

const verified = new Set<string>();

function cacheKey(set: ValidatorSet, chainId: bigint, { height, blockHash, cert }: CommitClaim): string {
  return `${toHex(set.hash)}/${chainId}/${height}/${toHex(blockHash)}/${cert.round}/${toHex(cert.signers)}/${toHex(cert.signature)}`;
}

/**
 * Verify a run of certificates (range sync) with one batched pairing check. Returns false when
 * the batch fails; the caller then verifies one by one, which names the bad certificate.
 */
export function verifyCertificateBatch(set: ValidatorSet, chainId: bigint, items: CommitClaim[]): boolean {
  const sets = [];
  for (const { height, blockHash, cert } of items) {
    if (cert.signature.length === 0) return false;
    try {
      if (!set.hasQuorum(signerWeight(set, cert))) return false;
    } catch {
      return false;
    }
    sets.push({
      publicKeys: set.validators.filter((_, i) => hasBit(cert.signers, i)).map((v) => v.blsKey),
      domain: "vote" as const,
      body: voteSignBytes(chainId, { type: VoteType.precommit, height, round: cert.round, blockHash }),
      signature: cert.signature,
    });
  }
  if (!blsVerifyAggregateBatch(sets)) return false;
  for (const claim of items) remember(cacheKey(set, chainId, claim));
  return true;
}

function remember(key: string): void {
  verified.add(key);
  if (verified.size > 1024) verified.delete(verified.values().next().value!);
}

function verifyUncached(set: ValidatorSet, chainId: bigint, { height, blockHash, cert }: CommitClaim): void {
  if (cert.signature.length === 0) throw new CertificateError("CERT_ERROR_EMPTY", "certificate is empty");
  const weight = signerWeight(set, cert);
  if (!set.hasQuorum(weight))
    throw new CertificateError(
      "CERT_ERROR_NO_QUORUM",
      `signers hold ${weight} of ${set.totalWeight} weight; more than two thirds is required`,
    );
  const keys = set.validators.filter((_, i) => hasBit(cert.signers, i)).map((v) => v.blsKey);
  const body = voteSignBytes(chainId, { type: VoteType.precommit, height, round: cert.round, blockHash });
  if (!blsVerifyAggregate(keys, "vote", body, cert.signature))
    throw new CertificateError("CERT_ERROR_SIGNATURE", "aggregate signature does not verify");
}

/**
 * Certificate signed directly by locally held validator keys (round 0): for tests, benchmarks
 * and tools that build chains without running consensus. `keys[i]` signs for validator i.
 */
export function localCertificate(
  set: ValidatorSet,
  chainId: bigint,
  keys: (Uint8Array | undefined)[],
  height: number,
  blockHash: Uint8Array,
): CommitCertificate {
  const precommits: Vote[] = [];
  keys.forEach((sk, validator) => {
    if (!sk) return;
    const v = { type: VoteType.precommit, height, round: 0, blockHash, validator };
    precommits.push({ ...v, signature: blsSign(sk, "vote", voteSignBytes(chainId, v)) });
  });
  return buildCertificate(set, precommits);
}
