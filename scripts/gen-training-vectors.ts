// Generates spec/vectors/training/round.json (spec/training.md §Vectors): one DiLoCo round of the
// minimal preset on the shipped corpus — three honest participants, a free rider, a poisoner
// (−Δ of the first honest), noise and a copy of the second honest, in commit order — with each
// contribution's delta hash and score, the accepted set, the next checkpoint's hash, the validation
// loss before and after, the payouts of a budget, points of the integer exp and ln, and malformed Δ.
// Usage: node --import tsx scripts/gen-training-vectors.ts [--check]
import { mkdirSync } from "node:fs";
import { computeTrainingRound, invalidDeltas, TRAINING_ROUND_INPUT } from "../test/helpers/trainingRound.ts";
import { vectorFiles } from "./vectorFiles.ts";

const { write, done } = vectorFiles();
mkdirSync("spec/vectors/training", { recursive: true });
write("spec/vectors/training/round.json", {
  kind: "training-round",
  description:
    "One training round (spec/training.md): recompute every output from `input`. Losses and scores are Q16 nats; payouts are ⌊budget·score/Σscore⌋; expNegQ30 and lnQ16 are [input, output] pairs; zeroDeltaHash is the hash of the all-zero Δ (encoded as no bytes); genesisCheckpointHash is the preset's canonical first checkpoint; each invalid Δ (a zero Δ of the given length, or with one int32 set) must be refused with its code.",
  input: TRAINING_ROUND_INPUT,
  ...computeTrainingRound(TRAINING_ROUND_INPUT),
  invalid: invalidDeltas(TRAINING_ROUND_INPUT.preset),
});
done();
