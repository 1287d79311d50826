// The training core (spec/training.md): integer arithmetic, determinism, a few DiLoCo rounds whose
// validation loss falls, proof-of-learning scores of honest and dishonest contributions, the outer
// step's accepted set, encodings and refusals, payouts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ZERO_DELTA_HASH as MODULE_ZERO_DELTA_HASH } from "../../contracts/index.ts";
import {
  type Checkpoint,
  checkpointHash,
  checkTrainingConfig,
  copyDelta,
  DEFAULT_CORPUS_PATH,
  DELTA_MAX,
  decodeCheckpoint,
  decodeDelta,
  deltaHash,
  encodeCheckpoint,
  encodeDelta,
  encodeVector,
  expNegQ30,
  finalScores,
  freeRiderDelta,
  honestDelta,
  initialCheckpoint,
  lnQ16,
  minimal,
  noiseDelta,
  ONE,
  outerStep,
  parameterCount,
  payouts,
  poisonDelta,
  prepareDataset,
  scoreContributions,
  settleRound,
  TrainingError,
  validationLoss,
  ZERO_DELTA_HASH,
} from "../../src/training/index.ts";

const config = minimal;
const data = prepareDataset(readFileSync(DEFAULT_CORPUS_PATH), config);
const seed = (label: string) => {
  const s = new Uint8Array(32);
  s.set(new TextEncoder().encode(label).subarray(0, 32));
  return s;
};
const participant = (i: number) => new Uint8Array(20).fill(0x10 + i);
const start = initialCheckpoint(config, seed("init"));
const nats = (q16: number) => (q16 / ONE).toFixed(4);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

const refusedWith = (code: string, text: RegExp) => (e: unknown) =>
  e instanceof TrainingError && e.code === code && text.test(e.message);

/** One round of three honest participants from `cp`, with the given cheats appended in commit order. */
function round(cp: Checkpoint, r: number, cheats: (honest: Int32Array[]) => Int32Array[] = () => []) {
  const honest = [0, 1, 2].map((i) =>
    honestDelta(config, data, cp.theta, seed(`round ${r}`), participant(i)),
  );
  const deltas = [...honest, ...cheats(honest)];
  const outcome = settleRound(config, data, cp, deltas, deltas.map(deltaHash), seed(`validation ${r}`));
  return { honest, deltas, outcome };
}

describe("training: fixed-point exp and ln", () => {
  it("follow e^−x and ln x within their stated error", () => {
    for (let x = 0; x < 20 * ONE; x += 997) {
      const want = Math.exp(-x / ONE) * 2 ** 30;
      assert.ok(Math.abs(expNegQ30(x) - want) <= 64 + want * 2 ** -15, `exp(−${x / ONE})`);
    }
    for (let s = 2 ** 30; s < 2 ** 36; s = Math.floor(s * 1.37) + 1) {
      const want = Math.log(s / 2 ** 30) * ONE;
      assert.ok(Math.abs(lnQ16(s) - want) <= 2, `ln(${s / 2 ** 30})`);
    }
    assert.equal(expNegQ30(0), 2 ** 30);
    assert.equal(lnQ16(2 ** 30), 0);
    assert.equal(expNegQ30(40 * ONE), 0);
  });
});

describe("training: determinism", () => {
  it("the same inputs give identical bytes, twice", () => {
    const again = initialCheckpoint(config, seed("init"));
    assert.equal(hex(checkpointHash(again)), hex(checkpointHash(start)));
    const a = honestDelta(config, data, start.theta, seed("round 0"), participant(0));
    const b = honestDelta(config, data, start.theta, seed("round 0"), participant(0));
    assert.deepEqual(encodeVector(a), encodeVector(b));
    const other = honestDelta(config, data, start.theta, seed("round 0"), participant(1));
    assert.notEqual(hex(deltaHash(a)), hex(deltaHash(other)), "another participant draws other batches");
    const s1 = settleRound(config, data, start, [a, other], [a, other].map(deltaHash), seed("v"));
    const s2 = settleRound(config, data, start, [b, other], [b, other].map(deltaHash), seed("v"));
    assert.deepEqual(s1.scores, s2.scores);
    assert.equal(hex(checkpointHash(s1.next)), hex(checkpointHash(s2.next)));
  });
});

