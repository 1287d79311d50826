// The training module (spec/training.md §On chain): a job granted by a trainingJob vote, a round
// from registration to payout, per-participant majority scores, a minority verifier recorded and
// excluded, an absent one recorded, the copy and zero rules, and the fund falling by exactly what
// was paid.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  COIN,
  DEFAULT_GOV_PARAMS,
  GovStatus,
  governance,
  govProposals,
  TrainingJobStatus,
  TrainingRoundStatus,
  TrainingVerdict,
  training,
  trainingCommitments,
  trainingDeltaHash,
  trainingParams,
  trainingZeroCommitment,
  ZERO_DELTA_HASH,
} from "../../contracts/index.ts";
import { excludedUntil, participants, submissions } from "../../contracts/training/index.ts";
import { decode, encode } from "../../src/encoding/index.ts";
import { TRAINING_FUND_ADDRESS, TRAINING_MODULE_ADDRESS } from "../../src/params/index.ts";
import { toJson } from "../../src/rpc/moduleQueries.ts";
import { readStoreIn } from "../../src/state/index.ts";
import { type Address, toHex } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { JOB_SPEC, trainingHarness } from "../helpers/trainingModule.ts";

const [a, b, c, d] = devAddresses as [Address, Address, Address, Address];
const delta = (n: number) => trainingDeltaHash(new Uint8Array([n, 1, 2, 3]));
const NEXT = new Uint8Array(32).fill(0x33);
// Round 1 of a job that passes at the end of cycle 2 (height 179), default windows (10/40/20/20).
const R1 = { register: 181, commit: 191, score: 251, end: 270 };
const R2 = { register: 271, commit: 281, score: 341, end: 360 };

function granted(opts: Parameters<typeof trainingHarness>[0] = {}, spec = {}) {
  const h = trainingHarness(opts);
  h.grantJob(spec);
  h.goto(180);
  return h;
}

