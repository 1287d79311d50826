// Measures the z of the threshold rule (threshold = μ_c − z·σ_c over the race's calibration set)
// that gives the configured success rate, pooled over many race seeds. This is how the zMilli of
// each preset in src/params was chosen; re-run it when the model changes.
// Usage: node --import tsx scripts/race-calibrate-z.ts [--preset minimal] [--seeds 30] [--nonces 9000]
import { parseArgs } from "node:util";
import { getBackend } from "../src/miner/index.ts";
import { getPreset } from "../src/params/index.ts";
import { calibrate, nodeSeed } from "../src/race/index.ts";

const { values } = parseArgs({
  options: {
    preset: { type: "string", default: "minimal" },
    seeds: { type: "string", default: "30" },
    nonces: { type: "string", default: "9000" },
    backend: { type: "string", default: "reference" },
  },
});
const config = getPreset(values.preset!).race;
const backend = getBackend(values.backend!);
const pooled: number[] = []; // normalised distances (D − μ_c) / σ_c
for (let s = 0; s < Number(values.seeds); s++) {
  const raceSeed = new Uint8Array(32);
  new DataView(raceSeed.buffer).setUint32(0, 0x5eed0000 + s);
  const race = await backend.load(raceSeed, config);
  const cal = await calibrate(race);
  const node = nodeSeed(new Uint8Array(20).fill(s + 1));
  const nonces = Array.from({ length: Number(values.nonces) }, (_, i) => BigInt(i));
  const { distances } = await race.evaluate(node, nonces);
  for (const d of distances) pooled.push((d - Number(cal.mean)) / Number(cal.std));
  process.stderr.write(`\rseed ${s + 1}/${values.seeds}`);
  await race.close();
}
pooled.sort((a, b) => a - b);
const k = Math.floor(pooled.length / config.successRate);
const z = -(pooled[k]! + pooled[k - 1]!) / 2;
process.stdout.write(
  `\n${JSON.stringify({ preset: values.preset, samples: pooled.length, successRate: config.successRate, z: +z.toFixed(3), zMilli: Math.round(z * 1000) })}\n`,
);
