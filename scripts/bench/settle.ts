// bench:settle — a cycle's rewards settlement (settleCycle, spec/rewards.md §Settlement) on the
// mainnet preset: N settled tasks of one cycle spread over a 150-member set (two in three
// verified), settled in one endCycle as the chain does today. Prints the time per task and the
// tasks one settlement can take within the 500 ms hook budget (spec/fees.md §Gas ceiling), next to
// the most tasks a mainnet cycle can settle (blocks × block gas ÷ settle gas per receipt).
// Usage: npm run bench:settle -- [--tasks 100000]
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import {
  rewards,
  settleCycle,
  TaskStatus,
  tasks,
  tasksByCycle,
  tasksModule,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import { SETTLE_GAS_PER_RECEIPT } from "../../contracts/tasks/index.ts";
import { mainnet } from "../../src/params/index.ts";
import { StateOverlay, storeIn } from "../../src/state/index.ts";
import type { Address } from "../../src/types/index.ts";
import { tasksHarness } from "../../test/helpers/tasksModule.ts";
import { report } from "./report.ts";

const { values } = parseArgs({ options: { tasks: { type: "string", default: "100000" } } });
const N = Number(values.tasks);
const preset = mainnet;
const L = preset.cycleLength;
const BUDGET_MS = 500;

const h = tasksHarness([100n, 100n, 100n, 100n], preset);
const members = Array.from({ length: preset.maxValidators }, (_, i) => ({
  address: new Uint8Array(20).fill(0).map((_, j) => (j === 0 ? 0xa0 : j === 1 ? i : 0)) as Address,
  weight: 100n + BigInt(i),
  blsKey: new Uint8Array(48),
}));
for (let c = 0; c < 4; c++) validatorSets.set(storeIn(h.state, validators), c, members);
const ts = storeIn(h.state, tasksModule);
const m = members.length;
for (let i = 0; i < N; i++) {
  const id = randomBytes(32);
  tasks.set(ts, id, {
    executor: members[i % m]!.address,
    intermediary: members[(i * 13) % m]!.address,
    model: "racecoin-exact-tiny",
    payloadHash: randomBytes(32),
    fee: 1000n * BigInt(1 + (i % 50)),
    cycle: 0,
    height: 5,
    status: i % 3 ? TaskStatus.verified : TaskStatus.unchecked,
    verifier: members[(i * 7 + 3) % m]!.address,
    deadline: 0,
    drawRound: 1,
    checkMilli: 1000,
    payer: members[(i * 13) % m]!.address,
    round: 1,
    attempt: 0,
  });
  tasksByCycle.set(ts, [0, id], 1);
}
h.state.setAccount(tasksModule.address, { nonce: 0n, balance: 10n ** 30n });
const scratch = new StateOverlay(h.state);
const ctx = h.ctx(3 * L - 1, rewards);
const t = performance.now();
settleCycle(
  {
    ...ctx,
    state: { getAccount: (a) => scratch.getAccount(a), setAccount: (a, v) => scratch.setAccount(a, v) },
    store: storeIn(scratch, rewards),
    storeOf: (mod) => storeIn(scratch, mod),
  },
  0,
);
const ms = performance.now() - t;
const usPerTask = (ms * 1000) / N;
const withinBudget = Math.floor((BUDGET_MS * 1000) / usPerTask);
const maxPerCycle = Number((BigInt(L) * preset.blockGasLimit) / SETTLE_GAS_PER_RECEIPT);
process.stderr.write(
  `settleCycle: ${N} tasks in ${ms.toFixed(0)} ms (${usPerTask.toFixed(1)} µs a task); ${withinBudget} tasks fit the ${BUDGET_MS} ms hook budget; a mainnet cycle can settle up to ${maxPerCycle} (≈ ${((maxPerCycle * usPerTask) / 1e6).toFixed(1)} s in one block)\n`,
);
report({
  bench: "settle",
  preset: preset.name,
  tasks: N,
  members: m,
  ms: +ms.toFixed(1),
  usPerTask: +usPerTask.toFixed(2),
  tasksWithinBudget: withinBudget,
  ceiling: { hookBudgetMs: BUDGET_MS, maxTasksPerCycle: maxPerCycle },
  ratio: +(maxPerCycle / withinBudget).toFixed(2),
  target:
    "a cycle's settlement within the 500 ms hook budget at the most tasks a cycle can settle (ratio ≤ 1); not met: settlement is not yet batched over blocks",
});
