// Only executors that serve the model are drawn (spec/tasks.md §Serving): a declaration applies
// from the next cycle, the chain's routing check, the check draws and the rewards' expectations
// all run over the model's servers, and a node that serves less still owes its weight's share.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BUILTIN_MODEL,
  DECLARATION_CYCLES,
  declaredModels,
  FLOAT_MODEL,
  rewards,
  routedExecutor,
  servingDeclarations,
  TaskStatus,
  taskCandidates,
  taskCandidatesFor,
  tasks,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import { expectServed } from "../../contracts/rewards/standing.ts";
import { minimal } from "../../src/params/index.ts";
import { readStoreIn, storeIn } from "../../src/state/index.ts";
import { equalBytes, toHex } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { fundedMarket } from "../helpers/tasksModule.ts";

const L = minimal.cycleLength;
const reader = (h: ReturnType<typeof fundedMarket>["h"]) => ({
  storeOf: (m: { address: Uint8Array }) => readStoreIn(h.state, m as never),
});

describe("serving declarations", () => {
  it("a declaration applies from the next cycle; bad ones are refused and change nothing", () => {
    const { h } = fundedMarket();
    const me = devAddresses[2]!;
    assert.match(h.refusal(7, me, "serve", { models: ["no-such-model"] }), /not registered/);
    assert.match(h.refusal(7, me, "serve", { models: [BUILTIN_MODEL.id, BUILTIN_MODEL.id] }), /named twice/);
    assert.equal(declaredModels(h.store(), me, 1), undefined, "refusals wrote nothing");
    assert.equal(h.refusal(7, me, "serve", { models: [BUILTIN_MODEL.id] }), "");
    assert.equal(declaredModels(h.store(), me, 0), undefined, "not in the cycle it was sent");
    assert.deepEqual(declaredModels(h.store(), me, 1), [BUILTIN_MODEL.id]);
    assert.deepEqual(declaredModels(h.store(), me, 9), [BUILTIN_MODEL.id], "until the next declaration");
    // Candidates of cycle 1 for the float model leave it out; for the exact model they keep it.
    const has = (model: string) =>
      taskCandidatesFor(reader(h), 1, model).some((c) => equalBytes(c.address, me));
    assert.equal(has(FLOAT_MODEL.id), false);
    assert.equal(has(BUILTIN_MODEL.id), true);
    assert.equal(taskCandidatesFor(reader(h), 0, FLOAT_MODEL.id).length, taskCandidates(reader(h), 0).length);
  });

  it("declarations older than DECLARATION_CYCLES are removed, the one still in force kept", () => {
    const { h } = fundedMarket();
    const me = devAddresses[3]!;
    // The genesis set carries forward: every cycle's set holds `me`.
    const vs = storeIn(h.state, validators);
    for (let c = 1; c <= 2 * DECLARATION_CYCLES + 1; c++) validatorSets.set(vs, c, validatorSets.get(vs, 0)!);
    for (let c = 0; c < 2 * DECLARATION_CYCLES; c++)
      assert.equal(h.refusal(c * L + 1, me, "serve", { models: c % 2 ? [BUILTIN_MODEL.id] : [] }), "");
    const kept = servingDeclarations.keys(h.store(), me);
    assert.ok(kept.length <= DECLARATION_CYCLES + 2, `${kept.length} kept`);
    const last = 2 * DECLARATION_CYCLES - 1;
    assert.deepEqual(declaredModels(h.store(), me, last + 1), [BUILTIN_MODEL.id]);
    assert.deepEqual(declaredModels(h.store(), me, last), []);
  });

  it("only an account with race weight declares: the declarations every draw reads stay bounded by the weighted", () => {
    const { h } = fundedMarket();
    assert.match(
      h.refusal(7, devAddresses[9]!, "serve", { models: [] }),
      /only an account with race weight this cycle or the next declares/,
    );
    assert.equal(servingDeclarations.keys(h.store(), devAddresses[9]!).length, 0, "nothing stored");
    assert.equal(h.refusal(7, devAddresses[2]!, "serve", { models: [] }), "", "a member of the set does");
  });

  it("a node that serves nothing is never drawn: settlement refuses a receipt that names it", () => {
    const { h, task, resign } = fundedMarket({ fill: 3 });
    const out = devAddresses[1]!;
    assert.equal(h.refusal(7, out, "serve", { models: [] }), "");
    const output = h.beaconOutput(L + 1, new Uint8Array(32).fill(0x3c));
    const all = taskCandidates(reader(h), 1);
    let wouldHave = 0;
    for (let i = 0; i < 40; i++) {
      const t = task(BigInt(500 + i), { cycle: 1, round: 2, beaconOutput: output });
      assert.ok(!equalBytes(t.executor, out), "the model's draw never names it");
      // Over every candidate (the rule before declarations) some of these went to it.
      const old = routedExecutor(output, t.taskId, all, devAddresses[0]!, 0)!;
      if (equalBytes(old, out)) {
        wouldHave++;
        const forged = resign(t.receipt, { executor: out });
        assert.match(h.refusal(L + 2, out, "settle", { receipts: [forged] }), /draw 0 of this task goes to/);
      }
      assert.equal(h.refusal(L + 2, t.executor, "settle", { receipts: [t.receipt] }), "");
    }
    assert.ok(wouldHave > 0, "some tasks would have gone to it before");
    // Its checks are never drawn to it either.
    h.beaconOutput(L + 5, new Uint8Array(32).fill(0x4d));
    h.endBlocks(L + 2, L + 6);
    let checked = 0;
    for (const id of tasks.keys(h.store())) {
      const r = tasks.get(h.store(), id)!;
      if (r.status !== TaskStatus.checking) continue;
      checked++;
      assert.ok(!equalBytes(r.verifier, out));
    }
    assert.ok(checked > 0);
  });

  it("the rewards' expectation: a node that serves nothing still owes its weight's share, but may keep none", () => {
    const { h, task } = fundedMarket({ fill: 3 });
    const out = devAddresses[1]!;
    assert.equal(h.refusal(7, out, "serve", { models: [] }), "");
    const output = h.beaconOutput(L + 1, new Uint8Array(32).fill(0x3c));
    const records = [];
    for (let i = 0; i < 20; i++) {
      const t = task(BigInt(900 + i), { cycle: 1, round: 2, beaconOutput: output });
      assert.equal(h.refusal(L + 2, t.executor, "settle", { receipts: [t.receipt] }), "");
      records.push({ id: t.taskId, record: tasks.get(h.store(), t.taskId)!, share: 1000n });
    }
    const weights = new Map(taskCandidates(reader(h), 1).map((c) => [toHex(c.address), c.weight]));
    const e = expectServed(h.ctx(2 * L - 1, rewards), 1, records, weights);
    const mine = e.get(toHex(out))!;
    assert.ok(mine.owed > 0n, "owes its share of the work");
    assert.equal(mine.drawn, 0n, "could be drawn for none");
    // The others' expectations of what they may keep add up to what was served.
    const drawn = [...e.values()].reduce((t, x) => t + x.drawn, 0n);
    assert.ok(drawn <= BigInt(records.length) * 1000n && drawn > BigInt(records.length) * 990n);
  });
});

