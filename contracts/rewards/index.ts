/**
 * rewards: who is paid, from what, and when (spec/rewards.md). Supply is fixed at 1 B RACE: genesis
 * holds 400 M (founders' vesting, the additional hardware-provider reward, the liquidity pool and
 * the genesis accounts, which come out of the pool); the 600 M core incentive is minted only by
 * issuance (issuance.ts). Everything a cycle earns waits until its fraud and dispute windows have
 * closed — the end of cycle c + 2 — and is then released by the rule:
 *
 * - fees X: 20 % to the training fund, the rest split over the tasks by fee: a verified task pays
 *   half to its executor and half to its verifier, any other task all to its executor.
 * - issuance P + S (proportional, and the shortfall to the minimum), 20 % to the training fund,
 *   the rest split by race weight, so paying fees moves no one's share of it. A cycle without a
 *   settled task mints nothing.
 * - release = (earned − steered) × work × validation, or 0 for a node convicted of task or race
 *   fraud or proven to have equivocated or faulted a DKG in the cycle (the validators module's
 *   offences). Over a window of cycles a node's served task shares are held to what its weight
 *   predicts within two standard deviations (standing.ts): above, the excess was steered to it and
 *   is forfeited; below, work = kept / floor. validation = checks performed / checks drawn to it.
 *   What is not released goes to the training fund.
 */
