/**
 * The tasks module's state (spec/tasks.md): task records, API keys, parameters, reports, the
 * store maps they live in, and the events the module emits. The methods are in index.ts.
 */
import { address20, hash32, list, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import { type TaskPayload, taskPayloadCodec } from "../../src/inference/index.ts";
import type { Address } from "../../src/types/index.ts";
import { event } from "../events.ts";
import { addressKey20, bytesKey, pairKey, StoreItem, StoreMap, u32Key } from "../store.ts";

/** Task status (spec/tasks.md §Lifecycle). */
export const TaskStatus = {
  settled: 0,
  unchecked: 1,
  checking: 2,
  withheld: 3,
  verified: 4,
  fraud: 5,
  expired: 6,
  /** Verified after a withholding claim the executor answered on chain: the verifier was overruled. */
  published: 7,
  /** A tolerance-class check the verifier failed: a panel holding > 1/2 of the weight votes. */
  disputed: 8,
  /** A dispute the panel's majority decided for the executor: the verifier was overruled. */
  cleared: 9,
} as const;
export const STATUS_NAMES = [
  "settled",
  "unchecked",
  "checking",
  "withheld",
  "verified",
  "fraud",
  "expired",
  "published",
  "disputed",
  "cleared",
];

export interface TaskRecord {
  executor: Address;
  intermediary: Address;
  model: string;
  payloadHash: Uint8Array;
  fee: bigint;
  /** Cycle whose pending rewards the fee joined (the settlement's cycle). */
  cycle: number;
  height: number;
  status: number;
  verifier: Address;
  deadline: number;
  /** The beacon round whose output drew the check (0 until drawn) and the rate it was drawn at (‰). */
  drawRound: number;
  checkMilli: number;
  /** The developer whose escrow paid (the API key's owner): the one who may report the result. */
  payer: Address;
  /** The receipt's routing: the beacon round that drew the executor and the replacement count. */
  round: number;
  attempt: number;
}

export const taskFields = {
  executor: address20,
  intermediary: address20,
  model: str(64),
  payloadHash: hash32,
  fee: quantity,
  cycle: uint,
  height: uint,
  status: uint,
  verifier: address20,
  deadline: uint,
  drawRound: uint,
  checkMilli: uint,
  payer: address20,
  round: uint,
  attempt: uint,
};
const taskCodec = struct<TaskRecord>("tasks.Task", taskFields);

export interface ApiKey {
  owner: Address;
  limit: bigint;
  spent: bigint;
  /** 0: in force; else the first cycle whose receipts are refused (the revocation's cycle + 1). */
  revoked: number;
}
export const apiKeyFields = {
  owner: address20,
  limit: quantity,
  spent: quantity,
  revoked: uint,
};
export const apiKeyCodec = struct<ApiKey>("tasks.ApiKey", apiKeyFields);

export interface TaskParams {
  /** Reputation ceiling: an executor gains one level per honest cycle with settled tasks. */
  maxReputation: number;
  /** Check rate at the ceiling, in thousandths (at reputation 0 every task is checked). */
  minCheckMilli: number;
  /** What a user's report costs (wei), refunded if upheld, paid to the committee if rejected. */
  reportFee: bigint;
  /** Verifiers drawn to each report's committee. */
  reportCommittee: number;
  /** Thousandths of drawn checks that bring a protocol honeypot along (§Honeypots). */
  honeypotMilli: number;
}
const paramsCodec = struct<TaskParams>("tasks.Params", {
  maxReputation: uint,
  minCheckMilli: uint,
  reportFee: quantity,
  reportCommittee: uint,
  honeypotMilli: uint,
});
export const DEFAULT_TASK_PARAMS: TaskParams = {
  maxReputation: 8,
  minCheckMilli: 63,
  reportFee: 10n ** 16n,
  reportCommittee: 3,
  honeypotMilli: 50,
};

const cycleAddr = pairKey(u32Key, 4, addressKey20);
const heightTask = pairKey(u32Key, 4, bytesKey);

export const params = new StoreItem("params", paramsCodec);
/** developer → wei held for its tasks. */
export const escrows = new StoreMap("escrow", addressKey20, quantity);
/**
 * developer → a withdrawal waiting for its unlock height: the start of the cycle after the next,
 * when every receipt signed before the request is past its settlement window.
 */
export const withdrawals = new StoreMap(
  "withdrawal",
  addressKey20,
  struct<{ amount: bigint; unlockHeight: number }>("tasks.Withdrawal", {
    amount: quantity,
    unlockHeight: uint,
  }),
);
/** API key address → owner, spend limit, spent, revoked. */
export const apiKeys = new StoreMap("key", addressKey20, apiKeyCodec);
/** (owner, key) → 1: the keys of a developer. */
export const ownerKeys = new StoreMap("ownerKey", pairKey(addressKey20, 20, addressKey20), uint);
export const tasks = new StoreMap("task", bytesKey, taskCodec);
/** (cycle of settlement, task) → 1. */
export const tasksByCycle = new StoreMap("byCycle", heightTask, uint);
/** (settlement height, task) → 1: waiting for a beacon round after that height to draw the check. */
export const undrawn = new StoreMap("undrawn", heightTask, uint);
/** (deadline, task) → 1: checks that end at that height. */
export const due = new StoreMap("due", heightTask, uint);
/** (verifier, task) → 1: open checks of a verifier. */
export const assigned = new StoreMap("assigned", pairKey(addressKey20, 20, bytesKey), uint);

// How long records stay and how much a block's hooks take on (spec/tasks.md §Records): endBlock
// reads only ranges of the maps above, so its cost follows the block's work, not the store's size.
/** Checks drawn per block at most, in (settlement height, task) order; the rest wait a block. */
export const MAX_DRAWS_PER_BLOCK = 1024;
/** A cycle's task records are removed from the first block of cycle + RECORD_CYCLES. */
export const RECORD_CYCLES = 16;
/** Records a block removes at most (cycles past RECORD_CYCLES first, then lingering ones). */
export const MAX_PRUNED_PER_BLOCK = 1024;
/** (cycle, task) → 1: a record past its time still open (a check kept open), looked at again in that cycle. */
export const lingering = new StoreMap("lingering", heightTask, uint);
/** (cycle, executor) → fees pending release (rewards work). */
export const pending = new StoreMap("pending", cycleAddr, quantity);
/** (cycle, executor) → fees forfeited by proven fraud. */
export const forfeited = new StoreMap("forfeited", cycleAddr, quantity);
/** (cycle, executor) → tasks settled. */
export const served = new StoreMap("served", cycleAddr, uint);
/** (cycle, executor) → the first proven fraud's reason. */
export const taskFrauds = new StoreMap("fraud", cycleAddr, str(256));
/** executor → reputation level. */
export const reputations = new StoreMap("reputation", addressKey20, uint);
/** (cycle, verifier) → [verdicts upheld, claims overruled]. */
export const verifierRecords = new StoreMap(
  "verdicts",
  cycleAddr,
  struct<{ upheld: number; overruled: number }>("tasks.VerifierRecord", { upheld: uint, overruled: uint }),
);

export interface Report {
  reporter: Address;
  committee: Address[];
  upheld: number;
  /** The task's fee when reported (refunded if upheld) and the report fee paid. */
  fee: bigint;
  reportFee: bigint;
  cycle: number;
  reason: string;
}
export const reportCodec = struct<Report>("tasks.Report", {
  reporter: address20,
  committee: list(address20, 64),
  upheld: uint,
  fee: quantity,
  reportFee: quantity,
  cycle: uint,
  reason: str(256),
});
/** task → the user's report on it. */
export const reports = new StoreMap("report", bytesKey, reportCodec);
/**
 * (cycle, executor, task) → who proved the task's fraud with `fraud`: paid a bounty from the
 * executor's forfeit at settlement (rewards.md), so proving fraud pays as verifying does.
 */
export const fraudProvers = new StoreMap(
  "fraudProver",
  pairKey(u32Key, 4, pairKey(addressKey20, 20, bytesKey)),
  address20,
);
/**
 * (cycle, honeypot) → 1: the protocol's honeypots (honeypots.ts), kept apart from tasksByCycle so
 * that they never count as settled work (no fee, no issuance); settlement reads their verdicts.
 */
export const honeypots = new StoreMap("honeypot", heightTask, uint);
/** task → 1: a task its drawn verifier passed (`verdict`) and that was later proven fraud. */
export const passedFrauds = new StoreMap("passedFraud", bytesKey, uint);
/** (cycle, executor, task) → 1: upheld reports, whose bounties the rewards settlement pays from the forfeit. */
export const upheldReports = new StoreMap(
  "upheld",
  pairKey(u32Key, 4, pairKey(addressKey20, 20, bytesKey)),
  uint,
);

export interface Dispute {
  /** The verifier that failed the check, then the miners drawn by weight, with their weights. */
  panel: { address: Address; weight: bigint }[];
  /** Votes cast: 1 = the result is out of tolerance (the verifier's own vote first). */
  votes: { address: Address; fraud: number }[];
}
/** Seats on a dispute's panel, the verifier's included; each seat votes at most once. */
export const MAX_PANEL_SEATS = 256;
export const disputeCodec = struct<Dispute>("tasks.Dispute", {
  panel: list(
    struct<{ address: Address; weight: bigint }>("tasks.PanelSeat", { address: address20, weight: quantity }),
    MAX_PANEL_SEATS,
  ),
  votes: list(
    struct<{ address: Address; fraud: number }>("tasks.Vote", { address: address20, fraud: uint }),
    MAX_PANEL_SEATS,
  ),
});
/** task → its dispute (tolerance class). */
export const disputes = new StoreMap("dispute", bytesKey, disputeCodec);
/** task → the payload its executor published on chain after a withholding claim (tolerance class). */
export const publishedPayloads = new StoreMap<Uint8Array, TaskPayload>(
  "published",
  bytesKey,
  taskPayloadCodec,
);

export const MAX_RECEIPTS_PER_SETTLE = 64;

export const TaskSettled = event(
  "TaskSettled(bytes32 indexed taskId, address indexed executor, address indexed key, uint256 fee)",
);
export const TaskVerified = event("TaskVerified(bytes32 indexed taskId, address indexed verifier)");
export const TaskFraudProven = event(
  "TaskFraudProven(bytes32 indexed taskId, address indexed executor, uint256 forfeited)",
);
export const EscrowDeposited = event("EscrowDeposited(address indexed developer, uint256 amount)");
