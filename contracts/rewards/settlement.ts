/**
 * A cycle's settlement in steps (spec/rewards.md §Settlement, §Settlement in steps). The work that
 * grows with the cycle's tasks is a fold: each task adds its fee to its executor's and verifier's
 * sums and to its draw group (same intermediary, model and refusals), whatever order the tasks
 * come in. Shares are taken from those fee sums once the fold is done — ⌊pool · fees of a node /
 * fees of the cycle⌋ — so a fold cut between blocks ends exactly where one pass would. Then each
 * draw group adds what it predicts to every weighted node, and the final step releases.
 *
 * A settlement starts in the endCycle that closes cycle c + 2 and takes at most
 * SETTLE_UNITS_PER_BLOCK units of work in a block; what is left goes on in the next blocks'
 * endBlock. A cycle that fits in one step (every cycle below ~20,000 tasks) is settled in that
 * endCycle and leaves nothing in the store; a longer one keeps its job and sums under the
 * module's store until it is done. A settlement still running when the next one is due is first
 * run to its end.
 */

import { keccak256 } from "../../src/crypto/index.ts";
import { address20, list, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import {
  type Address,
  concatBytes,
  equalBytes,
  fromHex,
  toHex,
  ZERO_ADDRESS,
} from "../../src/types/index.ts";
import type { ModuleContext } from "../module.ts";
import { bytesKey, StoreMap, u32Key } from "../store.ts";
import { passedFrauds, TaskStatus, tasks, tasksByCycle, tasksModule } from "../tasks/index.ts";
import { CycleWeights, WeightSource } from "./cycleWeights.ts";
import type { CycleRewards } from "./index.ts";
import { type SettleJob, settleJob } from "./job.ts";
import { close, judgeNodes, pools, releaseNodes } from "./release.ts";
import {
  emptySums,
  modelKey,
  type NodeSums,
  noRates,
  ONE,
  Phase,
  type Rates,
  rateKey,
  settleRates,
  settleServers,
  settleSums,
} from "./settleStore.ts";
import { DrawSets, refusedDraws } from "./standing.ts";

/**
 * How a cycle's issuance reaches the nodes (spec/rewards.md §Self-dealing). The chain runs
 * `raceWeight`. `feeShare` is the rule first built from the paper's wording, kept so that
 * `npm run sim:economics` and the tests can measure the two on the same settlement code:
 *
 * - `feeShare`: fees and proportional issuance are split over the tasks by fee, the minimum's
 *   shortfall in proportion to those shares, and work is counted in tasks, one cycle at a time.
 *   Paying for one's own tasks buys issuance.
 * - `raceWeight`: issuance (proportional and the shortfall, less the training share) is split by
 *   race weight, so paying fees moves no one's share of it; the fees follow the tasks. Work and
 *   steering are judged on the task shares each node served against what its weight predicts,
 *   over a window of cycles (standing.ts): below the band the release shrinks, above it the excess
 *   is forfeited.
 */
export type SettlementRule = "raceWeight" | "feeShare";

/**
 * Units of settlement work one block may take: a task is 1 (a redrawn one 1 + 4 a redraw, for its
 * recomputed draws), a draw group 1 + 1 per refused draw. 6,000 units are ~0.15 s on the
 * reference machine (npm run bench:settle), inside the 500 ms hook budget (spec/fees.md).
 */
export const SETTLE_UNITS_PER_BLOCK = 6_000;
const REDRAW_UNITS = 4;
/**
 * A draw group: its rates ("*", its intermediary's, its model's, each exclusion's) read and written,
 * and each excluded account's weight and declarations read — ~100 µs, 4 units, and as much again
 * per refused draw (bench:settle, 2,000 groups among 10,000 racers).
 */
const GROUP_UNITS = 4;

/** Tasks with one draw distribution: their count and the sum of their fees and squared fees. */
interface GroupSums {
  intermediary: Address;
  model: string;
  refused: Address[];
  count: number;
  feeSum: bigint;
  feeSquares: bigint;
}
const groupCodec = struct<GroupSums>("rewards.GroupSums", {
  intermediary: address20,
  model: str(64),
  refused: list(address20, 3),
  count: uint,
  feeSum: quantity,
  feeSquares: quantity,
});

const settleGroups = new StoreMap("settleGroups", bytesKey, groupCodec);

/** Rates as this step sees them: read once, written back at a pause, drained at the release. */
class RatesCache {
  readonly touched = new Map<string, Rates>();
  constructor(private readonly ctx: ModuleContext) {}
  of(name: string): Rates {
    let r = this.touched.get(name);
    if (!r) {
      r = settleRates.get(this.ctx.store, rateKey(name)) ?? noRates();
      this.touched.set(name, r);
    }
    return r;
  }
  flush(): void {
    for (const [k, v] of this.touched) settleRates.set(this.ctx.store, rateKey(k), v);
    this.touched.clear();
  }
}

/** Settle cycle c in one call (tests, benchmarks, sim:economics): the steps with no bound. */
export function settleCycle(
  ctx: ModuleContext,
  c: number,
  rule: SettlementRule = "raceWeight",
): CycleRewards {
  finishSettlement(ctx);
  beginSettlement(ctx, c, rule);
  return settleStep(ctx, Number.POSITIVE_INFINITY)!;
}

/** Run the settlement under way, if any, to its end. */
export function finishSettlement(ctx: ModuleContext): void {
  if (settleJob.get(ctx.store)) settleStep(ctx, Number.POSITIVE_INFINITY);
}

export function beginSettlement(ctx: ModuleContext, c: number, rule: SettlementRule = "raceWeight"): void {
  if (settleJob.get(ctx.store)) throw new Error("rewards: a settlement is already under way");
  settleJob.set(ctx.store, {
    cycle: c,
    feeShare: rule === "feeShare" ? 1 : 0,
    phase: Phase.tasks,
    cursor: new Uint8Array(0),
    fees: 0n,
    mintingFees: 0n,
    tasks: 0,
    minting: 0,
    paidOut: 0n,
    steered: 0n,
    servedTotal: 0n,
    issuancePaid: 0n,
    released: 0n,
    forfeited: 0n,
    source: WeightSource.race,
    total: 0n,
  });
}

/**
 * Take up to `budget` units of the settlement under way; the cycle's rewards when it is done, or
 * undefined (nothing under way, or more to do in the next block).
 */
export function settleStep(ctx: ModuleContext, budget: number): CycleRewards | undefined {
  const job = settleJob.get(ctx.store);
  if (!job) return undefined;
  const sums = new SumsCache(ctx);
  const rates = new RatesCache(ctx);
  let used = 0;
  if (job.phase === Phase.tasks) {
    used += foldTasks(ctx, job, sums, budget);
    if (job.phase === Phase.tasks) return pause(ctx, job, sums, rates);
  }
  if (job.phase === Phase.weigh) {
    if (used >= budget) return pause(ctx, job, sums, rates);
    used += weigh(ctx, job, budget - used);
    if (job.phase === Phase.weigh) return pause(ctx, job, sums, rates);
  }
  if (job.phase === Phase.groups) {
    used += foldGroups(ctx, job, rates, budget - used);
    if (job.cursor.length > 0) return pause(ctx, job, sums, rates);
    job.phase = Phase.judge;
  }
  // The judge and release phases read the sums and rates from the store.
  sums.flush();
  rates.flush();
  if (job.phase === Phase.judge) {
    if (used >= budget) return pause(ctx, job, sums, rates);
    used += judgeNodes(ctx, job, budget - used);
    if (job.phase === Phase.judge) return pause(ctx, job, sums, rates);
  }
  if (job.phase === Phase.release) {
    if (used >= budget) return pause(ctx, job, sums, rates);
    used += releaseNodes(ctx, job, budget - used);
    if (job.phase === Phase.release) return pause(ctx, job, sums, rates);
  }
  return close(ctx, job);
}

function pause(ctx: ModuleContext, job: SettleJob, sums: SumsCache, rates: RatesCache): undefined {
  sums.flush();
  rates.flush();
  settleJob.set(ctx.store, job);
  return undefined;
}

/** A node's sums as this step sees them: read from the store once, written back on a pause. */
class SumsCache {
  readonly touched = new Map<string, NodeSums>();
  constructor(private readonly ctx: ModuleContext) {}
  of(a: Address | string): NodeSums {
    const k = typeof a === "string" ? a : toHex(a);
    let v = this.touched.get(k);
    if (!v) {
      v = settleSums.get(this.ctx.store, fromHex(k)) ?? emptySums();
      this.touched.set(k, v);
    }
    return v;
  }
  flush(): void {
    for (const [k, v] of this.touched) settleSums.set(this.ctx.store, fromHex(k), v);
    this.touched.clear();
  }
}

/** Fold the cycle's tasks from the cursor; moves the job to its groups when none is left. */
function foldTasks(ctx: ModuleContext, job: SettleJob, sums: SumsCache, budget: number): number {
  const c = job.cycle;
  const ts = ctx.storeOf(tasksModule);
  const under = u32Key.encode(c);
  const sets = new DrawSets(ctx);
  const groups = new Map<string, GroupSums>();
  let used = 0;
  for (;;) {
    const limit = Number.isFinite(budget) ? Math.max(1, Math.min(4096, budget - used)) : 4096;
    const keys = tasksByCycle.scan(ts, {
      under,
      from: job.cursor.length > 0 ? concatBytes(under, job.cursor) : undefined,
      limit: limit + 1,
    });
    const batch = keys.slice(0, limit);
    /** The first key of the batch left for the next step (its units would pass the budget). */
    let stop: Uint8Array | undefined;
    for (const [, id] of batch) {
      const t = tasks.get(ts, id)!;
      const units = 1 + (t.attempt > 0 ? REDRAW_UNITS * t.attempt : 0);
      if (used > 0 && used + units > budget) {
        stop = id;
        break;
      }
      used += units;
      job.tasks++;
      job.fees += t.fee;
      if (t.status !== TaskStatus.fraud) {
        job.minting++;
        job.mintingFees += t.fee;
      }
      const verified = t.status === TaskStatus.verified;
      const half = verified ? t.fee / 2n : 0n;
      const e = sums.of(t.executor);
      e.worked = 1;
      e.execFee += t.fee - half;
      e.servedFee += t.fee;
      if (t.status !== TaskStatus.fraud) e.tasksDone++;
      if (verified) {
        const v = sums.of(t.verifier);
        v.worked = 1;
        v.verFee += half;
      }
      // A check is counted only where one was drawn: an unchecked task later convicted has no verifier.
      if (
        t.status >= TaskStatus.checking &&
        t.status !== TaskStatus.unchecked &&
        !equalBytes(t.verifier, ZERO_ADDRESS)
      ) {
        const v = sums.of(t.verifier);
        v.worked = 1;
        v.checksDrawn++;
        // A fraudulent task the verifier passed was not checked: it was rubber-stamped.
        const passed = t.status === TaskStatus.fraud && passedFrauds.has(ts, id);
        if (verified || (t.status === TaskStatus.fraud && !passed)) v.checksDone++;
      }
      const refused = job.feeShare === 0 && t.attempt > 0 ? refusedDraws(ctx, sets, c, id, t) : [];
      const name = [toHex(t.intermediary), t.model, ...refused].join();
      let g = groups.get(name);
      if (!g) {
        // A group seen in an earlier block waits in the store under the hash of its name.
        g = settleGroups.get(ctx.store, groupKey(name)) ?? {
          intermediary: t.intermediary,
          model: t.model,
          refused: refused.map((a) => fromHex(a)),
          count: 0,
          feeSum: 0n,
          feeSquares: 0n,
        };
        groups.set(name, g);
      }
      g.count++;
      g.feeSum += t.fee;
      g.feeSquares += t.fee * t.fee;
    }
    const next = stop ?? keys[limit]?.[1];
    job.cursor = next ?? new Uint8Array(0);
    if (!next || stop || used >= budget) break;
  }
  for (const [name, g] of groups) {
    settleGroups.set(ctx.store, groupKey(name), g);
    const model = modelKey(g.model);
    if (!settleServers.has(ctx.store, model)) settleServers.set(ctx.store, model, 0n);
  }
  if (job.cursor.length === 0) job.phase = Phase.weigh;
  return used;
}

/**
 * The weigh phase: the cycle's whole voter weight and, per model of its tasks, the weight of the
 * candidates that serve it, over the race weights from the cursor (1 unit an account). Where the
 * race gives no candidate, the cycle's validator set (at most maxValidators) in one go.
 */
function weigh(ctx: ModuleContext, job: SettleJob, budget: number): number {
  const models = settleServers.keys(ctx.store).map((k) => new TextDecoder().decode(k));
  const servers = new Map(models.map((m) => [m, settleServers.get(ctx.store, modelKey(m))!]));
  const add = (cw: CycleWeights, list: [string, bigint][]) => {
    for (const [a, w] of list) {
      job.total += w;
      for (const m of models) if (cw.serves(a, m)) servers.set(m, servers.get(m)! + w);
    }
  };
  let used = 0;
  if (job.source === WeightSource.race && CycleWeights.raceSettled(ctx, job.cycle)) {
    const cw = new CycleWeights(ctx, job.cycle, WeightSource.race);
    const limit = Number.isFinite(budget) ? Math.max(1, Math.floor(budget)) : 1 << 30;
    const list = cw.from(job.cursor.length > 0 ? toHex(job.cursor) : "", limit + 1);
    add(cw, list.slice(0, limit));
    used += Math.min(limit, list.length);
    const next = list[limit];
    job.cursor = next ? fromHex(next[0]) : new Uint8Array(0);
    if (next || job.total > 0n) {
      if (!next) job.phase = Phase.groups;
      for (const [m, w] of servers) settleServers.set(ctx.store, modelKey(m), w);
      return used;
    }
  }
  // No race candidate: the validator set.
  job.source = WeightSource.set;
  const cw = new CycleWeights(ctx, job.cycle, WeightSource.set);
  const list = cw.from("", 1 << 30);
  add(cw, list);
  for (const [m, w] of servers) settleServers.set(ctx.store, modelKey(m), w);
  job.cursor = new Uint8Array(0);
  job.phase = Phase.groups;
  return used + list.length;
}

/** A draw group's store key: keccak256 of its name (intermediary, model and refusals, joined). */
function groupKey(name: string): Uint8Array {
  return keccak256(new TextEncoder().encode(name));
}

/**
 * Add the draw groups from the cursor to the rates (each group: 1 unit and one per refused draw);
 * the cursor is left empty when none is left. A group's shares come from its fees: S = ⌊pool ·
 * fees / F⌋, its squares S² = ⌊pool² · squared fees / F²⌋.
 */
function foldGroups(ctx: ModuleContext, job: SettleJob, rates: RatesCache, budget: number): number {
  const weights = new CycleWeights(ctx, job.cycle, job.source);
  const total = job.total;
  const { distributable } = pools(ctx, job);
  /** Weight of the model's servers: the final draws' total before exclusions. */
  const serverWeight = (model: string) => settleServers.get(ctx.store, modelKey(model)) ?? 0n;
  const keys = settleGroups.scan(ctx.store, {
    from: job.cursor.length > 0 ? job.cursor : undefined,
    limit: Number.isFinite(budget) ? Math.max(1, Math.ceil(budget / GROUP_UNITS)) + 1 : undefined,
  });
  let used = 0;
  let i = 0;
  for (; i < keys.length; i++) {
    const key = keys[i]!;
    const g = settleGroups.get(ctx.store, key)!;
    const units = GROUP_UNITS * (1 + g.refused.length);
    if (used > 0 && used + units > budget) break;
    used += units;
    settleGroups.delete(ctx.store, key);
    const intermediary = toHex(g.intermediary);
    const w = weights.of(intermediary) ?? 0n;
    const rest = total - w;
    if (rest <= 0n) continue;
    // Fair shares (thousandths of a task): each task's executor was drawn by weight among the
    // cycle's candidates but its intermediary, so a node expects Σ w / (W − w_intermediary).
    const fair = (BigInt(g.count) * 1000n * ONE) / rest;
    const add = (name: string, r: Partial<Rates>) => {
      const x = rates.of(name);
      x.fair += r.fair ?? 0n;
      x.owed += r.owed ?? 0n;
      x.v1 += r.v1 ?? 0n;
      x.v2 += r.v2 ?? 0n;
      x.drawn += r.drawn ?? 0n;
    };
    if (job.feeShare === 1) {
      add("*", { fair });
      add(`i|${intermediary}`, { fair });
      continue;
    }
    const F = job.fees;
    const sum = F === 0n ? 0n : (distributable * g.feeSum) / F;
    const squares = F === 0n ? 0n : (distributable * distributable * g.feeSquares) / (F * F);
    // What a node's weight owes is of all the cycle's tasks, served or not (owed, variance); what it
    // may keep is of the final draws, which ran only over the model's servers the refusals left.
    const own: Partial<Rates> = {
      fair,
      owed: (sum * ONE) / rest,
      v1: (squares * ONE) / rest,
      v2: (squares * ONE) / (rest * rest),
    };
    add("*", own);
    add(`i|${intermediary}`, own);
    const excluded = [intermediary, ...g.refused.map((a) => toHex(a))].filter(
      (a) => weights.of(a) !== undefined && weights.serves(a, g.model),
    );
    let finalRest = serverWeight(g.model);
    for (const a of excluded) finalRest -= weights.of(a) ?? 0n;
    if (finalRest <= 0n) continue;
    const drawn = (sum * ONE) / finalRest;
    add(`m|${g.model}`, { drawn });
    for (const a of excluded) add(`d|${g.model}|${a}`, { drawn });
  }
  const next = keys[i];
  job.cursor = next ?? new Uint8Array(0);
  return used;
}