describe("training module", () => {
  it("a job is granted by vote: the budget moves from the fund to the module, round 1 opens next block", () => {
    const h = trainingHarness();
    const supply = h.totalBalances();
    const fund = h.balance(TRAINING_FUND_ADDRESS);
    h.grantJob();
    h.goto(179);
    assert.equal(h.job(1), undefined, "nothing before the closing cycle's end");
    h.goto(180);
    const p = govProposals.get(readStoreIn(h.state, governance), 1)!;
    assert.equal(p.status, GovStatus.passed, p.result);
    const job = h.job(1);
    assert.equal(job.status, TrainingJobStatus.active);
    assert.equal(job.startHeight, 180);
    assert.deepEqual(job.checkpointHash, JOB_SPEC.modelHash);
    assert.equal(h.balance(TRAINING_FUND_ADDRESS), fund - JOB_SPEC.budget);
    assert.equal(h.balance(TRAINING_MODULE_ADDRESS), JOB_SPEC.budget);
    assert.equal(h.round(1, 1).status, TrainingRoundStatus.open);
    assert.equal(h.totalBalances(), supply);
  });

  it("a round from registration to payout: majority scores, the copy and zero rules, payment by score", () => {
    const h = granted();
    for (const p of [a, b, c, d]) h.call(R1.register, p, "register", { job: 1, round: 1 });
    h.call(R1.commit, a, "commit", { job: 1, round: 1, deltaHash: delta(1) });
    h.call(R1.commit, b, "commit", { job: 1, round: 1, deltaHash: delta(2) });
    h.call(R1.commit + 1, c, "commit", { job: 1, round: 1, deltaHash: delta(1) }); // a's commitment, replayed
    h.call(R1.commit + 2, d, "commit", { job: 1, round: 1, deltaHash: trainingZeroCommitment(d) });
    h.goto(R1.score);
    const r = h.round(1, 1);
    assert.equal(r.status, TrainingRoundStatus.scoring);
    assert.equal(r.verifiers.length, 3);
    assert.notDeepEqual(r.scoreSeed, new Uint8Array(32));
    // Honest verifiers agree exactly and score the replayed commitment 0 (no bytes bind it to c);
    // the zero delta's commitment (50) is zeroed by the chain.
    for (const v of r.verifiers)
      h.call(R1.score, v.address, "score", {
        job: 1,
        round: 1,
        scores: [10n, 30n, 0n, 50n],
        checkpointHash: NEXT,
      });
    const before = [a, b, c, d].map((x) => h.balance(x));
    h.goto(R1.end);
    const closed = h.round(1, 1);
    assert.equal(closed.status, TrainingRoundStatus.scored, closed.result);
    assert.deepEqual(closed.checkpointHash, NEXT);
    assert.equal(closed.totalScore, 40n);
    const budget = JOB_SPEC.budget / 2n;
    const paid = [(budget * 10n) / 40n, (budget * 30n) / 40n, 0n, 0n];
    assert.deepEqual(
      [a, b, c, d].map((x, i) => h.balance(x) - before[i]!),
      paid,
    );
    const commits = [0, 1, 2, 3].map((i) => trainingCommitments.get(h.store(), [1, 1, i])!);
    assert.deepEqual(
      commits.map((x) => [x.score, x.copyOf]),
      [
        [10n, 0],
        [30n, 0],
        [0n, 1],
        [0n, 0],
      ],
    );
    assert.deepEqual(h.job(1).checkpointHash, NEXT, "the next round trains from the majority's checkpoint");
    assert.equal(h.job(1).paid, budget);
    assert.ok(closed.verifiers.every((v) => v.verdict === TrainingVerdict.agreed));
    assert.equal(participants.keys(h.store()).length, 0, "registrations pruned with the round");
    assert.equal(h.balance(TRAINING_MODULE_ADDRESS), JOB_SPEC.budget - budget);
  });

  it("a minority verifier is recorded and left out of later draws; an absent one is recorded", () => {
    const h = granted({ weights: [100n, 100n, 100n, 100n] }, { rounds: 1 });
    h.call(R1.register, a, "register", { job: 1, round: 1 });
    h.call(R1.register, b, "register", { job: 1, round: 1 });
    h.call(R1.commit, a, "commit", { job: 1, round: 1, deltaHash: delta(1) });
    h.call(R1.commit, b, "commit", { job: 1, round: 1, deltaHash: delta(2) });
    h.goto(R1.score);
    const [v1, v2, v3] = h.round(1, 1).verifiers;
    h.call(R1.score, v1!.address, "score", { job: 1, round: 1, scores: [5n, 7n], checkpointHash: NEXT });
    h.call(R1.score, v2!.address, "score", { job: 1, round: 1, scores: [5n, 7n], checkpointHash: NEXT });
    // A dishonest verifier claims the other participant did better: overruled by the majority.
    h.call(R1.score, v3!.address, "score", { job: 1, round: 1, scores: [0n, 12n], checkpointHash: NEXT });
    h.goto(R1.end);
    const r = h.round(1, 1);
    assert.equal(r.status, TrainingRoundStatus.scored);
    assert.deepEqual(
      r.verifiers.map((v) => v.verdict),
      [TrainingVerdict.agreed, TrainingVerdict.agreed, TrainingVerdict.minority],
    );
    assert.equal(
      excludedUntil.get(h.store(), v3!.address),
      4 + 1 + 2,
      "closed in cycle 4: + 1 + exclusionCycles (2)",
    );
    assert.deepEqual(submissions.get(h.store(), [1, 1, v3!.address])!.scores, [0n, 12n], "kept for audit");
    assert.equal(trainingCommitments.get(h.store(), [1, 1, 0])!.score, 5n);

    // Absent: one of three submits, the other two do not: 1 of 3 seats is no majority — void.
    const g = granted({}, { rounds: 1 });
    g.call(R1.register, a, "register", { job: 1, round: 1 });
    g.call(R1.commit, a, "commit", { job: 1, round: 1, deltaHash: delta(1) });
    g.goto(R1.score);
    const seats = g.round(1, 1).verifiers;
    g.call(R1.score, seats[0]!.address, "score", { job: 1, round: 1, scores: [9n], checkpointHash: NEXT });
    const fund = g.balance(TRAINING_FUND_ADDRESS);
    g.goto(R1.end);
    const v = g.round(1, 1);
    assert.equal(v.status, TrainingRoundStatus.void);
    assert.match(v.result, /no majority of the drawn seats on the next checkpoint hash/);
    assert.deepEqual(
      v.verifiers.map((x) => x.verdict),
      [TrainingVerdict.undecided, TrainingVerdict.absent, TrainingVerdict.absent],
    );
    assert.deepEqual(g.job(1).checkpointHash, JOB_SPEC.modelHash, "a void round leaves the checkpoint");
    assert.equal(g.job(1).status, TrainingJobStatus.finished);
    assert.equal(g.balance(TRAINING_FUND_ADDRESS), fund + JOB_SPEC.budget, "the whole budget went back");
    assert.equal(g.balance(TRAINING_MODULE_ADDRESS), 0n);
  });

  it("two of three agreeing with one absent is a majority (2 of 3 seats)", () => {
    const h = granted({}, { rounds: 1 });
    h.call(R1.register, a, "register", { job: 1, round: 1 });
    h.call(R1.commit, a, "commit", { job: 1, round: 1, deltaHash: delta(1) });
    h.goto(R1.score);
    const seats = h.round(1, 1).verifiers;
    for (const s of seats.slice(0, 2))
      h.call(R1.score, s.address, "score", { job: 1, round: 1, scores: [9n], checkpointHash: NEXT });
    const before = h.balance(a);
    h.goto(R1.end);
    const r = h.round(1, 1);
    assert.equal(r.status, TrainingRoundStatus.scored, r.result);
    assert.equal(r.verifiers[2]!.verdict, TrainingVerdict.absent);
    assert.equal(h.balance(a) - before, JOB_SPEC.budget, "the only positive score takes the round's budget");
  });

  it("fund conservation: over a job the fund falls by exactly what was paid; the module holds the unspent budgets", () => {
    const budget = 1_001n * COIN + 7n; // not a multiple of the rounds: the remainder goes back too
    const h = trainingHarness();
    const supply = h.totalBalances();
    const fund0 = h.balance(TRAINING_FUND_ADDRESS);
    h.grantJob({ budget, rounds: 2 });
    h.goto(180);
    assert.equal(h.balance(TRAINING_MODULE_ADDRESS), budget);
    h.call(R1.register, a, "register", { job: 1, round: 1 });
    h.call(R1.register, b, "register", { job: 1, round: 1 });
    h.call(R1.commit, a, "commit", { job: 1, round: 1, deltaHash: delta(1) });
    h.call(R1.commit, b, "commit", { job: 1, round: 1, deltaHash: delta(2) });
    h.goto(R1.score);
    for (const s of h.round(1, 1).verifiers)
      h.call(R1.score, s.address, "score", { job: 1, round: 1, scores: [1n, 2n], checkpointHash: NEXT });
    h.goto(R1.end);
    const paid1 = h.round(1, 1).paid;
    assert.equal(h.balance(TRAINING_MODULE_ADDRESS), budget - paid1, "module = the job's unspent budget");
    // Round 2: nobody commits — void, nothing paid.
    h.call(R2.register, a, "register", { job: 1, round: 2 });
    h.goto(R2.end);
    assert.equal(h.round(1, 2).status, TrainingRoundStatus.void);
    assert.equal(h.round(1, 2).result, "no commitments");
    const job = h.job(1);
    assert.equal(job.status, TrainingJobStatus.finished);
    assert.equal(job.paid, paid1);
    assert.equal(job.returned, budget - paid1);
    assert.equal(h.balance(TRAINING_FUND_ADDRESS), fund0 - paid1, "the fund fell by exactly what was paid");
    assert.equal(h.balance(TRAINING_MODULE_ADDRESS), 0n);
    assert.equal(h.totalBalances(), supply);
  });

  it("a job's windows are the parameters in force when it was created (here the genesis section's)", () => {
    const h = trainingHarness({
      section: { registerBlocks: 5, commitBlocks: 5, exchangeBlocks: 15, scoreBlocks: 5 },
    });
    h.grantJob({ rounds: 3 });
    h.goto(180);
    const q = training.queries.job!.run(
      {
        height: 186,
        preset: h.preset,
        state: h.state,
        store: h.store(),
        storeOf: (m) => readStoreIn(h.state, m),
      },
      { id: 1 },
    );
    assert.equal(q.currentRound, 1);
    assert.equal(q.phase, "commit");
    assert.deepEqual(q.windows, {
      start: 180,
      commitStart: 185,
      exchangeStart: 190,
      scoreStart: 205,
      end: 210,
    });
  });

  it("queries answer through their result codecs, as training_job, training_jobs, training_round and training_params do over RPC", () => {
    const h = granted();
    h.call(R1.register, a, "register", { job: 1, round: 1 });
    h.call(R1.commit, a, "commit", { job: 1, round: 1, deltaHash: delta(1) });
    h.goto(R1.score);
    for (const v of h.round(1, 1).verifiers)
      h.call(R1.score, v.address, "score", { job: 1, round: 1, scores: [4n], checkpointHash: NEXT });
    h.goto(R1.end);
    const ctx = {
      height: R1.end,
      preset: h.preset,
      state: h.state,
      store: h.store(),
      storeOf: (m: { address: Uint8Array }) => readStoreIn(h.state, m),
    };
    const q = (name: string, args: unknown) => {
      const def = training.queries[name]!;
      const v = def.run(ctx, args);
      return toJson(def.result, decode(def.result, encode(def.result, v))) as Record<string, unknown>;
    };
    const job = q("job", { id: 1 });
    assert.equal(job.currentRound, 2);
    assert.equal(job.phase, "register");
    assert.deepEqual(job.windows, {
      start: 270,
      commitStart: 280,
      exchangeStart: 320,
      scoreStart: 340,
      end: 360,
    });
    assert.equal(job.checkpointHash, toHex(NEXT));
    const round = q("round", { job: 1, round: 1 }) as {
      statusName: string;
      commitments: { payout: string }[];
      submissions: unknown[];
    };
    assert.equal(round.statusName, "scored");
    assert.equal(round.commitments[0]!.payout, (JOB_SPEC.budget / 2n).toString());
    assert.equal(round.submissions.length, 3);
    assert.equal((q("jobs", { from: 0, limit: 1000 }).jobs as unknown[]).length, 1);
    assert.equal(q("params", {}).zeroDeltaHash, toHex(ZERO_DELTA_HASH));
    assert.equal(q("job", { id: 7 }).id, 0, "no such job: id 0");
    assert.equal(q("round", { job: 1, round: 9 }).round, 0, "not opened: round 0");
  });

  it("the score seed is a beacon output from after the commit window; without one the round is void", () => {
    const h = granted({}, { rounds: 1 });
    h.call(R1.register, a, "register", { job: 1, round: 1 });
    h.call(R1.commit, a, "commit", { job: 1, round: 1, deltaHash: delta(1) });
    h.goto(R1.score);
    const r = h.round(1, 1);
    assert.deepEqual(
      r.scoreSeed,
      h.beaconAt(240),
      "the latest output at the draw (249), completed after 230",
    );
    assert.deepEqual(r.shardSeed, h.beaconAt(180), "the latest output when the round opened");

    // The beacon stalls after height 220: no output since the commit window closed at 230.
    const g = trainingHarness({ beacon: (x) => x % 10 === 0 && x <= 220 });
    g.grantJob({ rounds: 1 });
    g.call(R1.register, a, "register", { job: 1, round: 1 });
    g.call(R1.commit, a, "commit", { job: 1, round: 1, deltaHash: delta(1) });
    g.goto(R1.score);
    const v = g.round(1, 1);
    assert.equal(v.status, TrainingRoundStatus.void);
    assert.equal(v.result, "no beacon output since the commit window closed");
    assert.equal(v.verifiers.length, 0);
    assert.match(
      g.refusal(R1.score, a, "score", { job: 1, round: 1, scores: [1n], checkpointHash: NEXT }),
      /is void/,
    );
  });

  it("governance changes a training parameter within its bounds; jobs created after take it", () => {
    const h = trainingHarness();
    const head = { title: "t", expedited: 0, deposit: DEFAULT_GOV_PARAMS.minDeposit };
    const dev = devAddresses[4]!;
    h.gov(1, dev, "proposeParam", { ...head, module: "training", param: "verifiers", value: 4n });
    assert.throws(
      () => h.gov(2, dev, "proposeParam", { ...head, module: "training", param: "verifiers", value: 17n }),
      /training.verifiers must be in \[1, 16\]/,
    );
    for (const v of [a, b, c]) h.gov(61, v, "vote", { id: 1, option: 1 });
    h.goto(180);
    assert.equal(trainingParams(h.store()).verifiers, 4);
  });
});
