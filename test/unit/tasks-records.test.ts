// What the tasks module's endBlock reads and keeps (spec/tasks.md §Records): it reads only the
// entries it acts on (ordered range scans, however many tasks are stored), draws at most
// MAX_DRAWS_PER_BLOCK checks a block, and removes a cycle's records from cycle c + RECORD_CYCLES
// in bounded batches, after the rewards have settled from them, keeping a still-open one until it
// closes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  cycleRewards,
  type RawStore,
  rewards,
  u32Key,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import {
  disputes,
  due,
  lingering,
  MAX_DRAWS_PER_BLOCK,
  MAX_PRUNED_PER_BLOCK,
  pending,
  publishedPayloads,
  RECORD_CYCLES,
  reports,
  served,
  type TaskRecord,
  TaskStatus,
  tasks,
  tasksByCycle,
  tasksModule,
  undrawn,
  upheldReports,
} from "../../contracts/tasks/index.ts";
import { privateKeyToAddress, randomPrivateKey } from "../../src/crypto/index.ts";
import { minimal } from "../../src/params/index.ts";
import { storeIn } from "../../src/state/index.ts";
import type { Address } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { answeredTask, tasksHarness } from "../helpers/tasksModule.ts";

const L = minimal.cycleLength;
const intermediary = devAddresses[0]!;
const developer = devAddresses[7]!;

function record(n: number, cycle: number, status: number, extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    executor: devAddresses[1 + (n % 3)]!,
    intermediary,
    model: "racecoin-exact-tiny",
    payloadHash: new Uint8Array(32),
    fee: 1_000n,
    cycle,
    height: cycle * L + 1,
    status,
    verifier: devAddresses[1 + ((n + 1) % 3)]!,
    deadline: 0,
    drawRound: 0,
    checkMilli: 0,
    payer: developer,
    round: 1,
    attempt: 0,
    ...extra,
  };
}

const idOf = (n: number) => {
  const id = new Uint8Array(32);
  new DataView(id.buffer).setUint32(28, n);
  id[0] = 0xab;
  return id;
};

/** The module's store, counting the keys its scans hand back. */
function counting(inner: RawStore) {
  const seen = { keys: 0 };
  const store: RawStore = {
    get: (k) => inner.get(k),
    set: (k, v) => inner.set(k, v),
    delete: (k) => inner.delete(k),
    keys: (p, r) => {
      const ks = inner.keys(p, r);
      seen.keys += ks.length;
      return ks;
    },
  };
  return { store, seen };
}

function harness() {
  const h = tasksHarness();
  for (let c = 8; c <= RECORD_CYCLES + 4; c++)
    validatorSets.set(storeIn(h.state, validators), c, validatorSets.get(storeIn(h.state, validators), 0)!);
  return h;
}

