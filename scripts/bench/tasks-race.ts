// bench:tasks-race — do races delay user requests? (the paper: "when user requests are present,
// they must be processed without delay"). Three mining validators (nice-19 race workers, full
// duty) serve inference; a client sends streamed requests through node 0 until the end of the
// --cycles-th cycle after the current one, and each request's time to first token and total time
// are bucketed by whether the chain was inside a race window (offsets raceStart … raceEnd − 1)
// when it was sent. Same run, same machine. Ceiling: the requests sent outside race windows; the
// ratio is time-to-first-token p99 inside ÷ outside.
// Usage: npm run bench:tasks-race -- [--cycles 3] [--concurrency 4] [--block-time-ms 500] [--seconds S (stop sooner)]
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { devnetGenesisJson } from "../../src/chain/index.ts";
import { minimal } from "../../src/params/index.ts";
import { startNetwork, status } from "../../test/helpers/network.ts";
import { tempDir } from "../../test/helpers/process.ts";
import { fundedClient } from "../../test/helpers/tasks.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({
  options: {
    cycles: { type: "string", default: "3" },
    concurrency: { type: "string", default: "4" },
    "block-time-ms": { type: "string", default: "500" },
    seconds: { type: "string" },
  },
});
const cycles = Number(values.cycles);
const concurrency = Number(values.concurrency);
const model = "racecoin-exact-tiny";
const L = minimal.cycleLength;
const { raceStart, raceEnd } = minimal.windows;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : +s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!.toFixed(1);
};

const genesis = join(tempDir(), "genesis.json");
writeFileSync(genesis, JSON.stringify(devnetGenesisJson(3)));
const mine = ["--mine", "--race-duty", "1", "--race-workers", "1"];
const net = await startNetwork(
  [0, 1, 2].map((validator) => ({ validator, args: mine })),
  { genesis, blockTimeMs: Number(values["block-time-ms"]) },
);
const url = net.nodes[0]!.url;
try {
  const client = await fundedClient(url, model, 120_000);
  const start = (await status(url)).height;
  const end = (Math.floor(start / L) + 1 + cycles) * L;
  const stopAt = values.seconds
    ? performance.now() + Number(values.seconds) * 1000
    : Number.POSITIVE_INFINITY;
  const samples: { inRace: boolean; ttft: number; total: number }[] = [];
  let failed = 0;
  let seed = 0;
  const worker = async () => {
    for (;;) {
      const height = (await status(url)).height;
      if (height >= end || performance.now() >= stopAt) return;
      const offset = (height + 1) % L;
      const inRace = offset >= raceStart && offset < raceEnd;
      const t0 = performance.now();
      let first = Number.NaN;
      try {
        const s = await client.chat.completions.create({
          model,
          messages: [{ role: "user", content: `request ${seed}` }],
          max_tokens: 16,
          temperature: 0.8,
          seed: seed++,
          stream: true,
        });
        for await (const ch of s)
          if (Number.isNaN(first) && ch.choices[0]?.delta.content) first = performance.now() - t0;
        samples.push({ inRace, ttft: first, total: performance.now() - t0 });
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const of = (inRace: boolean) => {
    const xs = samples.filter((s) => s.inRace === inRace);
    const ttft = xs.map((s) => s.ttft).filter((x) => !Number.isNaN(x));
    return {
      requests: xs.length,
      ttftP50Ms: pct(ttft, 50),
      ttftP99Ms: pct(ttft, 99),
      totalP50Ms: pct(
        xs.map((s) => s.total),
        50,
      ),
      totalP99Ms: pct(
        xs.map((s) => s.total),
        99,
      ),
    };
  };
  const mined = net.nodes
    .map(
      (n) =>
        n
          .output()
          .split("\n")
          .filter((l) => l.includes("Race: mined")).length,
    )
    .reduce((a, b) => a + b, 0);
  const inside = of(true);
  const outside = of(false);
  report({
    bench: "tasks-race",
    cycles,
    concurrency,
    insideRaceWindows: inside,
    failed,
    racesMined: mined,
    ceiling: { outsideRaceWindows: outside },
    ratio:
      inside.ttftP99Ms !== null && outside.ttftP99Ms !== null
        ? ratioOf(inside.ttftP99Ms, outside.ttftP99Ms, 2)
        : null,
    target: null,
    note: "three mining validators (one nice-19 worker each at full duty) on this machine; requests through node 0, which routes them to nodes 1 and 2; spec/tasks.md sets no number, only that requests go without delay",
  });
} finally {
  await net.stop();
}
