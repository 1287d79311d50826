// Generates spec/vectors/race/minimal.json with the reference backend: per race seed, its
// calibration (μ, σ, threshold), then (miner, nonce) → outputHash, distance, success, including
// nonces that are proofs. Usage: node --import tsx scripts/gen-race-vectors.ts [--check]
import { readFileSync, writeFileSync } from "node:fs";
import { minimal } from "../src/params/index.ts";
import { calibrate, getBackend, nodeSeed, outputHash } from "../src/race/index.ts";
import { fromHex, toHex } from "../src/types/index.ts";

const config = minimal.race;
const backend = getBackend("reference");
const seeds = [
  `0x${"00".repeat(32)}`,
  `0x${"11".repeat(32)}`,
  "0x52616365636f696e2072616365207365656420766563746f72732031323334",
];
const miners = ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"];
const races = [];
for (const seedHex of seeds) {
  const race = await backend.load(fromHex(seedHex), config);
  const cal = await calibrate(race);
  const cases: { miner: string; nonce: string; outputHash: string; distance: number; success: boolean }[] =
    [];
  for (const minerHex of miners) {
    const node = nodeSeed(fromHex(minerHex));
    const scan = Array.from({ length: 3000 }, (_, i) => BigInt(i));
    const { distances } = await race.evaluate(node, scan);
    const proofs = scan.filter((_, i) => BigInt(distances[i]!) < cal.threshold).slice(0, 3);
    const picked = [0n, 1n, 2n, 999n, (1n << 40n) - 1n, ...proofs];
    const { distances: d, outputs } = await race.evaluate(node, picked, { outputs: true });
    picked.forEach((nonce, i) => {
      const out = outputs!.subarray(i * config.dModel, (i + 1) * config.dModel);
      cases.push({
        miner: minerHex,
        nonce: nonce.toString(),
        outputHash: toHex(outputHash(out)),
        distance: d[i]!,
        success: BigInt(d[i]!) < cal.threshold,
      });
    });
  }
  races.push({
    seed: seedHex,
    calibration: { mean: cal.mean.toString(), std: cal.std.toString(), threshold: cal.threshold.toString() },
    cases,
  });
}
const file = {
  kind: "race",
  preset: "minimal",
  description:
    "Race vectors (spec/race.md): per race seed its calibration, then (miner, nonce) → outputHash, distance, success",
  config,
  races,
};
const text = `${JSON.stringify(file, null, 2)}\n`;
const path = "spec/vectors/race/minimal.json";
if (process.argv.includes("--check")) {
  if (readFileSync(path, "utf8") !== text) {
    process.stderr.write(`stale: ${path}\n`);
    process.exit(1);
  }
} else writeFileSync(path, text);