describe("tasks: what endBlock reads and what stays", () => {
  it("endBlock reads only the draws and deadlines of its block, not every waiting task and open check", () => {
    const h = harness();
    const s = storeIn(h.state, tasksModule);
    const height = 30;
    h.beaconOutput(height - 1, new Uint8Array(32).fill(5));
    let n = 0;
    // 500 settled after the latest round (not drawable yet) and 500 checks due next cycle.
    for (let i = 0; i < 500; i++, n++) {
      tasks.set(s, idOf(n), record(n, 0, TaskStatus.settled, { height: height }));
      undrawn.set(s, [height, idOf(n)], 1);
    }
    for (let i = 0; i < 500; i++, n++) {
      tasks.set(s, idOf(n), record(n, 0, TaskStatus.checking, { deadline: height + 1 + i }));
      due.set(s, [height + 1 + i, idOf(n)], 1);
    }
    // What this block acts on: three to draw, two checks at their deadline.
    const drawn = [n, n + 1, n + 2];
    for (const d of drawn) {
      tasks.set(s, idOf(d), record(d, 0, TaskStatus.settled, { height: height - 5 }));
      undrawn.set(s, [height - 5, idOf(d)], 1);
    }
    const expiring = [n + 3, n + 4];
    for (const e of expiring) {
      tasks.set(s, idOf(e), record(e, 0, TaskStatus.checking, { deadline: height }));
      due.set(s, [height, idOf(e)], 1);
    }
    const { store, seen } = counting(s);
    tasksModule.endBlock!({ ...h.ctx(height, tasksModule), store });
    assert.equal(seen.keys, drawn.length + expiring.length, "keys read by endBlock's scans");
    for (const d of drawn) assert.notEqual(tasks.get(s, idOf(d))!.status, TaskStatus.settled);
    for (const e of expiring) assert.equal(tasks.get(s, idOf(e))!.status, TaskStatus.expired);
    assert.equal(undrawn.keys(s).length, 500);
    assert.equal(due.scan(s, { to: u32Key.encode(height + 1) }).length, 0);
  });

  it(`draws at most ${MAX_DRAWS_PER_BLOCK} checks a block, in settlement order; the rest the next block`, () => {
    const h = harness();
    const s = storeIn(h.state, tasksModule);
    h.beaconOutput(20, new Uint8Array(32).fill(6));
    const total = MAX_DRAWS_PER_BLOCK + 6;
    for (let n = 0; n < total; n++) {
      // Later settlement heights for the last ones: they are the ones left for the next block.
      const at = n < MAX_DRAWS_PER_BLOCK ? 10 : 11;
      tasks.set(s, idOf(n), record(n, 0, TaskStatus.settled, { height: at }));
      undrawn.set(s, [at, idOf(n)], 1);
    }
    const waiting = () =>
      Array.from({ length: total }, (_, n) => n).filter(
        (n) => tasks.get(s, idOf(n))!.status === TaskStatus.settled,
      );
    h.endBlocks(21, 21);
    assert.deepEqual(
      waiting(),
      Array.from({ length: 6 }, (_, i) => MAX_DRAWS_PER_BLOCK + i),
    );
    h.endBlocks(22, 22);
    assert.deepEqual(waiting(), []);
    assert.equal(undrawn.keys(s).length, 0);
  });

  it(`removes cycle c's records from cycle c + ${RECORD_CYCLES}, ${MAX_PRUNED_PER_BLOCK} a block; an open check lingers until it closes`, () => {
    const h = harness();
    const s = storeIn(h.state, tasksModule);
    const total = MAX_PRUNED_PER_BLOCK + 10;
    const closed = [
      TaskStatus.verified,
      TaskStatus.unchecked,
      TaskStatus.expired,
      TaskStatus.fraud,
      TaskStatus.cleared,
    ];
    for (let n = 0; n < total; n++) {
      tasks.set(s, idOf(n), record(n, 0, closed[n % closed.length]!));
      tasksByCycle.set(s, [0, idOf(n)], 1);
    }
    // What is kept by task id goes with the record.
    const t0 = record(0, 0, closed[0]!);
    reports.set(s, idOf(0), {
      reporter: developer,
      committee: [devAddresses[2]!],
      upheld: 1,
      fee: 1_000n,
      reportFee: 1n,
      cycle: 0,
      reason: "token 0",
    });
    upheldReports.set(s, [0, [t0.executor, idOf(0)]], 1);
    disputes.set(s, idOf(1), { panel: [{ address: devAddresses[2]!, weight: 1n }], votes: [] });
    publishedPayloads.set(s, idOf(2), {
      prompt: new Uint8Array(1),
      maxTokens: 1,
      temperatureMilli: 0,
      topPMilli: 1000,
      seed: 0n,
      tokens: new Uint8Array(1),
      finish: "length",
      positions: [],
    });
    // The per-cycle summaries stay.
    pending.set(s, [0, t0.executor], 5n);
    served.set(s, [0, t0.executor], 3);
    // A check still open long after: the executor and verifier keep it going with transactions.
    const open = total;
    const verifier = devAddresses[2]!;
    tasks.set(s, idOf(open), record(open, 0, TaskStatus.checking, { verifier, deadline: 20 * L }));
    tasksByCycle.set(s, [0, idOf(open)], 1);
    due.set(s, [20 * L, idOf(open)], 1);
    const stored = () =>
      Array.from({ length: total + 1 }, (_, n) => n).filter((n) => tasks.has(s, idOf(n))).length;

    h.endBlocks(RECORD_CYCLES * L - 1, RECORD_CYCLES * L - 1);
    assert.equal(stored(), total + 1, "kept through cycle c + RECORD_CYCLES − 1");
    h.endBlocks(RECORD_CYCLES * L, RECORD_CYCLES * L);
    // Oldest first in (cycle, task) order: the open check, last in that order, is not reached yet.
    assert.equal(stored(), total + 1 - MAX_PRUNED_PER_BLOCK);
    h.endBlocks(RECORD_CYCLES * L + 1, RECORD_CYCLES * L + 1);
    assert.equal(stored(), 1, "only the open check is left");
    assert.ok(tasks.has(s, idOf(open)));
    assert.equal(tasksByCycle.keys(s, new Uint8Array(4)).length, 0);
    assert.deepEqual(
      lingering.keys(s).map(([c]) => c),
      [RECORD_CYCLES + 1],
    );
    for (const [map, key] of [
      [reports, idOf(0)],
      [disputes, idOf(1)],
      [publishedPayloads, idOf(2)],
    ] as const)
      assert.equal(map.has(s, key), false, map.name);
    assert.equal(upheldReports.has(s, [0, [t0.executor, idOf(0)]]), false);
    assert.equal(pending.get(s, [0, t0.executor]), 5n);
    assert.equal(served.get(s, [0, t0.executor]), 3);
    // Still open in the next cycle: looked at once, kept again.
    h.endBlocks((RECORD_CYCLES + 1) * L, (RECORD_CYCLES + 1) * L);
    assert.ok(tasks.has(s, idOf(open)));
    assert.deepEqual(
      lingering.keys(s).map(([c]) => c),
      [RECORD_CYCLES + 2],
    );
    // Closed by its verdict: gone at the next cycle's first block.
    assert.equal(h.refusal((RECORD_CYCLES + 1) * L + 5, verifier, "verdict", { taskId: idOf(open) }), "");
    h.endBlocks((RECORD_CYCLES + 2) * L - 1, (RECORD_CYCLES + 2) * L);
    assert.equal(tasks.has(s, idOf(open)), false);
    assert.equal(lingering.keys(s).length, 0);
  });

  it("the rewards settle a cycle from its records before they go; a pruned task's receipt cannot settle again", () => {
    const h = harness();
    const apiKey = randomPrivateKey();
    const output = h.beaconOutput(5, new Uint8Array(32).fill(7));
    assert.equal(h.refusal(6, developer, "deposit", { amount: 10n ** 15n }), "");
    assert.equal(
      h.refusal(6, developer, "authorizeKey", { key: privateKeyToAddress(apiKey), limit: 10n ** 14n }),
      "",
    );
    const answered = [1n, 2n, 3n, 4n, 5n, 6n].map((serial) =>
      answeredTask({
        apiKey,
        beaconOutput: output,
        round: 1,
        cycle: 0,
        serial,
        intermediary,
        state: h.state,
      }),
    );
    const byExecutor = new Map<string, typeof answered>();
    for (const t of answered)
      byExecutor.set(String(t.executor), [...(byExecutor.get(String(t.executor)) ?? []), t]);
    for (const group of byExecutor.values())
      assert.equal(h.refusal(8, group[0]!.executor, "settle", { receipts: group.map((t) => t.receipt) }), "");
    h.beaconOutput(12, new Uint8Array(32).fill(8));
    h.endBlocks(8, 3 * L - 1);
    const s = storeIn(h.state, tasksModule);
    const settled = cycleRewards.get(storeIn(h.state, rewards), 0);
    assert.ok(settled, "cycle 0 settled at the end of cycle 2");
    assert.equal(settled.tasks, answered.length);
    assert.equal(
      settled.fees,
      answered.reduce((t, a) => t + tasks.get(s, a.taskId)!.fee, 0n),
    );
    h.endBlocks(3 * L, RECORD_CYCLES * L - 1);
    assert.ok(
      answered.every((t) => tasks.has(s, t.taskId)),
      "kept until cycle c + RECORD_CYCLES",
    );
    h.endBlocks(RECORD_CYCLES * L, RECORD_CYCLES * L);
    assert.ok(answered.every((t) => !tasks.has(s, t.taskId)));
    const executor: Address = answered[0]!.executor;
    assert.match(
      h.refusal(RECORD_CYCLES * L + 1, executor, "settle", { receipts: [answered[0]!.receipt] }),
      /is not this cycle/,
    );
  });
});