describe("training: DiLoCo rounds", () => {
  it("the validation loss falls over 5 rounds of 3 honest participants", () => {
    let cp = start;
    const curve = [validationLoss(config, data, cp.theta)];
    for (let r = 0; r < 5; r++) {
      const { outcome } = round(cp, r);
      assert.ok(outcome.accepted.length > 0, `round ${r}: some honest contribution improves the loss`);
      cp = outcome.next;
      curve.push(validationLoss(config, data, cp.theta));
    }
    process.stdout.write(`validation loss (nats) by round: ${curve.map(nats).join(" → ")}\n`);
    assert.ok(curve[5]! < curve[0]! - ONE / 2, "at least half a nat below the initial loss");
    assert.ok(curve[5]! < curve[1]!, "still falling after the first round");
  });

  it("a free rider, poisoners and a copier score 0 and the outer step leaves them out", () => {
    const { honest, deltas, outcome } = round(start, 0, (h) => [
      freeRiderDelta(config),
      poisonDelta(h[0]!),
      noiseDelta(config, seed("noise"), ONE / 8),
      copyDelta(h[1]!),
    ]);
    process.stdout.write(`scores (Q16 nats) honest ×3, free rider, −Δ, noise, copy: ${outcome.scores}\n`);
    for (const i of [0, 1, 2]) assert.ok(outcome.scores[i]! > 0, `honest ${i} scores`);
    assert.deepEqual(outcome.scores.slice(3), [0, 0, 0, 0]);
    assert.ok(outcome.rawScores[6]! > 0, "the copy alone would improve the loss: the copy rule zeroes it");
    assert.deepEqual(outcome.accepted, [0, 1, 2]);
    const honestOnly = outerStep(config, start, honest);
    assert.equal(hex(checkpointHash(outcome.next)), hex(checkpointHash(honestOnly)));
    // Taking a cheat in would change the checkpoint: the exclusion is what keeps it equal.
    const withPoison = outerStep(config, start, [...honest, deltas[4]!]);
    assert.notEqual(hex(checkpointHash(withPoison)), hex(checkpointHash(honestOnly)));
  });

  it("no accepted contribution leaves the checkpoint as it was", () => {
    const zero = freeRiderDelta(config);
    const outcome = settleRound(config, data, start, [zero], [deltaHash(zero)], seed("v"));
    assert.deepEqual(outcome.accepted, []);
    assert.equal(hex(checkpointHash(outcome.next)), hex(checkpointHash(start)));
  });
});

describe("training: scores and payouts", () => {
  it("the copy rule keeps the earliest commitment of a hash", () => {
    const h = (b: number) => new Uint8Array(32).fill(b);
    assert.deepEqual(finalScores([5, 7, 9, 4], [h(1), h(2), h(1), h(2)]), [5, 7, 0, 0]);
    assert.deepEqual(finalScores([0, 7], [h(1), h(1)]), [0, 0], "a copy of a zero scores 0 too");
    assert.deepEqual(finalScores([3, 2], [ZERO_DELTA_HASH, h(1)]), [0, 2], "the zero Δ's hash scores 0");
  });

  it("pays ⌊budget·s/Σs⌋ and leaves the remainder", () => {
    assert.deepEqual(payouts(1000n, [1, 1, 1]), [333n, 333n, 333n]);
    assert.deepEqual(payouts(10n ** 21n, [3, 0, 1n]), [75n * 10n ** 19n, 0n, 25n * 10n ** 19n]);
    assert.deepEqual(payouts(1000n, [0, 0]), [0n, 0n], "nothing scored: the budget stays in the fund");
    assert.throws(() => payouts(-1n, [1]), refusedWith("TRAINING_ERROR_RANGE", /negative/));
  });
});

