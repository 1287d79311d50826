// Adversarial review of the inference market and its rewards (issue 22, after the honeypots and
// the WeightedPool draws): every method and hook of the tasks module attacked with extreme
// arguments, replays, the wrong party, the wrong order and self-dealing. Defences hold as passing
// tests; attacks that still work are `todo` tests that fail now (the report names them).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  accountRewards,
  cycleRewards,
  DEFAULT_TASK_PARAMS,
  disputes,
  ENVELOPE_VERSION,
  envelopeCodec,
  escrows,
  FLOAT_MODEL,
  honeypots,
  type Module,
  methodGas,
  models,
  publishedPayloads,
  reputations,
  resolveCall,
  rewards,
  TaskStatus,
  taskFrauds,
  taskParamsItem,
  tasks,
  tasksByCycle,
  tasksModule,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import { unitPrices } from "../../contracts/models/index.ts";
import { beginSettlement, settleCycle, settleJob, settleStep } from "../../contracts/rewards/index.ts";
import { u32Key } from "../../contracts/store.ts";
import { declarations, payerRefusal, reports, undrawn, withdrawals } from "../../contracts/tasks/index.ts";
import { privateKeyToAddress, randomPrivateKey } from "../../src/crypto/index.ts";
import { encode } from "../../src/encoding/index.ts";
import {
  drawByWeight,
  payloadHash,
  requestSigner,
  signReceipt,
  signRequest,
  type TaskPayload,
  WeightedPool,
} from "../../src/inference/index.ts";
import { minimal, TASKS_MODULE_ADDRESS, TRAINING_FUND_ADDRESS } from "../../src/params/index.ts";
import { readStoreIn, storeIn } from "../../src/state/index.ts";
import { intrinsicGas } from "../../src/tx/index.ts";
import { type Address, equalBytes, fromHex, toHex } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { CHAIN_ID, fundedMarket, lightSet } from "../helpers/tasksModule.ts";

const L = minimal.cycleLength;
const COIN = 10n ** 18n;
type Market = ReturnType<typeof fundedMarket>;

/** Everything an account holds: its balance and its escrow in the tasks module. */
const wealth = (h: Market["h"], as: Address[]) =>
  as.reduce((t, a) => t + h.state.getAccount(a).balance + (escrows.get(h.store(), a) ?? 0n), 0n);

function quiet(m: Market, price?: bigint) {
  taskParamsItem.set(storeIn(m.h.state, tasksModule), { ...DEFAULT_TASK_PARAMS, honeypotMilli: 0 });
  if (price !== undefined) unitPrices.set(storeIn(m.h.state, models), 0, price);
}

/** Answer every open check of the cycle honestly (verdict on honest tasks), at `height`. */
function verdictAll(h: Market["h"], height: number, ids: Uint8Array[]) {
  for (const id of ids) {
    const t = tasks.get(h.store(), id);
    if (t?.status === TaskStatus.checking)
      assert.equal(h.refusal(height, t.verifier, "verdict", { taskId: id }), "");
  }
}

/**
 * A cycle above the minimum (P > M from honest demand), 4 honest tasks through dev 0; the
 * coalition (dev 1, 2 % of the weight, a Sybil executor; dev 2, 8 %; developer dev 7 pays) adds
 * `extra` tasks of its own routed to dev 1 by grinding ids through dev 2 as intermediary:
 * "none" (baseline), "honest" (the self-dealing spec §Self-dealing prices), or "convicted"
 * (wrong answers, then its payer proves the fraud and collects the bounty from dev 1's forfeit).
 */
function selfDealing(extra: "none" | "honest" | "convicted", n = 2) {
  // A fixed API key: the same task ids, draws and honest traffic in every run being compared.
  const m = fundedMarket({
    weights: [400n, 20n, 80n, 500n],
    amount: 10n ** 23n,
    fill: 11,
    apiKey: new Uint8Array(32).fill(0x2b),
  });
  // ~28 tokens a task: about 5,000 RACE a fee, so 4 honest tasks mint 9·20k RACE > the 137k minimum.
  quiet(m, (5_000n * COIN) / 28n);
  const { h, task } = m;
  const [, sybil, member, , , , , payer] = devAddresses as Address[];
  const honest = [1n, 2n, 3n, 4n].map((s) => task(s));
  const own: ReturnType<typeof task>[] = [];
  for (let s = 1000n; own.length < (extra === "none" ? 0 : n); s++) {
    const t = task(s, { intermediary: member!, wrongToken: extra === "convicted" });
    if (equalBytes(t.executor, sybil!)) own.push(t);
  }
  for (const t of [...honest, ...own])
    assert.equal(h.refusal(8, t.executor, "settle", { receipts: [t.receipt] }), "");
  const feesPaid = own.reduce((a, t) => a + tasks.get(h.store(), t.taskId)!.fee, 0n);
  if (extra === "convicted")
    for (const t of own)
      assert.equal(h.refusal(9, payer!, "fraud", { taskId: t.taskId, payload: t.payload }), "");
  h.beaconOutput(15, new Uint8Array(32).fill(6));
  h.endBlocks(8, 15);
  verdictAll(
    h,
    16,
    [...honest, ...own].map((t) => t.taskId),
  );
  h.endBlocks(16, 3 * L - 1);
  const coalition = [sybil!, member!, payer!];
  return {
    h,
    feesPaid,
    wealth: wealth(h, coalition),
    cycle: cycleRewards.get(readStoreIn(h.state, rewards), 0)!,
  };
}

describe("self-dealing through a convicted Sybil", () => {
  it("a 10 % coalition that pays for wrong answers to its own Sybil and proves the fraud itself gets its fees back as the bounty and keeps what they mint", () => {
    const base = selfDealing("none");
    const honest = selfDealing("honest");
    const convicted = selfDealing("convicted");
    const profit = (w: ReturnType<typeof selfDealing>) => w.wealth - base.wealth;
    const rate = (w: ReturnType<typeof selfDealing>) => Number((profit(w) * 1000n) / w.feesPaid) / 1000;
    // The spec's bound (§Self-dealing): at 10 % in batch 1, 8w − 1 = −0.2 per unit of fee.
    assert.ok(profit(honest) < 0n, `honest self-dealing at 10 % loses: ${rate(honest)} per fee`);
    const minted = convicted.cycle.proportional - base.cycle.proportional;
    assert.equal(minted, 0n, "work proven fraudulent mints nothing (946cbdb)");
    assert.ok(
      profit(convicted) < 0n,
      `self-dealing through a convicted Sybil: fees ${convicted.feesPaid / COIN} RACE, profit ${profit(convicted) / COIN} RACE (${rate(convicted)} per fee; honest self-dealing ${rate(honest)}); the convicted fees minted ${minted / COIN} RACE`,
    );
  });
});

