// bench:training — a training round's verification cost against its training cost (spec/training.md
// §Proof of learning; target ≤ 5 %), on a preset's model and the shipped corpus.
// Usage: npm run bench:training -- [--preset minimal|standard] [--participants 3] [--rounds 5]
//
// Each round is played with the core's own functions: every participant's H inner steps
// (honestDelta: the training cost), then what every verifier recomputes — the proof-of-learning
// score of every contribution and the outer step (settleRound: the verification cost). The ratio is
// verification time ÷ training time over all rounds; the same ratio in multiply-accumulates (load
// independent) is printed beside it. The ceiling is the raw fixed-point multiply-accumulate rate of
// the model's own layer loop (Int32 weights × Q16 activations into a Float64 sum), measured in the
// same run: the model's nominal MAC rate while training (3 × a forward pass's MACs per example) is
// shown against it; it can exceed 1 because the passes skip the products of ReLU's zeros.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  ALPHABET_SIZE,
  checkTrainingConfig,
  DEFAULT_CORPUS_PATH,
  deltaHash,
  honestDelta,
  initialCheckpoint,
  ONE,
  prepareDataset,
  settleRound,
  type TrainingConfig,
  trainingPresets,
  validationLoss,
} from "../../src/training/index.ts";
import { ratioOf, report } from "./report.ts";

const { values } = parseArgs({
  options: {
    preset: { type: "string", default: "minimal" },
    participants: { type: "string", default: "3" },
    rounds: { type: "string", default: "5" },
  },
});
const config = trainingPresets[values.preset!];
if (!config) throw new Error(`unknown preset ${values.preset}`);
checkTrainingConfig(config);
const n = Number(values.participants);
const rounds = Number(values.rounds);
const log = (s: string) => process.stderr.write(`${s}\n`);

/** MACs of one forward pass: the hidden layer and the output layer. */
const forwardMacs = (c: TrainingConfig) => c.context * c.embedding * c.hidden + c.hidden * ALPHABET_SIZE;

/** The model's inner loop alone, on its hidden layer's shape: MACs per second. */
function macCeiling(c: TrainingConfig): number {
  const fanIn = c.context * c.embedding;
  const w = Int32Array.from({ length: fanIn * c.hidden }, (_, i) => ((i * 7919) % 65536) - 32768);
  const x = Float64Array.from({ length: fanIn }, (_, i) => ((i * 104729) % 131072) - 65536);
  const acc = new Float64Array(c.hidden);
  let best = 0;
  for (let trial = 0; trial < 5; trial++) {
    const reps = 2000;
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) {
      acc.fill(0);
      for (let i = 0; i < fanIn; i++) {
        const xi = x[i]! + r;
        const row = i * c.hidden;
        for (let j = 0; j < c.hidden; j++) acc[j]! += xi * w[row + j]!;
      }
    }
    const s = (performance.now() - t0) / 1000;
    best = Math.max(best, (reps * fanIn * c.hidden) / s);
  }
  if (acc[0] === 0.5) log("unreachable"); // keeps the loop observable
  return best;
}

const data = prepareDataset(readFileSync(DEFAULT_CORPUS_PATH), config);
const seed = (label: string) => {
  const s = new Uint8Array(32);
  s.set(new TextEncoder().encode(label).subarray(0, 32));
  return s;
};
const addresses = Array.from({ length: n }, (_, i) => new Uint8Array(20).fill(0x10 + i));

log(
  `preset ${config.name}: ${n} participants, ${rounds} rounds, H ${config.innerSteps}, batch ${config.batchSize}`,
);
const ceilingMacPerSec = macCeiling(config);
let cp = initialCheckpoint(config, seed("bench init"));
const curve = [validationLoss(config, data, cp.theta)];
let trainMs = 0;
let verifyMs = 0;
const accepted: number[] = [];
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  const deltas = addresses.map((a) => honestDelta(config, data, cp.theta, seed(`bench round ${r}`), a));
  const t1 = performance.now();
  const hashes = deltas.map(deltaHash);
  const outcome = settleRound(config, data, cp, deltas, hashes, seed(`bench validation ${r}`));
  const t2 = performance.now();
  trainMs += t1 - t0;
  verifyMs += t2 - t1;
  accepted.push(outcome.accepted.length);
  cp = outcome.next;
  curve.push(validationLoss(config, data, cp.theta));
  log(
    `round ${r}: training ${(t1 - t0).toFixed(0)} ms, verification ${(t2 - t1).toFixed(0)} ms, accepted ${outcome.accepted.length}/${n}, validation loss ${(curve[r + 1]! / ONE).toFixed(4)}`,
  );
}
// Training: forward + the two backward products per example; verification: L(θ) once and L(θ − Δ) per contribution.
const trainMacs = rounds * n * config.innerSteps * config.batchSize * 3 * forwardMacs(config);
const verifyMacs =
  rounds * (n + 1) * config.validationBatches * config.validationBatchSize * forwardMacs(config);
const trainingMacPerSec = trainMacs / (trainMs / 1000);
report({
  bench: "training",
  preset: config.name,
  participants: n,
  rounds,
  parameters: cp.theta.length,
  trainingMs: Math.round(trainMs),
  verificationMs: Math.round(verifyMs),
  roundTrainingMs: Math.round(trainMs / rounds),
  verificationShareOfMacs: ratioOf(verifyMacs, trainMacs, 4),
  trainingNominalMacPerSec: Math.round(trainingMacPerSec),
  trainingShareOfCeiling: ratioOf(trainingMacPerSec, ceilingMacPerSec),
  accepted,
  validationLossNats: curve.map((l) => +(l / ONE).toFixed(4)),
  ceiling: { fixedPointMacPerSec: Math.round(ceilingMacPerSec) },
  ratio: ratioOf(verifyMs, trainMs, 4),
  target: "ratio ≤ 0.05",
  pass: verifyMs / trainMs <= 0.05,
});
