/**
 * The tasks module's queries (`tasks_` RPC namespace, spec/tasks.md §Queries): read-only views of
 * escrow, keys, tasks, disputes and executors.
 */
import { address20, hash32, list, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import { type TaskPayload, taskPayloadCodec } from "../../src/inference/index.ts";
import { type Address, ZERO_ADDRESS } from "../../src/types/index.ts";
import type { QueryDef } from "../module.ts";
import { u32Key } from "../store.ts";
import { checkRateMilli, keyArgs, taskIdArgs, taskParams } from "./rules.ts";
import { declaredModels, MAX_DECLARED } from "./serving.ts";
import {
  type ApiKey,
  apiKeyCodec,
  apiKeyFields,
  apiKeys,
  type Dispute,
  disputeCodec,
  disputes,
  escrows,
  forfeited,
  honeypots,
  ownerKeys,
  pending,
  publishedPayloads,
  type Report,
  reportCodec,
  reports,
  reputations,
  served,
  type TaskRecord,
  taskFields,
  taskFrauds,
  tasks,
  tasksByCycle,
  verifierRecords,
  withdrawals,
} from "./store.ts";

const taskView = struct<TaskRecord & { taskId: Uint8Array }>("tasks.TaskView", {
  taskId: hash32,
  ...taskFields,
});

// biome-ignore lint/suspicious/noExplicitAny: each query has its own argument and result types
export const taskQueries: Record<string, QueryDef<any, any>> = {
  account: {
    args: struct<{ address: Address }>("tasks.account", { address: address20 }),
    result: struct<{
      escrow: bigint;
      withdrawing: bigint;
      unlockHeight: number;
      keys: (ApiKey & { key: Address })[];
    }>("tasks.account.result", {
      escrow: quantity,
      withdrawing: quantity,
      unlockHeight: uint,
      keys: list(
        struct<ApiKey & { key: Address }>("tasks.KeyView", { key: address20, ...apiKeyFields }),
        1024,
      ),
    }),
    run: (ctx, { address }: { address: Address }) => ({
      escrow: escrows.get(ctx.store, address) ?? 0n,
      withdrawing: withdrawals.get(ctx.store, address)?.amount ?? 0n,
      unlockHeight: withdrawals.get(ctx.store, address)?.unlockHeight ?? 0,
      keys: ownerKeys
        .keys(ctx.store, address)
        .slice(0, 1024)
        .map(([, key]) => ({ key, ...apiKeys.get(ctx.store, key)! })),
    }),
  },
  key: {
    args: keyArgs,
    result: struct<{ found: number; key: ApiKey }>("tasks.key.result", { found: uint, key: apiKeyCodec }),
    run: (ctx, { key }: { key: Address }) => {
      const k = apiKeys.get(ctx.store, key);
      return { found: k ? 1 : 0, key: k ?? { owner: ZERO_ADDRESS, limit: 0n, spent: 0n, revoked: 0 } };
    },
  },
  task: {
    args: taskIdArgs,
    result: struct<{ tasks: (TaskRecord & { taskId: Uint8Array })[] }>("tasks.task.result", {
      tasks: list(taskView, 1),
    }),
    run: (ctx, { taskId }: { taskId: Uint8Array }) => {
      const t = tasks.get(ctx.store, taskId);
      return { tasks: t ? [{ taskId, ...t }] : [] };
    },
  },
  cycle: {
    args: struct<{ cycle: number }>("tasks.cycle", { cycle: uint }),
    result: struct<{ tasks: (TaskRecord & { taskId: Uint8Array })[] }>("tasks.cycle.result", {
      tasks: list(taskView, 10_000),
    }),
    run: (ctx, { cycle }: { cycle: number }) => ({
      tasks: tasksByCycle
        .keys(ctx.store, u32Key.encode(cycle))
        .slice(0, 10_000)
        .map(([, taskId]) => ({ taskId, ...tasks.get(ctx.store, taskId)! })),
    }),
  },
  serving: {
    args: struct<{ address: Address; cycle: number }>("tasks.serving", { address: address20, cycle: uint }),
    result: struct<{ declared: number; models: string[] }>("tasks.serving.result", {
      declared: uint,
      models: list(str(64), MAX_DECLARED),
    }),
    /** The models an account serves in a cycle (§Serving); declared 0: never declared, serves all. */
    run: (ctx, { address, cycle }: { address: Address; cycle: number }) => {
      const models = declaredModels(ctx.store, address, cycle);
      return { declared: models ? 1 : 0, models: models ?? [] };
    },
  },
  honeypots: {
    args: struct<{ cycle: number }>("tasks.honeypots", { cycle: uint }),
    result: struct<{ tasks: (TaskRecord & { taskId: Uint8Array })[] }>("tasks.honeypots.result", {
      tasks: list(taskView, 10_000),
    }),
    /** The protocol's honeypots planted in a cycle (spec/tasks.md §Honeypots), with their checks. */
    run: (ctx, { cycle }: { cycle: number }) => ({
      tasks: honeypots
        .keys(ctx.store, u32Key.encode(cycle))
        .slice(0, 10_000)
        .map(([, taskId]) => ({ taskId, ...tasks.get(ctx.store, taskId)! })),
    }),
  },
  dispute: {
    args: taskIdArgs,
    result: struct<{ disputes: Dispute[] }>("tasks.dispute.result", { disputes: list(disputeCodec, 1) }),
    run: (ctx, { taskId }: { taskId: Uint8Array }) => {
      const d = disputes.get(ctx.store, taskId);
      return { disputes: d ? [d] : [] };
    },
  },
  payload: {
    args: taskIdArgs,
    result: struct<{ payloads: TaskPayload[] }>("tasks.payload.result", {
      payloads: list(taskPayloadCodec, 1),
    }),
    /** A payload on chain: published by its executor after a withholding claim, or a honeypot's. */
    run: (ctx, { taskId }: { taskId: Uint8Array }) => {
      const p = publishedPayloads.get(ctx.store, taskId);
      return { payloads: p ? [p] : [] };
    },
  },
  report: {
    args: taskIdArgs,
    result: struct<{ reports: Report[] }>("tasks.report.result", { reports: list(reportCodec, 1) }),
    run: (ctx, { taskId }: { taskId: Uint8Array }) => {
      const r = reports.get(ctx.store, taskId);
      return { reports: r ? [r] : [] };
    },
  },
  verifier: {
    args: struct<{ address: Address; cycle: number }>("tasks.verifier", {
      address: address20,
      cycle: uint,
    }),
    result: struct<{ upheld: number; overruled: number }>("tasks.verifier.result", {
      upheld: uint,
      overruled: uint,
    }),
    /** Verdicts a verifier posted in a cycle, and its claims the chain overruled. */
    run: (ctx, { address, cycle }: { address: Address; cycle: number }) =>
      verifierRecords.get(ctx.store, [cycle, address]) ?? { upheld: 0, overruled: 0 },
  },
  executor: {
    args: struct<{ address: Address; cycle: number }>("tasks.executor", {
      address: address20,
      cycle: uint,
    }),
    result: struct<{
      pending: bigint;
      forfeited: bigint;
      served: number;
      reputation: number;
      checkRateMilli: number;
      fraud: string;
    }>("tasks.executor.result", {
      pending: quantity,
      forfeited: quantity,
      served: uint,
      reputation: uint,
      checkRateMilli: uint,
      fraud: str(256),
    }),
    run: (ctx, { address, cycle }: { address: Address; cycle: number }) => {
      const level = reputations.get(ctx.store, address) ?? 0;
      return {
        pending: pending.get(ctx.store, [cycle, address]) ?? 0n,
        forfeited: forfeited.get(ctx.store, [cycle, address]) ?? 0n,
        served: served.get(ctx.store, [cycle, address]) ?? 0,
        reputation: level,
        checkRateMilli: checkRateMilli(taskParams(ctx.store), level),
        fraud: taskFrauds.get(ctx.store, [cycle, address]) ?? "",
      };
    },
  },
};
