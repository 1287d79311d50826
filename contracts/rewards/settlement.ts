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
import { cycleStart, TASKS_MODULE_ADDRESS, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import {
  type Address,
  concatBytes,
  equalBytes,
  fromHex,
  toHex,
  ZERO_ADDRESS,
} from "../../src/types/index.ts";
import type { ModuleContext } from "../module.ts";
import { forfeitsOf, race, frauds as raceFraudRecords } from "../race/index.ts";
import { addressKey20, bytesKey, StoreMap, u32Key } from "../store.ts";
import {
  fraudProvers,
  honeypots,
  passedFrauds,
  reports,
  TaskStatus,
  taskFrauds,
  tasks,
  tasksByCycle,
  tasksModule,
  upheldReports,
} from "../tasks/index.ts";
import { offencesOf, validators as validatorsModule } from "../validators/index.ts";
import { CycleWeights, WeightSource } from "./cycleWeights.ts";
import { trainingPart } from "./fund.ts";
import {
  type AccountRewards,
  accountRewards,
  type CycleRewards,
  credit,
  cycleRewards,
  debit,
  emptyAccount,
  params,
  supply,
  workThresholdMilli,
} from "./index.ts";
import { cycleIssuance, cycleMinimum } from "./issuance.ts";
import { type SettleJob, settleJob } from "./job.ts";
import { DrawSets, type Expectation, excessOf, judgeAndStand, refusedDraws } from "./standing.ts";

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
/** An account of the judge phase: its sums, standing and rates read (~50 µs). */
const JUDGE_UNITS = 2;

/**
 * tasks: fold the tasks into sums and groups; weigh: the cycle's total weight and each model's
 * servers' weight, over the weighted accounts; groups: fold the groups into rates; judge: the
 * totals over every node with sums; release: each account's record and release; close: bounties,
 * funds and supply.
 */
const Phase = { tasks: 0, weigh: 1, groups: 2, judge: 3, release: 4, close: 5 } as const;

/** One node's sums in the cycle under settlement. */
interface NodeSums {
  /** Fees of the tasks it executed, less a verified task's half (its verifier's). */
  execFee: bigint;
  /** Half the fee of every task it verified. */
  verFee: bigint;
  /** Fees of every task it executed: what it served. */
  servedFee: bigint;
  tasksDone: number;
  checksDrawn: number;
  checksDone: number;
  /** 1: an executor or a verifier of the cycle (it has a rewards record whatever it earned). */
  worked: number;
}
const sumsCodec = struct<NodeSums>("rewards.NodeSums", {
  execFee: quantity,
  verFee: quantity,
  servedFee: quantity,
  tasksDone: uint,
  checksDrawn: uint,
  checksDone: uint,
  worked: uint,
});

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

const settleSums = new StoreMap("settleSums", addressKey20, sumsCodec);
const settleGroups = new StoreMap("settleGroups", bytesKey, groupCodec);

/**
 * What the draw groups predict, with the weights factored out (fixed point, × 2^96): per group,
 * Σ count · 1000 / rest, Σ S / rest, Σ S² / rest, Σ S² / rest² and, per model, Σ S / finalRest —
 * over every group ("*"), over the groups an account is intermediary of ("i|address", which it
 * never draws), per model ("m|model") and per model less an account it excludes from the final
 * draws ("d|model|address": intermediary or refused). A node's expectation is its weight times the
 * difference, taken once at the release: a group costs its refusals, not the whole weighted set.
 */
interface Rates {
  fair: bigint;
  owed: bigint;
  v1: bigint;
  v2: bigint;
  drawn: bigint;
}
const ratesCodec = struct<Rates>("rewards.Rates", {
  fair: quantity,
  owed: quantity,
  v1: quantity,
  v2: quantity,
  drawn: quantity,
});
const settleRates = new StoreMap("settleRates", bytesKey, ratesCodec);
/** model → the weight of the cycle's candidates that serve it (the weigh phase's sums). */
const settleServers = new StoreMap("settleServers", bytesKey, quantity);
const modelKey = (model: string) => new TextEncoder().encode(model);
/** Race fraud that stood: what work alone would have released the miner, the cap of its prover's bounty. */
const settleRaceCosts = new StoreMap("settleRaceCosts", addressKey20, quantity);
const ONE = 1n << 96n;
const noRates = (): Rates => ({ fair: 0n, owed: 0n, v1: 0n, v2: 0n, drawn: 0n });
const rateKey = (name: string) => new TextEncoder().encode(name);

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

const emptySums = (): NodeSums => ({
  execFee: 0n,
  verFee: 0n,
  servedFee: 0n,
  tasksDone: 0,
  checksDrawn: 0,
  checksDone: 0,
  worked: 0,
});

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

/** The cycle's issuance and its task pool (the fees, and under feeShare the proportional issuance). */
function pools(ctx: ModuleContext, job: SettleJob) {
  const sup = supply.get(ctx.store)!;
  const p = params.get(ctx.store)!;
  const minimum = cycleMinimum(
    cycleStart(job.cycle, ctx.block.preset.cycleLength),
    ctx.block.preset.cycleLength,
    p.blocksPerDay,
  );
  // No work, no issuance: a cycle without a settled task mints nothing (race weight alone earns
  // nothing). Work proven fraudulent is none: its fees mint nothing and unlock nothing, else a
  // payer could buy wrong answers from a friend, prove them itself for its fee back as the
  // bounty, and keep what the fees minted (spec/rewards.md §Settlement 3).
  const { proportional, shortfall } =
    job.minting > 0
      ? cycleIssuance(sup.issued, job.mintingFees, minimum)
      : { proportional: 0n, shortfall: 0n };
  const taskPool = job.feeShare === 1 ? job.fees + proportional : job.fees;
  const training = trainingPart(ctx.store, taskPool, job.cycle);
  // Issuance apart from the task shares: under raceWeight all of it (proportional and the
  // shortfall, less the training share) by race weight; under feeShare, the shortfall in
  // proportion to the task shares.
  const issuanceToFund =
    job.feeShare === 1 ? 0n : trainingPart(ctx.store, proportional + shortfall, job.cycle);
  const issuancePool = job.feeShare === 1 ? shortfall : proportional + shortfall - issuanceToFund;
  return {
    proportional,
    shortfall,
    taskPool,
    training,
    distributable: taskPool - training,
    issuanceToFund,
    issuancePool,
  };
}

/**
 * What the release of one node needs from the whole cycle, read once per step: the pools, the
 * weights, the draw groups' rates, honeypots, race frauds and offences of the cycle (each bounded
 * by the cycle's blocks or its set), and the totals of the judge phase.
 */
class Release {
  readonly c: number;
  readonly feeShare: boolean;
  readonly pool: ReturnType<typeof pools>;
  readonly weights: CycleWeights;
  readonly basisTotal: bigint;
  readonly honeypots = new Map<string, { drawn: number; caught: number; passed: number }>();
  readonly raceFrauds: Map<string, string>;
  readonly offenders: Map<string, { reason: string }>;
  private readonly models: string[];
  private readonly rates = new Map<string, Rates>();

  constructor(
    private readonly ctx: ModuleContext,
    private readonly job: SettleJob,
  ) {
    const c = job.cycle;
    this.c = c;
    this.feeShare = job.feeShare === 1;
    this.pool = pools(ctx, job);
    this.weights = new CycleWeights(ctx, c, job.source);
    this.basisTotal = this.feeShare ? job.paidOut : job.total;
    this.models = settleRates.keys(ctx.store, rateKey("m|")).map((k) => new TextDecoder().decode(k).slice(2));
    // Honeypots (tasks spec §Honeypots): checks like any other, with a known wrong answer. Caught
    // (fraud) is a check performed; passed (verified) is one not performed, and forfeits the
    // verifier's verification share of the cycle.
    const taskStore = ctx.storeOf(tasksModule);
    for (const [, id] of honeypots.keys(taskStore, u32Key.encode(c))) {
      const t = tasks.get(taskStore, id);
      if (!t) continue;
      const k = toHex(t.verifier);
      const h = this.honeypots.get(k) ?? { drawn: 0, caught: 0, passed: 0 };
      h.drawn++;
      if (t.status === TaskStatus.fraud) h.caught++;
      else if (t.status === TaskStatus.verified) h.passed++;
      this.honeypots.set(k, h);
    }
    this.raceFrauds = new Map(forfeitsOf(ctx.storeOf(race), c).map(([a, r]) => [toHex(a), r]));
    // Offenders get a record even without earnings, so the reason is there to read.
    this.offenders = new Map(offencesOf(ctx.storeOf(validatorsModule), c).map(([a, o]) => [toHex(a), o]));
  }

  /** A task pool share by fee: ⌊distributable · fee / F⌋. */
  shareOf(fee: bigint): bigint {
    const F = this.job.fees;
    return F === 0n ? 0n : (this.pool.distributable * fee) / F;
  }

  private rate(name: string): Rates {
    let r = this.rates.get(name);
    if (!r) {
      r = settleRates.get(this.ctx.store, rateKey(name)) ?? noRates();
      this.rates.set(name, r);
    }
    return r;
  }

  /** Remove an account's own rates (read once, by its release). */
  dropRates(a: string): void {
    for (const name of [`i|${a}`, ...this.models.map((m) => `d|${m}|${a}`)]) {
      const key = rateKey(name);
      if (settleRates.has(this.ctx.store, key)) settleRates.delete(this.ctx.store, key);
    }
  }

  /** A weighted node's fair share (thousandths of a task) and expectation: its weight times its rates. */
  expectation(a: string): { fair: bigint; expected: Expectation } | undefined {
    const w = this.weights.of(a);
    if (w === undefined) return undefined;
    const all = this.rate("*");
    const mine = this.rate(`i|${a}`);
    const variance = w * (all.v1 - mine.v1) - w * w * (all.v2 - mine.v2);
    let drawn = 0n;
    for (const m of this.models)
      if (this.weights.serves(a, m))
        drawn += (w * (this.rate(`m|${m}`).drawn - this.rate(`d|${m}|${a}`).drawn)) / ONE;
    return {
      fair: (w * (all.fair - mine.fair)) / ONE,
      expected: {
        owed: (w * (all.owed - mine.owed)) / ONE,
        drawn,
        variance: variance > 0n ? variance / ONE : 0n,
      },
    };
  }

  /**
   * The accounts still to release from `from` (inclusive), in key order, at most `limit`: every
   * node with sums (an executor or verifier of the cycle), under raceWeight every node with weight,
   * honeypot verifiers and offenders.
   */
  accounts(from: string, limit: number): string[] {
    const out = new Set<string>();
    const sums = settleSums.scan(this.ctx.store, { from: from ? fromHex(from) : undefined, limit });
    for (const a of sums) out.add(toHex(a));
    const add = (k: string) => {
      if (k >= from) out.add(k);
    };
    // Weighted nodes share the issuance (none in a cycle without work: then no record each).
    if (!this.feeShare && this.pool.issuancePool > 0n && this.basisTotal > 0n)
      for (const [k, w] of this.weights.from(from, limit)) if (w > 0n) add(k);
    for (const k of this.honeypots.keys()) add(k);
    for (const k of this.offenders.keys()) add(k);
    return [...out].sort().slice(0, limit);
  }
}

/**
 * The judge phase: over every node with sums (from the cursor), the cycle's totals the release
 * needs before any node is released: the task shares paid out (the fee-share rule's issuance
 * basis), and the shares served and served above the band (what the others owe shrinks by it).
 */
function judgeNodes(ctx: ModuleContext, job: SettleJob, budget: number): number {
  const r = new Release(ctx, job);
  const limit = Number.isFinite(budget) ? Math.max(1, Math.floor(budget / JUDGE_UNITS)) : undefined;
  const keys = settleSums.scan(ctx.store, {
    from: job.cursor.length > 0 ? job.cursor : undefined,
    limit: limit === undefined ? undefined : limit + 1,
  });
  let used = 0;
  let i = 0;
  for (; i < keys.length && (limit === undefined || i < limit); i++) {
    const a = keys[i]!;
    const n = settleSums.get(ctx.store, a)!;
    used += JUDGE_UNITS;
    if (n.worked === 0) continue;
    job.paidOut += r.shareOf(n.execFee) + r.shareOf(n.verFee);
    if (r.feeShare || n.servedFee === 0n) continue;
    const shares = r.shareOf(n.servedFee);
    job.steered += excessOf(ctx.store, a, shares, r.expectation(toHex(a))?.expected);
    job.servedTotal += shares;
  }
  const next = keys[i];
  job.cursor = next ?? new Uint8Array(0);
  if (!next) job.phase = Phase.release;
  return used;
}

/**
 * Units of a node's release: about a dozen store reads and writes (its weight, declarations,
 * rates, sums, standing, record and balance), ~150 µs on the reference machine, against ~25 µs a
 * unit (bench:settle, 10,000 racers).
 */
const RELEASE_UNITS = 6;

/**
 * The release phase: each account from the cursor, in key order, gets its shares, issuance and
 * judgements, and its release is credited; the totals go on in the job. When none is left, `close`.
 */
function releaseNodes(ctx: ModuleContext, job: SettleJob, budget: number): number {
  const r = new Release(ctx, job);
  const limit = Number.isFinite(budget) ? Math.max(1, Math.floor(budget / RELEASE_UNITS)) : 1 << 30;
  const from = job.cursor.length > 0 ? toHex(job.cursor) : "";
  const accounts = r.accounts(from, limit + 1);
  let used = 0;
  let i = 0;
  for (; i < accounts.length && i < limit; i++) {
    releaseNode(ctx, job, r, accounts[i]!);
    used += RELEASE_UNITS;
  }
  const next = accounts[i];
  job.cursor = next ? fromHex(next) : new Uint8Array(0);
  if (!next) job.phase = Phase.close;
  return used;
}

/** Shares, issuance, judgements and the release of one account (what a node's work and checks release, less convictions). */
function releaseNode(ctx: ModuleContext, job: SettleJob, rel: Release, k: string): void {
  const s = ctx.store;
  const c = job.cycle;
  const address = fromHex(k);
  const r = emptyAccount();
  const n = settleSums.get(s, address);
  if (n) settleSums.delete(s, address);
  /** The task shares it served, before any verifier's half. */
  let served = 0n;
  if (n && n.worked === 1) {
    r.execution = rel.shareOf(n.execFee);
    r.verification = rel.shareOf(n.verFee);
    r.tasksDone = n.tasksDone;
    r.checksDrawn = n.checksDrawn;
    r.checksDone = n.checksDone;
    if (n.servedFee > 0n) served = rel.shareOf(n.servedFee);
  }
  const pot = rel.honeypots.get(k);
  if (pot) {
    r.checksDrawn += pot.drawn;
    r.checksDone += pot.caught;
    r.honeypotsPassed += pot.passed;
  }
  const { issuancePool } = rel.pool;
  const basis = rel.feeShare ? r.execution + r.verification : (rel.weights.of(k) ?? 0n);
  if (issuancePool > 0n && rel.basisTotal > 0n && basis > 0n) {
    r.issuance = (issuancePool * basis) / rel.basisTotal;
    job.issuancePaid += r.issuance;
  }
  const earned = r.execution + r.verification + r.issuance;
  const taskFraud = taskFrauds.get(ctx.storeOf(tasksModule), [c, address]);
  const raceFraud = rel.raceFrauds.get(k);
  const offence = rel.offenders.get(k);
  const exp = rel.expectation(k);
  rel.dropRates(k);
  r.fairMilli = Number(exp?.fair ?? 0n);
  // What the node's work and checks release, before any conviction.
  let byWork = earned;
  const workReasons: string[] = [];
  if (r.honeypotsPassed > 0) {
    byWork -= r.verification;
    workReasons.push(
      `passed ${r.honeypotsPassed} honeypot${r.honeypotsPassed > 1 ? "s" : ""} (known wrong answers): verification share ${r.verification} forfeited`,
    );
  }
  if (!rel.feeShare) {
    // Judged against what its weight predicts, over a window of cycles (standing.ts).
    const judged = judgeAndStand(s, address, served, exp?.expected, job.steered, job.servedTotal);
    r.windowKept = judged.kept;
    r.windowOwed = judged.owed;
    // The excess is in served shares; what it forfeits is that part of its execution earnings.
    r.steered = judged.served === 0n ? 0n : (r.execution * judged.excess) / judged.served;
    byWork -= r.steered;
    if (r.steered > 0n)
      workReasons.push(
        `served ${judged.excess} wei of task shares above its weight's band: ${r.steered} forfeited`,
      );
    if (judged.owed > judged.kept) {
      byWork = (byWork * judged.kept) / judged.owed;
      workReasons.push(
        `kept ${judged.kept} wei of task shares over recent cycles, below the ${judged.owed} its weight owes`,
      );
    }
  } else {
    // Draws are random: a share is "done" from its fair value less two standard deviations
    // (2·√fair tasks), so honest luck costs nothing and a node that skips work loses in proportion.
    const owed = workThresholdMilli(BigInt(r.fairMilli));
    const doneM = BigInt(r.tasksDone * 1000);
    if (owed > 0n && doneM < owed) {
      byWork = (byWork * doneM) / owed;
      workReasons.push(`did ${r.tasksDone} of a fair share of ${(r.fairMilli / 1000).toFixed(1)} tasks`);
    }
  }
  if (r.checksDrawn > 0 && r.checksDone < r.checksDrawn) {
    byWork = (byWork * BigInt(r.checksDone)) / BigInt(r.checksDrawn);
    workReasons.push(`performed ${r.checksDone} of ${r.checksDrawn} checks`);
  }
  let out = byWork;
  r.reason = workReasons.join("; ").slice(0, 256);
  if (taskFraud) {
    out = 0n;
    r.reason = `task fraud: ${taskFraud}`.slice(0, 256);
  } else if (raceFraud) {
    // Race fraud, and a commitment left unrevealed (no free retry for a count that might not
    // survive its samples), forfeit the cycle. A bounty may come only out of what the fraud
    // itself took: what work alone would have released (kept until the close).
    out = 0n;
    r.reason = `race ${raceFraud}`.slice(0, 256);
    if (raceFraud.startsWith("fraud")) settleRaceCosts.set(s, address, byWork);
  } else if (offence) {
    out = 0n;
    r.reason = `offence: ${offence.reason}`.slice(0, 256);
  }
  r.released = out;
  r.forfeited = earned - out;
  job.released += out;
  job.forfeited += r.forfeited;
  credit(ctx.state, address, out);
  accountRewards.set(s, [c, address], r);
}

/** Bounties, the funds, the supply and the cycle's record, once every account is released. */
function close(ctx: ModuleContext, job: SettleJob): CycleRewards {
  const s = ctx.store;
  const c = job.cycle;
  const {
    proportional,
    shortfall,
    training: toFundFromTasks,
    distributable,
    issuanceToFund,
    issuancePool,
  } = pools(ctx, job);
  settleJob.delete(s);
  for (const k of settleRates.keys(s)) settleRates.delete(s, k);
  for (const k of settleServers.keys(s)) settleServers.delete(s, k);
  const raceCosts = new Map<string, bigint>();
  for (const [a, cost] of settleRaceCosts.entries(s)) {
    raceCosts.set(toHex(a), cost);
    settleRaceCosts.delete(s, a);
  }
  let training = toFundFromTasks + (distributable - job.paidOut) + issuanceToFund;
  training += issuancePool - job.issuancePaid;
  const bounties = payBounties(ctx, c, raceCosts);
  const forfeited = job.forfeited - bounties.fromForfeits;
  training += bounties.toFund;
  // Funds: the fees leave the tasks module account, issuance is minted, the rest is the fund's.
  debit(ctx.state, TASKS_MODULE_ADDRESS, job.fees);
  credit(ctx.state, TRAINING_FUND_ADDRESS, training + forfeited);
  const sup = supply.get(s)!;
  supply.set(s, {
    ...sup,
    issued: sup.issued + proportional + shortfall,
    proportional: sup.proportional + proportional,
    minimum: sup.minimum + shortfall,
  });
  const out: CycleRewards = {
    fees: job.fees,
    proportional,
    shortfall,
    training,
    released: job.released,
    forfeited,
    bounties: bounties.paid,
    tasks: job.tasks,
  };
  cycleRewards.set(s, c, out);
  return out;
}

/**
 * Bounties out of the convicted's forfeits: upheld user reports (each capped at the reported
 * task's fee, half to the reporter, half to the committee), race fraud that stood (to its prover,
 * min(what the fraud took, the claim bond)), task fraud proven with `fraud` (to its prover, capped
 * at the task's fee). Returns what left the forfeits, what was paid, and the rounding to the fund.
 */
function payBounties(
  ctx: ModuleContext,
  c: number,
  raceFraudCost: Map<string, bigint>,
): { fromForfeits: bigint; paid: bigint; toFund: bigint } {
  const s = ctx.store;
  const records = new Map<string, AccountRewards>();
  const acct = {
    get(k: string): AccountRewards | undefined {
      if (!records.has(k)) {
        const r = accountRewards.get(s, [c, fromHex(k)]);
        if (r) records.set(k, r);
      }
      return records.get(k);
    },
  };
  const taskStore = ctx.storeOf(tasksModule);
  let fromForfeits = 0n;
  let paid = 0n;
  let toFund = 0n;
  const take = (who: Address, r: AccountRewards, bounty: bigint) => {
    r.forfeited -= bounty;
    accountRewards.set(s, [c, who], r);
    fromForfeits += bounty;
  };
  for (const [, [executor, taskId]] of upheldReports.keys(taskStore, u32Key.encode(c))) {
    const r = acct.get(toHex(executor));
    const report = reports.get(taskStore, taskId)!;
    if (!r || r.forfeited === 0n) continue;
    const bounty = report.fee < r.forfeited ? report.fee : r.forfeited;
    take(executor, r, bounty);
    const toReporter = bounty - bounty / 2n;
    credit(ctx.state, report.reporter, toReporter);
    const each = report.committee.length > 0 ? bounty / 2n / BigInt(report.committee.length) : 0n;
    for (const m of report.committee) credit(ctx.state, m, each);
    const sent = toReporter + each * BigInt(report.committee.length);
    toFund += bounty - sent;
    paid += sent;
  }
  // A node whose rewards were forfeit anyway (task fraud, an offence, skipped work) gains nothing
  // by having a friend convict it.
  const bondCap = ctx.block.preset.raceFraudBond;
  for (const [[, miner], fraud] of raceFraudRecords.entries(ctx.storeOf(race), u32Key.encode(c))) {
    const r = acct.get(toHex(miner));
    const cost = raceFraudCost.get(toHex(miner)) ?? 0n;
    if (!r || cost === 0n || r.forfeited === 0n || equalBytes(fraud.by, miner)) continue;
    let bounty = cost < bondCap ? cost : bondCap;
    if (bounty > r.forfeited) bounty = r.forfeited;
    take(miner, r, bounty);
    credit(ctx.state, fraud.by, bounty);
    paid += bounty;
  }
  for (const [[, [executor, taskId]], prover] of fraudProvers.entries(taskStore, u32Key.encode(c))) {
    const r = acct.get(toHex(executor));
    const t = tasks.get(taskStore, taskId);
    if (!r || !t || r.forfeited === 0n || equalBytes(prover, executor)) continue;
    // A payer's upheld report refunds the fee (the task's fee reads 0 after it): the cap is the
    // fee the task was settled for, so the report does not take the prover's bounty.
    const fee = reports.get(taskStore, taskId)?.fee ?? t.fee;
    const bounty = fee < r.forfeited ? fee : r.forfeited;
    take(executor, r, bounty);
    credit(ctx.state, prover, bounty);
    paid += bounty;
  }
  return { fromForfeits, paid, toFund };
}
