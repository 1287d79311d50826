// npm run sim:economics — the profit of a self-dealing coalition (spec/rewards.md §Self-dealing).
// Agent-based, on the real tasks and rewards modules (test/helpers/economics.ts): honest developers
// pay for tasks the routing rule draws; a coalition holding 5 %, 12.5 %, 25 % or 1/3 of the race
// weight also pays for tasks and serves them itself. Each market runs three cycles of traffic and
// settles each cycle two cycles later under the rule first built (`feeShare`) and the chain's rule
// (`raceWeight`). Profit = what the coalition's members received beyond the same market without
// its tasks − the fees it paid − its compute, taken as 0 (idle hardware: the worst case; profit/fee
// is then the compute cost per unit of fee at which self-dealing breaks even). Prints a table and
// one JSON line.
import { BATCH, batchRate, COIN, cycleMinimum } from "../contracts/rewards/issuance.ts";
import { minimal } from "../src/params/index.ts";
import {
  type Market,
  runMarket,
  type SelfDealing,
  selfDealing,
  UNITS_PER_TASK,
} from "../test/helpers/economics.ts";

const TASKS = 48;
const CYCLES = 8;
const SHARES: [string, [bigint, bigint]][] = [
  ["5%", [1n, 20n]],
  ["12.5%", [1n, 8n]],
  ["25%", [1n, 4n]],
  ["33.3%", [1n, 3n]],
];
const minimum = cycleMinimum(0, minimal.cycleLength, minimal.blocksPerDay);
/** The price at which `tasks` tasks a cycle mint `ratio` × the minimum in batch `batch` (0-based). */
const priceFor = (ratio: [bigint, bigint], batch: number, tasks: number) => {
  const { num, den } = batchRate(batch);
  return (minimum * ratio[0] * den) / (ratio[1] * num * BigInt(tasks) * UNITS_PER_TASK);
};

interface Scenario {
  name: string;
  market: Omit<Market, "share">;
}
const scenarios: Scenario[] = [
  {
    name: "low demand (P = ¼ min), drawn",
    market: {
      honestTasks: TASKS,
      selfTasks: TASKS,
      routing: "drawn",
      price: priceFor([1n, 4n], 0, TASKS),
      issued: 0n,
      cycles: CYCLES,
    },
  },
  {
    name: "low demand (P = ¼ min), steered",
    market: {
      honestTasks: TASKS,
      selfTasks: TASKS,
      routing: "steered",
      price: priceFor([1n, 4n], 0, TASKS),
      issued: 0n,
      cycles: CYCLES,
    },
  },
  {
    name: "high demand (P = 4 × min), drawn",
    market: {
      honestTasks: TASKS,
      selfTasks: TASKS,
      routing: "drawn",
      price: priceFor([4n, 1n], 0, TASKS),
      issued: 0n,
      cycles: CYCLES,
    },
  },
  {
    name: "high demand (P = 4 × min), steered",
    market: {
      honestTasks: TASKS,
      selfTasks: TASKS,
      routing: "steered",
      price: priceFor([4n, 1n], 0, TASKS),
      issued: 0n,
      cycles: CYCLES,
    },
  },
  {
    name: "batch 2, high demand, steered",
    market: {
      honestTasks: TASKS,
      selfTasks: TASKS,
      routing: "steered",
      price: priceFor([4n, 1n], 1, TASKS),
      issued: BATCH,
      cycles: CYCLES,
    },
  },
  {
    name: "dust: one 32-wei task in each otherwise empty cycle",
    market: { honestTasks: 0, selfTasks: 1, routing: "steered", price: 1n, issued: 0n, cycles: CYCLES },
  },
];

const race = (wei: bigint) => {
  const sign = wei < 0n ? "-" : "";
  const abs = wei < 0n ? -wei : wei;
  return `${sign}${(abs / COIN).toLocaleString("en-US")}`;
};
/** Profit per unit of fee; a dust fee has none worth printing. */
const ratio = (profit: bigint, fee: bigint) =>
  fee < COIN / 1000n ? "—" : (Number((profit * 1000n) / fee) / 1000).toFixed(2);

interface Row {
  scenario: string;
  share: string;
  results: SelfDealing[];
}
const rows: Row[] = [];
const started = performance.now();
for (const [share, fraction] of SHARES) {
  // One honest baseline per market: the same traffic without the coalition's tasks.
  const baselines = new Map<string, ReturnType<typeof runMarket>>();
  for (const s of scenarios) {
    const key = `${s.market.honestTasks}/${s.market.price}/${s.market.issued}`;
    const market: Market = { ...s.market, share: fraction };
    if (!baselines.has(key)) baselines.set(key, runMarket({ ...market, selfTasks: 0 }));
    rows.push({ scenario: s.name, share, results: selfDealing(market, baselines.get(key)!) });
  }
}
const seconds = (performance.now() - started) / 1000;

const out: string[] = [];
out.push(
  `Self-dealing coalition, ${CYCLES} cycles of ${TASKS} honest tasks (+ ${TASKS} of its own) on the minimal preset; minimum ${race(minimum)} RACE a cycle; amounts in RACE; compute cost 0`,
  "",
  "| market | coalition | fees paid | old: received | old: profit | old: profit/fee | old: honest Δ | new: received | new: profit | new: profit/fee | new: honest Δ |",
  "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
);
for (const r of rows) {
  const [old, now] = r.results as [SelfDealing, SelfDealing];
  const fees = old.feesPaid < COIN ? `${old.feesPaid} wei` : race(old.feesPaid);
  out.push(
    `| ${r.scenario} | ${r.share} | ${fees} | ${race(old.gained)} | ${race(old.profit)} | ${ratio(old.profit, old.feesPaid)} | ${race(old.othersGained)} | ${race(now.gained)} | ${race(now.profit)} | ${ratio(now.profit, now.feesPaid)} | ${race(now.othersGained)} |`,
  );
}
process.stdout.write(`${out.join("\n")}\n\n`);
process.stdout.write(
  `${JSON.stringify({
    bench: "sim:economics",
    cycles: CYCLES,
    tasksPerCycle: TASKS,
    minimumPerCycle: minimum.toString(),
    seconds: Number(seconds.toFixed(1)),
    rows: rows.map((r) => ({
      market: r.scenario,
      share: r.share,
      ...Object.fromEntries(
        r.results.map((x) => [
          x.rule,
          {
            feesPaid: x.feesPaid.toString(),
            received: x.gained.toString(),
            profit: x.profit.toString(),
            profitPerFee: x.feesPaid < COIN / 1000n ? null : Number(ratio(x.profit, x.feesPaid)),
            honestDelta: x.othersGained.toString(),
          },
        ]),
      ),
    })),
  })}\n`,
);
