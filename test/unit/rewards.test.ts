// Rewards (spec/rewards.md): genesis supply, a cycle's settlement traced task by task — fees and
// proportional issuance split 20 % to the training fund and the rest by task (verified: half to
// the verifier), the minimum-issuance shortfall, release factors for a cheater, a node that did
// half its share and a lazy verifier — and conservation under random sequences of tasks, checks,
// frauds and cycle ends: the sum of all balances grows by exactly what was minted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  accountRewards,
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
import { Chain, devnetGenesisJson, parseGenesis } from "../../src/chain/index.ts";
import { privateKeyToAddress, randomPrivateKey } from "../../src/crypto/index.ts";
import { HP_POOL_ADDRESS, minimal, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import { readStoreIn, StateOverlay, storeIn } from "../../src/state/index.ts";
import { type Address, equalBytes, toHex } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { answeredTask, tasksHarness } from "../helpers/tasksModule.ts";

const L = minimal.cycleLength;
const dev = devAddresses[7]!;

function market(seed = 1) {
  const h = tasksHarness();
  const apiKey = randomPrivateKey();
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
    assert.equal(totals.proportional, fees * 9n, "batch 1: a fee X mints 9X");
    // Every wei: released + training (20 % + dust) + forfeits = fees + minted.
    const minted = totals.proportional + totals.shortfall;
    assert.equal(totals.released + totals.training + totals.forfeited + totals.bounties, fees + minted);
    assert.equal(
      h.state.getAccount(TRAINING_FUND_ADDRESS).balance - training0,
      totals.training + totals.forfeited,
    );
    assert.equal(h.totalBalances() - before, minted, "supply grew by exactly what was minted");
    assert.equal(rewardsSupply.get(rewardsStore())!.issued, minted);
    // Per account: the task shares by the rule.
    const expect = new Map<string, bigint>();
    const add = (a: Address, v: bigint) => expect.set(toHex(a), (expect.get(toHex(a)) ?? 0n) + v);
    const revenue = fees + totals.proportional;
    for (const r of records) {
      const share = ((revenue - revenue / 5n) * r.fee) / fees;
      const toVerifier = r.status === TaskStatus.verified ? share / 2n : 0n;
      add(r.executor, share - toVerifier);
      if (toVerifier > 0n) add(r.verifier, toVerifier);
    }
    for (const [k, v] of expect) {
      const a = accountRewards.get(rewardsStore(), [0, Buffer.from(k.slice(2), "hex")])!;
      assert.equal(a.execution + a.verification, v, `${k}: earned by the rule`);
    }
    const acct = (i: number) => accountRewards.get(rewardsStore(), [0, devAddresses[i]!])!;
    const cheater = devAddresses.findIndex((a) => same(a, cheat.executor));
    assert.equal(acct(cheater).released, 0n, "the cheater forfeits the whole cycle");
    assert.match(acct(cheater).reason, /task fraud/);
    // Everyone else: earned × min(1, 2·done/fair) × performed/drawn checks (spec/rewards.md §Release).
    for (const i of [1, 2, 3].filter((i) => i !== cheater)) {
      const a = acct(i);
      let want = a.execution + a.verification + a.minimum;
      const owed = a.fairMilli - 2 * Math.floor(Math.sqrt(a.fairMilli * 1000));
      if (owed > 0 && 1000 * a.tasksDone < owed) want = (want * BigInt(1000 * a.tasksDone)) / BigInt(owed);
      if (a.checksDrawn > 0) want = (want * BigInt(a.checksDone)) / BigInt(a.checksDrawn);
      assert.equal(a.released, want, `node ${i}: ${a.reason || "full release"}`);
    }
    assert.ok(acct(3).tasksDone * 1000 < acct(3).fairMilli, "node 3 did less than its fair share");
    if (cheater !== 3) assert.match(acct(3).reason, /did \d+ of a fair share/, "and forfeits in proportion");
    if (cheater !== 2) {
      // Node 2 posts no verdicts (it may still have proven the wrong answer when drawn to check it).
      assert.match(
        acct(2).reason,
        /performed [01] of \d+ checks/,
        "the lazy verifier forfeits its unperformed share",
      );
      assert.ok(acct(2).released < acct(2).execution + acct(2).verification + acct(2).minimum);
    }
    console.log(
      `# cycle 0: fees ${totals.fees}, minted ${minted}, training ${totals.training}, released ${totals.released}, forfeited ${totals.forfeited}; node 3 did ${acct(3).tasksDone} of ${(acct(3).fairMilli / 1000).toFixed(1)}: released ${acct(3).released} of ${acct(3).execution + acct(3).verification + acct(3).minimum}`,
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
    const earned = a.execution + a.verification + a.minimum;
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
});
