// Generates spec/vectors/race/<preset>.json: per race seed, its calibration (μ, σ, threshold),
// then (miner, nonce) → outputHash, distance, success. minimal (reference backend) also scans for
// nonces that are proofs and (onnx, up to 2^25 nonces) for one whose distance ties the threshold; mainnet (onnx backend, ~2.3 GB of weights, minutes) has one seed and a
// few nonces. Usage: node --import tsx scripts/gen-race-vectors.ts [--preset mainnet] [--check]
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { getBackend } from "../src/miner/index.ts";
import { getPreset } from "../src/params/index.ts";
import { calibrate, nodeSeed, outputHash } from "../src/race/index.ts";
import { fromHex, toHex } from "../src/types/index.ts";

const { values } = parseArgs({
  options: { preset: { type: "string", default: "minimal" }, check: { type: "boolean" } },
});
const preset = values.preset!;
const mainnet = preset === "mainnet";
const config = getPreset(preset).race;
const backend = getBackend(mainnet ? "onnx" : "reference");
const seeds = mainnet
  ? ["0x52616365636f696e2072616365207365656420766563746f7273203132333435"]
  : [
      `0x${"00".repeat(32)}`,
      `0x${"11".repeat(32)}`,
      "0x52616365636f696e2072616365207365656420766563746f7273203132333435",
    ];
const miners = ["0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"];
/** The first nonce (searched with the fast backend) whose distance equals the threshold exactly. */
async function findTie(seed: Uint8Array, node: Uint8Array, threshold: bigint): Promise<bigint[]> {
  const fast = await getBackend("onnx").load(seed, config);
  try {
    const chunk = 1 << 16;
    for (let start = 0; start < 1 << 25; start += chunk) {
      const nonces = Array.from({ length: chunk }, (_, i) => BigInt(start + i));
      const { distances } = await fast.evaluate(node, nonces);
      const i = distances.findIndex((d) => BigInt(d) === threshold);
      if (i >= 0) return [nonces[i]!];
    }
    throw new Error("no tie at the threshold in 2^25 nonces");
  } finally {
    await fast.close();
  }
}

const races = [];
for (const seedHex of seeds) {
  const race = await backend.load(fromHex(seedHex), config);
  const cal = await calibrate(race);
  const cases: { miner: string; nonce: string; outputHash: string; distance: number; success: boolean }[] =
    [];
  for (const minerHex of miners) {
    const node = nodeSeed(fromHex(minerHex));
    let proofs: bigint[] = [];
    if (!mainnet) {
      const scan = Array.from({ length: 3000 }, (_, i) => BigInt(i));
      const { distances } = await race.evaluate(node, scan);
      proofs = scan.filter((_, i) => BigInt(distances[i]!) < cal.threshold).slice(0, 3);
    }
    // A tie: a nonce whose distance equals the threshold is not a proof (the test is strict <).
    const tie =
      !mainnet && minerHex === miners[0] ? await findTie(fromHex(seedHex), node, cal.threshold) : [];
    const picked = mainnet
      ? [0n, 1n, (1n << 40n) - 1n]
      : [0n, 1n, 2n, 999n, (1n << 40n) - 1n, ...proofs, ...tie];
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
  preset,
  description:
    "Race vectors (spec/race.md): per race seed its calibration, then (miner, nonce) → outputHash, distance, success",
  config,
  races,
};
const text = `${JSON.stringify(file, null, 2)}\n`;
const path = `spec/vectors/race/${preset}.json`;
if (values.check) {
  if (readFileSync(path, "utf8") !== text) {
    process.stderr.write(`stale: ${path}\n`);
    process.exit(1);
  }
} else writeFileSync(path, text);
