// bench:settle — a cycle's rewards settlement (spec/rewards.md §Settlement in steps) on the mainnet
// preset, through the module's hooks as the chain runs it: endCycle starts it, each later block's
// endBlock takes at most SETTLE_UNITS_PER_BLOCK units. Two cycles: N plain tasks among the 150-member
// set (two in three verified), and R tasks among 1,001 light members, half redrawn twice (each a
// refusal group of its own: the costliest shape). Prints each one's slowest block against the 500 ms
// hook budget (spec/fees.md §Gas ceiling); a third cycle, 2,000 tasks among 10,000 racers (race
// weights, not a validator set: every racer gets an issuance record, released over blocks); and how many blocks the most tasks a mainnet cycle can
// settle (blocks × block gas ÷ settle gas per receipt) would take against the cycle's length.
// Usage: npm run bench:settle -- [--tasks 100000] [--redrawn 20000] [--racers 10000]
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import {
  cycleRewards,
  rewards,
  TaskStatus,
  tasks,
  tasksByCycle,
  tasksModule,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import type { ModuleContext } from "../../contracts/module.ts";
import { race, weights as raceWeights, settled } from "../../contracts/race/index.ts";
import { SETTLE_UNITS_PER_BLOCK, settleJob } from "../../contracts/rewards/index.ts";
import { SETTLE_GAS_PER_RECEIPT } from "../../contracts/tasks/index.ts";
import { mainnet } from "../../src/params/index.ts";
import { readStoreIn, StateOverlay, storeIn } from "../../src/state/index.ts";
import type { Address } from "../../src/types/index.ts";
import { tasksHarness } from "../../test/helpers/tasksModule.ts";
import { report } from "./report.ts";

const { values } = parseArgs({
  options: {
    tasks: { type: "string", default: "100000" },
    redrawn: { type: "string", default: "20000" },
    racers: { type: "string", default: "10000" },
  },
});
const preset = mainnet;
const L = preset.cycleLength;
const BUDGET_MS = 500;
const maxPerCycle = Number((BigInt(L) * preset.blockGasLimit) / SETTLE_GAS_PER_RECEIPT);

interface Run {
  tasks: number;
  members: number;
  blocks: number;
  totalMs: number;
  maxBlockMs: number;
  usPerTask: number;
}

/**
 * Build a cycle of `n` tasks among `size` members and settle it through the hooks. Members are the
 * validator set of cycle 0, or with `racers` the race weights settled in cycle 0 (the tasks are then
 * of cycle 1, whose candidates they are).
 */
function run(n: number, size: number, redraws: boolean, racers = false): Run {
  const h = tasksHarness([100n, 100n, 100n, 100n], preset);
  const members = Array.from({ length: size }, (_, i) => ({
    address: new Uint8Array(20).map((_, j) =>
      j === 0 ? 0xa0 : j === 1 ? i & 0xff : j === 2 ? i >> 8 : 0,
    ) as Address,
    weight: redraws ? 1n : 100n + BigInt(i),
    blsKey: new Uint8Array(48),
  }));
  const c = racers ? 1 : 0;
  if (racers) {
    for (const m of members) raceWeights.set(storeIn(h.state, race), [0, m.address], m.weight);
    settled.set(storeIn(h.state, race), 0, 1);
  } else for (let x = 0; x < 4; x++) validatorSets.set(storeIn(h.state, validators), x, members);
  const ts = storeIn(h.state, tasksModule);
  for (let i = 0; i < n; i++) {
    const id = randomBytes(32);
    tasks.set(ts, id, {
      executor: members[(i * 19) % size]!.address,
      intermediary: members[(i * 17 + 1) % size]!.address,
      model: "racecoin-exact-tiny",
      payloadHash: randomBytes(32),
      fee: 1000n * BigInt(1 + (i % 50)),
      cycle: c,
      height: c * L + 5,
      status: i % 3 ? TaskStatus.verified : TaskStatus.unchecked,
      verifier: members[(i * 23 + 3) % size]!.address,
      deadline: 0,
      drawRound: 1,
      checkMilli: 1000,
      payer: members[(i * 13) % size]!.address,
      round: 1,
      attempt: redraws && i % 2 === 0 ? 2 : 0,
    });
    tasksByCycle.set(ts, [c, id], 1);
  }
  h.state.setAccount(tasksModule.address, { nonce: 0n, balance: 10n ** 30n });
  const scratch = new StateOverlay(h.state);
  const at = (height: number): ModuleContext => {
    const ctx = h.ctx(height, rewards);
    return {
      ...ctx,
      state: { getAccount: (a) => scratch.getAccount(a), setAccount: (a, v) => scratch.setAccount(a, v) },
      store: storeIn(scratch, rewards),
      storeOf: (mod) => storeIn(scratch, mod),
    };
  };
  const times: number[] = [];
  let t = performance.now();
  rewards.endCycle!(at((c + 3) * L - 1));
  times.push(performance.now() - t);
  for (let height = (c + 3) * L; settleJob.get(readStoreIn(scratch, rewards)); height++) {
    t = performance.now();
    rewards.endBlock!(at(height));
    times.push(performance.now() - t);
  }
  if (!cycleRewards.get(readStoreIn(scratch, rewards), c)) throw new Error("the settlement did not end");
  if (process.env.SETTLE_TIMES) process.stderr.write(`${times.map((x) => x.toFixed(0)).join(" ")}\n`);
  const totalMs = times.reduce((a, b) => a + b, 0);
  const out = {
    tasks: n,
    members: size,
    blocks: times.length,
    totalMs: +totalMs.toFixed(1),
    maxBlockMs: +Math.max(...times).toFixed(1),
    usPerTask: +((totalMs * 1000) / n).toFixed(2),
  };
  process.stderr.write(
    `${n} tasks among ${size}${racers ? " racers" : ""}${redraws ? ", half redrawn twice" : ""}: ${out.blocks} blocks, slowest ${out.maxBlockMs} ms, ${out.totalMs} ms in all (${out.usPerTask} µs a task)\n`,
  );
  return out;
}

const plain = run(Number(values.tasks), preset.maxValidators, false);
const redrawn = run(Number(values.redrawn), 1001, true);
const racing = run(2000, Number(values.racers), false, true);
/** Blocks a full cycle of each shape would take, at the measured tasks per block. */
const blocksForFull = (r: Run) => Math.ceil((maxPerCycle * r.blocks) / r.tasks);
const worstMs = Math.max(plain.maxBlockMs, redrawn.maxBlockMs, racing.maxBlockMs);
process.stderr.write(
  `a mainnet cycle can settle up to ${maxPerCycle} tasks: ≈ ${blocksForFull(plain)} blocks plain, ${blocksForFull(redrawn)} redrawn, of the ${L} before the next settlement\n`,
);
report({
  bench: "settle",
  preset: preset.name,
  unitsPerBlock: SETTLE_UNITS_PER_BLOCK,
  plain,
  redrawn,
  racers: racing,
  fullCycleBlocks: { plain: blocksForFull(plain), redrawn: blocksForFull(redrawn), cycleLength: L },
  ceiling: { hookBudgetMs: BUDGET_MS, maxTasksPerCycle: maxPerCycle },
  ratio: +(worstMs / BUDGET_MS).toFixed(3),
  target:
    "every block's settlement step within the 500 ms hook budget (ratio ≤ 1), and a full cycle settled in fewer blocks than a cycle has",
});
