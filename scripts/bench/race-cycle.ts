// bench:race-cycle — one race end to end by one miner, each step timed, on a preset's real model
// (mainnet by default: the 2.3 GB model), through the race module's own state transition:
//   setup (weights + sessions), calibration (threshold), mining for --seconds (nonces, proofs),
//   commit (tree + the module's `commit`), reveal (sampling from a later beacon output, multiproof,
//   the module's `reveal`: ordered-tree paths checked on chain), self-verification of the sampled
//   nonces with the mining backend, one false nonce fraud claim adjudicated (the claim and each
//   judgement applied through the module, each judge's forward pass off the chain), and settlement
//   into a weight.
// The race window is shortened to --seconds (mainnet's is 720 s); the chain around the module is
// in-process (a mainnet-preset network needs a 64-member DKG before its first race).
// Ceiling: the preset's race window; the ratio is the share of it that setup and calibration take
// before the first nonce is mined.
// Usage: npm run bench:race-cycle -- [--preset mainnet|minimal] [--seconds 60] [--backend onnx]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  RaceClaimState,
  race,
  raceClaimFee,
  raceClaims,
  raceFrauds,
  raceWeights,
  validatorSets,
  validators,
} from "../../contracts/index.ts";
import { getBackend, mine } from "../../src/miner/index.ts";
import { getPreset } from "../../src/params/index.ts";
import {
  buildTree,
  commit,
  multiproof,
  rememberThreshold,
  sampleIndices,
  verifyNonces,
  verifySample,
} from "../../src/race/index.ts";
import { storeIn } from "../../src/state/index.ts";
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
const { call, ctx, beaconOutput: writeOutput, store, state } = raceHarness(preset, 1n);
const miner: Address = new Uint8Array(20).fill(0x11);
const watcher: Address = new Uint8Array(20).fill(0x22);
// Rounds numbered as the beacon numbers them (the latest open by the height): the race takes seeds
// only from rounds that opened in their window (spec/race-cycle.md §Seeds).
const beaconOutput = (height: number) =>
  writeOutput(height, crypto.getRandomValues(new Uint8Array(32)), true);

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

// Sample randomness from the first round opening at or after the commit deadline (with the reveal
// window), then reveal through the module the block after.
for (let h = start + w.commitDeadline; h < start + w.revealStart; h++) race.endBlock!(ctx(h));
const randomness = beaconOutput(start + w.revealStart);
race.endBlock!(ctx(start + w.revealStart));
const revealed = sampleIndices(randomness, miner, proofs.length, preset.race.samples);
const reveal = {
  nonces: revealed.map((index) => ({ index, nonce: proofs[index]! })),
  proof: multiproof(tree, revealed),
};
await timed("reveal", () => call(start + w.revealStart + 1, miner, "reveal", reveal));

// Self-verification of the samples with the mining backend (what a chosen verifier runs).
const loaded = await timed("verifierModelLoad", () => getBackend(values.backend!).load(seed, preset.race));
await timed("selfVerification", () =>
  verifySample(loaded, result.threshold, miner, commit(proofs), randomness, {
    nonces: new Map(reveal.nonces.map((n) => [n.index, n.nonce])),
    proof: reveal.proof,
  }),
);

// A false nonce fraud claim, adjudicated as the chain does it: the claim's transaction only checks
// the leaf and locks the bond; each judge runs the forward pass off the chain with its loaded
// backend and sends `judge`; the side past a third of the weight decides. Every call's
// application is timed: that is what each block costs every node while the claim is open.
const judges = Array.from({ length: 4 }, (_, i) => new Uint8Array(20).fill(0x30 + i) as Address);
validatorSets.set(
  storeIn(state, validators),
  CYCLE,
  judges.map((address) => ({ address, weight: 100n, blsKey: new Uint8Array(48) })),
);
state.setAccount(watcher, {
  ...state.getAccount(watcher),
  balance: preset.raceFraudBond + raceClaimFee(preset.raceFraudBond),
});
const applySeconds: number[] = [];
const applied = (f: () => void) => {
  const t = performance.now();
  f();
  applySeconds.push((performance.now() - t) / 1000);
};
const claimed = revealed[0]!;
applied(() =>
  call(start + w.revealStart + 1, watcher, "fraudNonce", {
    miner,
    index: claimed,
    nonce: proofs[claimed]!,
    proof: [],
  }),
);
const passSeconds: number[] = [];
for (const [i, judge] of judges.entries()) {
  const t = performance.now();
  const [verdict] = await verifyNonces(loaded, result.threshold, miner, [proofs[claimed]!]);
  passSeconds.push((performance.now() - t) / 1000);
  const claim = raceClaims.get(store, [[CYCLE, miner], claimed])!;
  if (claim.state !== RaceClaimState.pending) break;
  applied(() =>
    call(start + w.revealStart + 2 + i, judge, "judge", {
      miner,
      index: claimed,
      fraud: verdict!.success ? 0 : 1,
    }),
  );
}
await loaded.close();
const decided = raceClaims.get(store, [[CYCLE, miner], claimed])!;
if (decided.state !== RaceClaimState.refused)
  throw new Error(`expected the false claim to be refused by the judges, got state ${decided.state}`);
timings.claimAdjudicationMaxBlockApply = +Math.max(...applySeconds).toFixed(4);
timings.judgePassOffChain = +Math.max(...passSeconds).toFixed(3);
const refusal = `refused by ${decided.valid} of ${judges.length * 100} judged weight; bond to the training fund`;

for (let h = start + w.revealStart + 1; h <= start + w.fraudEnd; h++) race.endBlock!(ctx(h));
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
  maxBlockApplySecondsWhileAdjudicating: timings.claimAdjudicationMaxBlockApply,
  settledWeight: weight.map(([, v]) => v.toString()),
  peakRssMb: peakRssMb(),
  ceiling: { raceWindowSeconds: presetWindowSeconds },
  ratio: ratioOf((timings.setup ?? 0) + (timings.calibration ?? 0), presetWindowSeconds),
  target: null,
  note: "spec/race-cycle.md sets no target; ratio: (setup + calibration) ÷ the preset's race window",
});
