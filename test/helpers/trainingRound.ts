// One training round from its inputs (spec/training.md, spec/vectors/training/round.json): the
// initial checkpoint from a seed, each participant's Δ by its behaviour, proof-of-learning scores,
// the copy rule, the outer step and the payouts. The vector generator writes what this returns;
// the vector replay recomputes it from the file's inputs and compares.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  checkpointHash,
  commitmentHash,
  copyDelta,
  DEFAULT_CORPUS_PATH,
  decodeDelta,
  deltaHash,
  expNegQ30,
  freeRiderDelta,
  genesisCheckpoint,
  honestDelta,
  initialCheckpoint,
  lnQ16,
  noiseDelta,
  parameterCount,
  payouts,
  poisonDelta,
  prepareDataset,
  settleRound,
  shardOf,
  TrainingError,
  trainingPresets,
  validationLoss,
} from "../../src/training/index.ts";
import { fromHex, toHex } from "../../src/types/index.ts";

export type Behaviour = "honest" | "freeRider" | "poison" | "noise" | "copy";

export interface TrainingRoundInput {
  preset: string;
  corpus: string;
  initSeed: string;
  roundSeed: string;
  validationSeed: string;
  budget: string;
  /** In commit order; poison and copy act on the first and second honest Δ, noise is seeded by the round seed, amplitude ONE/8. */
  participants: { address: string; behaviour: Behaviour }[];
}

/** Fixed points of the integer exp and ln, so another backend can check them first. */
export const EXP_POINTS = [0, 1, 4096, 45425, 45426, 65536, 300_000, 2_031_616];
export const LN_POINTS = [2 ** 30, 2 ** 30 + 1, 1_500_000_000, 2 ** 31, 3 * 2 ** 30, 2 ** 35 - 1];

export function computeTrainingRound(input: TrainingRoundInput) {
  const config = trainingPresets[input.preset]!;
  const data = prepareDataset(readFileSync(input.corpus), config);
  const start = initialCheckpoint(config, fromHex(input.initSeed));
  const roundSeed = fromHex(input.roundSeed);
  const honest: Int32Array[] = [];
  const deltas = input.participants.map(({ address, behaviour }) => {
    const d = ((): Int32Array => {
      switch (behaviour) {
        case "honest":
          return honestDelta(config, data, start.theta, roundSeed, fromHex(address));
        case "freeRider":
          return freeRiderDelta(config);
        case "poison":
          return poisonDelta(honest[0]!);
        case "noise":
          return noiseDelta(config, roundSeed, 8192);
        case "copy":
          return copyDelta(honest[1]!);
      }
    })();
    if (behaviour === "honest") honest.push(d);
    return d;
  });
  const hashes = deltas.map(deltaHash);
  const outcome = settleRound(config, data, start, deltas, hashes, fromHex(input.validationSeed));
  return {
    filesHash: toHex(data.filesHash),
    trainEnd: data.trainEnd,
    initialCheckpointHash: toHex(checkpointHash(start)),
    contributions: input.participants.map((p, i) => ({
      address: p.address,
      behaviour: p.behaviour,
      shard: shardOf(config, roundSeed, fromHex(p.address)),
      deltaHash: toHex(hashes[i]!),
      commitment: toHex(commitmentHash(fromHex(p.address), hashes[i]!)),
      rawScore: outcome.rawScores[i]!,
      score: outcome.scores[i]!,
    })),
    accepted: outcome.accepted,
    nextCheckpointHash: toHex(checkpointHash(outcome.next)),
    validationLoss: {
      before: validationLoss(config, data, start.theta),
      after: validationLoss(config, data, outcome.next.theta),
    },
    payouts: payouts(BigInt(input.budget), outcome.scores).map(String),
    zeroDeltaHash: toHex(deltaHash(freeRiderDelta(config))),
    genesisCheckpointHash: toHex(checkpointHash(genesisCheckpoint(config))),
    expNegQ30: EXP_POINTS.map((x) => [x, expNegQ30(x)]),
    lnQ16: LN_POINTS.map((s) => [s, lnQ16(s)]),
  };
}

export const TRAINING_ROUND_INPUT: TrainingRoundInput = {
  preset: "minimal",
  corpus: DEFAULT_CORPUS_PATH,
  initSeed: toHex(new Uint8Array(32).fill(0x01)),
  roundSeed: toHex(new Uint8Array(32).fill(0x02)),
  validationSeed: toHex(new Uint8Array(32).fill(0x03)),
  budget: "1000000000000000000000",
  participants: [
    { address: "0x1000000000000000000000000000000000000001", behaviour: "honest" },
    { address: "0x1000000000000000000000000000000000000002", behaviour: "honest" },
    { address: "0x1000000000000000000000000000000000000003", behaviour: "freeRider" },
    { address: "0x1000000000000000000000000000000000000004", behaviour: "honest" },
    { address: "0x1000000000000000000000000000000000000005", behaviour: "poison" },
    { address: "0x1000000000000000000000000000000000000006", behaviour: "noise" },
    { address: "0x1000000000000000000000000000000000000007", behaviour: "copy" },
  ],
};

/** Malformed Δ encodings, by length in bytes or by one int32 put out of range in a zero Δ. */
export interface InvalidDelta {
  name: string;
  bytes?: number;
  index?: number;
  value?: number;
  code: string;
}

export function invalidDeltas(preset: string): InvalidDelta[] {
  const n = parameterCount(trainingPresets[preset]!);
  return [
    { name: "one int32", bytes: 4, code: "TRAINING_ERROR_LENGTH" },
    { name: "truncated by one byte", bytes: 4 * n - 1, code: "TRAINING_ERROR_LENGTH" },
    { name: "one int32 short", bytes: 4 * n - 4, code: "TRAINING_ERROR_LENGTH" },
    { name: "one int32 too many", bytes: 4 * n + 4, code: "TRAINING_ERROR_LENGTH" },
    { name: "value above DELTA_MAX", index: 7, value: 2 ** 22 + 1, code: "TRAINING_ERROR_RANGE" },
    { name: "int32 minimum", index: n - 1, value: -(2 ** 31), code: "TRAINING_ERROR_RANGE" },
  ];
}

/** The replay: recompute the round from the file's inputs; every output must match. */
export function replayTrainingVectors(file: Record<string, unknown>): void {
  const input = file.input as TrainingRoundInput;
  const got = JSON.parse(JSON.stringify(computeTrainingRound(input)));
  for (const key of Object.keys(got)) assert.deepEqual(got[key], file[key], key);
  const config = trainingPresets[input.preset]!;
  for (const c of file.invalid as InvalidDelta[]) {
    const bytes = new Uint8Array(c.bytes ?? 4 * parameterCount(config));
    if (c.index !== undefined) new DataView(bytes.buffer).setInt32(4 * c.index, c.value!, true);
    assert.throws(
      () => decodeDelta(bytes, config),
      (e: unknown) => e instanceof TrainingError && e.code === c.code,
      `${c.name} must fail with ${c.code}`,
    );
  }
}
