// Adversarial review of training jobs paid from the fund (issue 25 item 2; spec/training.md
// §Attacks). One test per finding: a fixed one is a plain test that failed before its fix; an open
// one is `todo` with a test that fails while the hole is there.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TrainingRoundStatus, TrainingVerdict, trainingDeltaHash } from "../../contracts/index.ts";
import { TRAINING_MODULE_ADDRESS } from "../../src/params/index.ts";
import { type Address, equalBytes } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { JOB_SPEC, trainingHarness } from "../helpers/trainingModule.ts";

const [a, b, c, d] = devAddresses as [Address, Address, Address, Address];
const NEXT = new Uint8Array(32).fill(0x33);
const FORGED = new Uint8Array(32).fill(0x66);
const delta = (n: number) => trainingDeltaHash(new Uint8Array([n, 9, 9]));
// Round 1 of a job passing at the end of cycle 2 (height 179), default windows 10/40/20/20.
const R1 = { register: 181, commit: 191, exchange: 231, score: 251, end: 270 };
const same = (x: Uint8Array, y: Uint8Array) => equalBytes(x, y);

function granted(opts: Parameters<typeof trainingHarness>[0] = {}, spec = {}) {
  const h = trainingHarness(opts);
  h.grantJob(spec);
  h.goto(180);
  return h;
}

describe("training review: the module", () => {
  it("a heavy verifier does not decide a round alone: the vote is by drawn seat, not drawn weight (the draw already weighs)", () => {
    // a holds 250 of 550 (45 %, less than half the network) and registers as a participant; the
    // draw by weight seats it with two 100s, and a strict majority of the *drawn weight* (250 > 225)
    // let its lone vector pay it the whole round and mark the two honest verifiers minority.
    const h = granted({ weights: [250n, 100n, 100n, 100n] }, { rounds: 1 });
    h.call(R1.register, a, "register", { job: 1, round: 1 });
    h.call(R1.register, b, "register", { job: 1, round: 1 });
    h.call(R1.commit, a, "commit", { job: 1, round: 1, deltaHash: delta(1) });
    h.call(R1.commit, b, "commit", { job: 1, round: 1, deltaHash: delta(2) });
    h.goto(R1.score);
    const seats = h.round(1, 1).verifiers;
    assert.equal(seats.length, 3);
    assert.ok(seats.some((s) => same(s.address, a)), "the heavy account is drawn (this seed)");
    for (const s of seats) {
      const liar = same(s.address, a);
      h.call(R1.score, s.address, "score", {
        job: 1,
        round: 1,
        scores: liar ? [1_000n, 0n] : [5n, 50n],
        checkpointHash: liar ? FORGED : NEXT,
      });
    }
    const before = h.balance(a);
    h.goto(R1.end);
    const r = h.round(1, 1);
    assert.equal(r.status, TrainingRoundStatus.scored, r.result);
    assert.deepEqual(r.checkpointHash, NEXT, "the two honest seats' checkpoint, not the heavy one's");
    assert.equal(h.balance(a) - before, JOB_SPEC.budget / 11n, "a is paid 5 of 55, not the whole round");
    for (const s of r.verifiers)
      assert.equal(s.verdict, same(s.address, a) ? TrainingVerdict.minority : TrainingVerdict.agreed);
    assert.equal(h.balance(TRAINING_MODULE_ADDRESS), 0n, "a one-round job: everything paid or returned");
  });
});
