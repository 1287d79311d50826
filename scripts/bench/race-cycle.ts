// bench:race-cycle — one race end to end by one miner, each step timed, on a preset's real model
// (mainnet by default: the 2.3 GB model), through the race module's own state transition:
//   setup (weights + sessions), calibration (threshold), mining for --seconds (nonces, proofs),
//   commit (tree + the module's `commit`), reveal (sampling from a later beacon output, multiproof,
//   the module's `reveal`: Merkle and order checked on chain), self-verification of the sampled
//   nonces with the mining backend, one nonce fraud proof checked by the module (its forward pass
//   with the reference model, as every node would run it), and settlement into a weight.
// The race window is shortened to --seconds (mainnet's is 720 s); the chain around the module is
// in-process (a mainnet-preset network needs a 64-member DKG before its first race).
// Ceiling: the preset's race window; the ratio is the share of it that setup and calibration take
// before the first nonce is mined.
// Usage: npm run bench:race-cycle -- [--preset mainnet|minimal] [--seconds 60] [--backend onnx]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { race, raceFrauds, raceWeights } from "../../contracts/index.ts";
import { getBackend, mine } from "../../src/miner/index.ts";
import { getPreset } from "../../src/params/index.ts";
import {
  buildTree,
  commit,
  multiproof,
  rememberThreshold,
  sampleIndices,
  verifySample,
} from "../../src/race/index.ts";
import type { Address } from "../../src/types/index.ts";
import { raceHarness } from "../../test/helpers/raceModule.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({
  options: {
    preset: { type: "string", default: "mainnet" },
    seconds: { type: "string", default: "60" },
    backend: { type: "string", default: "onnx" },
  },
});
const preset = getPreset(values.preset!);
const log = (s: string) => process.stderr.write(`${s}\n`);
const peakRssMb = () => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : Number.NaN;
};
const timings: Record<string, number> = {};
async function timed<T>(name: string, f: () => T | Promise<T>): Promise<T> {
  const t = performance.now();
  const r = await f();
  timings[name] = +((performance.now() - t) / 1000).toFixed(3);
  log(`${name}: ${timings[name]} s`);
  return r;
}

// The chain around the module: one cycle's heights, beacon outputs written as the beacon would.
const L = preset.cycleLength;
const w = preset.windows;
const CYCLE = 1;
const start = CYCLE * L;
const { call, ctx, beaconOutput: writeOutput, store } = raceHarness(preset, 1n);
const miner: Address = new Uint8Array(20).fill(0x11);
const watcher: Address = new Uint8Array(20).fill(0x22);
const beaconOutput = (height: number) => writeOutput(height, crypto.getRandomValues(new Uint8Array(32)));

const seed = beaconOutput(start + w.raceStart);
race.endBlock!(ctx(start + w.raceStart));

// Setup + calibration + mining: mine() reports each phase.
let setupDone = 0;
let calibrated = 0;
const t0 = performance.now();
const result = await mine({
  backend: values.backend!,
  raceSeed: seed,
  config: preset.race,
  miner,
  durationMs: Number(values.seconds) * 1000,
  workers: 1,
  onProgress: (p) => {
    if (p.phase === "calibrating" && !setupDone) setupDone = performance.now();
  },
  onThreshold: () => {
    calibrated = performance.now();
  },
});
const end = performance.now();
timings.setup = +((setupDone - t0) / 1000).toFixed(3);
timings.calibration = +((calibrated - setupDone) / 1000).toFixed(3);
timings.mining = +((end - calibrated) / 1000).toFixed(3);
log(`setup ${timings.setup} s, calibration ${timings.calibration} s, mining ${timings.mining} s`);
log(`${result.nonces} nonces, ${result.proofs.length} proofs, ${result.noncesPerSec.toFixed(1)} nonces/s`);
rememberThreshold(seed, preset.race, result.threshold);
const proofs = result.proofs;
if (proofs.length === 0) throw new Error("no proof in the shortened window: run longer (--seconds)");

// Commit.
const tree = await timed("commit", () => {
  const levels = buildTree(proofs);
  call(start + w.raceStart + 1, miner, "commit", commit(proofs));
  return levels;
});
for (let h = start + w.raceStart + 1; h < start + w.commitDeadline; h++) race.endBlock!(ctx(h));

// Sample randomness from a later output, then reveal through the module.
const randomness = beaconOutput(start + w.commitDeadline);
race.endBlock!(ctx(start + w.commitDeadline));
const { revealed } = sampleIndices(randomness, miner, proofs.length, preset.race.samples);
const reveal = {
  nonces: revealed.map((index) => ({ index, nonce: proofs[index]! })),
  proof: multiproof(tree, revealed),
};
await timed("reveal", () => call(start + w.revealStart, miner, "reveal", reveal));

// Self-verification of the samples with the mining backend (what a chosen verifier runs).
const loaded = await timed("verifierModelLoad", () => getBackend(values.backend!).load(seed, preset.race));
await timed("selfVerification", () =>
  verifySample(loaded, result.threshold, miner, commit(proofs), randomness, {
    nonces: new Map(reveal.nonces.map((n) => [n.index, n.nonce])),
    proof: reveal.proof,
  }),
);
await loaded.close();

// A false nonce fraud proof: every node's transition runs one reference forward pass to refuse it.
let refusal = "";
await timed("nonceFraudCheckOnChain", () => {
  try {
    call(start + w.revealStart + 1, watcher, "fraudNonce", {
      miner,
      index: revealed[0]!,
      nonce: proofs[revealed[0]!]!,
      proof: [],
    });
  } catch (e) {
    refusal = (e as Error).message;
  }
});
if (!/no fraud/.test(refusal)) throw new Error(`expected the false fraud proof to be refused: ${refusal}`);

for (let h = start + w.revealStart; h <= start + w.fraudEnd; h++) race.endBlock!(ctx(h));
const weight = raceWeights(store, CYCLE);
if (raceFrauds.has(store, [CYCLE, miner])) throw new Error("a fraud stood against the honest miner");

const presetWindowSeconds = ((w.commitDeadline - w.raceStart) * preset.blockTimeMs) / 1000;
report({
  bench: "race-cycle",
  preset: preset.name,
  backend: values.backend,
  raceWindowSeconds: { shortenedTo: Number(values.seconds), preset: presetWindowSeconds },
  seconds: timings,
  nonces: result.nonces,
  noncesPerSec: +result.noncesPerSec.toFixed(2),
  proofs: proofs.length,
  threshold: result.threshold.toString(),
  revealedIndices: revealed.length,
  multiproofHashes: reveal.proof.length,
  falseFraudRefused: refusal,
  settledWeight: weight.map(([, v]) => v.toString()),
  peakRssMb: peakRssMb(),
  ceiling: { raceWindowSeconds: presetWindowSeconds },
  ratio: ratioOf((timings.setup ?? 0) + (timings.calibration ?? 0), presetWindowSeconds),
  target: null,
  note: "spec/race-cycle.md sets no target; ratio: (setup + calibration) ÷ the preset's race window",
});
