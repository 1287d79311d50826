// Rewards (spec/rewards.md): genesis supply, a cycle's settlement traced task by task — fees and
// proportional issuance split 20 % to the training fund and the rest by task (verified: half to
// the verifier), the minimum-issuance shortfall, release factors for a cheater, a node that did
// half its share and a lazy verifier — and conservation under random sequences of tasks, checks,
// frauds and cycle ends: the sum of all balances grows by exactly what was minted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  accountRewards,
  BATCH,
  batchRate,
  CORE_INCENTIVE,
  cycleRewards,
  escrows,
  hpTranche,
  race,
  raceForfeitStore,
  raceFrauds,
  raceSettled,
  raceWeightStore,
  rewards,
  rewardsSupply,
  TaskStatus,
  TOTAL_SUPPLY,
  tasks,
  tasksModule,
} from "../../contracts/index.ts";
import { cycleMinimum } from "../../contracts/rewards/issuance.ts";
import { isqrt } from "../../contracts/rewards/standing.ts";
import { Chain, devnetGenesisJson, parseGenesis } from "../../src/chain/index.ts";
import { privateKeyToAddress } from "../../src/crypto/index.ts";
import { HP_POOL_ADDRESS, minimal, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import { readStoreIn, StateOverlay, storeIn } from "../../src/state/index.ts";
import { type Address, equalBytes, toHex } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { runMarket, selfDealing, UNITS_PER_TASK } from "../helpers/economics.ts";
import { answeredTask, tasksHarness } from "../helpers/tasksModule.ts";

const L = minimal.cycleLength;
const dev = devAddresses[7]!;

function market(seed = 1) {
  const h = tasksHarness();
  // A fixed key: task ids, and so every draw, are the same on every run (a random one made the
  // window judgement of node 3 borderline in one CI run in several).
  const apiKey = new Uint8Array(32).fill(0x2a);
  const output = h.beaconOutput(5, new Uint8Array(32).fill(seed));
  h.call(6, dev, "deposit", { amount: 10n ** 20n });
  h.call(6, dev, "authorizeKey", { key: privateKeyToAddress(apiKey), limit: 10n ** 20n });
  const task = (serial: bigint, extra: Partial<Parameters<typeof answeredTask>[0]> = {}) =>
    answeredTask({
      apiKey,
      beaconOutput: output,
      round: 1,
      cycle: 0,
      serial,
      intermediary: devAddresses[0]!,
      state: h.state,
      ...extra,
    });
  const rewardsStore = () => readStoreIn(h.state, rewards);
  return { h, task, rewardsStore };
}

const same = (a: Address, b: Address) => equalBytes(a, b);
const escrowOf = (h: ReturnType<typeof tasksHarness>, a: Address) => escrows.get(h.store(), a) ?? 0n;

describe("rewards", () => {
  it("genesis holds 400 M: founders' vesting, the additional reward, the liquidity pool with the genesis accounts taken from it", () => {
    const g = Chain.genesisBlock(parseGenesis(devnetGenesisJson(4)));
    const total = [...g.world.accounts.values()].reduce((t, a) => t + a.balance, 0n);
    assert.equal(total, TOTAL_SUPPLY - CORE_INCENTIVE);
  });

  it("settles a cycle two cycles later: every wei traced to tasks, verifications and issuance; forfeits for fraud, half a share and skipped checks", () => {
    const { h, task, rewardsStore } = market();
    const before = h.totalBalances();
    // 120 tasks; the first draw of half of node 3's tasks fails and they go to the next draw
    // (attempt 1), so node 3 does about half its fair share.
    const all = [];
    for (let i = 1n; i <= 120n; i++) {
      let t = task(i);
      if (same(t.executor, devAddresses[3]!) && i % 2n === 0n) t = task(i, { attempt: 1 });
      all.push(t);
    }
    // One wrong answer by node 1.
    const cheat = task(999n, { wrongToken: true });
    const byExecutor = new Map<string, typeof all>();
    for (const t of [...all, cheat])
      byExecutor.set(toHex(t.executor), [...(byExecutor.get(toHex(t.executor)) ?? []), t]);
    for (const group of byExecutor.values())
      for (let i = 0; i < group.length; i += 64)
        assert.equal(
          h.refusal(8, group[0]!.executor, "settle", {
            receipts: group.slice(i, i + 64).map((t) => t.receipt),
          }),
          "",
        );
    // Checks drawn (reputation 0: all), verdicts by every verifier but node 2, which skips them.
    h.beaconOutput(15, new Uint8Array(32).fill(2));
    h.endBlocks(8, 15);
    for (const t of [...all, cheat]) {
      const r = tasks.get(h.store(), t.taskId)!;
      if (r.status !== TaskStatus.checking) continue;
      if (t === cheat)
        assert.equal(h.refusal(16, r.verifier, "fraud", { taskId: t.taskId, payload: t.payload }), "");
      else if (!same(r.verifier, devAddresses[2]!))
        assert.equal(h.refusal(16, r.verifier, "verdict", { taskId: t.taskId }), "");
    }
    const training0 = h.state.getAccount(TRAINING_FUND_ADDRESS).balance;
    h.endBlocks(16, 3 * L - 1);
    const totals = cycleRewards.get(rewardsStore(), 0)!;
    const records = [...all, cheat].map((t) => tasks.get(h.store(), t.taskId)!);
    const fees = records.reduce((s, r) => s + r.fee, 0n);
    assert.equal(totals.fees, fees);
    assert.equal(totals.tasks, records.length);
    // Batch 1: a fee X mints 9X, of the tasks that stand (the cheat's fee mints nothing).
    const standing = records.filter((r) => r.status !== TaskStatus.fraud).reduce((s, r) => s + r.fee, 0n);
    assert.ok(standing < fees);
    assert.equal(totals.proportional, standing * 9n, "batch 1: a fee X mints 9X");
    // Every wei: released + training (20 % + dust) + forfeits = fees + minted.
    const minted = totals.proportional + totals.shortfall;
    assert.equal(totals.released + totals.training + totals.forfeited + totals.bounties, fees + minted);
    assert.equal(
      h.state.getAccount(TRAINING_FUND_ADDRESS).balance - training0,
      totals.training + totals.forfeited,
    );
    assert.equal(h.totalBalances() - before, minted, "supply grew by exactly what was minted");
    assert.equal(rewardsSupply.get(rewardsStore())!.issued, minted);
    // Per account: the task shares by the rule, from the fees alone.
    const expect = new Map<string, bigint>();
    const add = (a: Address, v: bigint) => expect.set(toHex(a), (expect.get(toHex(a)) ?? 0n) + v);
    for (const r of records) {
      const share = ((fees - fees / 5n) * r.fee) / fees;
      const toVerifier = r.status === TaskStatus.verified ? share / 2n : 0n;
      add(r.executor, share - toVerifier);
      if (toVerifier > 0n) add(r.verifier, toVerifier);
    }
    for (const [k, v] of expect) {
      const a = accountRewards.get(rewardsStore(), [0, Buffer.from(k.slice(2), "hex")])!;
      assert.equal(a.execution + a.verification, v, `${k}: earned by the rule`);
    }
    // Issuance, less its 20 %, by race weight: the four validators weigh 100 each.
    const issuance = minted - minted / 5n;
    const acct = (i: number) => accountRewards.get(rewardsStore(), [0, devAddresses[i]!])!;
    for (const i of [0, 1, 2, 3])
      assert.equal(acct(i).issuance, issuance / 4n, `node ${i}: a quarter of the issuance`);
    // The band (spec/rewards.md §Work and steering), recomputed: node 0 routed every task, so the
    // first draw of each is among nodes 1–3; node 3's redrawn tasks were finally drawn among nodes
    // 1 and 2. Shares (and squares) are summed per group before the weights apply.
    const served = new Map<string, bigint>();
    const group = [
      { sum: 0n, squares: 0n },
      { sum: 0n, squares: 0n },
    ];
    for (const r of records) {
      const share = ((fees - fees / 5n) * r.fee) / fees;
      served.set(toHex(r.executor), (served.get(toHex(r.executor)) ?? 0n) + share);
      const g = group[r.attempt > 0 ? 1 : 0]!;
      g.sum += share;
      g.squares += share * share;
    }
    const [first, redrawn] = group as [{ sum: bigint; squares: bigint }, { sum: bigint; squares: bigint }];
    // The weights factored out of the groups (fixed point × 2^96): a node's expectation is its
    // weight times the rates of the groups it is not excluded from, floored once.
    const ONE = 1n << 96n;
    const owedRate = (first.sum * ONE) / 300n + (redrawn.sum * ONE) / 300n;
    const v1 = (first.squares * ONE) / 300n + (redrawn.squares * ONE) / 300n;
    const v2 = (first.squares * ONE) / 90_000n + (redrawn.squares * ONE) / 90_000n;
    const band = new Map(
      [1, 2, 3].map((i) => [
        toHex(devAddresses[i]!),
        {
          owed: (100n * owedRate) / ONE,
          drawn: (100n * ((first.sum * ONE) / 300n + (i === 3 ? 0n : (redrawn.sum * ONE) / 200n))) / ONE,
          variance: (100n * v1 - 10_000n * v2) / ONE,
        },
      ]),
    );
    const all4 = [0, 1, 2, 3].map((i) => [toHex(devAddresses[i]!), acct(i)] as const);
    const none = { owed: 0n, drawn: 0n, variance: 0n };
    const excess = new Map(
      all4.map(([k]) => {
        const b = band.get(k) ?? none;
        const s = served.get(k) ?? 0n;
        const over = s - b.drawn - 2n * isqrt(b.variance);
        return [k, over <= 0n ? 0n : over < s ? over : s];
      }),
    );
    const total = [...served.values()].reduce((t, v) => t + v, 0n);
    const steered = [...excess.values()].reduce((t, v) => t + v, 0n);
    const cheater = devAddresses.findIndex((a) => same(a, cheat.executor));
    assert.equal(acct(cheater).released, 0n, "the cheater forfeits the whole cycle");
    assert.match(acct(cheater).reason, /task fraud/);
    // Everyone else: (earned − steered) × min(1, kept / owed) × performed/drawn checks.
    for (const [k, a] of all4) {
      const b = band.get(k) ?? none;
      const due = (b.owed * (total - steered)) / total;
      const variance = (b.variance * (total - steered)) / total;
      const owed = due > 2n * isqrt(variance) ? due - 2n * isqrt(variance) : 0n;
      const kept = (served.get(k) ?? 0n) - excess.get(k)!;
      const lost = served.get(k) ? (a.execution * excess.get(k)!) / served.get(k)! : 0n;
      assert.equal(a.steered, lost, `${k}: steered`);
      assert.deepEqual([a.windowKept, a.windowOwed], [kept, owed], `${k}: its standing`);
      if (k === toHex(cheat.executor)) continue;
      let want = a.execution + a.verification + a.issuance - lost;
      if (kept < owed) want = (want * kept) / owed;
      if (a.checksDrawn > 0) want = (want * BigInt(a.checksDone)) / BigInt(a.checksDrawn);
      assert.equal(a.released, want, `${k}: ${a.reason || "full release"}`);
    }
    assert.ok(acct(3).tasksDone * 1000 < acct(3).fairMilli, "node 3 did less than its fair share");
    if (cheater !== 3)
      assert.match(
        acct(3).reason,
        /kept \d+ wei of task shares .* below the \d+ its weight owes/,
        "and forfeits in proportion",
      );
    if (cheater !== 2) {
      // Node 2 posts no verdicts (it may still have proven the wrong answer when drawn to check it).
      assert.match(
        acct(2).reason,
        /performed [01] of \d+ checks/,
        "the lazy verifier forfeits its unperformed share",
      );
      assert.ok(acct(2).released < acct(2).execution + acct(2).verification + acct(2).issuance);
    }
    console.log(
      `# cycle 0: fees ${totals.fees}, minted ${minted}, training ${totals.training}, released ${totals.released}, forfeited ${totals.forfeited}; node 3 did ${acct(3).tasksDone} of ${(acct(3).fairMilli / 1000).toFixed(1)}: kept ${acct(3).windowKept} of ${acct(3).windowOwed} owed in fees, released ${acct(3).released} of ${acct(3).execution + acct(3).verification + acct(3).issuance}`,
    );
  });

  it("race fraud that stood pays its prover a bounty from the convicted miner's forfeit, capped at the claim bond", () => {
    const { h, task, rewardsStore } = market(3);
    const before = h.totalBalances();
    const all = Array.from({ length: 60 }, (_, i) => task(BigInt(i + 1)));
    const byExecutor = new Map<string, typeof all>();
    for (const t of all) byExecutor.set(toHex(t.executor), [...(byExecutor.get(toHex(t.executor)) ?? []), t]);
    for (const group of byExecutor.values())
      assert.equal(h.refusal(8, group[0]!.executor, "settle", { receipts: group.map((t) => t.receipt) }), "");
    h.beaconOutput(15, new Uint8Array(32).fill(4));
    h.endBlocks(8, 15);
    for (const t of all) {
      const r = tasks.get(h.store(), t.taskId)!;
      if (r.status === TaskStatus.checking)
        assert.equal(h.refusal(16, r.verifier, "verdict", { taskId: t.taskId }), "");
    }
    // Cycle 0's race convicted node 1 on a claim by node 9 (as the race module records it).
    const miner = devAddresses[1]!;
    const prover = devAddresses[9]!;
    const rs = storeIn(h.state, race);
    raceFrauds.set(rs, [0, miner], {
      reason: "committed nonce 7 at index 0 is not a proof",
      by: prover,
      height: 50,
    });
    raceForfeitStore.set(rs, [0, miner], "fraud: committed nonce 7 at index 0 is not a proof");
    raceSettled.set(rs, 0, 1);
    const proverBefore = h.state.getAccount(prover).balance;
    h.endBlocks(16, 3 * L - 1);
    const totals = cycleRewards.get(rewardsStore(), 0)!;
    const a = accountRewards.get(rewardsStore(), [0, miner])!;
    const earned = a.execution + a.verification + a.issuance;
    assert.ok(earned > 0n, "the convicted miner had earned something this cycle");
    assert.equal(a.released, 0n);
    const bounty = earned < minimal.raceFraudBond ? earned : minimal.raceFraudBond;
    assert.equal(h.state.getAccount(prover).balance - proverBefore, bounty, "the prover's bounty");
    assert.equal(a.forfeited, earned - bounty, "the bounty comes out of the forfeit");
    const minted = totals.proportional + totals.shortfall;
    assert.equal(
      totals.released + totals.training + totals.forfeited + totals.bounties,
      totals.fees + minted,
    );
    assert.equal(h.totalBalances() - before, minted, "supply grew by exactly what was minted");
  });

  it("user reports: upheld refunds the task and the report fee and pays a capped bounty from the forfeit; rejected pays the committee", () => {
    const { h, task, rewardsStore } = market(7);
    const wrong = task(501n, { wrongToken: true });
    const honest = task(502n);
    const more = Array.from({ length: 12 }, (_, i) => task(503n + BigInt(i)));
    const cheater = wrong.executor;
    assert.ok(
      more.some((t) => same(t.executor, cheater)),
      "the cheater has honest tasks too, so its forfeit covers the bounty",
    );
    for (const t of [wrong, honest, ...more])
      assert.equal(h.refusal(8, t.executor, "settle", { receipts: [t.receipt] }), "");
    const escrow = () => escrowOf(h, dev);
    const balance = (a: Address) => h.state.getAccount(a).balance;
    const e0 = escrow();
    const fee = tasks.get(h.store(), wrong.taskId)!.fee;
    assert.match(
      h.refusal(9, devAddresses[4]!, "report", { taskId: wrong.taskId, payload: wrong.payload }),
      /only the developer/,
    );
    assert.equal(h.refusal(9, dev, "report", { taskId: wrong.taskId, payload: wrong.payload }), "");
    assert.match(
      h.refusal(9, dev, "report", { taskId: wrong.taskId, payload: wrong.payload }),
      /already reported/,
    );
    assert.equal(escrow(), e0 + fee, "upheld: the task's fee back, the report fee not charged");
    assert.equal(tasks.get(h.store(), wrong.taskId)!.status, TaskStatus.fraud);
    const reportQuery = (id: Uint8Array) =>
      tasksModule.queries.report!.run(
        {
          height: 9,
          preset: minimal,
          state: h.state,
          store: h.store(),
          storeOf: (m) => readStoreIn(h.state, m),
        },
        { taskId: id },
      ).reports[0]!;
    const upheld = reportQuery(wrong.taskId);
    assert.equal(upheld.upheld, 1);
    // Rejected: the honest answer re-runs clean; the report fee goes to the committee.
    const e1 = escrow();
    assert.equal(h.refusal(9, dev, "report", { taskId: honest.taskId, payload: honest.payload }), "");
    const rejected = reportQuery(honest.taskId);
    assert.equal(rejected.upheld, 0);
    assert.equal(escrow(), e1 - rejected.reportFee);
    assert.ok(
      rejected.committee.length > 0 && rejected.committee.every((m: Address) => !same(m, honest.executor)),
    );
    // Settlement two cycles later: the bounty, capped at the task's fee, from the cheater's forfeit.
    const reporterBefore = balance(dev);
    const committee = upheld.committee.map((m: Address) => [m, balance(m)] as const);
    h.endBlocks(10, 3 * L - 1);
    const totals = cycleRewards.get(rewardsStore(), 0)!;
    // The forfeit exceeds the task's fee, so the bounty is the cap: the fee.
    const each = fee / 2n / BigInt(committee.length);
    assert.equal(totals.bounties, fee - fee / 2n + each * BigInt(committee.length));
    assert.equal(balance(dev) - reporterBefore, fee - fee / 2n, "half the bounty to the reporter");
    for (const [m, b] of committee) assert.ok(balance(m) - b >= each, "the committee's half");
    assert.ok(totals.bounties <= fee, "a bounty never pays more than the honest work on the task");
    assert.equal(
      totals.released + totals.training + totals.forfeited + totals.bounties,
      totals.fees + totals.proportional + totals.shortfall,
    );
  });

  it("founders' vesting claims linearly; the additional reward pays the top miners by race weight each cycle", () => {
    const h = tasksHarness();
    const state = h.state;
    const founder = devAddresses[9]!;
    const blocksPerDay = minimal.blocksPerDay;
    // A second genesis run of the rewards module with a founder (the harness ran it without one).
    rewards.genesis!({
      chainId: 1n,
      preset: minimal,
      validators: [],
      section: { founders: [{ address: toHex(founder), amount: "1000000000000000000000" }], hpSlots: 2 },
      state: { getAccount: (a) => state.getAccount(a), setAccount: (a, v) => state.setAccount(a, v) },
      store: storeIn(state, rewards),
      allocated: 10n * 10n ** 24n,
    });
    const claim = (height: number) => {
      const scratch = new StateOverlay(state);
      try {
        rewards.methods.claimVested!.execute(
          {
            ...h.ctx(height, rewards),
            state: {
              getAccount: (a) => scratch.getAccount(a),
              setAccount: (a, v) => scratch.setAccount(a, v),
            },
            store: storeIn(scratch, rewards),
            sender: founder,
            emit: () => {},
          },
          {},
        );
        scratch.mergeInto(state);
        return "";
      } catch (e) {
        return (e as Error).message;
      }
    };
    const years4 = 4 * 365 * blocksPerDay;
    const b0 = state.getAccount(founder).balance;
    assert.equal(claim(years4 / 4), "");
    assert.equal(state.getAccount(founder).balance - b0, 250n * 10n ** 18n, "a quarter vested after a year");
    assert.match(claim(years4 / 4), /nothing vested/);
    assert.equal(claim(10 * years4), "");
    assert.equal(state.getAccount(founder).balance - b0, 1000n * 10n ** 18n, "all of it, never more");
    assert.match(claim(10 * years4 + 1), /nothing vested/);
    // The additional reward: cycle 0's race settled with three miners; the top two are paid when
    // cycle 0 settles (the end of cycle 2), not before.
    const raceStore = storeIn(state, race);
    raceSettled.set(raceStore, 0, 1);
    raceWeightStore.set(raceStore, [0, devAddresses[1]!], 30n);
    raceWeightStore.set(raceStore, [0, devAddresses[2]!], 50n);
    raceWeightStore.set(raceStore, [0, devAddresses[3]!], 10n);
    const before = [1, 2, 3].map((i) => state.getAccount(devAddresses[i]!).balance);
    const pool = state.getAccount(HP_POOL_ADDRESS).balance;
    h.endBlocks(0, 2 * L - 1);
    assert.equal(state.getAccount(HP_POOL_ADDRESS).balance, pool, "nothing paid before settlement");
    h.endBlocks(2 * L, 3 * L - 1);
    const paid = [1, 2, 3].map((i) => state.getAccount(devAddresses[i]!).balance - before[i - 1]!);
    const each = hpTranche(L, blocksPerDay) / 2n;
    assert.deepEqual(paid, [each, each, 0n], "the top two by weight share the tranche");
    assert.equal(pool - state.getAccount(HP_POOL_ADDRESS).balance, 2n * each);
  });

  it("conservation under random sequences of tasks, checks, frauds, withdrawals and cycle ends", () => {
    for (let run = 0; run < 4; run++) {
      let x = 12345 + run;
      const rand = (n: number) => {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        return x % n;
      };
      const { h, task, rewardsStore } = market(run + 3);
      const base = h.totalBalances();
      let serial = 1000n;
      let height = 8;
      const settled: ReturnType<typeof task>[] = [];
      for (let step = 0; step < 40; step++) {
        const kind = rand(5);
        const cycle = Math.floor(height / L);
        if (kind <= 1 && cycle === 0) {
          const t = task(serial++, { wrongToken: rand(4) === 0 });
          if (h.refusal(height, t.executor, "settle", { receipts: [t.receipt] }) === "") settled.push(t);
        } else if (kind === 2 && settled.length > 0) {
          const t = settled[rand(settled.length)]!;
          const r = tasks.get(h.store(), t.taskId)!;
          if (r.status === TaskStatus.checking) {
            const verdict = rand(2) === 0 ? "verdict" : "withheld";
            h.refusal(height, r.verifier, verdict, { taskId: t.taskId });
          }
          h.refusal(height, devAddresses[5]!, "fraud", { taskId: t.taskId, payload: t.payload });
          if (rand(3) === 0) h.refusal(height, dev, "report", { taskId: t.taskId, payload: t.payload });
        } else if (kind === 3) {
          if (rand(2) === 0)
            h.refusal(height, dev, "withdraw", { amount: BigInt(rand(1000) + 1) * 10n ** 12n });
          else h.refusal(height, dev, "claimWithdrawal", {});
        } else {
          const next = height + rand(40) + 1;
          if (rand(3) === 0) h.beaconOutput(next, new Uint8Array(32).fill(rand(255)));
          h.endBlocks(height, next);
          height = next + 1;
        }
        const issued = rewardsSupply.get(rewardsStore())!.issued;
        assert.equal(
          h.totalBalances(),
          base + issued,
          `run ${run} step ${step}: balances = genesis + minted`,
        );
      }
      h.endBlocks(height, 4 * L - 1);
      assert.equal(h.totalBalances(), base + rewardsSupply.get(rewardsStore())!.issued);
    }
  });

  it("self-dealing (spec/rewards.md §Self-dealing): a 25 % coalition serving the tasks it pays for profits under the fee-share rule and loses under the race-weight rule; every cycle conserves under both", () => {
    const min = cycleMinimum(0, L, minimal.blocksPerDay);
    // Fees for 48 honest tasks a cycle that mint `ratio` × the minimum in batch `batch` (0-based).
    const priceFor = (ratio: bigint, den: bigint, batch: number) => {
      const r = batchRate(batch);
      return (min * ratio * r.den) / (den * r.num * 48n * UNITS_PER_TASK);
    };
    const markets = [
      // Low demand: the minimum's shortfall is most of the issuance, and the old rule shares it by fee.
      { name: "low demand", price: priceFor(1n, 4n, 0), issued: 0n },
      // Batch 2 (72 %) above the minimum: each fee mints 2.57 × itself.
      { name: "batch 2, high demand", price: priceFor(4n, 1n, 1), issued: BATCH },
    ];
    for (const m of markets) {
      const [old, now] = selfDealing({
        share: [1n, 4n],
        honestTasks: 48,
        selfTasks: 48,
        routing: "steered",
        price: m.price,
        issued: m.issued,
        cycles: 3,
      });
      console.log(
        `# ${m.name}, 25 % coalition steering 48 paid tasks a cycle to itself: profit per fee ${Number((old!.profit * 100n) / old!.feesPaid) / 100} (fee share) → ${Number((now!.profit * 100n) / now!.feesPaid) / 100} (race weight); honest nodes ${old!.othersGained / 10n ** 18n} → ${now!.othersGained / 10n ** 18n} RACE`,
      );
      assert.ok(old!.profit > 0n, `${m.name}: self-dealing pays under the fee-share rule`);
      assert.ok(now!.profit <= 0n, `${m.name}: and not under the race-weight rule`);
    }
  });

  it("a small node that refuses every draw: paid while its weight predicts too few tasks to tell, cut once the window of cycles has seen enough", () => {
    // Seven validators at 2,000 and one at 120: it is drawn for about 0.4 of the 48 tasks a cycle,
    // far inside one cycle's two standard deviations, and refuses each (the task is redrawn).
    const weights = [...Array.from({ length: 7 }, () => 2_000n), 120n];
    const out = runMarket({
      share: [0n, 1n],
      weights,
      refuser: 7,
      honestTasks: 48,
      selfTasks: 0,
      routing: "drawn",
      price: 10n ** 12n,
      issued: 0n,
      cycles: 12,
    });
    const small = toHex(devAddresses[7]!);
    const records = out.raceWeight.accounts.map((a) => a.get(small)!);
    assert.ok(
      records.every((r) => r.execution === 0n && r.issuance > 0n),
      "it serves nothing, yet holds an issuance share",
    );
    assert.equal(records[0]!.released, records[0]!.issuance, "the first cycle cannot tell it from bad luck");
    const cut = records.findIndex((r) => r.released < r.issuance);
    assert.ok(cut > 0, "the window tells");
    const last = records.at(-1)!;
    assert.deepEqual([last.windowKept, last.released], [0n, 0n], "by the last cycle it is paid nothing");
    assert.match(last.reason, /below the \d+ its weight owes/);
    console.log(
      `# the refusing node (weight ${Number((120n * 10000n) / 14_120n) / 100} %) is first cut in cycle ${cut}: ${records.map((r) => (r.released === r.issuance ? "paid" : r.released === 0n ? "0" : "cut")).join(" ")}`,
    );
  });

  it("a dust task in an empty cycle: under the fee-share rule its executor takes the minimum; under the race-weight rule every node takes its weight's share", () => {
    const market = {
      share: [1n, 4n] as [bigint, bigint],
      honestTasks: 0,
      selfTasks: 1,
      routing: "steered" as const,
      price: 1n,
      issued: 0n,
      cycles: 1,
    };
    const out = runMarket(market);
    const minted = out.raceWeight.totals.reduce((t, c) => t + c.proportional + c.shortfall, 0n);
    assert.equal(minted, cycleMinimum(0, L, minimal.blocksPerDay), "one task unlocks the minimum");
    assert.ok(
      out.feeShare.coalition > minted / 2n,
      "fee share: the coalition that served the dust task takes most of it",
    );
    // Race weight: 80 % of it by weight, the coalition's quarter and the honest nodes' three.
    const issuance = minted - minted / 5n;
    assert.ok(out.raceWeight.coalition <= issuance / 4n + 100n, "race weight: the coalition its quarter");
    assert.ok(out.raceWeight.honest >= (issuance * 3n) / 4n - 100n, "the honest nodes the rest");
  });
});
