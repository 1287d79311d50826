// The economics of self-dealing (spec/rewards.md §Self-dealing), agent by agent on the real
// modules: honest developers pay for tasks that the routing rule draws, and a coalition holding a
// share of the race weight pays for tasks and serves them itself. Every cycle's tasks are settled,
// checked and rewarded by the tasks and rewards modules; the rewards are settled under both
// settlement rules from the same market, so the two can be compared wei for wei. Used by
// `npm run sim:economics` and test/unit/economics.test.ts.
import { createHash } from "node:crypto";
import {
  accountRewards,
  type CycleRewards,
  DEFAULT_TASK_PARAMS,
  honeypots,
  models,
  publishedPayloads,
  reputations,
  rewards,
  rewardsSupply,
  routedExecutor,
  SETTLE_DELAY_CYCLES,
  TaskStatus,
  taskCandidates,
  tasks,
  tasksByCycle,
  tasksModule,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import { unitPrices } from "../../contracts/models/index.ts";
import { type AccountRewards, type SettlementRule, settleCycle } from "../../contracts/rewards/index.ts";
import { u32Key } from "../../contracts/store.ts";
import { privateKeyToAddress } from "../../src/crypto/index.ts";
import { payloadHash, type ReceiptBody, signReceipt, taskIdOf } from "../../src/inference/index.ts";
import { minimal } from "../../src/params/index.ts";
import { blockInfo, moduleContext, readStoreIn, StateOverlay, storeIn } from "../../src/state/index.ts";
import { type Address, toHex, ZERO_ADDRESS } from "../../src/types/index.ts";
import { devAddresses } from "./chain.ts";
import { CHAIN_ID, tasksHarness } from "./tasksModule.ts";

export const RULES: readonly SettlementRule[] = ["feeShare", "raceWeight"];
/** Total race weight: divisible so that 5 %, 12.5 %, 25 % and 1/3 split evenly (2 + 6 nodes). */
const TOTAL_WEIGHT = 14_400n;
/** Coalition members (dev 0 and 1), honest nodes (dev 2–7), and the two developers. */
const COALITION = [0, 1];
const HONEST = [2, 3, 4, 5, 6, 7];
const HONEST_DEVELOPER = devAddresses[8]!;
const COALITION_DEVELOPER = devAddresses[9]!;
/** Tokens per task (prompt + completion): every task costs 32 units, so fee = 32 × price. */
const PROMPT_TOKENS = 26;
const COMPLETION_TOKENS = 6;
export const UNITS_PER_TASK = BigInt(PROMPT_TOKENS + COMPLETION_TOKENS);

export interface Market {
  /** The coalition's share of the race weight, num / den. */
  share: [bigint, bigint];
  /** Honest tasks per cycle, each paid by an honest developer and drawn by the routing rule. */
  honestTasks: number;
  /** The coalition's own paid tasks per cycle (0: the honest baseline). */
  selfTasks: number;
  /**
   * How the coalition's tasks reach executors. `drawn`: sent through honest intermediaries, so the
   * rule draws their executors by weight and the coalition pays for every one. `steered`: the
   * coalition is its own intermediary and forwards only the tasks whose draw names one of its
   * members; a draw naming anyone else is dropped before anything is signed, so it costs nothing.
   */
  routing: "drawn" | "steered";
  /** Wei per unit of compute (the chain's price), which sets demand against the minimum. */
  price: bigint;
  /** Core incentive issued before the first cycle (BATCH: the run is in batch 2). */
  issued: bigint;
  /** Cycles with traffic; each is settled two cycles later. */
  cycles: number;
  /** The validator weights (dev 0–7), when not the coalition's share split as `weightsFor` does. */
  weights?: bigint[];
  /** A node (dev index) that refuses every task drawn to it: the intermediary redraws it. */
  refuser?: number;
}

export interface Outcome {
  /** Fees the coalition's developer paid. */
  feesPaid: bigint;
  /** Released to the coalition's members, and to the honest nodes, over the settled cycles. */
  coalition: bigint;
  honest: bigint;
  /** Each settled cycle's totals. */
  totals: CycleRewards[];
  /** The coalition's share of the cycle's tasks it executed (for the report). */
  coalitionTasks: number;
  tasks: number;
  /** Each settled cycle's account records, by address. */
  accounts: Map<string, AccountRewards>[];
}

const keyOf = (label: string) =>
  new Uint8Array(createHash("sha256").update(`racecoin/sim-economics/${label}`).digest());

/** The validator weights: the coalition's share split over its two members, the rest over six. */
export function weightsFor([num, den]: [bigint, bigint]): bigint[] {
  const coalition = (TOTAL_WEIGHT * num) / den;
  const honest = TOTAL_WEIGHT - coalition;
  const w = Array.from({ length: 8 }, () => 0n);
  for (const i of COALITION) w[i] = coalition / 2n;
  for (const i of HONEST) w[i] = honest / 6n;
  w[HONEST[0]!]! += honest - (honest / 6n) * 6n;
  return w;
}

/** Run the market and settle every cycle under each rule (the old one on a scratch copy). */
export function runMarket(m: Market): Record<SettlementRule, Outcome> {
  const L = minimal.cycleLength;
  const weights = m.weights ?? weightsFor(m.share);
  const h = tasksHarness(weights);
  const { state } = h;
  // The harness holds the set for the first eight cycles; a longer run carries it on.
  const set = weights.map((weight, i) => ({ address: devAddresses[i]!, weight, blsKey: new Uint8Array(48) }));
  for (let c = 8; c < m.cycles + SETTLE_DELAY_CYCLES; c++)
    validatorSets.set(storeIn(state, validators), c, set);
  for (const d of [HONEST_DEVELOPER, COALITION_DEVELOPER])
    state.setAccount(d, { nonce: 0n, balance: 10n ** 30n });
  // A market in its steady state: every executor at the top reputation (1 task in 16 checked).
  for (const a of devAddresses.slice(0, 8))
    reputations.set(storeIn(state, tasksModule), a, DEFAULT_TASK_PARAMS.maxReputation);
  unitPrices.set(storeIn(state, models), 0, m.price);
  if (m.issued > 0n) {
    const rs = storeIn(state, rewards);
    rewardsSupply.set(rs, { ...rewardsSupply.get(rs)!, issued: m.issued, proportional: m.issued });
  }
  const honestKey = keyOf("honest");
  const coalitionKey = keyOf("coalition");
  for (const [dev, key] of [
    [HONEST_DEVELOPER, honestKey],
    [COALITION_DEVELOPER, coalitionKey],
  ] as const) {
    h.call(0, dev, "deposit", { amount: 10n ** 29n });
    h.call(0, dev, "authorizeKey", { key: privateKeyToAddress(key), limit: 10n ** 29n });
  }
  const members = new Set(COALITION.map((i) => toHex(devAddresses[i]!)));
  const hash = payloadHash({
    prompt: new Uint8Array(PROMPT_TOKENS),
    maxTokens: COMPLETION_TOKENS,
    temperatureMilli: 700,
    topPMilli: 950,
    seed: 0n,
    tokens: new Uint8Array(COMPLETION_TOKENS),
    finish: "length",
    positions: [],
  });
  const empty = (): Outcome => ({
    feesPaid: 0n,
    coalition: 0n,
    honest: 0n,
    totals: [],
    coalitionTasks: 0,
    tasks: 0,
    accounts: [],
  });
  const out: Record<SettlementRule, Outcome> = { feeShare: empty(), raceWeight: empty() };
  let next = 0;
  /** The chain's hooks to the end of block `to`; at a cycle's end, the cycle two back settles. */
  const runTo = (to: number) => {
    for (; next <= to; next++) {
      tasksModule.endBlock!(h.ctx(next, tasksModule));
      if ((next + 1) % L !== 0) continue;
      tasksModule.endCycle!(h.ctx(next, tasksModule));
      const c = Math.floor(next / L) - SETTLE_DELAY_CYCLES;
      if (c < 0) continue;
      // The old rule on a scratch copy, the chain's rule on the state itself. Nothing but the
      // rewards module reads what a settlement writes, and both rules mint the same, so each
      // rule's later cycles see exactly the market they would have seen alone.
      for (const rule of RULES)
        settle(rule === "raceWeight" ? state : new StateOverlay(state), next, c, rule);
    }
  };
  const settle = (on: StateOverlay, height: number, c: number, rule: SettlementRule) => {
    // Every account the market touched, read through `on` (a scratch copy holds only its changes).
    const ledger = () => {
      const all = new Map(
        [...state.changes.values(), ...on.changes.values()].map((x) => [toHex(x.address), x.address]),
      );
      return [...all.values()].reduce((t, a) => t + on.getAccount(a).balance, 0n);
    };
    const before = ledger();
    const block = blockInfo({ chainId: CHAIN_ID, preset: minimal }, height, ZERO_ADDRESS);
    const totals = settleCycle(moduleContext(block, on, rewards), c, rule);
    const minted = totals.proportional + totals.shortfall;
    if (totals.released + totals.training + totals.forfeited + totals.bounties !== totals.fees + minted)
      throw new Error(`cycle ${c} under ${rule}: released + training + forfeited + bounties ≠ fees + minted`);
    if (ledger() - before !== minted)
      throw new Error(`cycle ${c} under ${rule}: balances grew by more than the mint`);
    const o = out[rule];
    o.totals.push(totals);
    const records = accountRewards.entries(readStoreIn(on, rewards), u32Key.encode(c));
    o.accounts.push(new Map(records.map(([[, a], r]) => [toHex(a), r])));
    for (const [[, a], r] of records)
      if (members.has(toHex(a))) o.coalition += r.released;
      else o.honest += r.released;
    const taskStore = readStoreIn(state, tasksModule);
    for (const [, id] of tasksByCycle.keys(taskStore, u32Key.encode(c))) {
      const t = tasks.get(taskStore, id)!;
      o.tasks++;
      if (members.has(toHex(t.executor))) o.coalitionTasks++;
      if (toHex(t.payer) === toHex(COALITION_DEVELOPER)) o.feesPaid += t.fee;
    }
  };
  let honestSerial = 0n;
  let coalitionSerial = 0n;
  for (let c = 0; c < m.cycles; c++) {
    const start = c * L;
    runTo(start);
    const output = h.beaconOutput(start + 1, createHash("sha256").update(`round ${c}`).digest());
    // The harness numbers rounds in order: this cycle's routing round, then its check round.
    const round = 2 * c + 1;
    const candidates = taskCandidates({ storeOf: (mod) => readStoreIn(state, mod) }, c);
    const receipts: ReturnType<typeof signReceipt>[] = [];
    const receipt = (key: Uint8Array, serial: bigint, intermediary: Address) => {
      const prompt = new TextEncoder().encode(`task ${serial}`);
      const taskId = taskIdOf(privateKeyToAddress(key), prompt, serial);
      // A refusal shows on chain only as the next draw's receipt (attempt 1).
      const first = routedExecutor(output, taskId, candidates, intermediary, 0)!;
      const attempt = m.refuser !== undefined && toHex(first) === toHex(devAddresses[m.refuser]!) ? 1 : 0;
      const executor = attempt === 0 ? first : routedExecutor(output, taskId, candidates, intermediary, 1)!;
      const body: ReceiptBody = {
        taskId,
        model: "racecoin-exact-tiny",
        promptTokens: PROMPT_TOKENS,
        completionTokens: COMPLETION_TOKENS,
        cycle: c,
        round,
        attempt,
        executor,
        intermediary,
        payloadHash: hash,
      };
      return { body, sign: () => signReceipt(key, CHAIN_ID, body) };
    };
    // Honest users reach the network through every node in turn.
    for (let i = 0; i < m.honestTasks; i++) {
      honestSerial++;
      receipts.push(receipt(honestKey, honestSerial, devAddresses[Number(honestSerial % 8n)]!).sign());
    }
    for (let sent = 0; sent < m.selfTasks; ) {
      coalitionSerial++;
      if (m.routing === "drawn") {
        receipts.push(
          receipt(coalitionKey, coalitionSerial, devAddresses[HONEST[Number(coalitionSerial % 6n)]!]!).sign(),
        );
        sent++;
        continue;
      }
      const r = receipt(coalitionKey, coalitionSerial, COALITION_DEVELOPER);
      if (!members.has(toHex(r.body.executor))) continue;
      receipts.push(r.sign());
      sent++;
    }
    // Executors settle their receipts in batches, as the node does.
    const byExecutor = new Map<string, typeof receipts>();
    for (const r of receipts)
      byExecutor.set(toHex(r.executor), [...(byExecutor.get(toHex(r.executor)) ?? []), r]);
    runTo(start + 4);
    for (const group of byExecutor.values())
      for (let i = 0; i < group.length; i += 64)
        h.call(start + 5, group[0]!.executor, "settle", { receipts: group.slice(i, i + 64) });
    // A later round draws the checks; every drawn verifier answers.
    h.beaconOutput(start + 10, createHash("sha256").update(`checks ${c}`).digest());
    runTo(start + 11);
    const taskStore = readStoreIn(state, tasksModule);
    for (const [, id] of tasksByCycle.keys(taskStore, u32Key.encode(c))) {
      const t = tasks.get(taskStore, id)!;
      if (t.status === TaskStatus.checking) h.call(start + 12, t.verifier, "verdict", { taskId: id });
    }
    // And catches the protocol's honeypots (tasks.md §Honeypots) by re-running them.
    for (const [, id] of honeypots.keys(taskStore, u32Key.encode(c))) {
      const t = tasks.get(taskStore, id)!;
      const payload = publishedPayloads.get(taskStore, id)!;
      if (t.status === TaskStatus.checking) h.call(start + 12, t.verifier, "fraud", { taskId: id, payload });
    }
  }
  runTo((m.cycles + SETTLE_DELAY_CYCLES) * L - 1);
  return out;
}

export interface SelfDealing {
  rule: SettlementRule;
  feesPaid: bigint;
  /** What the coalition's members received beyond the honest baseline. */
  gained: bigint;
  /** gained − feesPaid − compute (taken as 0: see spec/rewards.md §Self-dealing). */
  profit: bigint;
  /** What the honest nodes received beyond the baseline (negative: they lost). */
  othersGained: bigint;
}

/**
 * The coalition's profit from its own paid tasks under each rule: the market against its honest
 * baseline (the same market without the coalition's tasks; pass it to share one among markets).
 */
export function selfDealing(
  m: Market,
  baseline: Record<SettlementRule, Outcome> = runMarket({ ...m, selfTasks: 0 }),
): SelfDealing[] {
  const attack = runMarket(m);
  return RULES.map((rule) => {
    const gained = attack[rule].coalition - baseline[rule].coalition;
    return {
      rule,
      feesPaid: attack[rule].feesPaid,
      gained,
      profit: gained - attack[rule].feesPaid,
      othersGained: attack[rule].honest - baseline[rule].honest,
    };
  });
}
