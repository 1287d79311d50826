/**
 * The end of a settlement (spec/rewards.md §Release, §Settlement in steps): once the fold has
 * summed the cycle's tasks and draw groups, the judge phase takes the totals every release depends
 * on, the release phase credits each account in key order, and the close pays bounties, the funds
 * and the supply.
 */

import { cycleStart, TASKS_MODULE_ADDRESS, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import { type Address, equalBytes, fromHex, toHex } from "../../src/types/index.ts";
import type { ModuleContext } from "../module.ts";
import { forfeitsOf, race, frauds as raceFraudRecords } from "../race/index.ts";
import { u32Key } from "../store.ts";
import {
  fraudProvers,
  honeypots,
  reports,
  TaskStatus,
  taskFrauds,
  tasks,
  tasksModule,
  upheldReports,
} from "../tasks/index.ts";
import { offencesOf, validators as validatorsModule } from "../validators/index.ts";
import { CycleWeights } from "./cycleWeights.ts";
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
import {
  noRates,
  ONE,
  Phase,
  type Rates,
  rateKey,
  settleRaceCosts,
  settleRates,
  settleServers,
  settleSums,
} from "./settleStore.ts";
import { type Expectation, excessOf, judgeAndStand } from "./standing.ts";

/** An account of the judge phase: its sums, standing and rates read (~50 µs). */
const JUDGE_UNITS = 2;

/** The cycle's issuance and its task pool (the fees, and under feeShare the proportional issuance). */
export function pools(ctx: ModuleContext, job: SettleJob) {
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
export function judgeNodes(ctx: ModuleContext, job: SettleJob, budget: number): number {
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
export function releaseNodes(ctx: ModuleContext, job: SettleJob, budget: number): number {
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
export function close(ctx: ModuleContext, job: SettleJob): CycleRewards {
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
