// bench:tasks-store — the cost of a block's module hooks as the tasks store grows
// (spec/fees.md §Gas ceiling: hooks are paid by no one, so they must cost what the block's work
// costs, never what history costs).
//
// For each size N the world (the in-memory committed state the node applies blocks to) holds N
// task records of past cycles with their per-cycle index, written directly through the tasks
// module's store maps, beside what every run has: PER_CYCLE tasks in each of the last four
// cycles, 64 settled tasks waiting for their check draw, open checks whose deadlines spread over
// the next cycle, and PER_CYCLE tasks of the cycle whose records are being removed. Then, each on
// a fresh block overlay over that world, as the node applies a block:
//   - a mid-cycle block: every module's endBlock (the tasks module draws 64 checks, closes the
//     checks due, removes up to PER_CYCLE records past their time);
//   - a cycle's last block: every endBlock and endCycle (the rewards settle the cycle before last);
//   - a mid-cycle block with 4 settle transactions of 16 receipts each, then every endBlock;
//   - the mid-cycle block again once the records past their time are gone (most of a cycle).
// The N records lie in the cycles between (kept, not yet past their time): store size alone.
// Ceiling: the same blocks over a store with no history (N = 0). Target: the time does not grow
// with N (ratio ≈ 1) and stays far under the 500 ms hook budget.
// Usage: npm run bench:tasks-store -- [--tasks 10000,100000,1000000] [--per-cycle 1000] [--repeat 5]
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import {
  defaultModules,
  type Module,
  type RawStore,
  u32Key,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import {
  due,
  pending,
  RECORD_CYCLES,
  served,
  type TaskRecord,
  TaskStatus,
  tasks,
  tasksByCycle,
  tasksModule,
  undrawn,
} from "../../contracts/tasks/index.ts";
import { privateKeyToAddress, randomPrivateKey } from "../../src/crypto/index.ts";
import type { Receipt } from "../../src/inference/index.ts";
import { mainnet, TASKS_MODULE_ADDRESS } from "../../src/params/index.ts";
import {
  blockInfo,
  moduleContext,
  readStoreIn,
  StateOverlay,
  type StateReader,
  type StorageChange,
  storeIn,
  WorldState,
} from "../../src/state/index.ts";
import { Trie } from "../../src/trie/index.ts";
import { type Address, ZERO_ADDRESS } from "../../src/types/index.ts";
import { devAddresses } from "../../test/helpers/chain.ts";
import { answeredTask, CHAIN_ID, tasksHarness } from "../../test/helpers/tasksModule.ts";
import { report } from "./report.ts";

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "10000,100000,1000000" },
    "per-cycle": { type: "string", default: "1000" },
    repeat: { type: "string", default: "5" },
  },
});
const SIZES = values.tasks.split(",").map(Number);
const PER_CYCLE = Number(values["per-cycle"]);
const REPEAT = Number(values.repeat);
const BUDGET_MS = 0.1 * mainnet.blockTimeMs;
const preset = mainnet;
const L = preset.cycleLength;
/**
 * The current cycle: the live window is cycles CYCLE − 3 … CYCLE, the N records of history lie in
 * the cycles between it and PAST, the cycle past its time (its records go, a batch a block).
 */
const CYCLE = RECORD_CYCLES + 4;
const PAST = CYCLE - RECORD_CYCLES;
const START = CYCLE * L;
/** A mid-cycle height clear of the race's settlement (fraudEnd) and of the cycle's end. */
const MID = START + 700;
const CYCLE_END = START + L - 1;
const DRAWN_PER_BLOCK = 64;
const OPEN_CHECKS = 256;
const developer = devAddresses[7]!;
const intermediary = devAddresses[0]!;
const executors = devAddresses.slice(1, 4);

const log = (s: string) => process.stderr.write(`${s}\n`);

// ---- The chain's state apart from history: genesis, sets, a beacon round, escrow, receipts ----
const h = tasksHarness([100n, 100n, 100n, 100n], preset);
const set = [0, 1, 2, 3].map((i) => ({
  address: devAddresses[i]!,
  weight: 100n,
  blsKey: new Uint8Array(48),
}));
for (let c = 0; c <= CYCLE + 1; c++) validatorSets.set(storeIn(h.state, validators), c, set);
const output = h.beaconOutput(MID - 1, new Uint8Array(32).fill(9));
const apiKey = randomPrivateKey();
h.call(MID - 2, developer, "deposit", { amount: 10n ** 20n });
h.call(MID - 2, developer, "authorizeKey", { key: privateKeyToAddress(apiKey), limit: 10n ** 20n });
// The rewards pay the settled cycle's fees out of the module account.
h.state.setAccount(TASKS_MODULE_ADDRESS, { nonce: 0n, balance: 10n ** 24n });
const receipts: Receipt[][] = [];
{
  const byExecutor = new Map<string, Receipt[]>();
  for (let serial = 0n; serial < 64n; serial++) {
    const t = answeredTask({
      apiKey,
      beaconOutput: output,
      round: 1,
      cycle: CYCLE,
      serial,
      intermediary,
      state: h.state,
    });
    const k = String(t.executor);
    byExecutor.set(k, [...(byExecutor.get(k) ?? []), t.receipt]);
  }
  for (const group of byExecutor.values())
    for (let i = 0; i < group.length; i += 16) receipts.push(group.slice(i, i + 16));
}

