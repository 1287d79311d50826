/**
 * Consensus messages and the exact bytes each signature covers (spec/consensus.md §Messages).
 * Sign bytes always bind the chain id, so a vote on one chain is worthless on another.
 */
import { blsSign, blsVerify } from "../crypto/index.ts";
import {
  blockCodec,
  bytes,
  encode,
  evidenceCodec,
  hash32,
  quantity,
  struct,
  uint,
  voteCodec,
} from "../encoding/index.ts";
import type { Block, Evidence, Vote, VoteType } from "../types/index.ts";

export { evidenceCodec, voteCodec };

/** A proposed block for (height, round). `polRound` is validRound + 1 (0: no proof-of-lock round). */
export interface Proposal {
  height: number;
  round: number;
  polRound: number;
  block: Block;
  signature: Uint8Array;
}

export const proposalCodec = struct<Proposal>("Proposal", {
  height: uint,
  round: uint,
  polRound: uint,
  block: blockCodec,
  signature: bytes({ length: 96 }),
});

interface VoteSignBody {
  chainId: bigint;
  type: number;
  height: number;
  round: number;
  blockHash: Uint8Array;
}
const voteSignCodec = struct<VoteSignBody>("VoteSignBytes", {
  chainId: quantity,
  type: uint,
  height: uint,
  round: uint,
  blockHash: bytes({ max: 32 }),
});

interface ProposalSignBody {
  chainId: bigint;
  height: number;
  round: number;
  polRound: number;
  blockHash: Uint8Array;
}
const proposalSignCodec = struct<ProposalSignBody>("ProposalSignBytes", {
  chainId: quantity,
  height: uint,
  round: uint,
  polRound: uint,
  blockHash: hash32,
});

export function voteSignBytes(
  chainId: bigint,
  v: { type: VoteType; height: number; round: number; blockHash: Uint8Array },
): Uint8Array {
  return encode(voteSignCodec, {
    chainId,
    type: v.type,
    height: v.height,
    round: v.round,
    blockHash: v.blockHash,
  });
}

export function proposalSignBytes(
  chainId: bigint,
  p: { height: number; round: number; polRound: number },
  blockHash: Uint8Array,
): Uint8Array {
  return encode(proposalSignCodec, {
    chainId,
    height: p.height,
    round: p.round,
    polRound: p.polRound,
    blockHash,
  });
}

export function signVote(chainId: bigint, secretKey: Uint8Array, v: Omit<Vote, "signature">): Vote {
  return { ...v, signature: blsSign(secretKey, "vote", voteSignBytes(chainId, v)) };
}

export function verifyVoteSignature(chainId: bigint, blsKey: Uint8Array, v: Vote): boolean {
  return blsVerify(blsKey, "vote", voteSignBytes(chainId, v), v.signature);
}

export function verifyProposalSignature(
  chainId: bigint,
  blsKey: Uint8Array,
  p: Proposal,
  blockHash: Uint8Array,
): boolean {
  return blsVerify(blsKey, "proposal", proposalSignBytes(chainId, p, blockHash), p.signature);
}

export function voteKey(v: Pick<Vote, "type" | "height" | "round" | "validator">): string {
  return `${v.height}/${v.round}/${v.type}/${v.validator}`;
}

export function evidenceId(e: Evidence): string {
  return Buffer.from(encode(evidenceCodec, e)).toString("hex");
}

export function encodeVote(v: Vote): Uint8Array {
  return encode(voteCodec, v);
}
