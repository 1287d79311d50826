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
import { address20, bytes, list, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import { cycleStart, TASKS_MODULE_ADDRESS, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import {
  type Address,
  concatBytes,
  equalBytes,
  fromHex,
  toHex,
  ZERO_ADDRESS,
} from "../../src/types/index.ts";
import { voterWeights } from "../models/index.ts";
import type { ModuleContext } from "../module.ts";
import { forfeitsOf, race, frauds as raceFraudRecords } from "../race/index.ts";
import { addressKey20, bytesKey, StoreItem, StoreMap, u32Key } from "../store.ts";
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
import { DrawSets, type Expectation, judgeServed, refusedDraws } from "./standing.ts";

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

const Phase = { tasks: 0, groups: 1 } as const;

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
  drain(): Map<string, Rates> {
    for (const k of settleRates.keys(this.ctx.store)) {
      this.of(new TextDecoder().decode(k));
      settleRates.delete(this.ctx.store, k);
    }
    return this.touched;
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
  used += foldGroups(ctx, job, rates, budget - used);
  if (job.cursor.length > 0) return pause(ctx, job, sums, rates);
  return finalize(ctx, job, sums, rates);
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
  /** Every node's sums (the store's and this step's), leaving none in the store. */
  drain(): Map<string, NodeSums> {
    for (const a of settleSums.keys(this.ctx.store)) {
      this.of(a);
      settleSums.delete(this.ctx.store, a);
    }
    return this.touched;
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
  for (const [name, g] of groups) settleGroups.set(ctx.store, groupKey(name), g);
  if (job.cursor.length === 0) job.phase = Phase.groups;
  return used;
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
  const c = job.cycle;
  const weights = weightsOf(ctx, c);
  const total = [...weights.values()].reduce((t, w) => t + w, 0n);
  const { distributable } = pools(ctx, job);
  const sets = new DrawSets(ctx);
  /** Weight of the model's servers: the final draws' total before exclusions. */
  const serverWeight = new Map<string, bigint>();
  const serversOf = (model: string) => {
    const servers = sets.servers(c, model);
    if (!serverWeight.has(model)) {
      let t = 0n;
      for (const [a, w] of weights) if (servers.has(a)) t += w;
      serverWeight.set(model, t);
    }
    return { servers, weight: serverWeight.get(model)! };
  };
  const keys = settleGroups.scan(ctx.store, {
    from: job.cursor.length > 0 ? job.cursor : undefined,
    limit: Number.isFinite(budget) ? Math.max(1, Math.ceil(budget)) + 1 : undefined,
  });
  let used = 0;
  let i = 0;
  for (; i < keys.length; i++) {
    const key = keys[i]!;
    const g = settleGroups.get(ctx.store, key)!;
    const units = 1 + g.refused.length;
    if (used > 0 && used + units > budget) break;
    used += units;
    settleGroups.delete(ctx.store, key);
    const intermediary = toHex(g.intermediary);
    const w = weights.get(intermediary) ?? 0n;
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
    const { servers, weight } = serversOf(g.model);
    const excluded = [intermediary, ...g.refused.map((a) => toHex(a))].filter((a) => servers.has(a));
    let finalRest = weight;
    for (const a of excluded) finalRest -= weights.get(a) ?? 0n;
    if (finalRest <= 0n) continue;
    const drawn = (sum * ONE) / finalRest;
    add(`m|${g.model}`, { drawn });
    for (const a of excluded) add(`d|${g.model}|${a}`, { drawn });
  }
  const next = keys[i];
  job.cursor = next ?? new Uint8Array(0);
  return used;
}

/** Each weighted node's fair share and expectation: its weight times the rates it is not excluded from. */
function expectations(
  ctx: ModuleContext,
  c: number,
  rates: Map<string, Rates>,
): { fair: Map<string, bigint>; expected: Map<string, Expectation> } {
  const weights = weightsOf(ctx, c);
  const sets = new DrawSets(ctx);
  const all = rates.get("*") ?? noRates();
  const models = [...rates.keys()].filter((k) => k.startsWith("m|")).map((k) => k.slice(2));
  const fair = new Map<string, bigint>();
  const expected = new Map<string, Expectation>();
  for (const [a, w] of weights) {
    const mine = rates.get(`i|${a}`) ?? noRates();
    fair.set(a, (w * (all.fair - mine.fair)) / ONE);
    const variance = w * (all.v1 - mine.v1) - w * w * (all.v2 - mine.v2);
    let drawn = 0n;
    for (const m of models)
      if (sets.servers(c, m).has(a))
        drawn += (w * (rates.get(`m|${m}`)!.drawn - (rates.get(`d|${m}|${a}`)?.drawn ?? 0n))) / ONE;
    expected.set(a, {
      owed: (w * (all.owed - mine.owed)) / ONE,
      drawn,
      variance: variance > 0n ? variance / ONE : 0n,
    });
  }
  return { fair, expected };
}

function weightsOf(ctx: ModuleContext, c: number): Map<string, bigint> {
  return new Map(
    voterWeights(ctx.storeOf(race), ctx.storeOf(validatorsModule), c).map(([a, w]) => [toHex(a), w]),
  );
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
  return { proportional, shortfall, taskPool, training, distributable: taskPool - training };
}

/** Shares, issuance, judgements, releases, bounties and funds, from the cycle's sums. */
function finalize(ctx: ModuleContext, job: SettleJob, cache: SumsCache, rateCache: RatesCache): CycleRewards {
  const s = ctx.store;
  const c = job.cycle;
  const taskStore = ctx.storeOf(tasksModule);
  const feeShare = job.feeShare === 1;
  const sums = cache.drain();
  const { fair, expected } = expectations(ctx, c, rateCache.drain());
  settleJob.delete(s);
  const { proportional, shortfall, training: toFundFromTasks, distributable } = pools(ctx, job);
  let training = toFundFromTasks;
  const weights = weightsOf(ctx, c);
  const acct = new Map<string, AccountRewards>();
  const of = (a: Address | string) => {
    const k = typeof a === "string" ? a : toHex(a);
    const r = acct.get(k) ?? emptyAccount();
    acct.set(k, r);
    return r;
  };
  const F = job.fees;
  const shareOf = (fee: bigint) => (F === 0n ? 0n : (distributable * fee) / F);
  /** Each executor's task shares by fee, before any verifier's half: what it served. */
  const served = new Map<string, bigint>();
  let paidOut = 0n;
  for (const [k, n] of [...sums.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (n.worked === 0) continue;
    const r = of(k);
    r.execution = shareOf(n.execFee);
    r.verification = shareOf(n.verFee);
    r.tasksDone = n.tasksDone;
    r.checksDrawn = n.checksDrawn;
    r.checksDone = n.checksDone;
    paidOut += r.execution + r.verification;
    if (n.servedFee > 0n) served.set(k, shareOf(n.servedFee));
  }
  training += distributable - paidOut;
  // Honeypots (tasks spec §Honeypots): checks like any other, with a known wrong answer. Caught
  // (fraud) is a check performed; passed (verified) is one not performed, and forfeits the
  // verifier's verification share of the cycle.
  for (const [, id] of honeypots.keys(taskStore, u32Key.encode(c))) {
    const t = tasks.get(taskStore, id);
    if (!t) continue;
    const v = of(t.verifier);
    v.checksDrawn++;
    if (t.status === TaskStatus.fraud) v.checksDone++;
    else if (t.status === TaskStatus.verified) v.honeypotsPassed++;
  }
  // Issuance apart from the task shares: under raceWeight all of it (proportional and the
  // shortfall, less the training share) by race weight; under feeShare, the shortfall in
  // proportion to the task shares.
  let issuancePool = shortfall;
  let basis: [string, bigint][];
  if (!feeShare) {
    const toFund = trainingPart(s, proportional + shortfall, c);
    training += toFund;
    issuancePool = proportional + shortfall - toFund;
    basis = [...weights.entries()].filter(([, w]) => w > 0n);
  } else basis = [...acct.entries()].map(([k, r]) => [k, r.execution + r.verification]);
  const basisTotal = basis.reduce((t, [, v]) => t + v, 0n);
  let issuancePaid = 0n;
  if (issuancePool > 0n && basisTotal > 0n)
    for (const [k, v] of basis) {
      const share = (issuancePool * v) / basisTotal;
      of(k).issuance += share;
      issuancePaid += share;
    }
  training += issuancePool - issuancePaid;
  const raceFrauds = new Map(forfeitsOf(ctx.storeOf(race), c).map(([a, r]) => [toHex(a), r]));
  // Offenders get a record even without earnings, so the reason is there to read.
  const offenders = new Map(offencesOf(ctx.storeOf(validatorsModule), c).map(([a, o]) => [toHex(a), o]));
  for (const k of offenders.keys()) of(k);
  // Under raceWeight, the shares each node served are judged against what its weight predicts,
  // over a window of cycles (standing.ts).
  const judgements = feeShare
    ? undefined
    : judgeServed(s, new Map([...acct.keys()].sort().map((k) => [k, served.get(k) ?? 0n])), expected);
  let released = 0n;
  let forfeited = 0n;
  const raceFraudCost = new Map<string, bigint>();
  for (const [k, r] of [...acct.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const earned = r.execution + r.verification + r.issuance;
    const address = fromHex(k);
    const taskFraud = taskFrauds.get(taskStore, [c, address]);
    const raceFraud = raceFrauds.get(k);
    const offence = offenders.get(k);
    r.fairMilli = Number(fair.get(k) ?? 0n);
    // What the node's work and checks release, before any conviction.
    let byWork = earned;
    const workReasons: string[] = [];
    if (r.honeypotsPassed > 0) {
      byWork -= r.verification;
      workReasons.push(
        `passed ${r.honeypotsPassed} honeypot${r.honeypotsPassed > 1 ? "s" : ""} (known wrong answers): verification share ${r.verification} forfeited`,
      );
    }
    if (!feeShare) {
      const judged = judgements!.get(k)!;
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
      // itself took: what work alone would have released.
      out = 0n;
      r.reason = `race ${raceFraud}`.slice(0, 256);
      if (raceFraud.startsWith("fraud")) raceFraudCost.set(k, byWork);
    } else if (offence) {
      out = 0n;
      r.reason = `offence: ${offence.reason}`.slice(0, 256);
    }
    r.released = out;
    r.forfeited = earned - out;
    released += out;
    forfeited += r.forfeited;
    credit(ctx.state, address, out);
    accountRewards.set(s, [c, address], r);
  }
  const bounties = payBounties(ctx, c, acct, raceFraudCost);
  forfeited -= bounties.fromForfeits;
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
    released,
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
  acct: Map<string, AccountRewards>,
  raceFraudCost: Map<string, bigint>,
): { fromForfeits: bigint; paid: bigint; toFund: bigint } {
  const s = ctx.store;
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
