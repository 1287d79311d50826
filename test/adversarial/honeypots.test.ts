// Protocol honeypots (spec/tasks.md §Honeypots): a check with a known wrong answer, drawn like any
// other. A verifier that rubber-stamps it loses its verification share of the cycle; one that
// re-runs it proves the fault and counts a check performed; nothing about it pays or convicts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  accountRewards,
  cycleRewards,
  DEFAULT_TASK_PARAMS,
  HONEST_PREFIX,
  HONEYPOT_MAX,
  honeypotPayload,
  honeypots,
  publishedPayloads,
  rewards,
  TaskStatus,
  taskFrauds,
  taskParamsItem,
  tasks,
  tasksModule,
} from "../../contracts/index.ts";
import { u32Key } from "../../contracts/store.ts";
import { ExactModel, payloadFault, payloadHash } from "../../src/inference/index.ts";
import { minimal, TASKS_MODULE_ADDRESS } from "../../src/params/index.ts";
import { readStoreIn, storeIn } from "../../src/state/index.ts";
import { type Address, equalBytes, toHex } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { fundedMarket } from "../helpers/tasksModule.ts";

const L = minimal.cycleLength;
const model = new ExactModel();

/**
 * A market whose every drawn check brings a honeypot; `n` honest tasks settled and drawn, and a
 * honeypot whose verifier also holds real checks (dev 0, the intermediary of every task, never
 * does: markets are drawn afresh until it is someone else).
 */
function baited(n = 24) {
  for (let i = 0; i < 20; i++) {
    const m = baitedOnce(n);
    const real = m.honest.filter((t) =>
      equalBytes(tasks.get(m.h.store(), t.taskId)!.verifier, m.bait.verifier),
    );
    if (real.length > 0) return { ...m, real };
  }
  throw new Error("no honeypot reached a verifier with real checks in 20 markets");
}

function baitedOnce(n: number) {
  const m = fundedMarket({ fill: 5 });
  const { h, task } = m;
  taskParamsItem.set(storeIn(h.state, tasksModule), { ...DEFAULT_TASK_PARAMS, honeypotMilli: 1000 });
  const honest = Array.from({ length: n }, (_, i) => task(BigInt(i + 1)));
  const by = new Map<string, typeof honest>();
  for (const t of honest) by.set(toHex(t.executor), [...(by.get(toHex(t.executor)) ?? []), t]);
  for (const g of by.values())
    assert.equal(h.refusal(8, g[0]!.executor, "settle", { receipts: g.map((t) => t.receipt) }), "");
  h.beaconOutput(15, new Uint8Array(32).fill(6));
  h.endBlocks(8, 15);
  const ids = honeypots.keys(h.store(), u32Key.encode(0)).map(([, id]) => id);
  assert.equal(ids.length, HONEYPOT_MAX, "honeypots a block at most");
  const id = ids[0]!;
  const bait = tasks.get(h.store(), id)!;
  return { ...m, honest, id, bait };
}

const acct = (h: ReturnType<typeof fundedMarket>["h"], a: Address) =>
  accountRewards.get(readStoreIn(h.state, rewards), [0, a])!;