describe("what no one can check is not paid, and escrow asked back is not spent twice", () => {
  it("a tolerance-class task served only by its executor and intermediary is refused at settlement", () => {
    const { h, task } = fundedMarket({ fill: 3 });
    for (const a of [devAddresses[2]!, devAddresses[3]!])
      assert.equal(h.refusal(7, a, "serve", { models: [BUILTIN_MODEL.id] }), "");
    const output = h.beaconOutput(L + 1, new Uint8Array(32).fill(0x5e));
    const t = task(77n, { cycle: 1, round: 2, beaconOutput: output, model: FLOAT_MODEL.id });
    assert.ok(equalBytes(t.executor, devAddresses[1]!), "the only float server but the intermediary");
    assert.match(
      h.refusal(L + 2, t.executor, "settle", { receipts: [t.receipt] }),
      /no server of model racecoin-float-tiny but its executor and intermediary is left to check it/,
    );
    // An exact-model task can always be proven on chain: it settles with the same two servers.
    const e = task(78n, { cycle: 1, round: 2, beaconOutput: output });
    assert.equal(h.refusal(L + 2, e.executor, "settle", { receipts: [e.receipt] }), "");
  });

  it("receipts of the cycle a withdrawal was asked in spend the escrow asked back; receipts of later cycles only what is left", () => {
    const { h, task } = fundedMarket({ fill: 3, amount: 10n ** 15n });
    const dev = devAddresses[7]!;
    const t = task(91n);
    const later = task(92n, { cycle: 1 });
    assert.equal(h.refusal(7, dev, "withdraw", { amount: 10n ** 15n - 1000n }), "");
    // Answered in the request's cycle: it settles before the unlock (cycle 3), from the escrow asked back.
    assert.equal(h.refusal(8, t.executor, "settle", { receipts: [t.receipt] }), "");
    assert.match(
      h.refusal(L + 1, later.executor, "settle", { receipts: [later.receipt] }),
      /exceeds the developer's escrow \d+ less the 999999999999000 asked back/,
    );
  });
});