describe("training: encodings", () => {
  const delta = honestDelta(config, data, start.theta, seed("round 0"), participant(0));
  const bytes = encodeVector(delta);

  it("Δ and checkpoints round-trip", () => {
    assert.equal(bytes.length, 4 * parameterCount(config));
    assert.deepEqual(decodeDelta(bytes, config), delta);
    const cp = outerStep(config, start, [delta]);
    const back = decodeCheckpoint(encodeCheckpoint(cp), config);
    assert.deepEqual(back, cp);
    assert.equal(hex(checkpointHash(back)), hex(checkpointHash(cp)));
    const extreme = new Int32Array(parameterCount(config)).fill(-DELTA_MAX);
    assert.deepEqual(decodeDelta(encodeVector(extreme), config), extreme);
    assert.equal(hex(deltaHash(delta)), hex(deltaHash(decodeDelta(encodeDelta(delta), config))));
  });

  it("the zero Δ is no bytes, and its hash is the module's", () => {
    const zero = freeRiderDelta(config);
    assert.equal(encodeDelta(zero).length, 0);
    assert.deepEqual(decodeDelta(new Uint8Array(0), config), zero);
    assert.deepEqual(decodeDelta(encodeVector(zero), config), zero, "the long form is accepted too");
    assert.equal(hex(deltaHash(zero)), hex(ZERO_DELTA_HASH));
    assert.equal(hex(ZERO_DELTA_HASH), hex(MODULE_ZERO_DELTA_HASH), "contracts/training agrees");
  });

  it("malformed Δ bytes are refused with a reason", () => {
    const n = parameterCount(config);
    assert.throws(
      () => decodeDelta(bytes.subarray(0, bytes.length - 4), config),
      refusedWith("TRAINING_ERROR_LENGTH", new RegExp(`${4 * n} bytes .* got ${4 * n - 4}`)),
    );
    assert.throws(
      () => decodeDelta(bytes.subarray(0, bytes.length - 1), config),
      refusedWith("TRAINING_ERROR_LENGTH", /got/),
    );
    assert.throws(
      () => decodeDelta(new Uint8Array(4), config),
      refusedWith("TRAINING_ERROR_LENGTH", /got 4/),
    );
    assert.throws(
      () => decodeDelta(new Uint8Array([...bytes, 0, 0, 0, 0]), config),
      refusedWith("TRAINING_ERROR_LENGTH", /got/),
    );
    const big = Uint8Array.from(bytes);
    new DataView(big.buffer).setInt32(8, DELTA_MAX + 1, true);
    assert.throws(() => decodeDelta(big, config), refusedWith("TRAINING_ERROR_RANGE", /delta\[2\]/));
    const cp = encodeCheckpoint(start);
    assert.throws(
      () => decodeCheckpoint(cp.subarray(1), config),
      refusedWith("TRAINING_ERROR_LENGTH", /checkpoint/),
    );
  });

  it("seeds, addresses and configurations out of bounds are refused", () => {
    assert.throws(
      () => initialCheckpoint(config, new Uint8Array(31)),
      refusedWith("TRAINING_ERROR_SEED", /32 bytes/),
    );
    assert.throws(
      () => honestDelta(config, data, start.theta, seed("r"), new Uint8Array(19)),
      refusedWith("TRAINING_ERROR_LENGTH", /address/),
    );
    assert.throws(
      () => scoreContributions(config, data, start.theta, [delta], new Uint8Array(0)),
      refusedWith("TRAINING_ERROR_SEED", /validation seed/),
    );
    assert.throws(
      () => checkTrainingConfig({ ...config, batchSize: 65 }),
      refusedWith("TRAINING_ERROR_CONFIG", /batchSize/),
    );
    assert.throws(
      () => checkTrainingConfig({ ...config, context: 9, embedding: 16 }),
      refusedWith("TRAINING_ERROR_CONFIG", /fan-in/),
    );
    assert.throws(
      () => outerStep(config, start, [delta.subarray(1)]),
      refusedWith("TRAINING_ERROR_LENGTH", /values/),
    );
  });
});
