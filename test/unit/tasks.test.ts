// The tasks module (spec/tasks.md): escrow and API keys, batched receipt settlement with every
// refusal named and nothing stored, the routing rule checked on chain, check draws by reputation,
// verdicts, objective fraud proofs on the exact model, withholding and its answer, reputation.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  apiKeys,
  checkRateMilli,
  DEFAULT_TASK_PARAMS,
  disputes,
  escrows,
  FLOAT_MODEL,
  publishedPayloads,
  race,
  raceForfeitStore as raceForfeits,
  TaskStatus,
  tasks,
  tasksModule,
  verifierRecords,
} from "../../contracts/index.ts";
import { privateKeyToAddress, randomPrivateKey } from "../../src/crypto/index.ts";
import { signReceipt } from "../../src/inference/index.ts";
import { minimal } from "../../src/params/index.ts";
import { readStoreIn, storeIn } from "../../src/state/index.ts";
import { equalBytes } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { answeredTask, CHAIN_ID, tasksHarness } from "../helpers/tasksModule.ts";

const dev = devAddresses[7]!;
// A fixed key: task ids, and so every draw, are the same on every run (a random one made the
// tolerance-check test's panel borderline: 1 failure in a batch run).
const apiKey = new Uint8Array(32).fill(0x2b);
const keyAddress = privateKeyToAddress(apiKey);
const PRICE = 1_000_000_000n; // genesis default, 1 unit per token

function setup(weights?: bigint[]) {
  const h = tasksHarness(weights);
  const output = h.beaconOutput(5, new Uint8Array(32).fill(7));
  assert.equal(h.refusal(6, dev, "deposit", { amount: 10n ** 15n }), "");
  assert.equal(h.refusal(6, dev, "authorizeKey", { key: keyAddress, limit: 10n ** 14n }), "");
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
  return { h, output, task };
}

