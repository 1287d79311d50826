/**
 * The tasks module's rules that need no hook or method context: parameters and check rates, the
 * routing and check draws, what calls pay, the fee a payload justifies, and the method arguments.
 */
import { createHash } from "node:crypto";
import { address20, hash32, list, quantity, struct, uint } from "../../src/encoding/index.ts";
import {
  ExactModel,
  type Receipt,
  receiptCodec,
  type TaskPayload,
  taskPayloadCodec,
  WeightedPool,
} from "../../src/inference/index.ts";
import { type Address, toChecksumAddress, toHex } from "../../src/types/index.ts";
import { modelEntry } from "../models/index.ts";
import type { ReadStore } from "../store.ts";
import {
  apiKeys,
  DEFAULT_TASK_PARAMS,
  escrows,
  MAX_RECEIPTS_PER_SETTLE,
  params,
  type TaskParams,
  withdrawals,
} from "./store.ts";

let exact: ExactModel | undefined;
/** The built-in exact model, if the registry entry of `id` is it (same weights hash). */
export function exactModel(store: ReadStore, id: string): ExactModel | undefined {
  exact ??= new ExactModel();
  const entry = modelEntry(store, id);
  if (!entry || id !== exact.spec.id || toHex(entry.weightsHash) !== exact.spec.weightsHash) return undefined;
  return exact;
}

/** The built-in exact model, if the registry lists it (the models module's store). */
export function registeredExactModel(store: ReadStore): ExactModel | undefined {
  exact ??= new ExactModel();
  return exactModel(store, exact.spec.id);
}

export function taskParams(store: ReadStore): TaskParams {
  return params.get(store) ?? DEFAULT_TASK_PARAMS;
}

/** Check rate in thousandths at a reputation level: 1000 at 0, falling linearly to minCheckMilli. */
export function checkRateMilli(p: TaskParams, level: number): number {
  const l = Math.min(level, p.maxReputation);
  return 1000 - Math.floor((l * (1000 - p.minCheckMilli)) / p.maxReputation);
}

/** Whether a task is checked: u64be(SHA-256("racecoin/task-check" ‖ output ‖ taskId)[0..8]) mod 1000 < rate. */
export function checkDrawn(output: Uint8Array, taskId: Uint8Array, rateMilli: number): boolean {
  const h = createHash("sha256").update("racecoin/task-check").update(output).update(taskId).digest();
  return Number(h.readBigUInt64BE(0) % 1000n) < rateMilli;
}

/** The executor due for draw `attempt` of a task: each earlier draw is excluded in turn. */
export function routedExecutor(
  output: Uint8Array,
  taskId: Uint8Array,
  candidates: readonly { address: Address; weight: bigint }[] | WeightedPool,
  intermediary: Address,
  attempt: number,
): Address | undefined {
  const pool = candidates instanceof WeightedPool ? candidates : new WeightedPool(candidates);
  // Draws 0 … attempt, each a search of the pool's prefix sums less the draws before it.
  return pool.firstDraws("racecoin/executor", output, taskId, [intermediary], attempt + 1, true)[attempt];
}

/** Blocks an executor has to publish a payload after a withholding claim: half a cycle, at least 10. */
export function publishWindow(cycleLength: number): number {
  return Math.max(10, Math.floor(cycleLength / 2));
}

/**
 * Gas of a call that may re-run the exact model on a payload: the pass grows with the tokens
 * (≈ 46 ms at the 256-token context on the reference machine, spec/fees.md §Gas ceiling), so the
 * call pays per token of prompt and completion, refused or not.
 */
export const judgeGas = ({ payload }: { payload: TaskPayload }) =>
  1_000_000n + 24_000n * BigInt(payload.prompt.length + payload.tokens.length);

/**
 * Per call: reading the cycle's candidates and the serving declarations and sorting them once per
 * (cycle, model) — 12.8 ms among 1,001 declared members, spec/fees.md §Gas ceiling.
 */
export const SETTLE_GAS_PER_CALL = 2_000_000n;
/** Per receipt: a signature recovery and up to MAX_ATTEMPTS weighted draws over the cycle's set. */
export const SETTLE_GAS_PER_RECEIPT = 150_000n;

/**
 * Whether the fee a receipt charged matches the payload it committed to: the tokens the payload
 * holds (prompt and completion) × the model's units per token × the cycle's unit price. A receipt
 * that counted more tokens than it carried is fraud, found on every check ("" = it matches).
 */
export function chargeFault(
  fee: bigint,
  payload: TaskPayload,
  unitsPerToken: number,
  unitPrice: bigint,
): string {
  const completion = payload.positions.length > 0 ? payload.positions.length : payload.tokens.length;
  const tokens = payload.prompt.length + completion;
  const due = BigInt(tokens) * BigInt(unitsPerToken) * unitPrice;
  return fee === due ? "" : `the receipt charged ${fee} wei; the payload's ${tokens} tokens cost ${due}`;
}

