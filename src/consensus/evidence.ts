/** Duplicate-vote evidence: two valid signatures by one validator on conflicting votes. */
import { CodedError, type Evidence, type Vote } from "../types/index.ts";
import { verifyVoteSignature } from "./messages.ts";
import type { ValidatorSet } from "./validatorSet.ts";

export class EvidenceError extends CodedError<"EVIDENCE_ERROR_INVALID"> {
  constructor(message: string) {
    super("EVIDENCE_ERROR_INVALID", message);
  }
}

/**
 * The inclusion window (spec/consensus.md §Evidence): a block at `blockHeight` may carry evidence
 * from an earlier height at most one cycle old. Used by block validity and by the evidence pool.
 */
export function evidenceInWindow(evidenceHeight: number, blockHeight: number, cycleLength: number): boolean {
  return evidenceHeight < blockHeight && blockHeight - evidenceHeight <= cycleLength;
}

/** Canonical order (a before b by block hash bytes) so one equivocation has one encoding. */
export function makeEvidence(x: Vote, y: Vote): Evidence {
  return Buffer.compare(x.blockHash, y.blockHash) < 0 ? { a: x, b: y } : { a: y, b: x };
}

export function verifyEvidence(set: ValidatorSet, chainId: bigint, e: Evidence): void {
  const { a, b } = e;
  if (a.height !== b.height || a.round !== b.round || a.type !== b.type)
    throw new EvidenceError("votes are for different heights, rounds or types");
  if (a.validator !== b.validator) throw new EvidenceError("votes are from different validators");
  if (Buffer.compare(a.blockHash, b.blockHash) >= 0)
    throw new EvidenceError("votes must conflict, ordered by block hash");
  const v = set.validators[a.validator];
  if (!v) throw new EvidenceError(`validator index ${a.validator} is outside the set`);
  if (!verifyVoteSignature(chainId, v.blsKey, a) || !verifyVoteSignature(chainId, v.blsKey, b))
    throw new EvidenceError("a vote's signature does not verify");
}
