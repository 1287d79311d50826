// bench:cycle — the cost of checking a race against the race itself, on a preset's parameters
// (mainnet by default), and the probability that a cheater escapes.
// Usage: npm run bench:cycle -- [--preset mainnet|minimal] [--miners 64] [--nonces-per-sec 51,2000,40000]
//
// One cycle of a network of `miners` equal miners is played with the protocol's own functions:
// every miner's proof count is drawn for its race (nonces = rate × race window, each a proof with
// probability 1/successRate), sampleIndices gives the forward passes each sample check costs (S
// indices, duplicates collapsed), and every member computes its real BLS-VRF for every miner to
// find who is chosen (probability min(1, V · weight / total)). Verification forward passes across
// all chosen verifiers ÷ race forward passes is printed next to the 0.1% target, per miner rate:
// 51 nonces/s is `bench:race -- --preset mainnet` on this 2-core CPU (onnx); the larger rates
// stand for GPU miners (an assumption, not a measurement). Threshold calibration (C passes per node
// per race, every node) is printed apart. Then P_escape = (1 − f)^S + (1 − (1 − f)^S) · Π_v (1 − h·p_v)
// (spec/race-cycle.md §Verifiers; p_v = min(1, V·w_v/W), here M − 1 equal members) next to a
// Monte-Carlo count over the real sampling rule. The ceiling is the race's own forward passes
// (what verification is a share of); the ratio is verification passes over them, per miner rate.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { raceVerifierInput } from "../../contracts/index.ts";
import { selectedByWeight, vrfProve } from "../../src/beacon/index.ts";
import { deriveBlsKeys, TEST_MNEMONIC } from "../../src/crypto/index.ts";
import { getPreset } from "../../src/params/index.ts";
import { sampleIndices } from "../../src/race/index.ts";
import type { Address } from "../../src/types/index.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({
  options: {
    preset: { type: "string", default: "mainnet" },
    miners: { type: "string", default: "64" },
    "nonces-per-sec": { type: "string", default: "51,2000,40000" },
    trials: { type: "string", default: "20000" },
  },
});
const preset = getPreset(values.preset!);
const S = preset.race.samples;
const V = preset.raceVerifiers;
const C = preset.race.calibrationNonces;
const M = Number(values.miners);
const raceSeconds = ((preset.windows.commitDeadline - preset.windows.raceStart) * preset.blockTimeMs) / 1000;
const log = (s: string) => process.stderr.write(`${s}\n`);

// Members: M miners of equal weight, each with a real BLS key (the VRF key).
log(`deriving ${M} BLS keys…`);
const keys = deriveBlsKeys(TEST_MNEMONIC, M);
const addresses: Address[] = keys.map((_, i) => {
  const a = new Uint8Array(20);
  a[18] = i >> 8;
  a[19] = i & 255;
  return a;
});
const weight = 1n;
const total = BigInt(M);

// Who verifies whom: every member's VRF over every miner (M² BLS signatures).
log(`computing ${M * M} VRF proofs…`);
const sampleSeed = randomBytes(32);
const t0 = performance.now();
const chosenPerMiner = addresses.map((miner, m) => {
  const input = raceVerifierInput(sampleSeed, 1, miner);
  let chosen = 0;
  keys.forEach((k, v) => {
    if (v === m) return;
    const { output } = vrfProve(k.secretKey, "race-verify", input);
    if (selectedByWeight(output, weight, total, BigInt(V))) chosen++;
  });
  return chosen;
});
const vrfMs = (performance.now() - t0) / (M * M);
const verifiers = chosenPerMiner.reduce((a, b) => a + b, 0);

function binomialProofs(nonces: number, p: number): number {
  // Normal approximation of Binomial(nonces, p), fine at these sizes; at least 0.
  const mean = nonces * p;
  const sd = Math.sqrt(nonces * p * (1 - p));
  const u = 1 - Math.random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * Math.random());
  return Math.max(0, Math.round(mean + sd * z));
}

const rows = values["nonces-per-sec"]!.split(",").map((r) => {
  const rate = Number(r);
  const noncesPerMiner = rate * raceSeconds;
  let racePasses = 0;
  let verifyPasses = 0;
  addresses.forEach((miner, m) => {
    racePasses += noncesPerMiner;
    const count = binomialProofs(noncesPerMiner, 1 / preset.race.successRate);
    const sampled = sampleIndices(randomBytes(32), miner, count, S);
    verifyPasses += sampled.length * chosenPerMiner[m]!;
  });
  const calibration = M * C;
  return {
    racePasses,
    verifyPasses,
    noncesPerSecPerMiner: rate,
    racePassesPerMiner: Math.round(noncesPerMiner),
    proofsPerMiner: Math.round(noncesPerMiner / preset.race.successRate),
    verificationOverRace: `${((100 * verifyPasses) / racePasses).toFixed(4)}%`,
    target: "≤ 0.1%",
    calibrationOverRace: `${((100 * calibration) / racePasses).toFixed(4)}%`,
  };
});

// Escape probability: formula next to a Monte-Carlo count over sampleIndices.
const trials = Number(values.trials);
const escapes = [0.01, 0.1, 0.5].flatMap((f) =>
  [0.5, 0.9].map((h) => {
    const pNoHit = (1 - f) ** S;
    const pNoHonestVerifier = (1 - h * Math.min(1, V / M)) ** (M - 1);
    const formula = pNoHit + (1 - pNoHit) * pNoHonestVerifier;
    // Monte Carlo of the sampling part: a set of 1,000 leaves with the first f·1000 bad.
    const count = 1000;
    const bad = Math.round(f * count);
    let missed = 0;
    for (let t = 0; t < trials; t++) {
      const sampled = sampleIndices(randomBytes(32), addresses[0]!, count, S);
      if (!sampled.some((i) => i < bad)) missed++;
    }
    return {
      f,
      h,
      S,
      V,
      pNoSampleHitFormula: pNoHit.toExponential(3),
      pNoSampleHitMonteCarlo: `${(missed / trials).toExponential(3)} (${trials} trials)`,
      pNoHonestVerifier: pNoHonestVerifier.toExponential(3),
      pEscape: formula.toExponential(3),
    };
  }),
);

report({
  bench: "cycle",
  preset: preset.name,
  raceWindowSeconds: raceSeconds,
  miners: M,
  samplesS: S,
  expectedVerifiersV: V,
  verifiersChosenPerMiner: +(verifiers / M).toFixed(2),
  vrfProofMs: +vrfMs.toFixed(2),
  calibrationPassesPerNode: C,
  rows,
  escape: escapes,
  ceiling: Object.fromEntries(rows.map((r) => [`racePassesAt${r.noncesPerSecPerMiner}PerSec`, r.racePasses])),
  ratio: Object.fromEntries(
    rows.map((r) => [`at${r.noncesPerSecPerMiner}PerSec`, ratioOf(r.verifyPasses, r.racePasses, 6)]),
  ),
  target: "verification passes ≤ 0.1% of race passes (ratio ≤ 0.001)",
});