import { address20, list, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import {
  cycleStart,
  FOUNDERS_VESTING_ADDRESS,
  HP_POOL_ADDRESS,
  LIQUIDITY_POOL_ADDRESS,
  REWARDS_MODULE_ADDRESS,
  TASKS_MODULE_ADDRESS,
  TRAINING_FUND_ADDRESS,
} from "../../src/params/index.ts";
import {
  type Address,
  compareBytes,
  equalBytes,
  fromHex,
  toHex,
  ZERO_ADDRESS,
} from "../../src/types/index.ts";
import { voterWeights } from "../models/index.ts";
import {
  type GenesisContext,
  type GovernableParam,
  type Module,
  type ModuleContext,
  ModuleError,
  type ModuleState,
} from "../module.ts";
import {
  forfeitsOf,
  race,
  frauds as raceFraudRecords,
  settled as raceSettled,
  raceWeights,
} from "../race/index.ts";
import { addressKey20, pairKey, StoreItem, StoreMap, u32Key } from "../store.ts";
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
import { COIN, CORE_INCENTIVE, cycleIssuance, cycleMinimum } from "./issuance.ts";
import { expectServed, isqrt, judgeServed } from "./standing.ts";

export * from "./fund.ts";
export * from "./issuance.ts";
export { type Standing, standings } from "./standing.ts";

export const FOUNDERS_ALLOCATION = 160_000_000n * COIN;
export const HP_ADDITIONAL_ALLOCATION = 120_000_000n * COIN;
export const LIQUIDITY_ALLOCATION = 120_000_000n * COIN;
/** Cycles after which a cycle's rewards are settled (its fraud and check windows have closed). */
export const SETTLE_DELAY_CYCLES = 2;

export interface Supply {
  /** Sum of all balances written at genesis (always 400 M: the genesis accounts come from the pool). */
  genesis: bigint;
  /** Core incentive minted so far: proportional plus minimum issuance (≤ 600 M). */
  issued: bigint;
  proportional: bigint;
  minimum: bigint;
}
const supplyCodec = struct<Supply>("rewards.Supply", {
  genesis: quantity,
  issued: quantity,
  proportional: quantity,
  minimum: quantity,
});

export interface CycleRewards {
  fees: bigint;
  proportional: bigint;
  shortfall: bigint;
  training: bigint;
  released: bigint;
  /** Forfeited and sent to the training fund (after bounties). */
  forfeited: bigint;
  /** Paid from forfeits to reporters and their committees. */
  bounties: bigint;
  tasks: number;
}
const cycleCodec = struct<CycleRewards>("rewards.Cycle", {
  fees: quantity,
  proportional: quantity,
  shortfall: quantity,
  training: quantity,
  released: quantity,
  forfeited: quantity,
  bounties: quantity,
  tasks: uint,
});

export interface AccountRewards {
  /** From executing tasks: their fee shares (under the fee-share rule, the subsidy's too). */
  execution: bigint;
  /** From verifying tasks: half of each verified task's share. */
  verification: bigint;
  /** Share of the cycle's issuance, by race weight: proportional (less the training share) and the shortfall. */
  issuance: bigint;
  released: bigint;
  forfeited: bigint;
  /** Fees above the band its weight predicts: steered to it, forfeited (spec/rewards.md §Work and steering). */
  steered: bigint;
  /** Its standing after the cycle: fees kept over recent cycles, and the floor its weight owes. */
  windowKept: bigint;
  windowOwed: bigint;
  tasksDone: number;
  /** Fair share of tasks by weight, in thousandths of a task. */
  fairMilli: number;
  checksDrawn: number;
  checksDone: number;
  /** Protocol honeypots (known wrong answers) it passed: its verification share is forfeited. */
  honeypotsPassed: number;
  reason: string;
}
const accountFields = {
  execution: quantity,
  verification: quantity,
  issuance: quantity,
  released: quantity,
  forfeited: quantity,
  steered: quantity,
  windowKept: quantity,
  windowOwed: quantity,
  tasksDone: uint,
  fairMilli: uint,
  checksDrawn: uint,
  checksDone: uint,
  honeypotsPassed: uint,
  reason: str(256),
};
const accountCodec = struct<AccountRewards>("rewards.Account", accountFields);

export interface Vesting {
  total: bigint;
  start: number;
  blocks: number;
  claimed: bigint;
}
const vestingCodec = struct<Vesting>("rewards.Vesting", {
  total: quantity,
  start: uint,
  blocks: uint,
  claimed: quantity,
});

export interface RewardParams {
  /** Blocks per day of the issuance schedule (years are 365 days). */
  blocksPerDay: number;
  /** Miners sharing the additional hardware-provider reward each cycle. */
  hpSlots: number;
}
const paramsCodec = struct<RewardParams>("rewards.Params", { blocksPerDay: uint, hpSlots: uint });

export const supply = new StoreItem("supply", supplyCodec);
export const params = new StoreItem("params", paramsCodec);
export const cycleRewards = new StoreMap("cycle", u32Key, cycleCodec);
export const accountRewards = new StoreMap("account", pairKey(u32Key, 4, addressKey20), accountCodec);
export const vestings = new StoreMap("vesting", addressKey20, vestingCodec);
/** Additional hardware-provider reward paid per (cycle, miner). */
export const hpPaid = new StoreMap("hp", pairKey(u32Key, 4, addressKey20), quantity);

function credit(state: ModuleState, to: Address, amount: bigint): void {
  if (amount === 0n) return;
  const a = state.getAccount(to);
  state.setAccount(to, { ...a, balance: a.balance + amount });
}

function debit(state: ModuleState, from: Address, amount: bigint): void {
  if (amount === 0n) return;
  const a = state.getAccount(from);
  if (a.balance < amount) throw new Error(`rewards: ${toHex(from)} holds ${a.balance}, owes ${amount}`);
  state.setAccount(from, { ...a, balance: a.balance - amount });
}

const emptyAccount = (): AccountRewards => ({
  execution: 0n,
  verification: 0n,
  issuance: 0n,
  released: 0n,
  forfeited: 0n,
  steered: 0n,
  windowKept: 0n,
  windowOwed: 0n,
  tasksDone: 0,
  fairMilli: 0,
  checksDrawn: 0,
  checksDone: 0,
  honeypotsPassed: 0,
  reason: "",
});

/** The additional hardware-provider tranche of one cycle: 120 M over four years of cycles. */
export function hpTranche(cycleLength: number, blocksPerDay: number): bigint {
  return (HP_ADDITIONAL_ALLOCATION * BigInt(cycleLength)) / BigInt(4 * 365 * blocksPerDay);
}

/**
 * How a cycle's issuance reaches the nodes (spec/rewards.md §Self-dealing). The chain runs
 * `raceWeight`. `feeShare` is the rule first built from the paper's wording, kept so that
 * `npm run sim:economics` and the tests can measure the two on the same settlement code:
 *
 * - `feeShare`: fees and proportional issuance are split over the tasks by fee, the minimum's
 *   shortfall in proportion to those shares, and work is counted in tasks, one cycle at a time.
 *   Paying for one's own tasks buys issuance.
 * - `raceWeight`: issuance (proportional and the shortfall, less 20 % for the training fund) is
 *   split by race weight, so paying fees moves no one's share of it; the fees follow the tasks.
 *   Work and steering are judged on the task shares each node served against what its weight
 *   predicts, over a window of cycles (standing.ts): below the band the release shrinks, above it
 *   the excess is forfeited.
 */
export type SettlementRule = "raceWeight" | "feeShare";

/**
 * Settle cycle c (spec/rewards.md §Settlement). Pure over the stores: reads the tasks and race
 * modules, moves fees out of the tasks module account, mints issuance, pays releases and sends the
 * training share and every forfeit to the training fund. `rule` is the chain's rule unless a
 * measurement asks for the old one.
 */
export function settleCycle(
  ctx: ModuleContext,
  c: number,
  rule: SettlementRule = "raceWeight",
): CycleRewards {
  const s = ctx.store;
  const p = params.get(s)!;
  const sup = supply.get(s)!;
  const taskStore = ctx.storeOf(tasksModule);
  const ids = tasksByCycle.keys(taskStore, u32Key.encode(c)).map(([, id]) => id);
  const records = ids.map((id) => tasks.get(taskStore, id)!);
  const fees = records.reduce((t, r) => t + r.fee, 0n);
  const minimum = cycleMinimum(
    cycleStart(c, ctx.block.preset.cycleLength),
    ctx.block.preset.cycleLength,
    p.blocksPerDay,
  );
  // No work, no issuance: a cycle without a settled task mints nothing (race weight alone earns
  // nothing). Work proven fraudulent is none: its fees mint nothing and unlock nothing, else a
  // payer could buy wrong answers from a friend, prove them itself for its fee back as the
  // bounty, and keep what the fees minted (spec/rewards.md §Settlement 3).
  const minting = records.filter((r) => r.status !== TaskStatus.fraud);
  const mintingFees = minting.reduce((t, r) => t + r.fee, 0n);
  const { proportional, shortfall } =
    minting.length > 0
      ? cycleIssuance(sup.issued, mintingFees, minimum)
      : { proportional: 0n, shortfall: 0n };
  const weights = new Map(
    voterWeights(ctx.storeOf(race), ctx.storeOf(validatorsModule), c).map(([a, w]) => [toHex(a), w]),
  );
  const totalWeight = [...weights.values()].reduce((t, w) => t + w, 0n);
  const acct = new Map<string, AccountRewards>();
  const of = (a: Address) => {
    const k = toHex(a);
    const r = acct.get(k) ?? emptyAccount();
    acct.set(k, r);
    return r;
  };
  // Task shares: 20 % of the pool to the training fund, the rest by fee; a verified task pays half
  // to its verifier. Under the fee-share rule the pool holds the proportional issuance too.
  const taskPool = rule === "feeShare" ? fees + proportional : fees;
  let training = trainingPart(s, taskPool);
  const distributable = taskPool - training;
  const shares: bigint[] = [];
  /** Each executor's tasks by their whole shares, before any verifier's half: what it served. */
  const served = new Map<string, bigint>();
  let paidOut = 0n;
  for (const [i, t] of records.entries()) {
    const share = fees === 0n ? 0n : (distributable * t.fee) / fees;
    shares.push(share);
    served.set(toHex(t.executor), (served.get(toHex(t.executor)) ?? 0n) + share);
    paidOut += share;
    const verified = t.status === TaskStatus.verified;
    const toVerifier = verified ? share / 2n : 0n;
    of(t.executor).execution += share - toVerifier;
    if (t.status !== TaskStatus.fraud) of(t.executor).tasksDone++;
    if (verified) of(t.verifier).verification += toVerifier;
    // A check is counted only where one was drawn: an unchecked task later convicted has no verifier.
    if (
      t.status >= TaskStatus.checking &&
      t.status !== TaskStatus.unchecked &&
      !equalBytes(t.verifier, ZERO_ADDRESS)
    ) {
      of(t.verifier).checksDrawn++;
      // A fraudulent task the verifier passed was not checked: it was rubber-stamped.
      const passed = t.status === TaskStatus.fraud && passedFrauds.has(taskStore, ids[i]!);
      if (t.status === TaskStatus.verified || (t.status === TaskStatus.fraud && !passed))
        of(t.verifier).checksDone++;
    }
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
  // shortfall, less 20 % for the training fund) by race weight; under feeShare, the shortfall in
  // proportion to the task shares.
  let issuancePool = shortfall;
  let basis: [string, bigint][];
  if (rule === "raceWeight") {
    const toFund = trainingPart(s, proportional + shortfall);
    training += toFund;
    issuancePool = proportional + shortfall - toFund;
    basis = [...weights.entries()].filter(([, w]) => w > 0n);
  } else basis = [...acct.entries()].map(([k, r]) => [k, r.execution + r.verification]);
  const basisTotal = basis.reduce((t, [, v]) => t + v, 0n);
  let issuancePaid = 0n;
  if (issuancePool > 0n && basisTotal > 0n)
    for (const [k, v] of basis) {
      const share = (issuancePool * v) / basisTotal;
      of(fromHex(k)).issuance += share;
      issuancePaid += share;
    }
  training += issuancePool - issuancePaid;
  // Fair shares (thousandths of a task: the record, and the fee-share rule's work factor): each
  // task's executor was drawn by weight among the cycle's candidates but its intermediary, so a
  // node's expected count is Σ w / (W − w_intermediary) over the tasks.
  // Tasks with the same intermediary share one draw distribution: counted per intermediary, the
  // work is intermediaries × candidates, not tasks × candidates (the same sums).
  const byIntermediary = new Map<string, bigint>();
  for (const t of records) {
    const i = toHex(t.intermediary);
    byIntermediary.set(i, (byIntermediary.get(i) ?? 0n) + 1n);
  }
  const fair = new Map<string, bigint>();
  for (const [i, count] of byIntermediary) {
    const rest = totalWeight - (weights.get(i) ?? 0n);
    if (rest <= 0n) continue;
    for (const [a, w] of weights)
      if (a !== i) fair.set(a, (fair.get(a) ?? 0n) + count * ((w * 1000n) / rest));
  }
  const raceFrauds = new Map(forfeitsOf(ctx.storeOf(race), c).map(([a, r]) => [toHex(a), r]));
  // Offenders get a record even without earnings, so the reason is there to read.
  const offenders = new Map(offencesOf(ctx.storeOf(validatorsModule), c).map(([a, o]) => [toHex(a), o]));
  for (const k of offenders.keys()) of(fromHex(k));
  // Under raceWeight, the shares each node served are judged against what its weight predicts,
  // over a window of cycles (standing.ts).
  const judgements =
    rule === "raceWeight"
      ? judgeServed(
          s,
          new Map([...acct.keys()].sort().map((k) => [k, served.get(k) ?? 0n])),
          expectServed(
            ctx,
            c,
            records.map((record, i) => ({ id: ids[i]!, record, share: shares[i]! })),
            weights,
          ),
        )
      : undefined;
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
    if (rule === "raceWeight") {
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
  // Bounties for upheld user reports, from the convicted executor's forfeit: each capped at the
  // reported task's fee (what honest work on it paid), half to the reporter, half to the committee.
  let bounties = 0n;
  for (const [, [executor, taskId]] of upheldReports.keys(taskStore, u32Key.encode(c))) {
    const r = acct.get(toHex(executor));
    const report = reports.get(taskStore, taskId)!;
    if (!r || r.forfeited === 0n) continue;
    const bounty = report.fee < r.forfeited ? report.fee : r.forfeited;
    r.forfeited -= bounty;
    accountRewards.set(s, [c, executor], r);
    const toReporter = bounty - bounty / 2n;
    credit(ctx.state, report.reporter, toReporter);
    const each = report.committee.length > 0 ? bounty / 2n / BigInt(report.committee.length) : 0n;
    for (const m of report.committee) credit(ctx.state, m, each);
    const paid = toReporter + each * BigInt(report.committee.length);
    forfeited -= bounty;
    training += bounty - paid;
    bounties += paid;
  }
  // Bounties for race fraud that stood (an upheld claim or an order fraud proof), to its prover:
  // min(what the fraud itself took, the claim bond). A node whose rewards were forfeit anyway
  // (task fraud, an offence, skipped work) gains nothing by having a friend convict it.
  const bondCap = ctx.block.preset.raceFraudBond;
  for (const [[, miner], fraud] of raceFraudRecords.entries(ctx.storeOf(race), u32Key.encode(c))) {
    const r = acct.get(toHex(miner));
    const cost = raceFraudCost.get(toHex(miner)) ?? 0n;
    if (!r || cost === 0n || r.forfeited === 0n || equalBytes(fraud.by, miner)) continue;
    let bounty = cost < bondCap ? cost : bondCap;
    if (bounty > r.forfeited) bounty = r.forfeited;
    r.forfeited -= bounty;
    accountRewards.set(s, [c, miner], r);
    credit(ctx.state, fraud.by, bounty);
    forfeited -= bounty;
    bounties += bounty;
  }
  // Bounties for task fraud proven with `fraud`, to its prover, from the convicted executor's
  // forfeit: each capped at the task's fee, as a report's is (proving fraud pays like verifying).
  for (const [[, [executor, taskId]], prover] of fraudProvers.entries(taskStore, u32Key.encode(c))) {
    const r = acct.get(toHex(executor));
    const t = tasks.get(taskStore, taskId);
    if (!r || !t || r.forfeited === 0n || equalBytes(prover, executor)) continue;
    // A payer's upheld report refunds the fee (the task's fee reads 0 after it): the cap is the
    // fee the task was settled for, so the report does not take the prover's bounty.
    const fee = reports.get(taskStore, taskId)?.fee ?? t.fee;
    const bounty = fee < r.forfeited ? fee : r.forfeited;
    r.forfeited -= bounty;
    accountRewards.set(s, [c, executor], r);
    credit(ctx.state, prover, bounty);
    forfeited -= bounty;
    bounties += bounty;
  }
  // Funds: the fees leave the tasks module account, issuance is minted, the rest is the fund's.
  debit(ctx.state, TASKS_MODULE_ADDRESS, fees);
  credit(ctx.state, TRAINING_FUND_ADDRESS, training + forfeited);
  supply.set(s, {
    ...sup,
    issued: sup.issued + proportional + shortfall,
    proportional: sup.proportional + proportional,
    minimum: sup.minimum + shortfall,
  });
  const out: CycleRewards = {
    fees,
    proportional,
    shortfall,
    training,
    released,
    forfeited,
    bounties,
    tasks: records.length,
  };
  cycleRewards.set(s, c, out);
  return out;
}

/**
 * The additional hardware-provider reward of cycle c: equal shares for the top miners by race
 * weight, paid when c settles, so an offence proven up to then forfeits it too. An offender's slot
 * stays in the pool (no one profits from another's forfeit).
 */
function payHpTranche(ctx: ModuleContext, c: number): void {
  const p = params.get(ctx.store)!;
  if (!raceSettled.has(ctx.storeOf(race), c)) return;
  const top = raceWeights(ctx.storeOf(race), c)
    .filter(([, w]) => w > 0n)
    .sort(([a, x], [b, y]) => (x === y ? compareBytes(a, b) : x > y ? -1 : 1))
    .slice(0, p.hpSlots);
  if (top.length === 0) return;
  const pool = ctx.state.getAccount(HP_POOL_ADDRESS).balance;
  const tranche = hpTranche(ctx.block.preset.cycleLength, p.blocksPerDay);
  const each = (tranche < pool ? tranche : pool) / BigInt(p.hpSlots);
  if (each === 0n) return;
  const offenders = new Set(offencesOf(ctx.storeOf(validatorsModule), c).map(([a]) => toHex(a)));
  for (const [a] of top) {
    if (offenders.has(toHex(a))) continue;
    debit(ctx.state, HP_POOL_ADDRESS, each);
    credit(ctx.state, a, each);
    hpPaid.set(ctx.store, [c, a], each);
  }
}

function endCycle(ctx: ModuleContext): void {
  const c = ctx.block.cycle;
  if (c < SETTLE_DELAY_CYCLES) return;
  payHpTranche(ctx, c - SETTLE_DELAY_CYCLES);
  settleCycle(ctx, c - SETTLE_DELAY_CYCLES);
}

interface Section {
  blocksPerDay?: number;
  hpSlots?: number;
  founders?: { address: string; amount: string }[];
}

function parseSection(
  raw: unknown,
  preset: GenesisContext["preset"],
): {
  params: RewardParams;
  founders: { address: Address; amount: bigint }[];
} {
  const o = (raw ?? {}) as Section;
  if (typeof o !== "object" || o === null || Array.isArray(o))
    throw new Error("modules.rewards: expected an object { blocksPerDay, hpSlots, founders }");
  const int = (v: unknown, name: string, lo: number, hi: number, d: number) => {
    if (v === undefined) return d;
    if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi)
      throw new Error(`modules.rewards.${name}: an integer in [${lo}, ${hi}]`);
    return v;
  };
  const founders = (o.founders ?? []).map((f, i) => {
    if (typeof f?.address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(f.address))
      throw new Error(`modules.rewards.founders[${i}].address: a 0x-prefixed 20-byte address`);
    if (typeof f.amount !== "string" || !/^[1-9][0-9]*$/.test(f.amount))
      throw new Error(`modules.rewards.founders[${i}].amount: a decimal string of wei`);
    return { address: fromHex(f.address), amount: BigInt(f.amount) };
  });
  if (founders.reduce((t, f) => t + f.amount, 0n) > FOUNDERS_ALLOCATION)
    throw new Error("modules.rewards.founders: more than the 160 M founders' allocation");
  return {
    params: {
      blocksPerDay: int(o.blocksPerDay, "blocksPerDay", 1, 1 << 24, preset.blocksPerDay),
      hpSlots: int(o.hpSlots, "hpSlots", 1, 1000, 10),
    },
    founders,
  };
}

export const claimArgs = struct<Record<string, never>>("rewards.claim", {});

/** What governance may change here (the training share has its own proposal kind, from year 5). */
export const governableRewardParams: Record<string, GovernableParam> = {
  hpSlots: {
    min: 1n,
    max: 1000n,
    get: (s) => BigInt(params.get(s)!.hpSlots),
    set: (s, v) => params.set(s, { ...params.get(s)!, hpSlots: Number(v) }),
  },
};

export const rewards: Module = {
  id: 7,
  name: "rewards",
  address: REWARDS_MODULE_ADDRESS,
  governable: governableRewardParams,
  genesis(ctx: GenesisContext) {
    const { params: p, founders } = parseSection(ctx.section, ctx.preset);
    params.set(ctx.store, p);
    // The genesis accounts written so far (alloc and earlier modules) come out of the liquidity pool.
    const existing = ctx.allocated;
    if (existing > LIQUIDITY_ALLOCATION)
      throw new Error(
        `genesis accounts hold ${existing} wei, more than the 120 M liquidity pool they come from`,
      );
    credit(ctx.state, LIQUIDITY_POOL_ADDRESS, LIQUIDITY_ALLOCATION - existing);
    credit(ctx.state, HP_POOL_ADDRESS, HP_ADDITIONAL_ALLOCATION);
    credit(ctx.state, FOUNDERS_VESTING_ADDRESS, FOUNDERS_ALLOCATION);
    const years4 = 4 * 365 * p.blocksPerDay;
    for (const f of founders)
      vestings.set(ctx.store, f.address, { total: f.amount, start: 0, blocks: years4, claimed: 0n });
    supply.set(ctx.store, {
      genesis: FOUNDERS_ALLOCATION + HP_ADDITIONAL_ALLOCATION + LIQUIDITY_ALLOCATION,
      issued: 0n,
      proportional: 0n,
      minimum: 0n,
    });
  },
  endCycle,
  methods: {
    claimVested: {
      args: claimArgs,
      gas: 20_000n,
      execute(ctx) {
        const v = vestings.get(ctx.store, ctx.sender);
        if (!v) throw new ModuleError("no vesting schedule for this account");
        const elapsed = BigInt(Math.min(Math.max(ctx.block.height - v.start, 0), v.blocks));
        const vested = (v.total * elapsed) / BigInt(v.blocks);
        const due = vested - v.claimed;
        if (due <= 0n) throw new ModuleError("nothing vested to claim yet");
        debit(ctx.state, FOUNDERS_VESTING_ADDRESS, due);
        credit(ctx.state, ctx.sender, due);
        vestings.set(ctx.store, ctx.sender, { ...v, claimed: v.claimed + due });
      },
    },
  },
  queries: {
    status: {
      args: struct<Record<string, never>>("rewards.status", {}),
      result: struct<
        Supply & {
          batch: number;
          subsidyPpm: number;
          trainingFund: bigint;
          liquidityPool: bigint;
          hpPool: bigint;
          foundersVesting: bigint;
          unminted: bigint;
        }
      >("rewards.status.result", {
        genesis: quantity,
        issued: quantity,
        proportional: quantity,
        minimum: quantity,
        batch: uint,
        subsidyPpm: uint,
        trainingFund: quantity,
        liquidityPool: quantity,
        hpPool: quantity,
        foundersVesting: quantity,
        unminted: quantity,
      }),
      run: (ctx) => {
        const sup = supply.get(ctx.store)!;
        const bal = (a: Address) => ctx.state.getAccount(a).balance;
        const batch = Number(sup.issued / (CORE_INCENTIVE / 12n));
        return {
          ...sup,
          batch: batch + 1,
          subsidyPpm: subsidyPpmOf(batch),
          trainingFund: bal(TRAINING_FUND_ADDRESS),
          liquidityPool: bal(LIQUIDITY_POOL_ADDRESS),
          hpPool: bal(HP_POOL_ADDRESS),
          foundersVesting: bal(FOUNDERS_VESTING_ADDRESS),
          unminted: CORE_INCENTIVE - sup.issued,
        };
      },
    },
    cycle: {
      args: struct<{ cycle: number }>("rewards.cycle", { cycle: uint }),
      result: struct<{
        settled: number;
        totals: CycleRewards;
        accounts: (AccountRewards & { address: Address })[];
      }>("rewards.cycle.result", {
        settled: uint,
        totals: cycleCodec,
        accounts: list(
          struct<AccountRewards & { address: Address }>("rewards.AccountView", {
            address: address20,
            ...accountFields,
          }),
          10_000,
        ),
      }),
      run: (ctx, { cycle }: { cycle: number }) => {
        const totals = cycleRewards.get(ctx.store, cycle);
        return {
          settled: totals ? 1 : 0,
          totals: totals ?? {
            fees: 0n,
            proportional: 0n,
            shortfall: 0n,
            training: 0n,
            released: 0n,
            forfeited: 0n,
            bounties: 0n,
            tasks: 0,
          },
          accounts: accountRewards
            .entries(ctx.store, u32Key.encode(cycle))
            .slice(0, 10_000)
            .map(([[, address], r]) => ({ address, ...r })),
        };
      },
    },
    account: {
      args: struct<{ address: Address; cycle: number }>("rewards.account", {
        address: address20,
        cycle: uint,
      }),
      result: struct<AccountRewards & { hp: bigint }>("rewards.account.result", {
        ...accountFields,
        hp: quantity,
      }),
      run: (ctx, { address, cycle }: { address: Address; cycle: number }) => ({
        ...(accountRewards.get(ctx.store, [cycle, address]) ?? emptyAccount()),
        hp: hpPaid.get(ctx.store, [cycle, address]) ?? 0n,
      }),
    },
  },
};

/** The tasks (in thousandths) a node must have done for a full release: fair − 2·√fair. */
export function workThresholdMilli(fairMilli: bigint): bigint {
  const t = fairMilli - 2n * isqrt(fairMilli * 1000n);
  return t > 0n ? t : 0n;
}

function subsidyPpmOf(batch: number): number {
  return batch >= 12 ? 0 : Number((9n * 4n ** BigInt(batch) * 1_000_000n) / (10n * 5n ** BigInt(batch)));
}