const taskId = (n: number) => new Uint8Array(createHash("sha256").update(`bench-task-${n}`).digest());
const record = (
  executor: Address,
  cycle: number,
  status: number,
  extra: Partial<TaskRecord> = {},
): TaskRecord => ({
  executor,
  intermediary,
  model: "racecoin-exact-tiny",
  payloadHash: new Uint8Array(32),
  fee: 1_000n,
  cycle,
  height: cycle * L + 1,
  status,
  verifier: devAddresses[(executors.indexOf(executor) + 2) % 4]!,
  deadline: 0,
  drawRound: 1,
  checkMilli: 63,
  payer: developer,
  round: 1,
  attempt: 0,
  ...extra,
});

/** A raw store that collects writes, to be applied to the world in one delta. */
function collector(): { store: RawStore; writes: StorageChange[] } {
  const writes: StorageChange[] = [];
  const store: RawStore = {
    get: () => undefined,
    set: (key, value) => writes.push({ module: TASKS_MODULE_ADDRESS, key, value }),
    delete: (key) => writes.push({ module: TASKS_MODULE_ADDRESS, key, value: null }),
    keys: () => [],
  };
  return { store, writes };
}

function applyTo(world: WorldState, storage: StorageChange[], changes = new Map()): void {
  world.apply({ changes, storage, trie: Trie.empty(), storageTries: new Map() });
}

function buildWorld(history: number): WorldState {
  const world = new WorldState();
  applyTo(world, [...h.state.storage.values()], h.state.changes);
  let n = 0;
  // History: N closed tasks of the cycles between the one past its time and the live window.
  const closed = [TaskStatus.verified, TaskStatus.unchecked, TaskStatus.expired];
  while (n < history) {
    const { store, writes } = collector();
    for (let i = 0; i < 100_000 && n < history; i++, n++) {
      const id = taskId(n);
      const cycle = PAST + 1 + (n % (CYCLE - 4 - PAST));
      tasks.set(store, id, record(executors[n % 3]!, cycle, closed[n % 3]!));
      tasksByCycle.set(store, [cycle, id], 1);
    }
    applyTo(world, writes);
  }
  const { store, writes } = collector();
  for (let i = 0; i < PER_CYCLE; i++, n++) {
    const id = taskId(n);
    tasks.set(store, id, record(executors[i % 3]!, PAST, closed[i % 3]!));
    tasksByCycle.set(store, [PAST, id], 1);
  }
  // The live window: PER_CYCLE tasks in each of cycles CYCLE − 3 … CYCLE.
  for (let cycle = CYCLE - 3; cycle <= CYCLE; cycle++) {
    for (let i = 0; i < PER_CYCLE; i++, n++) {
      const id = taskId(n);
      const executor = executors[i % 3]!;
      tasks.set(store, id, record(executor, cycle, closed[i % 3]!));
      tasksByCycle.set(store, [cycle, id], 1);
    }
    for (const e of executors) {
      pending.set(store, [cycle, e], BigInt(PER_CYCLE) * 333n);
      served.set(store, [cycle, e], Math.ceil(PER_CYCLE / 3));
    }
  }
  // Settled this cycle, waiting for the draw (the latest round completed after them).
  for (let i = 0; i < DRAWN_PER_BLOCK; i++, n++) {
    const id = taskId(n);
    tasks.set(
      store,
      id,
      record(executors[i % 3]!, CYCLE, TaskStatus.settled, { height: MID - 2, drawRound: 0 }),
    );
    tasksByCycle.set(store, [CYCLE, id], 1);
    undrawn.set(store, [MID - 2, id], 1);
  }
  // Open checks, their deadlines spread over the next cycle from MID.
  for (let i = 0; i < OPEN_CHECKS; i++, n++) {
    const id = taskId(n);
    const deadline = MID + Math.floor((i * L) / OPEN_CHECKS);
    tasks.set(store, id, record(executors[i % 3]!, CYCLE, TaskStatus.checking, { deadline }));
    tasksByCycle.set(store, [CYCLE, id], 1);
    due.set(store, [deadline, id], 1);
  }
  applyTo(world, writes);
  return world;
}

const hookOrder = defaultModules.modules;

function runHooks(state: StateOverlay, height: number): void {
  const block = blockInfo({ chainId: CHAIN_ID, preset }, height, ZERO_ADDRESS);
  for (const m of hookOrder) m.endBlock?.(moduleContext(block, state, m));
  if ((height + 1) % L !== 0) return;
  for (const m of hookOrder) m.endCycle?.(moduleContext(block, state, m));
}