describe("protocol honeypots", () => {
  it("a honeypot's answer is wrong by construction: the fault is at a token below HONEST_PREFIX, after the model's own", () => {
    for (let i = 0; i < 64; i++) {
      const seed = new Uint8Array(32);
      seed[0] = i;
      seed[1] = i >> 8;
      const p = honeypotPayload(model, seed);
      assert.deepEqual(p, honeypotPayload(model, seed), "deterministic");
      const fault = payloadFault(model, p);
      const at = /^token (\d+) is not the model's choice$/.exec(fault);
      assert.ok(at, `seed ${i}: ${fault || "no fault"}`);
      assert.ok(Number(at[1]) < HONEST_PREFIX);
      assert.equal(p.tokens.length, p.maxTokens);
      assert.ok(p.tokens.every((t) => t !== 0));
    }
  });

  it("is drawn to a verifier like any check, with its payload on chain, and never counts as a settled task", () => {
    const { h, id, bait, honest, real } = baited();
    assert.equal(bait.status, TaskStatus.checking);
    assert.ok(equalBytes(bait.executor, TASKS_MODULE_ADDRESS));
    assert.equal(bait.fee, 0n);
    const payload = publishedPayloads.get(h.store(), id)!;
    assert.ok(equalBytes(payloadHash(payload), bait.payloadHash));
    for (const t of real) assert.equal(h.refusal(16, bait.verifier, "verdict", { taskId: t.taskId }), "");
    h.endBlocks(16, 3 * L - 1);
    assert.equal(cycleRewards.get(readStoreIn(h.state, rewards), 0)!.tasks, honest.length);
    // Unanswered, it expired: a check drawn and not performed.
    assert.equal(tasks.get(h.store(), id)!.status, TaskStatus.expired);
    const v = acct(h, bait.verifier);
    const mine = honeypots
      .keys(h.store(), u32Key.encode(0))
      .filter(([, b]) => equalBytes(tasks.get(h.store(), b)!.verifier, bait.verifier)).length;
    assert.equal(v.checksDrawn, real.length + mine, "its real checks and its honeypots");
    assert.equal(v.checksDone, real.length);
  });

  it("a rubber stamp (verdict) on a honeypot forfeits the verifier's verification share; no one is convicted", () => {
    const { h, id, bait, real } = baited();
    // The lazy verifier stamps everything drawn to it, the honeypot included.
    for (const t of real) assert.equal(h.refusal(16, bait.verifier, "verdict", { taskId: t.taskId }), "");
    const before = h.totalBalances();
    assert.equal(h.refusal(16, bait.verifier, "verdict", { taskId: id }), "");
    h.endBlocks(16, 3 * L - 1);
    const v = acct(h, bait.verifier);
    assert.equal(v.honeypotsPassed, 1);
    assert.ok(v.verification > 0n);
    assert.match(v.reason, /passed 1 honeypot \(known wrong answers\): verification share \d+ forfeited/);
    assert.ok(v.released <= v.execution + v.issuance, "released nothing of its verification share");
    const mine = honeypots
      .keys(h.store(), u32Key.encode(0))
      .filter(([, b]) => equalBytes(tasks.get(h.store(), b)!.verifier, bait.verifier)).length;
    assert.equal(v.checksDrawn, real.length + mine);
    assert.equal(v.checksDone, real.length, "and the honeypot is a check not performed");
    assert.equal(
      taskFrauds.get(h.store(), [0, TASKS_MODULE_ADDRESS]),
      undefined,
      "the module is never convicted",
    );
    // Conservation: balances grow by what the cycle minted, no more.
    const minted = cycleRewards.get(readStoreIn(h.state, rewards), 0)!;
    assert.equal(h.totalBalances() - before, minted.proportional + minted.shortfall);
  });

  it("the verifier that re-runs it proves the fault: a check performed, nothing forfeited for it", () => {
    const { h, id, bait } = baited();
    const payload = publishedPayloads.get(h.store(), id)!;
    const other = devAddresses.find((a) => !equalBytes(a, bait.verifier))!;
    assert.match(
      h.refusal(16, other, "fraud", { taskId: id, payload }),
      /only the drawn verifier checks a protocol task/,
      "no one else claims the catch for it",
    );
    assert.match(h.refusal(16, bait.verifier, "withheld", { taskId: id }), /published on chain/);
    assert.match(h.refusal(16, bait.verifier, "dispute", { taskId: id }), /exact/);
    assert.equal(h.refusal(16, bait.verifier, "fraud", { taskId: id, payload }), "");
    assert.equal(tasks.get(h.store(), id)!.status, TaskStatus.fraud);
    assert.match(
      h.refusal(17, bait.verifier, "verdict", { taskId: id }),
      /not checking/,
      "no stamp after the catch",
    );
    h.endBlocks(16, 3 * L - 1);
    const v = acct(h, bait.verifier);
    assert.equal(v.honeypotsPassed, 0);
    assert.doesNotMatch(v.reason, /honeypot/);
  });
});