describe("tasks: escrow, keys and settlement", () => {
  it("settles a batch: escrow falls by exactly the fees, the key's spend grows, fees wait as pending", () => {
    const { h, task } = setup();
    const batch = [1n, 2n, 3n, 4n, 5n, 6n].map((s) => task(s));
    const byExecutor = new Map<string, typeof batch>();
    for (const t of batch)
      byExecutor.set(String(t.executor), [...(byExecutor.get(String(t.executor)) ?? []), t]);
    let fees = 0n;
    for (const group of byExecutor.values()) {
      const executor = group[0]!.executor;
      assert.equal(h.refusal(8, executor, "settle", { receipts: group.map((t) => t.receipt) }), "");
      for (const t of group) fees += BigInt(t.receipt.promptTokens + t.receipt.completionTokens) * PRICE;
    }
    assert.equal(escrows.get(h.store(), dev), 10n ** 15n - fees);
    assert.equal(apiKeys.get(h.store(), keyAddress)!.spent, fees);
    for (const t of batch) assert.equal(tasks.get(h.store(), t.taskId)!.status, TaskStatus.settled);
    // The intermediary (dev 0) is never the executor.
    assert.ok(batch.every((t) => !equalBytes(t.executor, devAddresses[0]!)));
  });

  it("refuses bad receipts with the reason and stores nothing", () => {
    const { h, task } = setup();
    const good = task(10n);
    const before = JSON.stringify([...storeIn(h.state, tasksModule).keys(new Uint8Array(0))].map(String));
    const other = devAddresses.find((a) => !equalBytes(a, good.executor) && a !== devAddresses[0])!;
    const forged = {
      ...good.receipt,
      signature: task(10n, { apiKey: randomPrivateKey() }).receipt.signature,
    };
    const unknownRound = task(11n, { round: 9 });
    const cases: [string, ReturnType<typeof h.refusal>][] = [
      ["only the receipt's executor", h.refusal(8, other, "settle", { receipts: [good.receipt] })],
      ["is not an authorized API key", h.refusal(8, good.executor, "settle", { receipts: [forged] })],
      [
        "has not completed",
        h.refusal(8, unknownRound.executor, "settle", { receipts: [unknownRound.receipt] }),
      ],
      [
        "not the sender",
        h.refusal(8, other, "settle", {
          receipts: [signReceipt(apiKey, CHAIN_ID, { ...good.receipt, executor: other })],
        }),
      ],
      ["already settled", h.refusal(8, good.executor, "settle", { receipts: [good.receipt, good.receipt] })],
      ["no receipts", h.refusal(8, good.executor, "settle", { receipts: [] })],
    ];
    for (const [want, got] of cases) assert.match(got, new RegExp(want), want);
    assert.equal(
      JSON.stringify([...storeIn(h.state, tasksModule).keys(new Uint8Array(0))].map(String)),
      before,
      "nothing stored by refused settlements",
    );
    // A replayed settlement is refused.
    assert.equal(h.refusal(8, good.executor, "settle", { receipts: [good.receipt] }), "");
    assert.match(h.refusal(9, good.executor, "settle", { receipts: [good.receipt] }), /already settled/);
  });

  it("holds the spend limit, the escrow and revocation; stale receipts expire", () => {
    const { h, task } = setup();
    const t = task(20n);
    // A limit only rises (a receipt answered under it must not fail when it is lowered after).
    assert.match(h.refusal(7, dev, "authorizeKey", { key: keyAddress, limit: 10n }), /limit only rises/);
    const other = privateKeyToAddress(new Uint8Array(32).fill(0x77));
    assert.equal(h.refusal(7, dev, "authorizeKey", { key: other, limit: 10n }), "");
    assert.match(h.refusal(7, dev, "authorizeKey", { key: other, limit: 9n }), /limit only rises/);
    assert.equal(h.refusal(7, dev, "authorizeKey", { key: keyAddress, limit: 10n ** 20n }), "");
    assert.equal(h.refusal(7, dev, "withdraw", { amount: 10n ** 15n - 10n }), "");
    assert.match(h.refusal(7, dev, "withdraw", { amount: 11n }), /withdraw 1 to 10 wei/);
    // The escrow stays until the start of cycle 3: receipts of cycles 0 and 1 can still settle.
    assert.match(h.refusal(7, dev, "claimWithdrawal", {}), /unlocks at height 180/);
    const before = h.state.getAccount(dev).balance;
    assert.match(h.refusal(2 * minimal.cycleLength, dev, "claimWithdrawal", {}), /unlocks at height 180/);
    assert.equal(h.refusal(3 * minimal.cycleLength, dev, "claimWithdrawal", {}), "");
    assert.equal(h.state.getAccount(dev).balance, before + 10n ** 15n - 10n);
    assert.match(h.refusal(3 * minimal.cycleLength, dev, "claimWithdrawal", {}), /no withdrawal asked for/);
    assert.match(
      h.refusal(8, t.executor, "settle", { receipts: [t.receipt] }),
      /exceeds the developer's escrow/,
    );
    assert.equal(h.refusal(7, dev, "deposit", { amount: 10n ** 15n }), "");
    assert.equal(h.refusal(7, dev, "revokeKey", { key: keyAddress }), "");
    assert.match(h.refusal(7, dev, "revokeKey", { key: keyAddress }), /already revoked/);
    // Revoked in cycle 0: receipts of cycle 1 on are refused (those of cycle 0 still settle).
    const next = task(21n, { cycle: 1 });
    assert.match(
      h.refusal(minimal.cycleLength + 1, next.executor, "settle", { receipts: [next.receipt] }),
      /revoked for receipts of cycle 1 on/,
    );
    assert.equal(h.refusal(7, dev, "authorizeKey", { key: keyAddress, limit: 10n ** 20n }), "");
    assert.match(
      h.refusal(2 * minimal.cycleLength + 1, t.executor, "settle", { receipts: [t.receipt] }),
      /is not this cycle \(2\) or the previous one/,
    );
    assert.match(
      h.refusal(7, devAddresses[1]!, "authorizeKey", { key: keyAddress, limit: 1n }),
      /another account/,
    );
    assert.match(h.refusal(7, dev, "withdraw", { amount: 10n ** 30n }), /withdraw 1 to/);
    assert.match(h.refusal(7, dev, "deposit", { amount: 10n ** 30n }), /insufficient balance/);
  });
});

