/** Chain data structures. Codecs and hashing rules are in src/encoding/block.ts and spec/encoding.md. */
import type { Address } from "./address.ts";

/** Commit certificate of the parent block (filled by the BFT engine; empty under the single-node producer). */
export interface CommitCertificate {
  round: number;
  /** Bitfield over the parent's validator set, validator i at bit (i % 8) of byte ⌊i / 8⌋. */
  signers: Uint8Array;
  /** Aggregated BLS signature (96 bytes) or empty. */
  signature: Uint8Array;
}

export interface BlockHeader {
  chainId: bigint;
  height: number;
  parentHash: Uint8Array;
  /** Milliseconds since the Unix epoch. */
  time: bigint;
  proposer: Address;
  stateRoot: Uint8Array;
  txRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  /** Merkle root over the encoded evidence in the body. */
  evidenceRoot: Uint8Array;
  /** Merkle root over the encoded beacon messages in the body. */
  beaconMsgsRoot: Uint8Array;
  validatorSetHash: Uint8Array;
  lastCommit: CommitCertificate;
  gasLimit: bigint;
  gasUsed: bigint;
  baseFee: bigint;
  /** ⌊height / cycleLength⌋. */
  cycle: number;
  /** Reserved for the race (root of the cycle's race commitments); zero until then. */
  raceRoot: Uint8Array;
  /** Output of the latest completed beacon round after this block (zero before the first). */
  beacon: Uint8Array;
  extra: Uint8Array;
}

export interface Block {
  header: BlockHeader;
  /** Signed transactions, each in its Ethereum wire form. */
  txs: Uint8Array[];
  /** Proofs of validator misbehaviour (spec/consensus.md §Evidence). */
  evidence: Evidence[];
  /** DKG dealings and complaints, and completed beacon rounds (spec/beacon.md §On chain). */
  beacon: BeaconMessage[];
}

export const BeaconMessageKind = { dealing: 1, complaint: 2, output: 3 } as const;
export type BeaconMessageKind = (typeof BeaconMessageKind)[keyof typeof BeaconMessageKind];

export interface BeaconMessage {
  kind: BeaconMessageKind;
  /** Committee index (1-based) of the dealer or complainer; 0 for an output. */
  sender: number;
  /** The cycle of a dealing or complaint; the round of an output. */
  epoch: number;
  /** Kind-specific encoding (src/beacon/wire.ts). */
  body: Uint8Array;
  /** Dealing: the dealer's BLS signature; output: the group signature; complaint: empty. */
  signature: Uint8Array;
}

export const VoteType = { prevote: 1, precommit: 2 } as const;
export type VoteType = (typeof VoteType)[keyof typeof VoteType];

/** A signed Tendermint vote. `blockHash` is empty for a nil vote. */
export interface Vote {
  type: VoteType;
  height: number;
  round: number;
  blockHash: Uint8Array;
  /** Index in the validator set of `height`. */
  validator: number;
  signature: Uint8Array;
}

/** Two conflicting votes by one validator for the same height, round and type. */
export interface Evidence {
  a: Vote;
  b: Vote;
}

/** An Ethereum-style log: emitted by a module call, kept in its receipt (spec/events.md). */
export interface Log {
  address: Address;
  /** Up to four 32-byte topics; topics[0] is keccak256 of the event signature. */
  topics: Uint8Array[];
  data: Uint8Array;
}

export interface Receipt {
  /** 1 success, 0 failure (the module call failed; gas and nonce are still charged). */
  status: number;
  gasUsed: bigint;
  cumulativeGasUsed: bigint;
  effectiveGasPrice: bigint;
  from: Address;
  /** Empty on success; the module's reason on failure. */
  error: string;
  /** Logs of a successful module call (none on failure). */
  logs: Log[];
}

export interface Validator {
  address: Address;
  weight: bigint;
  /** Compressed BLS12-381 public key (48 bytes); its proof of possession is checked at registration. */
  blsKey: Uint8Array;
}

export interface Account {
  nonce: bigint;
  balance: bigint;
}