/** CPU per unit of gas of one call, as bench:gas counts it: execute ÷ (intrinsic + method gas). */
function nsPerGas(ms: number, module: Module, method: string, args: unknown): number {
  const m = module.methods[method]!;
  const data = encode(envelopeCodec, { version: ENVELOPE_VERSION, method, args: encode(m.args, args) });
  const gas = intrinsicGas({ data, accessList: [] }) + methodGas(resolveCall(module, data));
  return (ms * 1e6) / Number(gas);
}

/** The bench:gas ceiling: 60M gas in 10 % of a 5 s block. */
const CEILING_NS_PER_GAS = 500e6 / 60e6;

describe("gas against CPU, and hooks paid by no one", () => {
  it("vote: the deciding vote of a full 256-seat panel stays within the gas ceiling (50,000 gas)", {
    todo: "timed, so informational (bench:gas is the measurement): fixed by re-pricing and one pool / one declaration scan per batch (946cbdb)",
  }, () => {
    let best = Number.POSITIVE_INFINITY;
    let args: { taskId: Uint8Array; fraud: number } | undefined;
    for (let rep = 0; rep < 3; rep++) {
      const m = fundedMarket();
      const seats = lightSet(m.h, 256);
      const taskId = new Uint8Array(32).fill(0xd1);
      const ts = storeIn(m.h.state, tasksModule);
      tasks.set(ts, taskId, {
        executor: devAddresses[0]!,
        intermediary: devAddresses[1]!,
        model: FLOAT_MODEL.id,
        payloadHash: new Uint8Array(32),
        fee: 0n,
        cycle: 0,
        height: 8,
        status: TaskStatus.disputed,
        verifier: seats[0]!,
        deadline: L + 8,
        drawRound: 1,
        checkMilli: 1000,
        payer: devAddresses[7]!,
        round: 1,
        attempt: 0,
      });
      // 254 votes cast, split 127 / 127: no side holds half of the 256 seats yet.
      disputes.set(ts, taskId, {
        panel: seats.map((address) => ({ address, weight: 1n })),
        votes: seats.slice(0, 254).map((address, i) => ({ address, fraud: i % 2 === 0 ? 1 : 0 })),
      });
      args = { taskId, fraud: 0 };
      const t0 = performance.now();
      assert.equal(m.h.refusal(20, seats[254]!, "vote", args), "");
      best = Math.min(best, performance.now() - t0);
      assert.equal(tasks.get(m.h.store(), taskId)!.status, TaskStatus.cleared);
    }
    const ratio = nsPerGas(best, tasksModule, "vote", args);
    assert.ok(
      ratio <= CEILING_NS_PER_GAS,
      `vote deciding a 256-seat panel: ${best.toFixed(2)} ms, ${ratio.toFixed(1)} ns/gas (ceiling ${CEILING_NS_PER_GAS.toFixed(2)})`,
    );
  });

  it("settle: a batch of 64 receipts among 1,001 members stays within the gas ceiling", {
    todo: "timed, so informational (bench:gas is the measurement): fixed by re-pricing and one pool / one declaration scan per batch (946cbdb)",
  }, () => {
    const m = fundedMarket();
    // One heavy member is drawn for (almost) every task: 64 receipts of one executor in one batch.
    const heavy = devAddresses[3]!;
    const light = lightSet(m.h, 1000, [devAddresses[0]!]);
    const set = [...light, devAddresses[0]!].map((address) => ({
      address,
      weight: 1n,
      blsKey: new Uint8Array(48),
    }));
    set.push({ address: heavy, weight: 1_000_000n, blsKey: new Uint8Array(48) });
    for (let c = 0; c < 8; c++) validatorSets.set(storeIn(m.h.state, validators), c, set);
    const mine: ReturnType<Market["task"]>[] = [];
    for (let s = 1n; mine.length < 64; s++) {
      const t = m.task(s);
      if (equalBytes(t.executor, heavy)) mine.push(t);
    }
    const args = { receipts: mine.map((t) => t.receipt) };
    const t0 = performance.now();
    assert.equal(m.h.refusal(8, heavy, "settle", args), "");
    const ms = performance.now() - t0;
    const ratio = nsPerGas(ms, tasksModule, "settle", args);
    assert.ok(
      ratio <= CEILING_NS_PER_GAS,
      `settle, 64 receipts among 1,002 members: ${ms.toFixed(1)} ms, ${ratio.toFixed(1)} ns/gas (ceiling ${CEILING_NS_PER_GAS.toFixed(2)})`,
    );
  });

  it("the rewards settlement runs in bounded steps over blocks and ends exactly where one pass does (400 tasks, half redrawn twice, among 1,001 members)", () => {
    const K = 400;
    const build = () => {
      const m = fundedMarket({ apiKey: new Uint8Array(32).fill(9) });
      const light = lightSet(m.h, 1000, [devAddresses[0]!]);
      const ts = storeIn(m.h.state, tasksModule);
      for (let i = 0; i < K; i++) {
        const id = new Uint8Array(32);
        id[0] = 0xa0;
        id[1] = i & 0xff;
        id[2] = i >> 8;
        tasks.set(ts, id, {
          executor: light[(i * 7) % 1000]!,
          intermediary: light[(i * 13 + 1) % 1000]!,
          model: "racecoin-exact-tiny",
          payloadHash: new Uint8Array(32),
          fee: 1_000n + BigInt(i % 7),
          cycle: 0,
          height: 8,
          status: i % 3 === 0 ? TaskStatus.verified : TaskStatus.unchecked,
          verifier: light[(i * 11 + 5) % 1000]!,
          deadline: 0,
          drawRound: 1,
          checkMilli: 63,
          payer: devAddresses[7]!,
          round: 1,
          attempt: i % 2 === 0 ? 2 : 0,
        });
        tasksByCycle.set(ts, [0, id], 1);
      }
      const fees = [...Array(K).keys()].reduce((t, i) => t + 1_000n + BigInt(i % 7), 0n);
      const mod = m.h.state.getAccount(TASKS_MODULE_ADDRESS);
      m.h.state.setAccount(TASKS_MODULE_ADDRESS, { ...mod, balance: mod.balance + fees });
      return { m, light };
    };
    const outcome = ({ m, light }: ReturnType<typeof build>) => {
      const rs = readStoreIn(m.h.state, rewards);
      return {
        cycle: cycleRewards.get(rs, 0),
        accounts: light.map((a) => accountRewards.get(rs, [0, a]) ?? null),
        balances: light.map((a) => m.h.state.getAccount(a).balance),
        fund: m.h.state.getAccount(TRAINING_FUND_ADDRESS).balance,
        job: settleJob.get(rs),
        rest: rs.keys(new Uint8Array(0)).length,
      };
    };
    // One pass, with no bound.
    const one = build();
    settleCycle(one.m.h.ctx(3 * L - 1, rewards), 0);
    const whole = outcome(one);
    assert.equal(whole.cycle!.tasks, K);
    assert.equal(whole.job, undefined, "nothing left under way");
    // The chain's hooks: endCycle starts it, the next blocks' endBlock go on within their units.
    const hooks = build();
    rewards.endCycle!(hooks.m.h.ctx(3 * L - 1, rewards));
    let height = 3 * L;
    while (!cycleRewards.get(readStoreIn(hooks.m.h.state, rewards), 0)) {
      rewards.endBlock!(hooks.m.h.ctx(height++, rewards));
      assert.ok(height < 4 * L, "done within the next cycle");
    }
    assert.deepEqual(outcome(hooks), whole, "the hooks end where one pass does");
    // In steps of at most 150 units (a task is 1, a redrawn one 9, a group 1 + its refused draws): the job
    // and its sums wait in the store between blocks, and each step stays within its units.
    const steps = build();
    const ctx = steps.m.h.ctx(3 * L - 1, rewards);
    beginSettlement(ctx, 0);
    let blocks = 0;
    while (settleStep(ctx, 150) === undefined) {
      blocks++;
      assert.ok(settleJob.get(readStoreIn(steps.m.h.state, rewards)), "the job waits in the store");
      assert.ok(blocks < 1000, "the settlement ends");
    }
    assert.ok(blocks >= 10, `spread over ${blocks} blocks`);
    assert.deepEqual(outcome(steps), whole, "the same rewards, records, balances and store as one pass");
  });
});

