// The governance module over the tasks harness (spec/governance.md): each proposal kind through
// deposit, vote and tally, quorum, threshold, veto and the expedited path, deposits refunded or
// sent to the fund, the training share's year-5 lock, and supply conserved throughout.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  activeModel,
  BUILTIN_MODEL,
  COIN,
  DEFAULT_GOV_PARAMS,
  FLOAT_MODEL,
  GovStatus,
  govCountVotes,
  governance,
  govProposals,
  modelEntry,
  modelList,
  models,
  rewards,
  taskParams,
  tasksModule,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import { retireModel } from "../../contracts/models/index.ts";
import {
  setTrainingShare,
  trainingPart,
  trainingShareMilli,
  trainingShareUnlockHeight,
} from "../../contracts/rewards/index.ts";
import { privateKeyToAddress } from "../../src/crypto/index.ts";
import { GOVERNANCE_MODULE_ADDRESS, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import { readStoreIn, storeIn } from "../../src/state/index.ts";
import { fromHex, toHex } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { govHarness } from "../helpers/governanceModule.ts";
import { answeredTask, tasksHarness } from "../helpers/tasksModule.ts";

const [a, b, c, d, dev] = devAddresses as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
const MIN = DEFAULT_GOV_PARAMS.minDeposit;
const head = (deposit = MIN, expedited = 0) => ({ title: "t", expedited, deposit });
const YES = 1;
const NO = 2;
const ABSTAIN = 3;
const VETO = 4;

function proposal(h: ReturnType<typeof govHarness>, id: number) {
  return govProposals.get(h.store(), id)!;
}

describe("governance", () => {
  it("a parameter change passes by race weight and applies in the closing cycle's endCycle; the deposit comes back", () => {
    const h = govHarness();
    const supply = h.totalBalances();
    const before = h.balance(dev);
    h.call(h.at(0, 5), dev, "proposeParam", {
      ...head(),
      module: "tasks",
      param: "maxReputation",
      value: 12n,
    });
    let p = proposal(h, 1);
    assert.equal(p.status, GovStatus.voting, "the full deposit starts the vote at once");
    assert.equal(p.votingEndCycle, 2);
    assert.equal(h.balance(dev), before - MIN);
    assert.equal(h.balance(GOVERNANCE_MODULE_ADDRESS), MIN);
    for (const v of [a, b, c]) h.call(h.at(1, 3), v, "vote", { id: 1, option: YES });
    h.endCycle(1);
    assert.equal(proposal(h, 1).status, GovStatus.voting, "nothing happens before the closing cycle");
    h.endCycle(2);
    p = proposal(h, 1);
    assert.equal(p.status, GovStatus.passed, p.result);
    assert.deepEqual(p.tally, { yes: 300n, no: 0n, abstain: 0n, veto: 0n, total: 400n });
    assert.equal(taskParams(readStoreIn(h.state, tasksModule)).maxReputation, 12);
    assert.equal(h.balance(dev), before, "deposit refunded");
    assert.equal(h.balance(GOVERNANCE_MODULE_ADDRESS), 0n);
    assert.equal(h.totalBalances(), supply);
  });

  it("a model registers after deposits from two accounts complete the minimum", () => {
    const h = govHarness();
    const model = { ...FLOAT_MODEL, id: "float-two" };
    h.call(h.at(0, 1), dev, "proposeModel", { ...head(MIN / 4n), model });
    assert.equal(proposal(h, 1).status, GovStatus.deposit);
    assert.match(h.refusal(h.at(0, 2), a, "vote", { id: 1, option: YES }), /not in its voting period/);
    h.call(h.at(1, 1), a, "deposit", { id: 1, amount: MIN - MIN / 4n });
    const p = proposal(h, 1);
    assert.equal(p.status, GovStatus.voting);
    assert.equal(p.votingEndCycle, 3, "voting runs to the end of the cycle it started in + votingCycles");
    for (const v of [a, b, c, d]) h.call(h.at(2, 1), v, "vote", { id: 1, option: YES });
    h.endCycle(3);
    assert.equal(proposal(h, 1).status, GovStatus.passed);
    assert.deepEqual(modelEntry(readStoreIn(h.state, models), "float-two"), model);
  });

  it("below quorum fails and changes nothing; the deposit comes back", () => {
    const h = govHarness();
    const before = h.balance(dev);
    h.call(h.at(0, 1), dev, "proposeParam", { ...head(), module: "rewards", param: "hpSlots", value: 20n });
    h.call(h.at(0, 2), a, "vote", { id: 1, option: YES });
    h.endCycle(2);
    const p = proposal(h, 1);
    assert.equal(p.status, GovStatus.rejected);
    assert.match(p.result, /quorum not reached: 100 of 400/);
    assert.equal(h.balance(dev), before);
    assert.equal(
      governance.queries
        .governable!.run(
          {
            height: 200,
            preset: h.preset,
            state: h.state,
            store: h.store(),
            storeOf: (m) => readStoreIn(h.state, m),
          },
          {},
        )
        .params.find(
          (x: { module: string; param: string }) => x.module === "rewards" && x.param === "hpSlots",
        ).value,
      10n,
    );
  });

  it("a veto sends the deposits to the training fund; supply is conserved", () => {
    const h = govHarness();
    const supply = h.totalBalances();
    const fund = h.balance(TRAINING_FUND_ADDRESS);
    h.call(h.at(0, 1), dev, "proposeRetire", { ...head(MIN / 2n), id: BUILTIN_MODEL.id });
    h.call(h.at(0, 2), a, "deposit", { id: 1, amount: MIN / 2n });
    h.call(h.at(1, 0), a, "vote", { id: 1, option: VETO });
    h.call(h.at(1, 0), d, "vote", { id: 1, option: VETO });
    h.call(h.at(1, 0), b, "vote", { id: 1, option: YES });
    h.call(h.at(1, 0), c, "vote", { id: 1, option: NO });
    h.endCycle(2);
    const p = proposal(h, 1);
    assert.equal(p.status, GovStatus.vetoed, p.result);
    assert.equal(h.balance(TRAINING_FUND_ADDRESS), fund + MIN);
    assert.ok(modelEntry(readStoreIn(h.state, models), BUILTIN_MODEL.id), "not retired");
    assert.equal(h.totalBalances(), supply);
  });

  it("a proposal whose deposit is not completed expires and is refunded", () => {
    const h = govHarness();
    const before = h.balance(dev);
    h.call(h.at(0, 1), dev, "proposeRetire", { ...head(MIN / 4n), id: BUILTIN_MODEL.id });
    h.endCycle(1);
    assert.equal(proposal(h, 1).status, GovStatus.deposit);
    h.endCycle(2);
    assert.equal(proposal(h, 1).status, GovStatus.expired);
    assert.equal(h.balance(dev), before);
    assert.match(h.refusal(h.at(3, 0), a, "deposit", { id: 1, amount: MIN }), /not in its deposit period/);
  });

  it("retiring a model stops it from the next cycle: this cycle's tasks still settle, the entry goes after 16 cycles", () => {
    const h = govHarness({ cycles: 24 });
    h.call(h.at(0, 1), dev, "proposeRetire", { ...head(), id: FLOAT_MODEL.id });
    for (const v of [a, b]) h.call(h.at(0, 2), v, "vote", { id: 1, option: YES });
    h.call(h.at(0, 2), c, "vote", { id: 1, option: NO });
    assert.match(h.refusal(h.at(0, 3), a, "proposeRetire", { ...head(), id: "no-such" }), /not registered/);
    h.endCycle(2);
    assert.equal(proposal(h, 1).status, GovStatus.passed, proposal(h, 1).result);
    const registry = () => readStoreIn(h.state, models);
    assert.ok(!modelList(registry()).some((m) => m.id === FLOAT_MODEL.id), "nodes stop serving it");
    assert.ok(activeModel(registry(), FLOAT_MODEL.id, 2), "receipts of cycle 2 still settle");
    assert.equal(activeModel(registry(), FLOAT_MODEL.id, 3), undefined, "none from cycle 3");
    assert.ok(modelEntry(registry(), FLOAT_MODEL.id), "the entry stays for the records");
    assert.match(
      h.refusal(h.at(3, 1), dev, "proposeRetire", { ...head(), id: FLOAT_MODEL.id }),
      /already retired/,
    );
    assert.match(
      h.refusal(h.at(3, 1), dev, "proposeModel", { ...head(), model: FLOAT_MODEL }),
      /retired .* under a new id/,
    );
    const endModels = (cycle: number) =>
      models.endCycle!(h.ctx(h.at(cycle, h.preset.cycleLength - 1), models));
    endModels(17);
    assert.ok(modelEntry(registry(), FLOAT_MODEL.id), "kept through cycle 18");
    endModels(18);
    assert.equal(modelEntry(registry(), FLOAT_MODEL.id), undefined, "gone once its records are");
  });

  it("a receipt for a retired model settles only for a cycle before the retirement", () => {
    for (const [from, refused] of [
      [1, false],
      [0, true],
    ] as const) {
      const h = tasksHarness();
      const output = h.beaconOutput(5, new Uint8Array(32).fill(7));
      const apiKey = new Uint8Array(32).fill(9);
      const payer = devAddresses[7]!;
      h.call(6, payer, "deposit", { amount: 10n ** 15n });
      h.call(6, payer, "authorizeKey", { key: privateKeyToAddress(apiKey), limit: 10n ** 14n });
      const t = answeredTask({
        apiKey,
        beaconOutput: output,
        round: 1,
        cycle: 0,
        serial: 1n,
        intermediary: a,
        state: h.state,
      });
      retireModel(storeIn(h.state, models), BUILTIN_MODEL.id, from);
      const reason = h.refusal(8, t.executor, "settle", { receipts: [t.receipt] });
      if (refused) assert.match(reason, /not registered for cycle 0/);
      else assert.equal(reason, "");
    }
  });

  it("a grant moves the amount from the training fund to its recipient; one the fund cannot pay fails at execution", () => {
    const h = govHarness();
    h.fundTraining(500n * COIN);
    const supply = h.totalBalances();
    const recipient = fromHex("0x00000000000000000000000000000000000000aa");
    const grant = (amount: bigint, purpose: string) => ({ ...head(), recipient, amount, purpose });
    h.call(h.at(0, 1), dev, "proposeGrant", grant(300n * COIN, "job 1"));
    h.call(h.at(0, 1), a, "proposeGrant", grant(300n * COIN, "job 2"));
    for (const id of [1, 2]) for (const v of [a, b, c]) h.call(h.at(1, 0), v, "vote", { id, option: YES });
    h.endCycle(2);
    assert.equal(proposal(h, 1).status, GovStatus.passed);
    const second = proposal(h, 2);
    assert.equal(second.status, GovStatus.failed);
    assert.match(second.result, /passed, not applied: the training fund holds 200000000000000000000 wei/);
    assert.equal(h.balance(recipient), 300n * COIN);
    assert.equal(h.balance(TRAINING_FUND_ADDRESS), 200n * COIN);
    assert.equal(h.balance(GOVERNANCE_MODULE_ADDRESS), 0n, "both deposits refunded");
    assert.equal(h.totalBalances(), supply);
  });

  it("the training share changes only from year 5, within its bounds, and settlements use it", () => {
    const h = govHarness();
    const rewardsStore = () => readStoreIn(h.state, rewards);
    const unlock = trainingShareUnlockHeight(h.preset.blocksPerDay);
    assert.match(
      h.refusal(h.at(0, 1), dev, "proposeTrainingShare", { ...head(), milli: 300 }),
      /may change from height \d+ \(year 5\)/,
    );
    const cycle = Math.ceil(unlock / h.preset.cycleLength);
    const h5 = govHarness({ cycles: cycle + 4 });
    assert.match(
      h5.refusal(h5.at(cycle), dev, "proposeTrainingShare", { ...head(), milli: 501 }),
      /0 to 500/,
    );
    assert.match(
      h5.refusal(h5.at(cycle), dev, "proposeTrainingShare", { ...head(), milli: 200 }),
      /already 200/,
    );
    h5.call(h5.at(cycle), dev, "proposeTrainingShare", { ...head(), milli: 300 });
    for (const v of [a, b, c]) h5.call(h5.at(cycle, 1), v, "vote", { id: 1, option: YES });
    h5.endCycle(cycle + 2);
    const s = readStoreIn(h5.state, rewards);
    assert.equal(trainingShareMilli(s), 300);
    assert.equal(trainingPart(s, 1000n, cycle + 3), 300n, "revenue earned after the change");
    assert.equal(
      trainingPart(s, 1000n, cycle + 2),
      200n,
      "revenue of the closing cycle and before keeps 20 %",
    );
    assert.equal(trainingPart(rewardsStore(), 1000n, cycle + 3), 200n, "the other chain keeps 20 %");
  });

  it("expedited: a short vote with a higher threshold; one that misses it continues as a regular proposal", () => {
    const h = govHarness();
    const fast = DEFAULT_GOV_PARAMS.expeditedMinDeposit;
    assert.match(
      h.refusal(h.at(0, 1), dev, "proposeParam", {
        ...head(MIN, 1),
        module: "tasks",
        param: "reportCommittee",
        value: 5n,
      }),
      /at least 1250000000000000000000 wei/,
    );
    h.call(h.at(0, 1), dev, "proposeParam", {
      ...head(fast, 1),
      module: "tasks",
      param: "reportCommittee",
      value: 5n,
    });
    h.call(h.at(0, 1), dev, "proposeParam", {
      ...head(fast, 1),
      module: "tasks",
      param: "honeypotMilli",
      value: 80n,
    });
    assert.equal(proposal(h, 1).votingEndCycle, 1);
    for (const v of [a, b, c]) h.call(h.at(0, 2), v, "vote", { id: 1, option: YES });
    h.call(h.at(0, 2), d, "vote", { id: 1, option: NO });
    for (const v of [a, b]) h.call(h.at(0, 2), v, "vote", { id: 2, option: YES });
    h.call(h.at(0, 2), c, "vote", { id: 2, option: NO });
    h.call(h.at(0, 2), d, "vote", { id: 2, option: ABSTAIN });
    h.endCycle(1);
    assert.equal(proposal(h, 1).status, GovStatus.passed, "750‰ > 667‰");
    assert.equal(taskParams(readStoreIn(h.state, tasksModule)).reportCommittee, 5);
    const p2 = proposal(h, 2);
    assert.equal(p2.status, GovStatus.voting, "667‰ is not above 667‰: continues");
    assert.equal(p2.expedited, 0);
    assert.equal(p2.votingEndCycle, 2);
    h.endCycle(2);
    assert.equal(proposal(h, 2).status, GovStatus.passed, "the regular threshold, 500‰");
    assert.equal(taskParams(readStoreIn(h.state, tasksModule)).honeypotMilli, 80);
  });

  it("governance changes its own parameters; votes carry the closing cycle's weight", () => {
    const h = govHarness({ weights: [100n, 100n, 100n, 700n] });
    h.call(h.at(0, 1), dev, "proposeParam", { ...head(), module: "gov", param: "votingCycles", value: 4n });
    for (const v of [a, b, c]) h.call(h.at(0, 2), v, "vote", { id: 1, option: YES });
    h.call(h.at(0, 2), d, "vote", { id: 1, option: NO });
    h.endCycle(2);
    assert.equal(proposal(h, 1).status, GovStatus.rejected, "300 yes against 700 no");
    h.call(h.at(3, 1), dev, "proposeParam", { ...head(), module: "gov", param: "votingCycles", value: 4n });
    h.call(h.at(3, 2), d, "vote", { id: 2, option: YES });
    h.endCycle(5);
    assert.equal(proposal(h, 2).status, GovStatus.passed);
    h.call(h.at(6, 1), dev, "proposeParam", { ...head(), module: "gov", param: "votingCycles", value: 2n });
    assert.equal(proposal(h, 3).votingEndCycle, 10, "the new period applies to proposals after it");
  });

  it("votes count with the closing cycle's weight: a voter without weight then counts 0, whichever way the tally walks", () => {
    const h = govHarness();
    const sets = storeIn(h.state, validators);
    const member = (i: number, weight: bigint) => ({
      address: devAddresses[i]!,
      weight,
      blsKey: new Uint8Array(48),
    });
    // Six accounts weigh in cycle 0, when they vote; only three in cycle 2, when the vote closes.
    validatorSets.set(
      sets,
      0,
      [0, 1, 2, 3, 4, 5].map((i) => member(i, 100n)),
    );
    for (const cycle of [1, 2])
      validatorSets.set(sets, cycle, [member(0, 100n), member(4, 100n), member(5, 300n)]);
    h.call(h.at(0, 1), dev, "proposeRetire", { ...head(), id: FLOAT_MODEL.id });
    for (const i of [1, 2, 3]) h.call(h.at(0, 2), devAddresses[i]!, "vote", { id: 1, option: YES });
    for (const i of [0, 4, 5]) h.call(h.at(0, 2), devAddresses[i]!, "vote", { id: 1, option: NO });
    const p = proposal(h, 1);
    const closing = new Map([0, 4, 5].map((i) => [toHex(devAddresses[i]!), i === 5 ? 300n : 100n]));
    const want = { yes: 0n, no: 500n, abstain: 0n, veto: 0n, total: 500n };
    assert.deepEqual(
      govCountVotes({ store: h.store() }, p, closing),
      want,
      "walks the weights (6 voters > 3 weighted)",
    );
    assert.deepEqual(
      govCountVotes({ store: h.store() }, { ...p, voters: 0 }, closing),
      want,
      "walks the votes",
    );
    h.endCycle(2);
    assert.equal(proposal(h, 1).status, GovStatus.rejected);
    assert.deepEqual(proposal(h, 1).tally, want);
  });

  it("at most 8 proposals close in one cycle: the ninth's period ends with the next cycle", () => {
    const h = govHarness();
    for (let i = 0; i < 10; i++)
      h.call(h.at(0, 1), dev, "proposeParam", {
        ...head(),
        module: "tasks",
        param: "reportFee",
        value: BigInt(i + 1),
      });
    const ends = Array.from({ length: 10 }, (_, i) => proposal(h, i + 1).votingEndCycle);
    assert.deepEqual(ends, [2, 2, 2, 2, 2, 2, 2, 2, 3, 3]);
    h.endCycle(2);
    assert.equal(proposal(h, 8).status, GovStatus.rejected);
    assert.equal(proposal(h, 9).status, GovStatus.voting);
    h.endCycle(3);
    assert.equal(proposal(h, 10).status, GovStatus.rejected);
  });

  it("the training share by cycle: each change applies from its cycle on, history behind the newest is dropped", () => {
    const h = govHarness();
    const s = storeIn(h.state, rewards);
    setTrainingShare(s, 300, 10);
    setTrainingShare(s, 250, 12);
    assert.deepEqual(
      [9, 10, 11, 12, 99].map((c) => trainingShareMilli(s, c)),
      [200, 300, 300, 250, 250],
    );
    setTrainingShare(s, 100, 30);
    assert.deepEqual(
      [9, 11, 12, 29, 30].map((c) => trainingShareMilli(s, c)),
      [200, 200, 250, 250, 100],
      "10 dropped, 12 kept",
    );
  });
});
