/**
 * The training module's state (spec/training.md §On chain): its parameters, the jobs governance
 * granted, each round's record, the participants and commitments of a round, the verifiers'
 * submitted score vectors, and the verifiers excluded from draws for a minority vector.
 */
import {
  address20,
  hash32,
  list,
  quantity,
  quantityMax,
  str,
  struct,
  uint,
} from "../../src/encoding/index.ts";
import type { Address } from "../../src/types/index.ts";
import {
  addressKey20,
  type KeyCodec,
  pairKey,
  type ReadStore,
  StoreItem,
  StoreMap,
  u32Key,
} from "../store.ts";

export interface TrainingParams {
  /** Blocks of a round's register window (its first blocks). */
  registerBlocks: number;
  /** Blocks of the commit window that follows: registered participants commit their delta hash. */
  commitBlocks: number;
  /** Blocks of the exchange (off chain: deltas are exchanged, the outer step computed). */
  exchangeBlocks: number;
  /** Blocks of the score window: the drawn verifiers submit their score vectors. */
  scoreBlocks: number;
  /** Verifiers drawn by race weight for each round. */
  verifiers: number;
  /** Cycles a verifier that submitted a minority vector is left out of training draws. */
  exclusionCycles: number;
}
export const trainingParamsFields = {
  registerBlocks: uint,
  commitBlocks: uint,
  exchangeBlocks: uint,
  scoreBlocks: uint,
  verifiers: uint,
  exclusionCycles: uint,
};
export const trainingParamsCodec = struct<TrainingParams>("training.Params", trainingParamsFields);

/** 90 blocks a round: 45 s on the minimal preset's 0.5 s blocks, 7.5 min on mainnet's 5 s. */
export const DEFAULT_TRAINING_PARAMS: TrainingParams = {
  registerBlocks: 10,
  commitBlocks: 40,
  exchangeBlocks: 20,
  scoreBlocks: 20,
  verifiers: 3,
  exclusionCycles: 2,
};

/** Bounds for genesis and for proposals that change them (every window at least a block). */
export const TRAINING_PARAM_BOUNDS: Record<keyof TrainingParams, [bigint, bigint]> = {
  registerBlocks: [1n, 100_000n],
  commitBlocks: [1n, 100_000n],
  exchangeBlocks: [1n, 100_000n],
  scoreBlocks: [1n, 100_000n],
  verifiers: [1n, 16n],
  exclusionCycles: [0n, 64n],
};

/** Jobs running at once: each hook reads at most this many jobs. */
export const MAX_ACTIVE_JOBS = 8;
export const MAX_ROUNDS = 1000;
/** Participants (registrations, so commitments) of one round. */
export const MAX_PARTICIPANTS = 256;
export const MAX_VERIFIERS = 16;
export const MAX_INNER_STEPS = 1_000_000;
export const MAX_PURPOSE_BYTES = 256;
export const MAX_SCORE = (1n << 64n) - 1n;

/** A score: an unsigned 64-bit integer (spec/training.md §Proof of learning). */
export const scoreCodec = quantityMax(MAX_SCORE, "score");

/** What a trainingJob proposal asks for (spec/governance.md §Kinds). */
export interface JobSpec {
  /** Files hash of the starting checkpoint. */
  modelHash: Uint8Array;
  /** Files hash of the dataset. */
  datasetHash: Uint8Array;
  innerSteps: number;
  rounds: number;
  participantsMax: number;
  /** Wei moved from the training fund to this module when the proposal passes. */
  budget: bigint;
  purpose: string;
}
export const jobSpecFields = {
  modelHash: hash32,
  datasetHash: hash32,
  innerSteps: uint,
  rounds: uint,
  participantsMax: uint,
  budget: quantity,
  purpose: str(MAX_PURPOSE_BYTES),
};
export const jobSpecCodec = struct<JobSpec>("training.JobSpec", jobSpecFields);

export enum JobStatus {
  active = 1,
  finished = 2,
}
export const JOB_STATUS_NAMES: Record<number, string> = { 1: "active", 2: "finished" };

export interface Job extends JobSpec {
  id: number;
  /** First block of round 1 (the block after the one the proposal passed in). */
  startHeight: number;
  /** The windows and committee size in force when the job was created (later changes: later jobs). */
  registerBlocks: number;
  commitBlocks: number;
  exchangeBlocks: number;
  scoreBlocks: number;
  verifiers: number;
  /** The checkpoint the next round trains from: modelHash, then each scored round's majority hash. */
  checkpointHash: Uint8Array;
  /** Rounds closed (scored or void). */
  roundsDone: number;
  /** Paid to participants so far. */
  paid: bigint;
  /** Returned to the training fund when the job finished (budget − paid). */
  returned: bigint;
  status: number;
  /** Height of the block the last round closed in (0 while active). */
  endHeight: number;
}
export const jobFields = {
  id: uint,
  ...jobSpecFields,
  startHeight: uint,
  registerBlocks: uint,
  commitBlocks: uint,
  exchangeBlocks: uint,
  scoreBlocks: uint,
  verifiers: uint,
  checkpointHash: hash32,
  roundsDone: uint,
  paid: quantity,
  returned: quantity,
  status: uint,
  endHeight: uint,
};
export const jobCodec = struct<Job>("training.Job", jobFields);