describe("WeightedPool: the prepared draws against drawByWeight", () => {
  const addr = (i: number) => {
    const a = new Uint8Array(20);
    a[0] = (i * 37) & 0xff;
    a[19] = i;
    return a as Address;
  };
  const rng = (seed: number) => () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };

  it("inTurn and firstDraws are drawByWeight one draw at a time, with zero weights, 2^256 − 1 weights, exclusions and attempts", () => {
    const next = rng(7);
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + (next() % 24);
      const candidates = Array.from({ length: n }, (_, i) => {
        const r = next() % 5;
        const weight = r === 0 ? 0n : r === 1 ? (1n << 256n) - 1n - BigInt(i) : BigInt(1 + (next() % 1000));
        return { address: addr(i), weight };
      });
      const output = new Uint8Array(32).fill(trial);
      const taskId = new Uint8Array(32).fill(trial * 3);
      const exclude = trial % 3 === 0 ? [addr(0), addr(5)] : [];
      for (const countAttempts of [false, true]) {
        const pool = new WeightedPool(candidates);
        const drawn = [...pool.inTurn("d", output, taskId, exclude, countAttempts)];
        const one: Address[] = [];
        for (let k = 0; ; k++) {
          const a = drawByWeight(
            "d",
            output,
            taskId,
            candidates,
            [...exclude, ...one],
            countAttempts ? k : 0,
          );
          if (!a) break;
          one.push(a);
        }
        assert.deepEqual(drawn.map(toHex), one.map(toHex), `trial ${trial} countAttempts ${countAttempts}`);
        // firstDraws (prefix sums, for a few draws over a large pool) takes the same draws, however many asked.
        for (const k of [0, 1, 3, n + 2])
          assert.deepEqual(
            pool.firstDraws("d", output, taskId, exclude, k, countAttempts).map(toHex),
            one.slice(0, k).map(toHex),
            `firstDraws(${k}), trial ${trial} countAttempts ${countAttempts}`,
          );
        assert.equal(new Set(drawn.map(toHex)).size, drawn.length, "no address twice");
        for (const a of drawn) {
          const c = candidates.find((x) => equalBytes(x.address, a))!;
          assert.ok(c.weight > 0n, "a zero weight is never drawn");
        }
      }
    }
  });

  it("an empty pool, or one whose every member is excluded or weightless, draws no one", () => {
    assert.equal(new WeightedPool([]).draw("d", new Uint8Array(32), new Uint8Array(32)), undefined);
    assert.deepEqual([...new WeightedPool([]).inTurn("d", new Uint8Array(32), new Uint8Array(32))], []);
    const zero = [{ address: addr(1), weight: 0n }];
    assert.equal(new WeightedPool(zero).draw("d", new Uint8Array(32), new Uint8Array(32)), undefined);
    const one = [{ address: addr(2), weight: 5n }];
    assert.deepEqual(
      [...new WeightedPool(one).inTurn("d", new Uint8Array(32), new Uint8Array(32), [addr(2)])],
      [],
    );
  });

  it("a candidate listed twice is drawn once by inTurn, as drawByWeight excludes both entries", () => {
    const dup = [
      { address: addr(1), weight: 10n },
      { address: addr(1), weight: 10n },
      { address: addr(2), weight: 1n },
    ];
    const drawn = [...new WeightedPool(dup).inTurn("d", new Uint8Array(32), new Uint8Array(32))];
    const one: Address[] = [];
    for (;;) {
      const a = drawByWeight("d", new Uint8Array(32), new Uint8Array(32), dup, one);
      if (!a) break;
      one.push(a);
    }
    assert.deepEqual(drawn.map(toHex), one.map(toHex));
  });
});

