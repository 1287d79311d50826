// bench:throttle — one compute unit, one vote: a miner throttled to half speed should end with
// about half an unthrottled peer's weight. Four validator processes on loopback (minimal preset);
// validator 0 mines at full duty, validator 1 at `--race-duty 0.5`, 2 and 3 do not mine. For each
// race, the settled weights (race_commitments) and the nonces each miner evaluated (its
// "Race: mined" log line) are printed, with the throttled ÷ unthrottled ratio per cycle and pooled.
// Target: 0.35–0.65. The ceiling next to it is the ratio of nonces evaluated (weight is proofs, a
// Poisson draw on those nonces, so the weight ratio scatters around the nonce ratio).
// Usage: npm run bench:throttle -- [--cycles 4] [--backend onnx|reference] [--block-time-ms 200]
import { parseArgs } from "node:util";
import { minimal } from "../../src/params/index.ts";
import { fromHex, toChecksumAddress } from "../../src/types/index.ts";
import { devAddresses } from "../../test/helpers/chain.ts";
import { rpc, startNetwork, status, waitFor } from "../../test/helpers/network.ts";
import { report } from "./report.ts";

const { values } = parseArgs({
  options: {
    cycles: { type: "string", default: "4" },
    backend: { type: "string", default: "onnx" },
    "block-time-ms": { type: "string", default: "200" },
  },
});
const cycles = Number(values.cycles);
const mining = (duty: string) => ["--mine", "--race-duty", duty, "--race-backend", values.backend!];
const net = await startNetwork(
  [
    { validator: 0, args: mining("1") },
    { validator: 1, args: mining("0.5") },
    { validator: 2 },
    { validator: 3 },
  ],
  { blockTimeMs: Number(values["block-time-ms"]) },
);
const urls = net.nodes.map((n) => n.url);
const L = minimal.cycleLength;

/** nonces mined per cycle, from a node's "Race: mined" log lines. */
function minedNonces(i: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of net.nodes[i]!.output().split("\n")) {
    if (!line.includes("Race: mined")) continue;
    try {
      const j = JSON.parse(line) as { cycle: number; nonces: number };
      out.set(j.cycle, j.nonces);
    } catch {}
  }
  return out;
}

try {
  const rows: { cycle: number; full: number; half: number; fullNonces: number; halfNonces: number }[] = [];
  for (let c = 1; c <= cycles; c++) {
    process.stderr.write(`cycle ${c}…\n`);
    await waitFor(
      `cycle ${c} settled`,
      async () => (await status(urls[0]!)).height > c * L + minimal.windows.fraudEnd + 1,
      L * 2000,
    );
    const { commitments } = await rpc<{ commitments: { miner: string; weight: string }[] }>(
      urls[0]!,
      "race_commitments",
      [{ cycle: c }],
    );
    const weightOf = (i: number) =>
      Number(
        commitments.find((x) => toChecksumAddress(fromHex(x.miner)) === toChecksumAddress(devAddresses[i]!))
          ?.weight ?? 0,
      );
    rows.push({
      cycle: c,
      full: weightOf(0),
      half: weightOf(1),
      fullNonces: minedNonces(0).get(c) ?? 0,
      halfNonces: minedNonces(1).get(c) ?? 0,
    });
    process.stderr.write(`  ${JSON.stringify(rows[rows.length - 1])}\n`);
  }
  const sum = (k: keyof (typeof rows)[number]) => rows.reduce((t, r) => t + r[k], 0);
  const ratio = (a: number, b: number) => (b > 0 ? +(a / b).toFixed(3) : null);
  report({
    bench: "throttle",
    preset: "minimal",
    backend: values.backend,
    perCycle: rows.map((r) => ({
      ...r,
      weightRatio: ratio(r.half, r.full),
      nonceRatio: ratio(r.halfNonces, r.fullNonces),
    })),
    ceiling: { pooledNonceRatio: ratio(sum("halfNonces"), sum("fullNonces")) },
    ratio: ratio(sum("half"), sum("full")),
    target: "pooled weight ratio (half duty ÷ full duty) 0.35–0.65",
  });
} finally {
  await net.stop();
}
