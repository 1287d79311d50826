// What race forfeits do to a cycle's rewards (rewards.md §Release): an unrevealed commitment
// forfeits the cycle like fraud (no free retry for an inflated count), and a race-fraud bounty is
// at most what the fraud itself took, so a node forfeit for another reason gains nothing by
// having a friend convict it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  accountRewards,
  DEFAULT_TASK_PARAMS,
  race,
  raceForfeitStore,
  raceFrauds,
  raceSettled,
  rewards,
  TaskStatus,
  taskParamsItem,
  tasks,
  tasksModule,
  verifierRecords,
} from "../../contracts/index.ts";
import { minimal } from "../../src/params/index.ts";
import { readStoreIn, storeIn } from "../../src/state/index.ts";
import { type Address, toHex } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { fundedMarket } from "../helpers/tasksModule.ts";

const L = minimal.cycleLength;
const _dev = devAddresses[7]!;

/** A settled cycle 0 with 60 tasks; `lazy` posts no verdicts; `race` records race forfeits first. */
function cycle(opts: { lazy?: Address; forfeit?: [Address, string, Address?][] }) {
  const { h, task } = fundedMarket({ fill: 8 });
  const all = Array.from({ length: 60 }, (_, i) => task(BigInt(i + 1)));
  const by = new Map<string, typeof all>();
  for (const t of all) by.set(toHex(t.executor), [...(by.get(toHex(t.executor)) ?? []), t]);
  for (const g of by.values())
    assert.equal(h.refusal(8, g[0]!.executor, "settle", { receipts: g.map((t) => t.receipt) }), "");
  h.beaconOutput(15, new Uint8Array(32).fill(9));
  h.endBlocks(8, 15);
  for (const t of all) {
    const r = tasks.get(h.store(), t.taskId)!;
    if (r.status === TaskStatus.checking && toHex(r.verifier) !== toHex(opts.lazy ?? new Uint8Array(20)))
      assert.equal(h.refusal(16, r.verifier, "verdict", { taskId: t.taskId }), "");
  }
  const rs = storeIn(h.state, race);
  for (const [miner, reason, by] of opts.forfeit ?? []) {
    raceForfeitStore.set(rs, [0, miner], reason);
    if (by) raceFrauds.set(rs, [0, miner], { reason, by, height: 50 });
  }
  raceSettled.set(rs, 0, 1);
  const balances = new Map(devAddresses.map((a) => [toHex(a), h.state.getAccount(a).balance]));
  h.endBlocks(16, 3 * L - 1);
  const gained = (a: Address) => h.state.getAccount(a).balance - balances.get(toHex(a))!;
  const acct = (a: Address) => accountRewards.get(readStoreIn(h.state, rewards), [0, a])!;
  return { gained, acct };
}

describe("race forfeits and rewards", () => {
  it("a commitment left unrevealed forfeits the cycle's rewards, as fraud does", () => {
    const miner = devAddresses[2]!;
    const base = cycle({});
    assert.ok(base.acct(miner).released > 0n, "released without the forfeit");
    const { acct } = cycle({ forfeit: [[miner, "no verified reveal"]] });
    assert.equal(acct(miner).released, 0n);
    assert.match(acct(miner).reason, /race no verified reveal/);
  });

  it("a friend's conviction of a node forfeit anyway (it skipped every check) yields no bounty", () => {
    const lazy = devAddresses[1]!;
    const friend = devAddresses[9]!;
    const withConviction = cycle({
      lazy,
      forfeit: [[lazy, "fraud: committed tree is not sorted on the path to index 0", friend]],
    });
    const without = cycle({ lazy });
    assert.ok(without.acct(lazy).released < without.acct(lazy).verification + without.acct(lazy).execution);
    // What the friend gets is at most what the fraud itself took from the lazy node.
    const took = without.acct(lazy).released;
    assert.ok(withConviction.gained(friend) <= took, `bounty ${withConviction.gained(friend)} ≤ ${took}`);
    assert.ok(
      withConviction.gained(friend) + withConviction.gained(lazy) <= without.gained(lazy),
      "the pair gains nothing",
    );
  });

  it("an honest prover of a real cheater is paid min(what the fraud took, the bond)", () => {
    const cheater = devAddresses[3]!;
    const prover = devAddresses[9]!;
    const without = cycle({});
    const withFraud = cycle({
      forfeit: [[cheater, "fraud: committed nonce 7 at index 0 is not a proof", prover]],
    });
    const took = without.acct(cheater).released;
    const want = took < minimal.raceFraudBond ? took : minimal.raceFraudBond;
    assert.equal(withFraud.gained(prover), want);
  });

  it("task fraud: its prover is paid from the forfeit; a verifier that passed it is overruled and its check not counted", () => {
    const { h, task } = fundedMarket({ fill: 5 });
    // No honeypots here (honeypots.test.ts): the passed fraud is the only unperformed check.
    taskParamsItem.set(storeIn(h.state, tasksModule), { ...DEFAULT_TASK_PARAMS, honeypotMilli: 0 });
    const honest = Array.from({ length: 30 }, (_, i) => task(BigInt(i + 1)));
    const cheat = task(999n, { wrongToken: true });
    const by = new Map<string, typeof honest>();
    for (const t of [...honest, cheat]) by.set(toHex(t.executor), [...(by.get(toHex(t.executor)) ?? []), t]);
    for (const g of by.values())
      assert.equal(h.refusal(8, g[0]!.executor, "settle", { receipts: g.map((t) => t.receipt) }), "");
    h.beaconOutput(15, new Uint8Array(32).fill(6));
    h.endBlocks(8, 15);
    // Every drawn verifier says "verified", the cheat's included (a rubber stamp).
    for (const t of [...honest, cheat]) {
      const r = tasks.get(h.store(), t.taskId)!;
      if (r.status === TaskStatus.checking)
        assert.equal(h.refusal(16, r.verifier, "verdict", { taskId: t.taskId }), "");
    }
    const stamp = tasks.get(h.store(), cheat.taskId)!;
    assert.equal(stamp.status, TaskStatus.verified);
    const prover = devAddresses[9]!;
    const before = h.state.getAccount(prover).balance;
    assert.equal(h.refusal(17, prover, "fraud", { taskId: cheat.taskId, payload: cheat.payload }), "");
    assert.equal(
      verifierRecords.get(h.store(), [0, stamp.verifier])!.overruled,
      1,
      "the rubber stamp is overruled",
    );
    h.endBlocks(17, 3 * L - 1);
    const acct = (a: Address) => accountRewards.get(readStoreIn(h.state, rewards), [0, a])!;
    const v = acct(stamp.verifier);
    assert.equal(v.checksDone, v.checksDrawn - 1, "the passed fraud is not a performed check");
    const e = acct(cheat.executor);
    assert.equal(e.released, 0n);
    const fee = tasks.get(h.store(), cheat.taskId)!.fee;
    const bounty = h.state.getAccount(prover).balance - before;
    assert.ok(
      bounty > 0n && bounty <= fee,
      `the prover's bounty ${bounty} is capped at the task's fee ${fee}`,
    );
  });
});