function settle(state: StateOverlay, height: number, batch: Receipt[]): void {
  const scratch = new StateOverlay(state);
  const block = blockInfo({ chainId: CHAIN_ID, preset }, height, ZERO_ADDRESS);
  const ctx = moduleContext(block, scratch, tasksModule as Module);
  tasksModule.methods.settle!.execute(
    { ...ctx, sender: batch[0]!.executor, emit: () => {} },
    { receipts: batch },
  );
  scratch.mergeInto(state);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(world: WorldState, f: (state: StateOverlay) => void): number {
  const runs: number[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const state = new StateOverlay(world);
    const t0 = performance.now();
    f(state);
    runs.push(performance.now() - t0);
  }
  return +median(runs).toFixed(3);
}

interface Row {
  tasks: number;
  storeEntries: number;
  buildS: number;
  /** Task records one mid-cycle block removes (those of cycle PAST, a batch a block). */
  removedPerBlock: number;
  /** Keys that block's range scans read from the world's ordered index, every module's. */
  worldKeysReadPerBlock: number;
  endBlockMs: number;
  cycleEndMs: number;
  settleBlockMs: number;
  /** The mid-cycle block once cycle PAST's records are gone (a block of most of the cycle). */
  quietBlockMs: number;
}

type Timed = "endBlockMs" | "cycleEndMs" | "settleBlockMs" | "quietBlockMs";

function measure(history: number): Row {
  const t0 = performance.now();
  const world = buildWorld(history);
  const buildS = +((performance.now() - t0) / 1000).toFixed(1);
  const blocks = {
    endBlockMs: (s: StateOverlay) => runHooks(s, MID),
    cycleEndMs: (s: StateOverlay) => runHooks(s, CYCLE_END),
    settleBlockMs: (s: StateOverlay) => {
      for (const batch of receipts) settle(s, MID, batch);
      runHooks(s, MID);
    },
  };
  // A first pass warms the code paths, so N = 0 is not charged for compilation.
  for (const f of Object.values(blocks)) f(new StateOverlay(world));
  // One more block over a reader that counts the keys the scans take from the world's index.
  let keysRead = 0;
  const counting: StateReader = {
    getAccount: (a) => world.getAccount(a),
    getStorage: (m, k) => world.getStorage(m, k),
    *storageScan(m, scan) {
      for (const id of world.storageScan(m, scan)) {
        keysRead++;
        yield id;
      }
    },
  };
  const probe = new StateOverlay(counting);
  blocks.endBlockMs(probe);
  const taskKeys = Buffer.from(tasks.prefix).toString("hex");
  const removed = [...probe.storage.values()].filter(
    (c) => c.value === null && Buffer.from(c.key).toString("hex").startsWith(taskKeys),
  ).length;
  const storeEntries = world.storageSize();
  const timed = {
    endBlockMs: time(world, blocks.endBlockMs),
    cycleEndMs: time(world, blocks.cycleEndMs),
    settleBlockMs: time(world, blocks.settleBlockMs),
  };
  // The same block after the removals of the cycle's first blocks: nothing past its time is left.
  applyTo(
    world,
    tasksByCycle.scan(readStoreIn(world, tasksModule), { under: u32Key.encode(PAST) }).flatMap(([c, id]) => [
      { module: TASKS_MODULE_ADDRESS, key: tasksByCycle.storeKey([c, id]), value: null },
      { module: TASKS_MODULE_ADDRESS, key: tasks.storeKey(id), value: null },
    ]),
  );
  const row: Row = {
    tasks: history,
    storeEntries,
    buildS,
    removedPerBlock: removed,
    worldKeysReadPerBlock: keysRead,
    ...timed,
    quietBlockMs: time(world, blocks.endBlockMs),
  };
  log(`tasks-store: ${JSON.stringify(row)}`);
  return row;
}

const ceiling = measure(0);
const rows: Row[] = [];
for (const n of SIZES) {
  rows.push(measure(n));
  global.gc?.();
}
const worst = (k: Timed) => rows.reduce((m, r) => Math.max(m, r[k]), 0) / ceiling[k];
const largest = rows[rows.length - 1]!;
report({
  bench: "tasks-store",
  preset: preset.name,
  perCycle: PER_CYCLE,
  rows,
  ceiling: {
    tasks: 0,
    endBlockMs: ceiling.endBlockMs,
    cycleEndMs: ceiling.cycleEndMs,
    settleBlockMs: ceiling.settleBlockMs,
    quietBlockMs: ceiling.quietBlockMs,
  },
  ratio: {
    endBlock: +worst("endBlockMs").toFixed(2),
    cycleEnd: +worst("cycleEndMs").toFixed(2),
    settleBlock: +worst("settleBlockMs").toFixed(2),
    quietBlock: +worst("quietBlockMs").toFixed(2),
  },
  budgetMs: BUDGET_MS,
  withinBudget: Math.max(largest.endBlockMs, largest.cycleEndMs, largest.settleBlockMs) < BUDGET_MS,
  target: `ratio ≈ 1 at every size (no growth with the store) and every block under ${BUDGET_MS} ms`,
});
