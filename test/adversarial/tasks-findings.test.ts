// The market's findings, each as the attack that worked and now fails: a withholding claim in the
// check's last block, a conviction erased by the later check draw, a zero-address verifier
// credited with a check, redraw counts and oversized payloads that bought unbounded work.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  accountRewards,
  DEFAULT_TASK_PARAMS,
  ENVELOPE_VERSION,
  envelopeCodec,
  methodGas,
  taskPayloadArgs as payloadArgs,
  publishWindow,
  reputations,
  resolveCall,
  rewards,
  SETTLE_GAS_PER_RECEIPT,
  settleArgs,
  TaskStatus,
  taskFrauds,
  tasks,
  tasksModule,
} from "../../contracts/index.ts";
import { encode } from "../../src/encoding/index.ts";
import { ExactModel, MAX_ATTEMPTS, payloadFault } from "../../src/inference/index.ts";
import { minimal } from "../../src/params/index.ts";
import { readStoreIn, storeIn } from "../../src/state/index.ts";
import { ZERO_ADDRESS } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { fundedMarket } from "../helpers/tasksModule.ts";

const _dev = devAddresses[7]!;

const market = (weights?: bigint[]) => fundedMarket({ weights, amount: 10n ** 18n });

describe("market findings", () => {
  it("a withholding claim in the check's deadline block opens its own window: the honest executor publishes after it", () => {
    const { h, task } = market();
    const a = task(1n);
    h.call(8, a.executor, "settle", { receipts: [a.receipt] });
    h.beaconOutput(15, new Uint8Array(32).fill(3));
    h.endBlocks(8, 15);
    const rec = tasks.get(h.store(), a.taskId)!;
    assert.equal(rec.status, TaskStatus.checking);
    // The liar waits for the deadline block itself, then claims withholding.
    h.endBlocks(16, rec.deadline - 1);
    assert.equal(h.refusal(rec.deadline, rec.verifier, "withheld", { taskId: a.taskId }), "");
    h.endBlocks(rec.deadline, rec.deadline);
    assert.equal(
      tasks.get(h.store(), a.taskId)!.status,
      TaskStatus.withheld,
      "not convicted in the claim's block",
    );
    assert.equal(tasks.get(h.store(), a.taskId)!.deadline, rec.deadline + publishWindow(minimal.cycleLength));
    assert.equal(
      h.refusal(rec.deadline + 1, a.executor, "publish", { taskId: a.taskId, payload: a.payload }),
      "",
    );
    assert.equal(tasks.get(h.store(), a.taskId)!.status, TaskStatus.published, "the liar is overruled");
  });

  it("a fraud proven before the check draw stays proven: the draw never rewrites it", () => {
    const { h, task } = market();
    const cheat = task(2n, { wrongToken: true });
    h.call(8, cheat.executor, "settle", { receipts: [cheat.receipt] });
    // Anyone proves it at once, before the next beacon round draws its check.
    assert.equal(
      h.refusal(9, devAddresses[5]!, "fraud", { taskId: cheat.taskId, payload: cheat.payload }),
      "",
    );
    assert.equal(tasks.get(h.store(), cheat.taskId)!.status, TaskStatus.fraud);
    h.beaconOutput(15, new Uint8Array(32).fill(4));
    h.endBlocks(9, 20);
    const after = tasks.get(h.store(), cheat.taskId)!;
    assert.equal(after.status, TaskStatus.fraud, "still fraud after the draw");
    assert.ok(
      /already proven/.test(
        h.refusal(21, devAddresses[5]!, "fraud", { taskId: cheat.taskId, payload: cheat.payload }),
      ),
      "and cannot be convicted twice",
    );
  });

  it("an unchecked task later convicted counts no check for the zero address", () => {
    const { h, task } = market();
    // A high reputation leaves most tasks unchecked (63 per 1000).
    const cheats = Array.from({ length: 12 }, (_, i) => task(100n + BigInt(i), { wrongToken: true }));
    const executor = cheats[0]!.executor;
    const mine = cheats.filter((c) => c.executor === executor || String(c.executor) === String(executor));
    reputations.set(storeIn(h.state, tasksModule), executor, DEFAULT_TASK_PARAMS.maxReputation);
    h.call(8, executor, "settle", { receipts: mine.map((c) => c.receipt) });
    h.beaconOutput(15, new Uint8Array(32).fill(6));
    h.endBlocks(8, 15);
    const unchecked = mine.find((c) => tasks.get(h.store(), c.taskId)!.status === TaskStatus.unchecked);
    assert.ok(unchecked, "some task went unchecked");
    assert.equal(
      h.refusal(16, devAddresses[5]!, "fraud", { taskId: unchecked.taskId, payload: unchecked.payload }),
      "",
    );
    h.endBlocks(16, 3 * minimal.cycleLength - 1);
    assert.equal(
      accountRewards.get(readStoreIn(h.state, rewards), [0, ZERO_ADDRESS]),
      undefined,
      "no rewards record (and no check) for the zero address",
    );
  });

  it("wash trading: a receipt that counts more tokens than its payload holds is refused past the context and convicted on any check", () => {
    const { h, task, resign } = market();
    const t = task(7n);
    // ~4.29·10^9 tokens: refused at settlement, the model's context is 256.
    const huge = resign(t.receipt, { completionTokens: 0xffffffff - t.receipt.promptTokens });
    assert.match(h.refusal(8, t.executor, "settle", { receipts: [huge] }), /exceed model .* context of 256/);
    // Within the context but more than the payload: settles, and the check convicts it.
    const padded = resign(t.receipt, { completionTokens: t.receipt.completionTokens + 20 });
    assert.equal(h.refusal(8, t.executor, "settle", { receipts: [padded] }), "");
    assert.equal(h.refusal(9, devAddresses[5]!, "fraud", { taskId: t.taskId, payload: t.payload }), "");
    const rec = tasks.get(h.store(), t.taskId)!;
    assert.equal(rec.status, TaskStatus.fraud);
    assert.match(
      taskFrauds.get(h.store(), [0, t.executor])!,
      /the receipt charged \d+ wei; the payload's \d+ tokens cost \d+/,
    );
    // An honest receipt's payload is no fraud.
    const honest = task(8n);
    assert.equal(h.refusal(10, honest.executor, "settle", { receipts: [honest.receipt] }), "");
    assert.match(
      h.refusal(11, devAddresses[5]!, "fraud", { taskId: honest.taskId, payload: honest.payload }),
      /no fraud/,
    );
  });

  it(`a receipt's attempt is at most ${MAX_ATTEMPTS - 1}: no receipt buys unbounded redraws`, () => {
    // Six candidates: the intermediary and three draws still leave someone for a fourth.
    const { h, task } = market(Array.from({ length: 6 }, () => 100n));
    const t = task(4n, { attempt: MAX_ATTEMPTS });
    assert.match(h.refusal(8, t.executor, "settle", { receipts: [t.receipt] }), /drawn at most 3 times/);
    const ok = task(5n, { attempt: MAX_ATTEMPTS - 1 });
    assert.equal(h.refusal(8, ok.executor, "settle", { receipts: [ok.receipt] }), "");
  });

  it("an oversized payload is a fault found without running the model; calls that may re-run it pay per token", () => {
    const model = new ExactModel();
    const { task } = market();
    const t = task(6n);
    const long = { ...t.payload, prompt: new Uint8Array(4096).fill(65) };
    const started = performance.now();
    assert.match(payloadFault(model, long), /exceed the model's context of 256/);
    assert.ok(performance.now() - started < 50, "no forward pass over 4,096 bytes");
    const gasOf = (method: string, args: Uint8Array) =>
      methodGas(resolveCall(tasksModule, encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args })));
    const small = gasOf("fraud", encode(payloadArgs, { taskId: t.taskId, payload: t.payload }));
    const big = gasOf(
      "fraud",
      encode(payloadArgs, { taskId: t.taskId, payload: { ...t.payload, prompt: new Uint8Array(250) } }),
    );
    assert.ok(big > small * 3n, `fraud gas grows with the payload: ${small} → ${big}`);
    const one = gasOf("settle", encode(settleArgs, { receipts: [t.receipt] }));
    const many = gasOf(
      "settle",
      encode(settleArgs, { receipts: Array.from({ length: 64 }, () => t.receipt) }),
    );
    assert.equal(
      many - one,
      63n * SETTLE_GAS_PER_RECEIPT,
      `settle gas grows with the receipts: ${one} → ${many}`,
    );
  });
});