export enum RoundStatus {
  /** Register and commit windows. */
  open = 1,
  /** Verifiers drawn; the score window runs. */
  scoring = 2,
  /** Scored by a majority and paid. */
  scored = 3,
  /** Nothing paid, the checkpoint unchanged (the result says why). */
  void = 4,
}
export const ROUND_STATUS_NAMES: Record<number, string> = { 1: "open", 2: "scoring", 3: "scored", 4: "void" };

export enum Verdict {
  /** Drawn, the score window still running. */
  pending = 0,
  /** Submitted the majority's scores and checkpoint. */
  agreed = 1,
  /** Submitted a vector that differs from the majority: excluded from draws for exclusionCycles. */
  minority = 2,
  /** Submitted nothing. */
  absent = 3,
  /** Submitted, but no majority formed (the round is void). */
  undecided = 4,
}
export const VERDICT_NAMES: Record<number, string> = {
  0: "pending",
  1: "agreed",
  2: "minority",
  3: "absent",
  4: "undecided",
};

export interface Seat {
  address: Address;
  weight: bigint;
  verdict: number;
}
export const seatCodec = struct<Seat>("training.Seat", {
  address: address20,
  weight: quantity,
  verdict: uint,
});

export interface Round {
  job: number;
  round: number;
  status: number;
  /** Latest beacon output when the round opened: assigns data shards (spec §A round off chain). */
  shardSeed: Uint8Array;
  /** First beacon output after the commit window: draws the verifiers and seeds the scoring batches. */
  scoreSeed: Uint8Array;
  registered: number;
  committed: number;
  verifiers: Seat[];
  submitted: number;
  /** The majority's next checkpoint hash (zero unless scored). */
  checkpointHash: Uint8Array;
  /** Σ scores after the copy and zero rules. */
  totalScore: bigint;
  paid: bigint;
  result: string;
}
export const roundFields = {
  job: uint,
  round: uint,
  status: uint,
  shardSeed: hash32,
  scoreSeed: hash32,
  registered: uint,
  committed: uint,
  verifiers: list(seatCodec, MAX_VERIFIERS),
  submitted: uint,
  checkpointHash: hash32,
  totalScore: quantity,
  paid: quantity,
  result: str(256),
};
export const roundCodec = struct<Round>("training.Round", roundFields);

export interface Commitment {
  participant: Address;
  deltaHash: Uint8Array;
  height: number;
  /** The majority's score after the copy and zero rules (0 until scored). */
  score: bigint;
  payout: bigint;
  /** 1 + the index of the earlier commitment with the same delta hash (0: none). */
  copyOf: number;
}
export const commitmentFields = {
  participant: address20,
  deltaHash: hash32,
  height: uint,
  score: scoreCodec,
  payout: quantity,
  copyOf: uint,
};
export const commitmentCodec = struct<Commitment>("training.Commitment", commitmentFields);

export interface Submission {
  scores: bigint[];
  checkpointHash: Uint8Array;
  height: number;
}
export const submissionFields = {
  scores: list(scoreCodec, MAX_PARTICIPANTS),
  checkpointHash: hash32,
  height: uint,
};
export const submissionCodec = struct<Submission>("training.Submission", submissionFields);

const jobRound = pairKey(u32Key, 4, u32Key);

/** (job, round, x): the round's 8 bytes, then x, so one round's entries scan as one range. */
function underRound<X>(x: KeyCodec<X>): KeyCodec<[number, number, X]> {
  const pair = pairKey(jobRound, 8, x);
  return {
    encode: ([job, round, v]) => pair.encode([[job, round], v]),
    decode: (b) => {
      const [[job, round], v] = pair.decode(b);
      return [job, round, v];
    },
  };
}

/** Absent until genesis sets a section or a proposal changes one (defaults then apply). */
export const params = new StoreItem("params", trainingParamsCodec);
/** The id the next job gets (absent: 1). */
export const nextJob = new StoreItem("nextJob", uint);
export const jobs = new StoreMap("job", u32Key, jobCodec);
/** Jobs with rounds to run: id → 1 (≤ MAX_ACTIVE_JOBS; the hooks read only these). */
export const activeJobs = new StoreMap("active", u32Key, uint);
/** (job, round) → the round's record. */
export const rounds = new StoreMap("round", jobRound, roundCodec);
/** (job, round, index) → the index-th commitment of the round (commit order). */
export const commitments = new StoreMap("commit", underRound(u32Key), commitmentCodec);
/**
 * (job, round, participant) → 0 registered, 1 + its commitment's index once committed. Removed
 * when the round closes: the commitments are the record.
 */
export const participants = new StoreMap("participant", underRound(addressKey20), uint);
/** (job, round, verifier) → its submitted score vector and checkpoint hash (kept: the audit). */
export const submissions = new StoreMap("submission", underRound(addressKey20), submissionCodec);
/** verifier → the first cycle it may be drawn again after a minority vector. */
export const excludedUntil = new StoreMap("excluded", addressKey20, uint);

export function trainingParams(store: ReadStore): TrainingParams {
  return params.get(store) ?? DEFAULT_TRAINING_PARAMS;
}