export function parseSection(raw: unknown): TaskParams {
  if (raw === undefined) return DEFAULT_TASK_PARAMS;
  const o = raw as Record<string, unknown>;
  if (typeof o !== "object" || o === null || Array.isArray(o))
    throw new Error(
      "modules.tasks: expected an object { maxReputation, minCheckMilli, reportFee, reportCommittee, honeypotMilli }",
    );
  const int = (v: unknown, name: string, lo: number, hi: number, d: number) => {
    if (v === undefined) return d;
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi)
      throw new Error(`modules.tasks.${name}: an integer in [${lo}, ${hi}]`);
    return v;
  };
  let reportFee = DEFAULT_TASK_PARAMS.reportFee;
  if (o.reportFee !== undefined) {
    if (typeof o.reportFee !== "string" || !/^[0-9]{1,30}$/.test(o.reportFee))
      throw new Error("modules.tasks.reportFee: a decimal string of wei");
    reportFee = BigInt(o.reportFee);
  }
  return {
    maxReputation: int(o.maxReputation, "maxReputation", 1, 1000, DEFAULT_TASK_PARAMS.maxReputation),
    minCheckMilli: int(o.minCheckMilli, "minCheckMilli", 1, 1000, DEFAULT_TASK_PARAMS.minCheckMilli),
    reportFee,
    reportCommittee: int(o.reportCommittee, "reportCommittee", 1, 64, DEFAULT_TASK_PARAMS.reportCommittee),
    honeypotMilli: int(o.honeypotMilli, "honeypotMilli", 0, 1000, DEFAULT_TASK_PARAMS.honeypotMilli),
  };
}

export const amountArgs = struct<{ amount: bigint }>("tasks.amount", { amount: quantity });
export const authorizeKeyArgs = struct<{ key: Address; limit: bigint }>("tasks.authorizeKey", {
  key: address20,
  limit: quantity,
});
export const claimWithdrawalArgs = struct<Record<string, never>>("tasks.claimWithdrawal", {});
export const keyArgs = struct<{ key: Address }>("tasks.key", { key: address20 });
export const settleArgs = struct<{ receipts: Receipt[] }>("tasks.settle", {
  receipts: list(receiptCodec, MAX_RECEIPTS_PER_SETTLE),
});
export const taskIdArgs = struct<{ taskId: Uint8Array }>("tasks.taskId", { taskId: hash32 });
export const voteArgs = struct<{ taskId: Uint8Array; fraud: number }>("tasks.vote", {
  taskId: hash32,
  fraud: uint,
});
export const payloadArgs = struct<{ taskId: Uint8Array; payload: TaskPayload }>("tasks.payload", {
  taskId: hash32,
  payload: taskPayloadCodec,
});

/**
 * Cycles from a withdrawal request to its unlock: receipts of the request's cycle settle until the
 * end of the next, before it.
 */
export const WITHDRAW_DELAY_CYCLES = 3;

/**
 * The escrow a receipt of `cycle` may not spend: what a pending withdrawal asked back, for receipts
 * of cycles after the request's (spec/tasks.md §Escrow). Receipts of the request's cycle and
 * before spend all of it: they settle before the withdrawal unlocks, and an executor that served
 * one before the request reached the chain could not have seen it coming.
 */
export function heldBack(
  w: { amount: bigint; unlockHeight: number } | undefined,
  cycle: number,
  cycleLength: number,
): bigint {
  if (!w) return 0n;
  return cycle > w.unlockHeight / cycleLength - WITHDRAW_DELAY_CYCLES ? w.amount : 0n;
}

/**
 * Why an executor should not answer a task of `cycle` costing up to `fee`, paid by API key `key`,
 * or undefined when the key's receipt would settle as the chain stands: the key is authorized and
 * not revoked, its spend limit has room, and its owner's escrow less what it asked back covers the
 * fee (spec/tasks.md §Escrow). Other receipts of the key still in flight are the executor's risk.
 */
export function payerRefusal(
  s: ReadStore,
  key: Address,
  fee: bigint,
  cycle: number,
  cycleLength: number,
  /** What the asking executor already answered and has not settled, for this key and its owner. */
  inFlight: { key: bigint; owner: bigint } = { key: 0n, owner: 0n },
): string | undefined {
  const k = apiKeys.get(s, key);
  if (!k) return `key ${toChecksumAddress(key)} is not an authorized API key`;
  if (k.revoked) return `key ${toChecksumAddress(key)} is revoked`;
  const room = k.limit - k.spent - inFlight.key;
  if (room < fee)
    return `the key's spend limit leaves ${room > 0n ? room : 0n} wei; the task may cost ${fee}`;
  const escrow = escrows.get(s, k.owner) ?? 0n;
  const held = heldBack(withdrawals.get(s, k.owner), cycle, cycleLength) + inFlight.owner;
  const free = escrow > held ? escrow - held : 0n;
  if (free < fee)
    return `the payer's escrow holds ${free} wei${held > 0n ? ` besides the ${held} asked back or answered here` : ""}; the task may cost ${fee}`;
  return undefined;
}