describe("zero-fee receipts", () => {
  it("a receipt for 0 tokens, signed by a key with no escrow and a 0 limit, settles and alone unlocks the cycle's minimum issuance", () => {
    const m = fundedMarket();
    quiet(m);
    const { h, task } = m;
    // Dev 6 never deposited; its key may spend 0. An empty payload is the model's honest answer.
    const key = randomPrivateKey();
    assert.equal(
      h.refusal(7, devAddresses[6]!, "authorizeKey", { key: privateKeyToAddress(key), limit: 0n }),
      "",
    );
    const empty: TaskPayload = {
      prompt: new Uint8Array(0),
      maxTokens: 0,
      temperatureMilli: 0,
      topPMilli: 1000,
      seed: 0n,
      tokens: new Uint8Array(0),
      finish: "length",
      positions: [],
    };
    const t = task(1n);
    const { signature: _, ...body } = t.receipt;
    const r = signReceipt(key, CHAIN_ID, {
      ...body,
      promptTokens: 0,
      completionTokens: 0,
      payloadHash: payloadHash(empty),
    });
    const refused = h.refusal(8, t.executor, "settle", { receipts: [r] });
    if (refused) return; // the defence: refused at settlement
    assert.equal(tasks.get(h.store(), t.taskId)!.fee, 0n);
    assert.match(h.refusal(9, devAddresses[5]!, "fraud", { taskId: t.taskId, payload: empty }), /no fraud/);
    h.beaconOutput(15, new Uint8Array(32).fill(6));
    h.endBlocks(8, 15);
    verdictAll(h, 16, [t.taskId]);
    h.endBlocks(16, 3 * L - 1);
    const c = cycleRewards.get(readStoreIn(h.state, rewards), 0)!;
    assert.equal(
      c.shortfall + c.proportional,
      0n,
      `a free task minted ${(c.shortfall + c.proportional) / COIN} RACE; its executor's reputation rose to ${reputations.get(h.store(), t.executor)}`,
    );
  });
});

/** A market whose every drawn check brings a honeypot (two a block at most), 24 honest tasks drawn. */
function baited() {
  const m = fundedMarket({ fill: 5 });
  const { h, task } = m;
  taskParamsItem.set(storeIn(h.state, tasksModule), { ...DEFAULT_TASK_PARAMS, honeypotMilli: 1000 });
  const honest = Array.from({ length: 24 }, (_, i) => task(BigInt(i + 1)));
  const by = new Map<string, typeof honest>();
  for (const t of honest) by.set(toHex(t.executor), [...(by.get(toHex(t.executor)) ?? []), t]);
  for (const g of by.values())
    assert.equal(h.refusal(8, g[0]!.executor, "settle", { receipts: g.map((t) => t.receipt) }), "");
  h.beaconOutput(15, new Uint8Array(32).fill(6));
  h.endBlocks(8, 15);
  const baits = honeypots.keys(h.store(), u32Key.encode(0)).map(([, id]) => id);
  assert.ok(baits.length > 0);
  return { ...m, honest, baits };
}

describe("honeypots under attack", () => {
  it("a verifier that never re-runs a real task, but tells honeypots apart by public state, loses nothing", {
    todo: "known and accepted in spec/tasks.md §Honeypots: a honeypot's record names the module as executor and sits in the public honeypots index",
  }, () => {
    const { h, honest, baits } = baited();
    const open = [...honest.map((t) => t.taskId), ...baits].filter(
      (id) => tasks.get(h.store(), id)!.status === TaskStatus.checking,
    );
    // The selective stamper: the record (or the index) says which checks are the protocol's.
    for (const id of open) {
      const t = tasks.get(h.store(), id)!;
      const bait = equalBytes(t.executor, TASKS_MODULE_ADDRESS);
      assert.equal(
        bait,
        baits.some((b) => equalBytes(b, id)),
        "the executor field names a honeypot",
      );
      if (bait) {
        const payload = publishedPayloads.get(h.store(), id)!;
        assert.equal(h.refusal(16, t.verifier, "fraud", { taskId: id, payload }), "");
      } else assert.equal(h.refusal(16, t.verifier, "verdict", { taskId: id }), "");
    }
    h.endBlocks(16, 3 * L - 1);
    const stampers = new Set(open.map((id) => toHex(tasks.get(h.store(), id)!.verifier)));
    for (const v of stampers) {
      const r = accountRewards.get(readStoreIn(h.state, rewards), [0, fromHex(v)])!;
      assert.equal(r.honeypotsPassed, 0);
      assert.ok(
        r.checksDone < r.checksDrawn || r.released < r.execution + r.verification + r.issuance,
        `verifier ${v.slice(0, 10)} stamped every real check unrun and was released all it earned (${r.checksDone}/${r.checksDrawn} checks)`,
      );
    }
  });

  it("catching or passing a honeypot moves no wei; the cycle's settlement conserves", () => {
    const { h, baits } = baited();
    const before = h.totalBalances();
    const escrowBefore = escrows.get(h.store(), devAddresses[7]!);
    const [caught, passed] = baits;
    const c = tasks.get(h.store(), caught!)!;
    assert.equal(
      h.refusal(16, c.verifier, "fraud", {
        taskId: caught!,
        payload: publishedPayloads.get(h.store(), caught!)!,
      }),
      "",
    );
    if (passed)
      assert.equal(h.refusal(16, tasks.get(h.store(), passed)!.verifier, "verdict", { taskId: passed }), "");
    assert.equal(h.totalBalances(), before);
    assert.equal(escrows.get(h.store(), devAddresses[7]!), escrowBefore);
    assert.equal(
      taskFrauds.get(h.store(), [0, TASKS_MODULE_ADDRESS]),
      undefined,
      "the module is never convicted",
    );
    h.endBlocks(16, 3 * L - 1);
    const minted = cycleRewards.get(readStoreIn(h.state, rewards), 0)!;
    assert.equal(h.totalBalances() - before, minted.proportional + minted.shortfall);
    assert.equal(minted.tasks, 24, "honeypots are no settled tasks");
  });

  it("no other method acts on a honeypot: settle (replay of its id), publish, report, dispute, vote, withheld; verdict and fraud only by its verifier, once", () => {
    const { h, task, resign, baits } = baited();
    const id = baits[0]!;
    const t = tasks.get(h.store(), id)!;
    const payload = publishedPayloads.get(h.store(), id)!;
    const other = devAddresses.find((a) => !equalBytes(a, t.verifier))!;
    const base = task(99n);
    const clash = resign(base.receipt, { taskId: id });
    assert.match(h.refusal(16, base.executor, "settle", { receipts: [clash] }), /already settled/);
    assert.match(h.refusal(16, other, "publish", { taskId: id, payload }), /no withholding claim/);
    assert.match(
      h.refusal(16, devAddresses[7]!, "report", { taskId: id, payload }),
      /only the developer who paid/,
    );
    assert.match(h.refusal(16, t.verifier, "dispute", { taskId: id }), /exact/);
    assert.match(h.refusal(16, t.verifier, "vote", { taskId: id, fraud: 1 }), /not disputed/);
    assert.match(h.refusal(16, t.verifier, "withheld", { taskId: id }), /published on chain/);
    assert.match(h.refusal(16, other, "verdict", { taskId: id }), /only the drawn verifier/);
    assert.match(h.refusal(16, other, "fraud", { taskId: id, payload }), /only the drawn verifier/);
    assert.equal(h.refusal(16, t.verifier, "fraud", { taskId: id, payload }), "");
    assert.match(h.refusal(16, t.verifier, "fraud", { taskId: id, payload }), /already proven/);
    assert.match(h.refusal(16, t.verifier, "verdict", { taskId: id }), /not checking/);
  });

  it("a honeypot is removed with its cycle's records (from cycle 16), not before, and never stays past it", () => {
    const { h, baits } = baited();
    h.endBlocks(16, 16 * L - 1);
    for (const id of baits) {
      assert.ok(tasks.get(h.store(), id), "kept for the audit window");
      assert.equal(tasks.get(h.store(), id)!.status, TaskStatus.expired);
    }
    h.endBlocks(16 * L, 16 * L + 1);
    for (const id of baits) {
      assert.equal(tasks.get(h.store(), id), undefined, "removed in cycle 16");
      assert.equal(publishedPayloads.get(h.store(), id), undefined, "with its payload");
    }
    assert.equal(honeypots.keys(h.store(), u32Key.encode(0)).length, 0);
  });
});

