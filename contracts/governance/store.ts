/**
 * The governance module's state (spec/governance.md §Store): its parameters, proposals, the
 * deposits and votes on each, the open proposals and the cycle each is due to close in.
 */
import { address20, bytes, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import type { Address } from "../../src/types/index.ts";
import { COIN } from "../rewards/issuance.ts";
import { addressKey20, bytesKey, pairKey, type ReadStore, StoreItem, StoreMap, u32Key } from "../store.ts";

export interface GovParams {
  /** Deposit (wei) that moves a proposal from its deposit period into voting. */
  minDeposit: bigint;
  /** The same for an expedited proposal. */
  expeditedMinDeposit: bigint;
  /** Thousandths of the minimum deposit a proposer puts down with the proposal. */
  initialDepositMilli: number;
  /** Cycles after the submission's cycle in which the deposit may be completed. */
  depositCycles: number;
  /** Cycles after the cycle voting starts in, through which votes are taken. */
  votingCycles: number;
  expeditedVotingCycles: number;
  /** Thousandths of the closing cycle's race weight that must vote (any option). */
  quorumMilli: number;
  /** Thousandths of the yes + no + veto weight that yes must exceed. */
  thresholdMilli: number;
  expeditedThresholdMilli: number;
  /** Thousandths of the voting weight that veto must exceed to veto (the deposit goes to the fund). */
  vetoMilli: number;
}

export const govParamsFields = {
  minDeposit: quantity,
  expeditedMinDeposit: quantity,
  initialDepositMilli: uint,
  depositCycles: uint,
  votingCycles: uint,
  expeditedVotingCycles: uint,
  quorumMilli: uint,
  thresholdMilli: uint,
  expeditedThresholdMilli: uint,
  vetoMilli: uint,
};
export const govParamsCodec = struct<GovParams>("gov.Params", govParamsFields);

/** Cosmos SDK x/gov's proportions; periods in cycles (a cycle is a day on mainnet). */
export const DEFAULT_GOV_PARAMS: GovParams = {
  minDeposit: 1_000n * COIN,
  expeditedMinDeposit: 5_000n * COIN,
  initialDepositMilli: 250,
  depositCycles: 2,
  votingCycles: 2,
  expeditedVotingCycles: 1,
  quorumMilli: 334,
  thresholdMilli: 500,
  expeditedThresholdMilli: 667,
  vetoMilli: 334,
};

/**
 * Bounds of each parameter, for genesis and for proposals that change them. They keep governance
 * able to change itself: no deposit above 1 % of the supply, no quorum above two thirds, no
 * threshold a determined minority could never clear (≤ 750‰, expedited ≤ 900‰), and none below
 * half, where a minority could pass what the majority opposes.
 */
export const GOV_PARAM_BOUNDS: Record<keyof GovParams, [bigint, bigint]> = {
  minDeposit: [1n, 10_000_000n * COIN],
  expeditedMinDeposit: [1n, 10_000_000n * COIN],
  initialDepositMilli: [0n, 1000n],
  depositCycles: [1n, 64n],
  votingCycles: [1n, 64n],
  expeditedVotingCycles: [1n, 64n],
  quorumMilli: [1n, 667n],
  thresholdMilli: [500n, 750n],
  expeditedThresholdMilli: [500n, 900n],
  vetoMilli: [1n, 1000n],
};

export enum Kind {
  registerModel = 1,
  retireModel = 2,
  changeParam = 3,
  grant = 4,
  trainingShare = 5,
  trainingJob = 6,
}
export const KIND_NAMES: Record<number, string> = {
  1: "registerModel",
  2: "retireModel",
  3: "changeParam",
  4: "grant",
  5: "trainingShare",
  6: "trainingJob",
};

export enum Status {
  deposit = 1,
  voting = 2,
  passed = 3,
  rejected = 4,
  vetoed = 5,
  expired = 6,
  /** Passed, but its effect could not be applied when it closed (the reason says why). */
  failed = 7,
}
export const STATUS_NAMES: Record<number, string> = {
  1: "deposit",
  2: "voting",
  3: "passed",
  4: "rejected",
  5: "vetoed",
  6: "expired",
  7: "failed",
};

export enum VoteOption {
  yes = 1,
  no = 2,
  abstain = 3,
  veto = 4,
}
export const OPTION_NAMES: Record<number, string> = { 1: "yes", 2: "no", 3: "abstain", 4: "veto" };

export interface Tally {
  yes: bigint;
  no: bigint;
  abstain: bigint;
  veto: bigint;
  /** The closing cycle's whole voting weight (voters or not). */
  total: bigint;
}
export const tallyCodec = struct<Tally>("gov.Tally", {
  yes: quantity,
  no: quantity,
  abstain: quantity,
  veto: quantity,
  total: quantity,
});
export const EMPTY_TALLY: Tally = { yes: 0n, no: 0n, abstain: 0n, veto: 0n, total: 0n };

/** Largest encoded body of a proposal (a model entry with 16 files is ~1.3 KiB). */
export const MAX_BODY_BYTES = 4096;

export interface Proposal {
  id: number;
  proposer: Address;
  kind: number;
  /** Canonical msgpack of the kind's content (kinds.ts). */
  body: Uint8Array;
  title: string;
  expedited: number;
  status: number;
  submitHeight: number;
  depositEndCycle: number;
  votingStartHeight: number;
  votingEndCycle: number;
  deposit: bigint;
  depositors: number;
  voters: number;
  tally: Tally;
  /** Why it closed as it did (empty while open). */
  result: string;
}
export const proposalFields = {
  id: uint,
  proposer: address20,
  kind: uint,
  body: bytes({ max: MAX_BODY_BYTES }),
  title: str(128),
  expedited: uint,
  status: uint,
  submitHeight: uint,
  depositEndCycle: uint,
  votingStartHeight: uint,
  votingEndCycle: uint,
  deposit: quantity,
  depositors: uint,
  voters: uint,
  tally: tallyCodec,
  result: str(256),
};
export const proposalCodec = struct<Proposal>("gov.Proposal", proposalFields);

/**
 * Proposals in their deposit or voting period at once. It bounds the endCycle tally: at most this
 * many proposals close in a cycle, each reading min(voters, weighted accounts) votes.
 */
export const MAX_OPEN_PROPOSALS = 16;
/**
 * Proposals whose period ends in one cycle: a period that would end in a full cycle ends in the
 * next one with room. The endCycle tally reads min(voters, weighted accounts) votes for each.
 */
export const MAX_CLOSING_PER_CYCLE = 8;
/** Depositors per proposal: a new one puts down at least minDeposit / 64, so a full list has reached it. */
export const MAX_DEPOSITORS = 64;

/** Voters per proposal (each needs race weight in the cycle it votes in; this caps the tally's reads). */
export const MAX_VOTERS = 10_000;

/** Absent until genesis sets a section or a proposal changes one (defaults then apply). */
export const params = new StoreItem("params", govParamsCodec);
/** The id the next proposal gets (absent: 1). */
export const nextId = new StoreItem("next", uint);
/** id → proposal. */
export const proposals = new StoreMap("proposal", u32Key, proposalCodec);
/** (id, depositor) → wei deposited. */
export const deposits = new StoreMap("deposit", pairKey(u32Key, 4, addressKey20), quantity);
/** (id, voter) → option. */
export const votes = new StoreMap("vote", pairKey(u32Key, 4, addressKey20), uint);
/** Open proposals (deposit or voting period): id → 1. */
export const open = new StoreMap("open", u32Key, uint);
/** (cycle, id): the proposal's deposit or voting period ends with that cycle. */
export const due = new StoreMap("due", pairKey(u32Key, 4, u32Key), uint);
/** keccak256(kind ‖ body) of each open proposal → its id: the same change is not open twice. */
export const openBodies = new StoreMap("body", bytesKey, uint);

export function govParams(store: ReadStore): GovParams {
  return params.get(store) ?? DEFAULT_GOV_PARAMS;
}