describe("tasks: checks, verdicts, fraud and reputation", () => {
  it("at reputation 0 every task is checked by a weighted verifier that is neither executor nor intermediary", () => {
    const { h, task } = setup();
    const t = task(30n);
    h.call(8, t.executor, "settle", { receipts: [t.receipt] });
    h.endBlocks(8, 12);
    assert.equal(
      tasks.get(h.store(), t.taskId)!.status,
      TaskStatus.settled,
      "no beacon round after settlement yet",
    );
    h.beaconOutput(15, new Uint8Array(32).fill(9));
    h.endBlocks(13, 15);
    const rec = tasks.get(h.store(), t.taskId)!;
    assert.equal(rec.status, TaskStatus.checking);
    assert.notDeepEqual(rec.verifier, t.executor);
    assert.notDeepEqual(rec.verifier, devAddresses[0]);
    assert.match(h.refusal(16, t.executor, "verdict", { taskId: t.taskId }), /only the drawn verifier/);
    assert.equal(h.refusal(16, rec.verifier, "verdict", { taskId: t.taskId }), "");
    assert.equal(tasks.get(h.store(), t.taskId)!.status, TaskStatus.verified);
  });

  it("a wrong token is an objective fraud proof: forfeits the cycle's pending fees, resets reputation; a false claim is refused", () => {
    const { h, task } = setup();
    const honest = task(40n);
    const cheat = task(41n, { wrongToken: true });
    h.call(8, honest.executor, "settle", { receipts: [honest.receipt] });
    h.call(8, cheat.executor, "settle", { receipts: [cheat.receipt] });
    assert.match(
      h.refusal(9, devAddresses[3]!, "fraud", { taskId: honest.taskId, payload: honest.payload }),
      /no fraud/,
    );
    assert.match(
      h.refusal(9, devAddresses[3]!, "fraud", { taskId: cheat.taskId, payload: honest.payload }),
      /does not hash to the receipt/,
    );
    const q = () =>
      tasksModule.queries.executor!.run(
        {
          height: 9,
          preset: minimal,
          state: h.state,
          store: h.store(),
          storeOf: (m) => readStoreIn(h.state, m),
        },
        { address: cheat.executor, cycle: 0 },
      );
    const pendingBefore = q().pending;
    assert.ok(pendingBefore > 0n);
    assert.equal(
      h.refusal(9, devAddresses[3]!, "fraud", { taskId: cheat.taskId, payload: cheat.payload }),
      "",
    );
    assert.equal(tasks.get(h.store(), cheat.taskId)!.status, TaskStatus.fraud);
    assert.equal(q().pending, 0n);
    assert.equal(q().forfeited, pendingBefore);
    assert.match(q().fraud, /token 0 is not the model's choice/);
    assert.equal(q().reputation, 0);
  });

  it("withholding: the executor answers by publishing; unanswered at the deadline it is fraud", () => {
    const { h, task } = setup();
    const a = task(50n);
    const b = task(51n);
    h.call(8, a.executor, "settle", { receipts: [a.receipt] });
    h.call(8, b.executor, "settle", { receipts: [b.receipt] });
    h.beaconOutput(15, new Uint8Array(32).fill(3));
    h.endBlocks(8, 15);
    for (const t of [a, b]) {
      const rec = tasks.get(h.store(), t.taskId)!;
      assert.equal(h.refusal(16, rec.verifier, "withheld", { taskId: t.taskId }), "");
    }
    assert.equal(h.refusal(17, a.executor, "publish", { taskId: a.taskId, payload: a.payload }), "");
    assert.equal(
      tasks.get(h.store(), a.taskId)!.status,
      TaskStatus.published,
      "the false report is overruled",
    );
    const deadline = tasks.get(h.store(), b.taskId)!.deadline;
    h.endBlocks(16, deadline);
    assert.equal(tasks.get(h.store(), b.taskId)!.status, TaskStatus.fraud);
  });

  it("reputation grows one level per honest cycle to the maximum; the check rate falls from 1000‰ to minCheckMilli", () => {
    const p = DEFAULT_TASK_PARAMS;
    assert.equal(checkRateMilli(p, 0), 1000);
    assert.equal(checkRateMilli(p, p.maxReputation), p.minCheckMilli);
    assert.equal(checkRateMilli(p, 10 * p.maxReputation), p.minCheckMilli);
    for (let l = 1; l <= p.maxReputation; l++) assert.ok(checkRateMilli(p, l) < checkRateMilli(p, l - 1));
    const { h, task } = setup();
    const t = task(60n);
    h.call(8, t.executor, "settle", { receipts: [t.receipt] });
    h.endBlocks(8, minimal.cycleLength - 1);
    const rep = tasksModule.queries.executor!.run(
      {
        height: 60,
        preset: minimal,
        state: h.state,
        store: h.store(),
        storeOf: (m) => readStoreIn(h.state, m),
      },
      { address: t.executor, cycle: 0 },
    );
    assert.equal(rep.reputation, 1);
    // A race fraud in the next cycle resets it, even with honest tasks settled.
    const t2 = task(61n, { cycle: 1 });
    h.beaconOutput(61, new Uint8Array(32).fill(8));
    assert.equal(h.refusal(62, t2.executor, "settle", { receipts: [t2.receipt] }), "");
    raceForfeits.set(storeIn(h.state, race), [1, t.executor], "fraud: committed nonce 7 is not a proof");
    raceForfeits.set(storeIn(h.state, race), [1, t2.executor], "fraud: committed nonce 9 is not a proof");
    h.endBlocks(62, 2 * minimal.cycleLength - 1);
    const after = tasksModule.queries.executor!.run(
      {
        height: 120,
        preset: minimal,
        state: h.state,
        store: h.store(),
        storeOf: (m) => readStoreIn(h.state, m),
      },
      { address: t.executor, cycle: 1 },
    );
    assert.equal(after.reputation, 0, "race fraud resets the task reputation");
  });
});

describe("tasks: tolerance-class checks and disputes", () => {
  const six = [100n, 100n, 100n, 100n, 100n, 100n];
  /** Settle a tolerance-class task and draw its check (every task is checked at reputation 0). */
  function checked(h: ReturnType<typeof setup>["h"], task: ReturnType<typeof setup>["task"], serial: bigint) {
    const t = task(serial, { model: FLOAT_MODEL.id });
    assert.equal(h.refusal(8, t.executor, "settle", { receipts: [t.receipt] }), "");
    h.beaconOutput(15, new Uint8Array(32).fill(Number(serial % 200n)));
    h.endBlocks(8, 15);
    const rec = tasks.get(h.store(), t.taskId)!;
    assert.equal(rec.status, TaskStatus.checking);
    return { ...t, verifier: rec.verifier };
  }
  const panelOf = (h: ReturnType<typeof setup>["h"], taskId: Uint8Array) =>
    disputes.get(h.store(), taskId)!.panel;
  const record = (h: ReturnType<typeof setup>["h"], a: Uint8Array) =>
    verifierRecords.get(h.store(), [0, a]) ?? { upheld: 0, overruled: 0 };

  it("the chain does not re-run a float model: fraud proofs and reports are refused, the verifier disputes instead", () => {
    const { h, task } = setup(six);
    const t = checked(h, task, 70n);
    assert.match(
      h.refusal(16, t.verifier, "fraud", { taskId: t.taskId, payload: t.payload }),
      /tolerance-class/,
    );
    assert.match(h.refusal(16, dev, "report", { taskId: t.taskId, payload: t.payload }), /tolerance-class/);
    assert.match(h.refusal(16, t.executor, "dispute", { taskId: t.taskId }), /only the drawn verifier/);
    const exact = task(71n);
    h.call(8, exact.executor, "settle", { receipts: [exact.receipt] });
    h.endBlocks(16, 16);
    const er = tasks.get(h.store(), exact.taskId)!;
    if (er.status === TaskStatus.checking)
      assert.match(h.refusal(17, er.verifier, "dispute", { taskId: exact.taskId }), /is exact/);
  });

  it("a dispute draws a panel holding > 1/2 of the weight; its majority clears the executor and overrules the verifier", () => {
    const { h, task } = setup(six);
    const t = checked(h, task, 72n);
    assert.equal(h.refusal(16, t.verifier, "dispute", { taskId: t.taskId }), "");
    assert.equal(tasks.get(h.store(), t.taskId)!.status, TaskStatus.disputed);
    const panel = panelOf(h, t.taskId);
    const held = panel.reduce((a, p) => a + p.weight, 0n);
    assert.ok(2n * held > 600n, `panel weight ${held} > half of 600`);
    assert.ok(
      panel.every((p) => !equalBytes(p.address, t.executor) && !equalBytes(p.address, devAddresses[0]!)),
    );
    const outsider = devAddresses.slice(0, 6).find((a) => !panel.some((p) => equalBytes(p.address, a)))!;
    assert.match(h.refusal(17, outsider, "vote", { taskId: t.taskId, fraud: 0 }), /only the dispute's panel/);
    assert.match(h.refusal(17, t.verifier, "vote", { taskId: t.taskId, fraud: 1 }), /already voted/);
    assert.match(h.refusal(17, panel[1]!.address, "vote", { taskId: t.taskId, fraud: 2 }), /vote 1/);
    assert.equal(h.refusal(17, panel[1]!.address, "vote", { taskId: t.taskId, fraud: 0 }), "");
    assert.equal(
      tasks.get(h.store(), t.taskId)!.status,
      TaskStatus.disputed,
      "1 of 3 votes decides nothing yet",
    );
    assert.equal(h.refusal(17, panel[2]!.address, "vote", { taskId: t.taskId, fraud: 0 }), "");
    assert.equal(tasks.get(h.store(), t.taskId)!.status, TaskStatus.cleared);
    assert.deepEqual(record(h, t.verifier), { upheld: 0, overruled: 1 });
    assert.deepEqual(record(h, panel[1]!.address), { upheld: 1, overruled: 0 });
    assert.match(h.refusal(18, panel[3]!.address, "vote", { taskId: t.taskId, fraud: 1 }), /not disputed/);
  });

  it("a panel majority out of tolerance convicts: pending fees forfeited, reputation reset", () => {
    const { h, task } = setup(six);
    const t = checked(h, task, 73n);
    h.call(16, t.verifier, "dispute", { taskId: t.taskId });
    const panel = panelOf(h, t.taskId);
    h.call(17, panel[1]!.address, "vote", { taskId: t.taskId, fraud: 1 });
    assert.equal(tasks.get(h.store(), t.taskId)!.status, TaskStatus.disputed);
    h.call(17, panel[2]!.address, "vote", { taskId: t.taskId, fraud: 1 });
    assert.equal(tasks.get(h.store(), t.taskId)!.status, TaskStatus.fraud);
    const ex = tasksModule.queries.executor!.run(
      {
        height: 17,
        preset: minimal,
        state: h.state,
        store: h.store(),
        storeOf: (m) => readStoreIn(h.state, m),
      },
      { address: t.executor, cycle: 0 },
    );
    assert.equal(ex.pending, 0n);
    assert.ok(ex.forfeited > 0n);
    assert.match(ex.fraud, /out of tolerance by the panel's majority \(300 of 400 panel weight\)/);
    assert.deepEqual(record(h, t.verifier), { upheld: 1, overruled: 0 });
  });

  it("at the deadline the weight that voted decides (a tie clears); a published payload resumes the check", () => {
    const { h, task } = setup(six);
    const t = checked(h, task, 74n);
    h.call(16, t.verifier, "dispute", { taskId: t.taskId });
    h.call(17, panelOf(h, t.taskId)[1]!.address, "vote", { taskId: t.taskId, fraud: 0 });
    const deadline = tasks.get(h.store(), t.taskId)!.deadline;
    h.endBlocks(17, deadline);
    assert.equal(tasks.get(h.store(), t.taskId)!.status, TaskStatus.cleared);

    const w = checked(h, task, 75n);
    assert.equal(h.refusal(16, w.verifier, "withheld", { taskId: w.taskId }), "");
    const other = task(76n, { model: FLOAT_MODEL.id });
    assert.match(
      h.refusal(17, w.executor, "publish", { taskId: w.taskId, payload: other.payload }),
      /does not hash/,
    );
    assert.equal(h.refusal(17, w.executor, "publish", { taskId: w.taskId, payload: w.payload }), "");
    const rec = tasks.get(h.store(), w.taskId)!;
    assert.equal(rec.status, TaskStatus.checking, "the check resumes with the payload on chain");
    assert.ok(publishedPayloads.get(h.store(), w.taskId));
    assert.equal(h.refusal(18, w.verifier, "verdict", { taskId: w.taskId }), "");
    assert.equal(tasks.get(h.store(), w.taskId)!.status, TaskStatus.verified);
  });
});