describe("every method refuses the wrong party, replays, the wrong order and extreme arguments with a ModuleError", () => {
  const U32 = 2 ** 32 - 1;
  const MAX = (1n << 256n) - 1n;

  it("settle", () => {
    const { h, task, resign } = fundedMarket({ amount: 10n ** 18n });
    const t = task(1n);
    const other = devAddresses.find((a) => !equalBytes(a, t.executor))!;
    const refused = (r: unknown, sender = t.executor) => {
      const why = h.refusal(8, sender, "settle", { receipts: [r] });
      assert.notEqual(why, "", "refused");
      return why;
    };
    assert.match(h.refusal(8, t.executor, "settle", { receipts: [] }), /no receipts/);
    assert.match(refused(t.receipt, other), /only the receipt's executor/);
    assert.match(refused(resign(t.receipt, { model: "x".repeat(64) })), /not registered/);
    assert.match(refused(resign(t.receipt, { cycle: U32 })), /not this cycle/);
    assert.match(refused(resign(t.receipt, { round: U32 })), /has not completed/);
    assert.match(refused(resign(t.receipt, { attempt: U32 })), /drawn at most/);
    assert.match(refused(resign(t.receipt, { promptTokens: U32, completionTokens: U32 })), /exceed/);
    // Being one's own intermediary: the draw never names the intermediary.
    assert.match(refused(resign(t.receipt, { intermediary: t.executor })), /goes to/);
    for (const signature of [
      new Uint8Array(65),
      new Uint8Array(65).fill(0xff),
      Uint8Array.of(...new Uint8Array(64).fill(0xff), 1),
    ])
      assert.match(refused({ ...t.receipt, signature }), /recovers to no key|not an authorized/);
    // A receipt signed by another key, or for a fee past the key's limit and the escrow.
    assert.match(refused({ ...t.receipt, executor: other }, other), /goes to|signature|not an authorized/);
    // Replays: twice in a batch, then again once settled.
    assert.match(h.refusal(8, t.executor, "settle", { receipts: [t.receipt, t.receipt] }), /already settled/);
    assert.equal(h.refusal(8, t.executor, "settle", { receipts: [t.receipt] }), "");
    assert.match(refused(t.receipt), /already settled/);
    // Two cycles later the receipt has expired (its record may be gone by then: check 4 holds).
    const late = task(2n);
    assert.match(
      h.refusal(2 * L + 1, late.executor, "settle", { receipts: [late.receipt] }),
      /not this cycle/,
    );
  });

  it("verdict, withheld, publish, dispute, vote: only the drawn verifier (or panel), only in order, once", () => {
    const { h, task } = fundedMarket();
    const a = task(1n);
    const b = task(2n);
    for (const t of [a, b]) assert.equal(h.refusal(8, t.executor, "settle", { receipts: [t.receipt] }), "");
    // Before the draw: no check is open.
    assert.match(h.refusal(9, a.executor, "verdict", { taskId: a.taskId }), /not checking/);
    assert.match(h.refusal(9, a.executor, "withheld", { taskId: a.taskId }), /not checking/);
    assert.match(h.refusal(9, a.executor, "verdict", { taskId: new Uint8Array(32) }), /no settled task/);
    h.beaconOutput(15, new Uint8Array(32).fill(3));
    h.endBlocks(8, 15);
    const ra = tasks.get(h.store(), a.taskId)!;
    assert.equal(ra.status, TaskStatus.checking);
    assert.ok(
      !equalBytes(ra.verifier, ra.executor) && !equalBytes(ra.verifier, ra.intermediary),
      "no self-check",
    );
    for (const who of [ra.executor, ra.intermediary, devAddresses[7]!]) {
      assert.match(h.refusal(16, who, "verdict", { taskId: a.taskId }), /only the drawn verifier/);
      assert.match(h.refusal(16, who, "withheld", { taskId: a.taskId }), /only the drawn verifier/);
      assert.match(h.refusal(16, who, "dispute", { taskId: a.taskId }), /only the drawn verifier/);
    }
    assert.match(h.refusal(16, ra.verifier, "dispute", { taskId: a.taskId }), /exact/);
    assert.match(
      h.refusal(16, ra.verifier, "publish", { taskId: a.taskId, payload: a.payload }),
      /no withholding/,
    );
    for (const fraud of [1, 2, U32])
      assert.notEqual(h.refusal(16, ra.verifier, "vote", { taskId: a.taskId, fraud }), "");
    // A false withholding claim: the executor answers; the claim cannot be replayed or re-made.
    assert.equal(h.refusal(16, ra.verifier, "withheld", { taskId: a.taskId }), "");
    assert.match(h.refusal(16, ra.verifier, "withheld", { taskId: a.taskId }), /not checking/);
    assert.match(h.refusal(16, ra.verifier, "verdict", { taskId: a.taskId }), /not checking/);
    assert.match(
      h.refusal(17, ra.executor, "publish", { taskId: a.taskId, payload: b.payload }),
      /does not hash/,
    );
    assert.equal(h.refusal(17, ra.executor, "publish", { taskId: a.taskId, payload: a.payload }), "");
    assert.match(
      h.refusal(18, ra.executor, "publish", { taskId: a.taskId, payload: a.payload }),
      /no withholding/,
    );
    assert.equal(tasks.get(h.store(), a.taskId)!.status, TaskStatus.published);
    // A verdict once, never after the deadline.
    const rb = tasks.get(h.store(), b.taskId)!;
    if (rb.status === TaskStatus.checking) {
      h.endBlocks(16, rb.deadline);
      assert.match(
        h.refusal(rb.deadline + 1, rb.verifier, "verdict", { taskId: b.taskId }),
        /expired, not checking/,
      );
    }
  });

  it("fraud and report: no conviction without a fault, no report by another, none twice, none past the window", () => {
    const { h, task } = fundedMarket();
    const a = task(1n);
    assert.equal(h.refusal(8, a.executor, "settle", { receipts: [a.receipt] }), "");
    const stranger = devAddresses[5]!;
    assert.match(h.refusal(9, stranger, "fraud", { taskId: a.taskId, payload: a.payload }), /no fraud/);
    assert.match(
      h.refusal(9, stranger, "fraud", { taskId: a.taskId, payload: { ...a.payload, seed: MAX } }),
      /does not hash/,
    );
    assert.match(
      h.refusal(9, stranger, "report", { taskId: a.taskId, payload: a.payload }),
      /only the developer who paid/,
    );
    assert.match(
      h.refusal(9, a.executor, "report", { taskId: a.taskId, payload: a.payload }),
      /only the developer who paid/,
    );
    assert.equal(h.refusal(9, devAddresses[7]!, "report", { taskId: a.taskId, payload: a.payload }), "");
    assert.match(
      h.refusal(10, devAddresses[7]!, "report", { taskId: a.taskId, payload: a.payload }),
      /already reported/,
    );
    assert.equal(
      tasks.get(h.store(), a.taskId)!.status,
      TaskStatus.settled,
      "a rejected report convicts no one",
    );
    assert.match(
      h.refusal(2 * L, stranger, "fraud", { taskId: a.taskId, payload: a.payload }),
      /accepted until cycle 1 ends/,
    );
  });

  it("deposit, withdraw, claimWithdrawal: no more out than in, no early or repeated claim", () => {
    const { h } = fundedMarket({ amount: 1000n });
    const dev = devAddresses[7]!;
    const poor = devAddresses[6]!;
    const balance = h.state.getAccount(poor).balance;
    for (const amount of [0n, balance + 1n, MAX])
      assert.notEqual(h.refusal(7, poor, "deposit", { amount }), "");
    for (const amount of [0n, 1001n, MAX]) assert.notEqual(h.refusal(7, dev, "withdraw", { amount }), "");
    assert.match(h.refusal(7, poor, "claimWithdrawal", {}), /no withdrawal/);
    assert.equal(h.refusal(7, dev, "withdraw", { amount: 600n }), "");
    assert.notEqual(h.refusal(7, dev, "withdraw", { amount: 401n }), "", "asked past the escrow");
    assert.equal(h.refusal(7, dev, "withdraw", { amount: 400n }), "");
    const unlock = withdrawals.get(h.store(), dev)!.unlockHeight;
    assert.ok(unlock >= 2 * L, "not before every receipt of the request's cycle is past its window");
    assert.match(h.refusal(unlock - 1, dev, "claimWithdrawal", {}), /unlocks at height/);
    const before = h.state.getAccount(dev).balance;
    assert.equal(h.refusal(unlock, dev, "claimWithdrawal", {}), "");
    assert.equal(h.state.getAccount(dev).balance - before, 1000n);
    assert.match(h.refusal(unlock, dev, "claimWithdrawal", {}), /no withdrawal/);
    assert.equal(escrows.get(h.store(), dev), 0n);
  });

  it("authorizeKey and revokeKey: no squatting on another's key, no module or zero key, only the owner revokes", () => {
    const { h } = fundedMarket();
    const key = devAddresses[9]!;
    assert.notEqual(
      h.refusal(7, devAddresses[6]!, "authorizeKey", { key: new Uint8Array(20), limit: MAX }),
      "",
    );
    assert.notEqual(
      h.refusal(7, devAddresses[6]!, "authorizeKey", { key: TASKS_MODULE_ADDRESS, limit: 1n }),
      "",
    );
    assert.equal(h.refusal(7, devAddresses[6]!, "authorizeKey", { key, limit: MAX }), "");
    assert.match(h.refusal(7, devAddresses[5]!, "authorizeKey", { key, limit: 0n }), /another account/);
    assert.match(h.refusal(7, devAddresses[5]!, "revokeKey", { key }), /not a key of this account/);
    assert.equal(h.refusal(7, devAddresses[6]!, "revokeKey", { key }), "");
  });
});

describe("convictions and bounties", () => {
  it("a lying verifier's dispute convicts an honest tolerance-class executor when no panel member votes", () => {
    const { h, task } = fundedMarket({ weights: [100n, 100n, 100n, 100n, 100n, 100n] });
    const t = task(70n, { model: FLOAT_MODEL.id });
    assert.equal(h.refusal(8, t.executor, "settle", { receipts: [t.receipt] }), "");
    h.beaconOutput(15, new Uint8Array(32).fill(70));
    h.endBlocks(8, 15);
    const rec = tasks.get(h.store(), t.taskId)!;
    assert.equal(rec.status, TaskStatus.checking);
    // The liar disputes an honest result (1.5M gas); the panel does not show up within the cycle.
    assert.equal(h.refusal(16, rec.verifier, "dispute", { taskId: t.taskId }), "");
    const d = tasks.get(h.store(), t.taskId)!;
    h.endBlocks(16, d.deadline);
    assert.notEqual(
      tasks.get(h.store(), t.taskId)!.status,
      TaskStatus.fraud,
      `convicted on one vote of ${disputes.get(h.store(), t.taskId)!.panel.length} seats: ${taskFrauds.get(h.store(), [0, t.executor])}`,
    );
  });

  it("a fraud prover keeps its bounty when the payer reports the same task after it", () => {
    const { h, task } = fundedMarket({ amount: 10n ** 20n });
    quiet({ h, task } as Market, 10n ** 15n);
    const cheat = task(2n, { wrongToken: true });
    const honest = task(3n);
    for (const t of [cheat, honest])
      assert.equal(h.refusal(8, t.executor, "settle", { receipts: [t.receipt] }), "");
    const prover = devAddresses.find(
      (a) => ![cheat.executor, devAddresses[0]!].some((b) => equalBytes(a, b)),
    )!;
    const fee = tasks.get(h.store(), cheat.taskId)!.fee;
    assert.equal(h.refusal(9, prover, "fraud", { taskId: cheat.taskId, payload: cheat.payload }), "");
    assert.equal(
      h.refusal(10, devAddresses[7]!, "report", { taskId: cheat.taskId, payload: cheat.payload }),
      "",
    );
    const before = h.state.getAccount(prover).balance;
    h.beaconOutput(15, new Uint8Array(32).fill(6));
    h.endBlocks(8, 15);
    verdictAll(h, 16, [honest.taskId]);
    h.endBlocks(16, 3 * L - 1);
    const r = accountRewards.get(readStoreIn(h.state, rewards), [0, prover]);
    const released = r?.released ?? 0n;
    // What a committee seat of the report paid it is not the prover's bounty.
    const report = reports.get(h.store(), cheat.taskId)!;
    const seats = report.committee.filter((a) => equalBytes(a, prover)).length;
    const seat = fee / 2n / BigInt(report.committee.length);
    const bounty = h.state.getAccount(prover).balance - before - released - seat * BigInt(seats);
    assert.ok(
      bounty > 0n,
      `the prover of a ${fee}-wei task was paid a bounty of ${bounty} wei after the payer's report`,
    );
  });
});

describe("serving declarations", () => {
  it("a tolerance-class task whose only servers are its executor and its intermediary is not paid: no one could check it", () => {
    const { h, task } = fundedMarket({ weights: [100n, 100n, 100n, 100n, 100n, 100n] });
    // Four of six declare the exact model only (from cycle 1); dev 0 (intermediary) and dev 1 never declared.
    for (const a of devAddresses.slice(2, 6))
      assert.equal(h.refusal(10, a, "serve", { models: ["racecoin-exact-tiny"] }), "");
    const t = task(5n, { model: FLOAT_MODEL.id, cycle: 1 });
    assert.ok(equalBytes(t.executor, devAddresses[1]!), "the only server left");
    assert.match(
      h.refusal(L + 5, t.executor, "settle", { receipts: [t.receipt] }),
      /is left to check it/,
      "a result no one can check is refused at settlement",
    );
  });
});

describe("serving declarations: draws over declared servers", () => {
  it("dispute: a 256-seat panel among 1,001 light members that all declared stays within the gas ceiling", {
    todo: "timed, so informational (bench:gas is the measurement): fixed by re-pricing and one pool / one declaration scan per batch (946cbdb)",
  }, () => {
    let best = Number.POSITIVE_INFINITY;
    let args: { taskId: Uint8Array } | undefined;
    for (let rep = 0; rep < 2; rep++) {
      const m = fundedMarket();
      const verifier = devAddresses[4]!;
      const light = lightSet(m.h, 1000, [verifier]);
      const ts = storeIn(m.h.state, tasksModule);
      for (const a of [...light, verifier])
        declarations.set(ts, [a, 0], [FLOAT_MODEL.id, "racecoin-exact-tiny"]);
      const taskId = new Uint8Array(32).fill(0xf1);
      tasks.set(ts, taskId, {
        executor: light[0]!,
        intermediary: light[1]!,
        model: FLOAT_MODEL.id,
        payloadHash: new Uint8Array(32),
        fee: 0n,
        cycle: 0,
        height: 8,
        status: TaskStatus.checking,
        verifier,
        deadline: L,
        drawRound: 1,
        checkMilli: 1000,
        payer: devAddresses[7]!,
        round: 1,
        attempt: 0,
      });
      args = { taskId };
      const t0 = performance.now();
      assert.equal(m.h.refusal(20, verifier, "dispute", args), "");
      best = Math.min(best, performance.now() - t0);
      assert.equal(disputes.get(m.h.store(), taskId)!.panel.length, 256);
    }
    const ratio = nsPerGas(best, tasksModule, "dispute", args);
    assert.ok(ratio <= CEILING_NS_PER_GAS, `dispute: ${best.toFixed(1)} ms, ${ratio.toFixed(2)} ns/gas`);
  });
});

describe("serving declarations: the check draws of a block", () => {
  it("endBlock drawing checks of both models among 1,001 declared members stays within the 500 ms hook budget", () => {
    const m = fundedMarket();
    const light = lightSet(m.h, 1000, [devAddresses[0]!]);
    const ts = storeIn(m.h.state, tasksModule);
    for (const a of light) declarations.set(ts, [a, 0], [FLOAT_MODEL.id, "racecoin-exact-tiny"]);
    for (let i = 0; i < 64; i++) {
      const id = new Uint8Array(32);
      id[0] = 0xb0;
      id[1] = i;
      tasks.set(ts, id, {
        executor: light[i]!,
        intermediary: light[i + 100]!,
        model: i % 2 === 0 ? FLOAT_MODEL.id : "racecoin-exact-tiny",
        payloadHash: new Uint8Array(32),
        fee: 0n,
        cycle: 0,
        height: 8,
        status: TaskStatus.settled,
        verifier: new Uint8Array(20) as Address,
        deadline: 0,
        drawRound: 0,
        checkMilli: 0,
        payer: devAddresses[7]!,
        round: 1,
        attempt: 0,
      });
      tasksByCycle.set(ts, [0, id], 1);
      undrawn.set(ts, [8, id], 1);
    }
    m.h.beaconOutput(15, new Uint8Array(32).fill(6));
    const t0 = performance.now();
    tasksModule.endBlock!(m.h.ctx(15, tasksModule));
    const ms = performance.now() - t0;
    assert.ok(
      ms <= 500,
      `endBlock, 64 draws of two models among 1,001 declared members: ${ms.toFixed(0)} ms`,
    );
    // Recorded for the report (a hook is paid by no one).
    console.log(`endBlock with 64 draws of two models among 1,001 declared members: ${ms.toFixed(0)} ms`);
  });
});

describe("escrow withdrawals", () => {
  it("a task answered in the cycle a withdrawal is asked settles from the escrow asked back; a later one spends only what is left, and its executor is told before answering", () => {
    const { h, task } = fundedMarket({ amount: 10n ** 18n, apiKey: new Uint8Array(32).fill(5) });
    const dev = devAddresses[7]!;
    const key = privateKeyToAddress(new Uint8Array(32).fill(5));
    // Cycle 0: a task is answered, then the developer asks for all of its escrow back.
    const served = task(1n, { cycle: 0 });
    const fee = 10n ** 12n;
    assert.equal(payerRefusal(h.store(), key, fee, 0, L), undefined, "before the request: payable");
    assert.equal(h.refusal(7, dev, "withdraw", { amount: 10n ** 18n }), "");
    const unlock = withdrawals.get(h.store(), dev)!.unlockHeight;
    assert.equal(unlock, 3 * L, "unlocks three cycles on");
    // The executor that answered in cycle 0 could not have seen the request coming: its receipt
    // spends the escrow asked back, and settles (within cycle 1) before the withdrawal unlocks.
    assert.equal(payerRefusal(h.store(), key, fee, 0, L), undefined, "a task of the request's cycle");
    assert.equal(h.refusal(L + 1, served.executor, "settle", { receipts: [served.receipt] }), "");
    // From the next cycle, an executor sees the request and does not answer: nothing is left.
    assert.match(
      payerRefusal(h.store(), key, fee, 1, L) ?? "",
      /escrow holds 0 wei besides the .* asked back/,
    );
    // And a receipt of a later cycle is refused on chain whatever an executor did.
    const later = task(2n, { cycle: 1 });
    assert.match(
      h.refusal(L + 2, later.executor, "settle", { receipts: [later.receipt] }),
      /exceeds the developer's escrow .* less the .* asked back/,
    );
    // The claim pays what the settlement left, once.
    assert.equal(h.refusal(unlock, dev, "claimWithdrawal", {}), "");
    assert.equal(escrows.get(h.store(), dev) ?? 0n, 0n);
  });

  it("the executor's payer check: unknown, revoked and over-limit keys, and the key a request signature names", () => {
    const { h } = fundedMarket({ amount: 10n ** 18n, apiKey: new Uint8Array(32).fill(6) });
    const apiKey = new Uint8Array(32).fill(6);
    const key = privateKeyToAddress(apiKey);
    assert.match(payerRefusal(h.store(), devAddresses[3]!, 1n, 0, L) ?? "", /not an authorized API key/);
    assert.match(payerRefusal(h.store(), key, 10n ** 30n, 0, L) ?? "", /spend limit leaves/);
    const body = new TextEncoder().encode("a request body");
    const sig = signRequest(apiKey, CHAIN_ID, body);
    assert.ok(equalBytes(requestSigner(CHAIN_ID, body, sig)!, key), "the signing key");
    // Another body or chain recovers to some other key: not the payer's.
    for (const [b, chain] of [
      [new TextEncoder().encode("a request bodz"), CHAIN_ID],
      [body, CHAIN_ID + 1n],
    ] as const) {
      const who = requestSigner(chain, b, sig);
      assert.ok(!who || !equalBytes(who, key), "a signature binds its body and chain");
    }
    assert.equal(
      requestSigner(CHAIN_ID, body, new Uint8Array(65)),
      null,
      "v = 0 with r = s = 0 recovers none",
    );
    assert.equal(requestSigner(CHAIN_ID, body, new Uint8Array(64)), null, "short");
    // What the asking executor has answered and not settled counts against the limit and escrow.
    assert.match(
      payerRefusal(h.store(), key, 1n, 0, L, { key: 0n, owner: 10n ** 18n }) ?? "",
      /escrow holds 0 wei besides/,
    );
    assert.equal(h.refusal(8, devAddresses[7]!, "revokeKey", { key }), "");
    assert.match(payerRefusal(h.store(), key, 1n, 0, L) ?? "", /revoked/);
  });
});

describe("serving declarations: what one refused receipt costs", () => {
  it("settle: one receipt whose draw names someone else, among 1,001 declared members, stays within the gas ceiling", {
    todo: "timed, so informational (bench:gas is the measurement): fixed by re-pricing and one pool / one declaration scan per batch (946cbdb)",
  }, () => {
    const m = fundedMarket();
    const light = lightSet(m.h, 1000, [devAddresses[0]!]);
    const ts = storeIn(m.h.state, tasksModule);
    for (const a of light) declarations.set(ts, [a, 0], [FLOAT_MODEL.id, "racecoin-exact-tiny"]);
    const t = m.task(1n);
    const liar = devAddresses[6]!;
    // The attacker's own key signs a receipt naming itself; the draw names someone else.
    const key = randomPrivateKey();
    assert.equal(m.h.refusal(7, liar, "authorizeKey", { key: privateKeyToAddress(key), limit: 0n }), "");
    const { signature: _, ...body } = t.receipt;
    const args = { receipts: [signReceipt(key, CHAIN_ID, { ...body, executor: liar })] };
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      assert.match(m.h.refusal(8, liar, "settle", args), /goes to/);
      times.push(performance.now() - t0);
    }
    const ms = Math.min(...times);
    const ratio = nsPerGas(ms, tasksModule, "settle", args);
    assert.ok(
      ratio <= CEILING_NS_PER_GAS,
      `a refused one-receipt settle among 1,001 declared members: ${ms.toFixed(1)} ms, ${ratio.toFixed(1)} ns/gas (ceiling ${CEILING_NS_PER_GAS.toFixed(2)}), repeatable`,
    );
  });
});
