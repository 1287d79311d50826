// Adversarial review of training jobs paid from the fund (issue 25 item 2; spec/training.md
// §Attacks). One test per finding: a fixed one is a plain test that failed before its fix; an open
// one is `todo` with a test that fails while the hole is there.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  TrainingRoundStatus,
  TrainingVerdict,
  training,
  trainingCommitmentHash,
  trainingCommitments,
  trainingDeltaHash,
  trainingJobs,
  trainingZeroCommitment,
} from "../../contracts/index.ts";
import { decode, encode } from "../../src/encoding/index.ts";
import { silentLogger } from "../../src/logger/index.ts";
import { TRAINING_FUND_ADDRESS, TRAINING_MODULE_ADDRESS } from "../../src/params/index.ts";
import { WantKind, wantCodec } from "../../src/services/training/protocol.ts";
import { TrainingService } from "../../src/services/training/service.ts";
import {
  checkpointHash,
  commitmentHash,
  DEFAULT_CORPUS_PATH,
  DELTA_MAX,
  datasetFilesHash,
  decodeCheckpoint,
  decodeDelta,
  deltaHash,
  encodeCheckpoint,
  encodeDelta,
  genesisCheckpoint,
  honestDelta,
  layoutOf,
  MAX_ABS,
  meanLoss,
  minimal,
  noiseDelta,
  prepareDataset,
  settleRound,
  trainInner,
  ZERO_DELTA_HASH,
} from "../../src/training/index.ts";
import { type Address, equalBytes, toHex } from "../../src/types/index.ts";
import { devAddresses } from "../helpers/chain.ts";
import { JOB_SPEC, trainingHarness } from "../helpers/trainingModule.ts";

const [a, b, c, d] = devAddresses as [Address, Address, Address, Address];
const NEXT = new Uint8Array(32).fill(0x33);
const FORGED = new Uint8Array(32).fill(0x66);
const delta = (n: number) => trainingDeltaHash(new Uint8Array([n, 9, 9]));
// Round 1 of a job passing at the end of cycle 2 (height 179), default windows 10/40/20/20.
const R1 = { register: 181, commit: 191, exchange: 231, score: 251, end: 270 };
const same = (x: Uint8Array, y: Uint8Array) => equalBytes(x, y);
/** The first block of round 1's commit window (R1.commit is one after it). */
const COMMIT_START = 190;

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
    assert.ok(
      seats.some((s) => same(s.address, a)),
      "the heavy account is drawn (this seed)",
    );
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

  it("the score seed is a beacon round that opened after the commit window, not one that merely landed after it", () => {
    // Round 22 opens at 220; its partials circulate from then, but its output lands at 230, the
    // first block after the commit window (a proposer delay; "0–1 blocks after the round opens" is
    // the norm, so a round opening at the last commit block lands here routinely). Whoever builds
    // the last commit block can read the output from the partials and fit its Δ to the 128
    // validation examples it seeds. Before: accepted, since it *landed* at 230 ≥ exchangeStart.
    const h = trainingHarness({ beacon: (x) => (x % 10 === 0 && x <= 210) || x === 230 });
    h.grantJob({ rounds: 1 });
    h.call(R1.register, a, "register", { job: 1, round: 1 });
    h.call(R1.commit, a, "commit", { job: 1, round: 1, deltaHash: delta(1) });
    h.goto(R1.score);
    const r = h.round(1, 1);
    assert.equal(r.status, TrainingRoundStatus.void, "a seed that could be known at the last commit");
    assert.match(r.result, /opened before the commit window closed/);
    assert.equal(r.verifiers.length, 0);
    // A round that opens at the exchange's start (the default rhythm) is still the seed.
    const g = trainingHarness();
    g.grantJob({ rounds: 1 });
    g.call(R1.register, a, "register", { job: 1, round: 1 });
    g.call(R1.commit, a, "commit", { job: 1, round: 1, deltaHash: delta(1) });
    g.goto(R1.score);
    assert.equal(g.round(1, 1).status, TrainingRoundStatus.scoring);
  });
});

type H = ReturnType<typeof trainingHarness>;
type Opts = ConstructorParameters<typeof TrainingService>[0];
type Deps = ConstructorParameters<typeof TrainingService>[1];

/**
 * Training services (src/services/training) in process on the module harness: each node's sender
 * runs its calls straight on the harness at the block being built, and its network asks the other
 * services' handlers directly. `step(height)` runs every node's block listener with `height` the
 * next block; `sent` keeps each node's calls and the chain's answer ("" accepted, else the reason).
 */
function serviceNet(
  h: H,
  accounts: Address[],
  /** Extra peers, listed first, answering every request with this (e.g. a stall). */
  fakes: Record<string, (req: Uint8Array) => Promise<Uint8Array>> = {},
  /** Whether `peer` answers nothing to `asker` (selective serving). */
  withholds: (peer: string, asker: string) => boolean = () => false,
) {
  const chain = { state: h.state, head: { height: 0 }, onBlock: () => undefined };
  const sent: { from: string; method: string; refused: string }[] = [];
  const nodes = new Map<string, TrainingService>();
  const network = (self: string) => ({
    peers: () => [...Object.keys(fakes), ...[...nodes.keys()].filter((k) => k !== self)],
    request: async (peer: string, _p: string, req: Uint8Array) =>
      fakes[peer]
        ? fakes[peer]!(req)
        : withholds(peer, self)
          ? new Uint8Array(0)
          : (nodes.get(peer) as unknown as { serve(r: Uint8Array): Uint8Array }).serve(req),
    handle: async () => undefined,
  });
  for (const address of accounts) {
    const id = toHex(address);
    const sender = {
      address,
      send: async (_to: Uint8Array, method: string, args: Uint8Array) => {
        const height = chain.head.height + 1;
        const refused = h.refusal(height, address, method, decode(training.methods[method]!.args, args));
        sent.push({ from: id, method, refused });
      },
    };
    nodes.set(
      id,
      new TrainingService(
        { sender: sender as unknown as Opts["sender"] },
        {
          chain: chain as unknown as Deps["chain"],
          network: network(id) as unknown as Deps["network"],
          log: silentLogger(),
        },
      ),
    );
  }
  const step = async (height: number) => {
    h.goto(height);
    chain.head.height = height - 1;
    for (const n of nodes.values()) await (n as unknown as { step(): Promise<void> }).step();
  };
  const node = (a: Address) =>
    nodes.get(toHex(a))! as unknown as {
      serve(r: Uint8Array): Uint8Array;
      work: Map<string, { commitment?: Uint8Array; hash?: Uint8Array }>;
    };
  return { chain, sent, step, node };
}

/** A job the services can run: the minimal preset's genesis checkpoint on the shipped corpus, short H. */
function serviceJob(spec = {}) {
  const h = trainingHarness();
  h.grantJob({
    modelHash: checkpointHash(genesisCheckpoint(minimal)),
    datasetHash: datasetFilesHash(readFileSync(DEFAULT_CORPUS_PATH)),
    innerSteps: 8,
    rounds: 1,
    ...spec,
  });
  h.goto(180);
  return h;
}

describe("training review: conservation", () => {
  it("two jobs side by side: at every block the module holds Σ (budget − paid) of the running jobs; the fund falls by exactly what was paid", () => {
    const h = trainingHarness();
    const supply = h.totalBalances();
    const fund0 = h.balance(TRAINING_FUND_ADDRESS);
    h.grantJobs(
      { budget: (1_001n * JOB_SPEC.budget) / 1_000n + 7n, purpose: "one" },
      { budget: 333n * 10n ** 18n + 1n, purpose: "two" },
    );
    const owed = () =>
      [1, 2].reduce((t, id) => {
        const j = trainingJobs.get(h.store(), id);
        return j && j.status === 1 ? t + j.budget - j.paid : t;
      }, 0n);
    const check = (x: number) => {
      assert.equal(h.balance(TRAINING_MODULE_ADDRESS), owed(), `height ${x}`);
      assert.equal(h.totalBalances(), supply, `supply at height ${x}`);
    };
    for (let x = 180; x < 360; x++) {
      h.goto(x);
      check(x);
      const w = { register: 181, commit: 191, score: 251 };
      const r = x < 270 ? 1 : 2;
      const off = (r - 1) * 90;
      for (const job of [1, 2]) {
        if (x === w.register + off) for (const p of [a, b, c]) h.call(x, p, "register", { job, round: r });
        if (x === w.commit + off) {
          h.call(x, a, "commit", { job, round: r, deltaHash: delta(job * 10 + r) });
          h.call(x, b, "commit", { job, round: r, deltaHash: delta(job * 10 + r) }); // a replay
          h.call(x, c, "commit", { job, round: r, deltaHash: trainingZeroCommitment(c) });
        }
        if (x === w.score + off) {
          const seats = h.round(job, r).verifiers;
          // Round 1: two agree, one dissents; round 2 of job 2: only one submits (void).
          for (const [i, s] of seats.entries()) {
            if (job === 2 && r === 2 && i > 0) continue;
            h.call(x, s.address, "score", {
              job,
              round: r,
              scores: i === 2 ? [1n, 1n, 1n] : [7n + BigInt(job), 0n, 99n],
              checkpointHash: NEXT,
            });
          }
        }
      }
    }
    h.goto(360);
    check(360);
    const paid = [1, 2].map((id) => h.job(id).paid);
    assert.ok(paid[0]! > 0n && paid[1]! > 0n);
    assert.equal(h.round(2, 2).status, TrainingRoundStatus.void);
    assert.equal(
      h.balance(TRAINING_FUND_ADDRESS),
      fund0 - paid[0]! - paid[1]!,
      "the fund fell by exactly what was paid",
    );
    assert.equal(h.balance(TRAINING_MODULE_ADDRESS), 0n);
  });
});

describe("training review: grants racing for the fund", () => {
  it("two jobs passing in one endCycle that together ask more than the fund: the second fails its check, nothing halts", () => {
    const h = trainingHarness({ fund: 1_000n * 10n ** 18n });
    const fund0 = h.balance(TRAINING_FUND_ADDRESS);
    h.grantJobs(
      { budget: 600n * 10n ** 18n, purpose: "first" },
      { budget: 600n * 10n ** 18n, purpose: "second" },
    );
    h.goto(180);
    assert.equal(h.job(1).budget, 600n * 10n ** 18n);
    assert.equal(trainingJobs.get(h.store(), 2), undefined, "the second is not created");
    assert.equal(h.balance(TRAINING_FUND_ADDRESS), fund0 - 600n * 10n ** 18n);
    assert.equal(h.balance(TRAINING_MODULE_ADDRESS), 600n * 10n ** 18n);
  });
});

describe("training review: the node service", () => {
  it("front-running a commitment steals nothing: commitments bind the committer, the chain zeroes no later equal one", async () => {
    // c (weighted, registered) sees a's commit transaction in the mempool and lands the same value
    // first. Before: the delta hash was unbound and the chain kept only the earliest commitment's
    // score, so the honest verifiers' own copy rule paid c for a's work and a nothing.
    const h = serviceJob({ participantsMax: 3 });
    const net = serviceNet(h, [a, b, d]);
    h.call(R1.register, c, "register", { job: 1, round: 1 });
    for (let x = R1.register; x < COMMIT_START; x++) await net.step(x);
    const stolen = net.node(a).work.get("1/1")!.commitment!;
    assert.ok(stolen, "a trained in its register window");
    h.call(COMMIT_START, c, "commit", { job: 1, round: 1, deltaHash: stolen });
    for (let x = COMMIT_START; x < R1.end; x++) {
      await net.step(x);
      if (x === R1.score) {
        // c lies if drawn: the whole round for itself.
        const seat = h.round(1, 1).verifiers.find((s) => same(s.address, c));
        const n = h.round(1, 1).committed;
        if (seat)
          h.call(x, c, "score", {
            job: 1,
            round: 1,
            scores: Array.from({ length: n }, (_, i) => (i === 0 ? 1_000n : 0n)),
            checkpointHash: FORGED,
          });
      }
    }
    const before = [a, b, c].map((x) => h.balance(x));
    h.goto(R1.end);
    const r = h.round(1, 1);
    assert.equal(r.status, TrainingRoundStatus.scored, r.result);
    const commits = Array.from(
      { length: r.committed },
      (_, i) => trainingCommitments.get(h.store(), [1, 1, i])!,
    );
    assert.ok(same(commits[0]!.participant, c), "c's replay landed first");
    const ofA = commits.find((x) => same(x.participant, a))!;
    assert.ok(ofA.score > 0n, "a keeps the score of its own work");
    assert.equal(commits[0]!.score, 0n, "the replay binds to no bytes of c's: 0");
    assert.equal(commits[0]!.payout, 0n);
    assert.ok(ofA.payout > 0n);
    assert.equal(h.balance(a) - before[0]!, ofA.payout);
    assert.equal(h.balance(c) - before[2]!, 0n, "c is paid nothing");
    // The chain's and the core's commitments agree; the zero delta's is the chain's zero rule.
    const dh = net.node(a).work.get("1/1")!.hash!;
    assert.deepEqual(trainingCommitmentHash(a, dh), commitmentHash(a, dh));
    assert.deepEqual(trainingZeroCommitment(c), commitmentHash(c, ZERO_DELTA_HASH));
    assert.notDeepEqual(commitmentHash(a, dh), commitmentHash(c, dh), "bound to the committer");
  });

  it("a pseudo-gradient is not served while its round's commit window runs (no near-copy of a committed delta)", async () => {
    // Before: a node served its Δ by hash as soon as it had trained, so anyone who read the
    // commitment on chain could fetch the bytes, perturb one value and commit them as its own.
    const h = serviceJob();
    const net = serviceNet(h, [a]);
    for (let x = R1.register; x <= COMMIT_START; x++) await net.step(x);
    const w = net.node(a).work.get("1/1")!;
    const want = encode(wantCodec, { kind: WantKind.delta, hash: w.commitment! });
    for (const head of [COMMIT_START, R1.exchange - 3]) {
      net.chain.head.height = head;
      assert.equal(net.node(a).serve(want).length, 0, `served at head ${head}, inside the commit window`);
    }
    net.chain.head.height = R1.exchange - 2; // the next block is the exchange's first: commits are closed
    const bytes = net.node(a).serve(want);
    assert.equal(bytes.length, 4 * 6752);
    assert.deepEqual(commitmentHash(a, trainingDeltaHash(bytes)), w.commitment);
  });

  it("a drawn verifier scores the round even when it could not register (a full round)", async () => {
    // participantsMax 1: a registers first; b, c and d are refused and, before, never computed the
    // round — when drawn their seats were absent, one vector of three is no majority, every round void.
    const h = serviceJob({ participantsMax: 1 });
    const net = serviceNet(h, [a, b, c, d]);
    const before = h.balance(a);
    const fund = h.balance(TRAINING_FUND_ADDRESS);
    for (let x = R1.register; x < R1.end; x++) await net.step(x);
    h.goto(R1.end);
    const r = h.round(1, 1);
    assert.equal(r.committed, 1);
    assert.equal(r.status, TrainingRoundStatus.scored, r.result);
    assert.ok(r.verifiers.every((v) => v.verdict === TrainingVerdict.agreed));
    assert.ok(h.balance(a) - before > 0n, "a's contribution is paid");
    assert.equal(h.balance(TRAINING_FUND_ADDRESS), fund + (h.job(1).budget - r.paid), "the rest went back");
  });

  it("a peer that stalls every answer costs a verifier one stall, not one per commitment (fetches run side by side)", async () => {
    // A peer listed first that holds each request until the network's timeout (5 s; here 1 s).
    // Before: the verifier asked for each committed Δ in turn, peer by peer, so n commitments cost
    // n stalls — 256 × 5 s against a 10 s score window — and every round went void.
    const STALL = 1_000;
    const h = serviceJob();
    const net = serviceNet(h, [a, b, c, d], {
      stall: () => new Promise((r) => setTimeout(() => r(new Uint8Array(0)), STALL)),
    });
    for (let x = R1.register; x < R1.score - 1; x++) await net.step(x);
    assert.equal(h.round(1, 1).committed, 4);
    const t0 = performance.now();
    await net.step(R1.score - 1); // the score window's first block: every node fetches the three others' Δ and scores
    const ms = performance.now() - t0;
    assert.ok(ms < 4 * 2 * STALL, `four nodes scored in ${ms.toFixed(0)} ms: one stall each, not three`);
    for (let x = R1.score; x < R1.end; x++) await net.step(x);
    h.goto(R1.end);
    assert.equal(h.round(1, 1).status, TrainingRoundStatus.scored, h.round(1, 1).result);
  });

  it("a job with a huge H neither freezes a node nor is joined beyond what a round can train", {
    timeout: 60_000,
  }, async () => {
    // innerSteps up to 100,000 pass the core's check: before, every --train node ran them
    // synchronously in its block listener — about 100 s with the event loop blocked (no blocks, no
    // votes, no gossip) every round of such a job, for a commit window of seconds.
    const h = serviceJob({ innerSteps: 100_000 });
    const net = serviceNet(h, [a]);
    const t0 = performance.now();
    for (let x = R1.register; x < R1.register + 3; x++) await net.step(x);
    assert.ok(performance.now() - t0 < 5_000, "not trained");
    assert.deepEqual(net.sent, [], "not joined: no registration");
    // An H it joins is trained in slices: the event loop keeps turning while it runs.
    const g = serviceJob({ innerSteps: 512 });
    const gn = serviceNet(g, [a]);
    await gn.step(R1.register);
    let lag = 0;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t1 = performance.now();
    const run = gn.step(R1.register + 1);
    const probe = new Promise<void>((r) =>
      setTimeout(() => {
        lag = performance.now() - t1;
        r();
      }, 0),
    );
    await Promise.all([run, probe]);
    clearInterval(timer);
    const trained = performance.now() - t1;
    const config = { ...minimal, innerSteps: 512 };
    const sync = honestDelta(
      config,
      prepareDataset(readFileSync(DEFAULT_CORPUS_PATH), config),
      genesisCheckpoint(minimal).theta,
      g.round(1, 1).shardSeed,
      a,
    );
    assert.deepEqual(gn.node(a).work.get("1/1")!.hash, deltaHash(sync), "sliced training: the same Δ");
    assert.ok(lag < 250, `a timer waited ${lag.toFixed(0)} ms behind ${trained.toFixed(0)} ms of training`);
  });

  it("a job whose H the core refuses does not stop a node from serving the jobs after it", async () => {
    // The chain admits innerSteps up to 1,000,000, the core's configuration check 100,000: before,
    // the core's refusal escaped the service's loop over running jobs, so every node skipped every
    // job granted after such a one (and its pruning) — one passed proposal voided the others.
    const h = trainingHarness();
    const base = {
      modelHash: checkpointHash(genesisCheckpoint(minimal)),
      datasetHash: datasetFilesHash(readFileSync(DEFAULT_CORPUS_PATH)),
      rounds: 1,
    };
    h.grantJobs({ ...base, innerSteps: 200_000, purpose: "refused by the core" }, { ...base, innerSteps: 8 });
    h.goto(180);
    const net = serviceNet(h, [a]);
    for (let x = R1.register; x <= COMMIT_START; x++) await net.step(x);
    assert.ok(
      net.sent.some((x) => x.method === "commit" && x.refused === ""),
      `job 2 trained and committed: ${JSON.stringify(net.sent)}`,
    );
  });

  it("huge, malformed and forged answers on /racecoin/training/1 are dropped; the round is scored from an honest peer", async () => {
    const h = serviceJob();
    const junk = new Uint8Array(4 << 20).fill(0xff);
    const forged = encodeDelta(noiseDelta(minimal, new Uint8Array(32).fill(9), 1000)); // right size, wrong hash
    const net = serviceNet(h, [a, b, c, d], {
      huge: async () => junk,
      short: async () => new Uint8Array(27007),
      forged: async () => forged,
      throws: async () => {
        throw new Error("stream reset");
      },
    });
    for (let x = R1.register; x < R1.end; x++) await net.step(x);
    h.goto(R1.end);
    const r = h.round(1, 1);
    assert.equal(r.status, TrainingRoundStatus.scored, r.result);
    const scores = Array.from(
      { length: r.committed },
      (_, i) => trainingCommitments.get(h.store(), [1, 1, i])!.score,
    );
    assert.ok(
      scores.every((x) => x > 0n),
      `every honest Δ fetched despite the hostile peers: ${scores}`,
    );
  });

  it("asks to one peer stay under its rate limit (past 10 a second it refuses and penalises the asker)", async () => {
    // Before: a verifier asked as fast as answers came; a round of more than ten commitments that
    // one peer is asked about got the verifier rate-limited and penalised by honest peers, and the
    // Δs refused counted as withheld: honest work scored 0.
    const h = serviceJob();
    const asks: number[] = [];
    const net = serviceNet(h, [a], {
      counter: async () => {
        asks.push(performance.now());
        return new Uint8Array(0);
      },
    });
    const node = net.node(a) as unknown as {
      fetch(
        kind: number,
        hash: Uint8Array,
        check: (b: Uint8Array) => boolean,
        start?: number,
      ): Promise<unknown>;
    };
    await Promise.all(
      Array.from({ length: 14 }, (_, i) =>
        node.fetch(WantKind.delta, new Uint8Array(32).fill(i + 1), () => false),
      ),
    );
    assert.equal(asks.length, 14);
    for (let i = 10; i < asks.length; i++)
      assert.ok(
        asks[i]! - asks[i - 10]! >= 990,
        `ask ${i} came ${(asks[i]! - asks[i - 10]!).toFixed(0)} ms after ask ${i - 10}`,
      );
  });

  /**
   * Round 1 with participant a serving its Δ to one drawn verifier alone (`pick` names it among the
   * other seats), and to the rest only where `servesAll` says so; the round once closed, and the
   * seats recorded minority.
   */
  async function selectiveRound(
    pick: (seats: string[]) => string,
    servesAll: (h: ReturnType<typeof serviceJob>) => boolean = () => false,
  ) {
    const h = serviceJob();
    let favoured = "";
    const net = serviceNet(h, [a, b, c, d], undefined, (peer, asker) => {
      if (peer !== toHex(a)) return false;
      const seats = h
        .round(1, 1)
        .verifiers.map((v) => toHex(v.address))
        .filter((x) => x !== toHex(a));
      favoured ||= pick(seats);
      return asker !== favoured || servesAll(h);
    });
    for (let x = R1.register; x < R1.end; x++) await net.step(x);
    h.goto(R1.end);
    const r = h.round(1, 1);
    const minority = r.verifiers
      .filter((v) => v.verdict === TrainingVerdict.minority)
      .map((v) => toHex(v.address));
    return { h, r, minority };
  }

  it("selective serving — a Δ given to one drawn verifier alone — no longer makes that honest verifier the minority", async () => {
    // Before: verifiers counted a Δ missing at the score window's start as withheld at once, so a
    // participant serving one verifier alone split the seats: the one it served scored it, the
    // others 0, and the honest one it served was recorded minority and left out of draws.
    const { h, r, minority } = await selectiveRound((seats) => seats[0] ?? "");
    assert.equal(r.status, TrainingRoundStatus.scored, r.result);
    assert.deepEqual(
      minority,
      [],
      `honest verifier(s) ${minority} excluded for scoring a's Δ, which a served them alone`,
    );
    const ofA = Array.from(
      { length: r.committed },
      (_, i) => trainingCommitments.get(h.store(), [1, 1, i])!,
    ).find((x) => same(x.participant, a))!;
    assert.ok(ofA.score > 0n, "the others got a's Δ through the verifier it was served to");
  });

  it("selective serving timed to the verifiers' last ask cannot get an honest verifier excluded", {
    todo: "open: a Δ served to one verifier alone at the last block the others ask again reaches it only; the others count it withheld, and the honest verifier it was served to is the minority. The chain cannot see the exchange",
  }, async () => {
    // The last of them to step in a block: the others have settled by the time it asks.
    const order = [a, b, c, d].map(toHex);
    const { minority } = await selectiveRound(
      (seats) => seats.sort((x, y) => order.indexOf(x) - order.indexOf(y))[seats.length - 1] ?? "",
      (h) => h.height() < R1.score - 1 + 3,
    );
    assert.deepEqual(
      minority,
      [],
      `honest verifier(s) ${minority} excluded for scoring a's Δ, which a served them alone`,
    );
  });
});

describe("training review: proof of learning (the core)", () => {
  const config = minimal;
  const data = prepareDataset(readFileSync(DEFAULT_CORPUS_PATH), config);
  const cp = genesisCheckpoint(config);
  const seed = (n: number) => new Uint8Array(32).fill(n);
  const honest = honestDelta(config, data, cp.theta, seed(2), a);

  it("a near-copy (another's Δ with one value changed) earns nothing", {
    todo: "open: the copy rule compares hashes; a Δ perturbed by one unit in one value is a new hash and is paid as a second contribution (collusion before the commit deadline, now that deltas are not served during the commit window)",
  }, () => {
    const near = Int32Array.from(honest);
    near[0]! += 1;
    const out = settleRound(config, data, cp, [honest, near], [deltaHash(honest), deltaHash(near)], seed(3));
    assert.ok(out.scores[0]! > 0);
    assert.equal(
      out.scores[1],
      0,
      `the near-copy scored ${out.scores[1]} against the original's ${out.scores[0]}`,
    );
  });

  it("near-zero noise earns nothing", {
    todo: "open: score = max(0, L(θ) − L(θ − Δ)) on 128 examples; a tiny random Δ lowers that loss by chance for some seeds and earns a share (a floor relative to the round's best score would remove it)",
  }, () => {
    const lucky = [];
    for (let n = 1; n <= 24; n++) {
      const noise = noiseDelta(config, seed(100 + n), 64); // ±1/1024 per value
      const out = settleRound(
        config,
        data,
        cp,
        [honest, noise],
        [deltaHash(honest), deltaHash(noise)],
        seed(3),
      );
      if (out.scores[1]! > 0) lucky.push([n, out.scores[1], out.scores[0]]);
    }
    assert.deepEqual(
      lucky,
      [],
      `noise seeds that scored > 0 (seed, score, honest score): ${JSON.stringify(lucky)}`,
    );
  });

  it("a Δ that saturates parameters the validation examples never read is not accepted", {
    todo: "open: a score sees only the 128 drawn held-out examples; the rows of symbols absent from the held-out part ('j', 'x' in the shipped corpus) can be driven to ±DELTA_MAX inside an otherwise honest Δ, which then scores as the honest one, is accepted and wrecks every training context holding those symbols. Needs a bound on an accepted Δ (e.g. per-value clipping to the honest range, or the median instead of the mean)",
  }, () => {
    const L = layoutOf(config);
    const rows = [9, 23]; // 'j' and 'x': in the training part, never in the held-out part
    const poisoned = Int32Array.from(honest);
    for (const sym of rows)
      for (let e = 0; e < config.embedding; e++) poisoned[L.emb + sym * config.embedding + e] = 1 << 22;
    const out = settleRound(config, data, cp, [poisoned], [deltaHash(poisoned)], seed(3));
    const clean = settleRound(config, data, cp, [honest], [deltaHash(honest)], seed(3));
    const k = config.context;
    const touched = [];
    for (let t = k; t < data.trainEnd; t++)
      if (rows.some((sym) => data.symbols.subarray(t - k, t).includes(sym))) touched.push(t);
    const hurt =
      meanLoss(config, data, out.next.theta, touched) - meanLoss(config, data, clean.next.theta, touched);
    assert.deepEqual(
      out.accepted,
      [],
      `accepted with score ${out.scores[0]} (honest ${clean.scores[0]}); the ${touched.length} training examples reading 'j' or 'x' lose ${(hurt / 65536).toFixed(2)} nats more than with the honest Δ`,
    );
  });

  it("hostile extremes stay exact: θ and m at ±MAX_ABS, Δ at ±DELTA_MAX — integer scores, a next checkpoint and a Δ inside their bounds", () => {
    const n = cp.theta.length;
    const pattern = (f: (i: number) => number) => Int32Array.from({ length: n }, (_, i) => f(i));
    const thetas = [
      pattern(() => MAX_ABS),
      pattern(() => -MAX_ABS),
      pattern((i) => (i % 2 ? MAX_ABS : -MAX_ABS)),
      pattern((i) => (i % 3 ? -MAX_ABS : MAX_ABS)),
    ];
    const deltas = [
      pattern(() => DELTA_MAX),
      pattern(() => -DELTA_MAX),
      pattern((i) => (i % 2 ? DELTA_MAX : -DELTA_MAX)),
      pattern((i) => (i % 5 ? 1 : -DELTA_MAX)),
    ];
    for (const theta of thetas) {
      const momentum = pattern((i) => (i % 7 ? MAX_ABS : -MAX_ABS));
      const start = { theta, momentum };
      const out = settleRound(config, data, start, deltas, deltas.map(deltaHash), seed(5));
      for (const v of out.rawScores) assert.ok(Number.isSafeInteger(v) && v >= 0, `score ${v}`);
      decodeCheckpoint(encodeCheckpoint(out.next), config); // inside ±MAX_ABS, or it throws
      // Every Δ accepted at once: the outer step's sums stay exact.
      const all = settleRound(
        config,
        data,
        start,
        [honest, ...deltas],
        [honest, ...deltas].map(deltaHash),
        seed(6),
      );
      decodeCheckpoint(encodeCheckpoint(all.next), config);
      // Training from the hostile checkpoint: a Δ inside ±DELTA_MAX.
      const few = { ...config, innerSteps: 2 };
      const thetaH = trainInner(few, data, theta, seed(7), a);
      const d = Int32Array.from(theta, (v, i) => v - thetaH[i]!);
      assert.equal(decodeDelta(encodeDelta(d), config).length, n);
    }
  });

  it("a lone participant's lucky noise does not take a whole round's budget", {
    todo: "open: payment is relative (⌊b·s/Σs⌋), so a round with one commitment pays all of b for any score > 0 — pure noise scores > 0 for about a third of seeds; with participantsMax 1, or a round honest nodes do not train, noise wins the round for no work. Needs an absolute floor or a price per unit of loss removed",
  }, () => {
    const noise = noiseDelta(config, seed(101), 64);
    const [score] = settleRound(config, data, cp, [noise], [deltaHash(noise)], seed(3)).scores;
    assert.ok(score! > 0, "this seed is lucky");
    // On chain: the honest verifiers submit that score; the round pays it.
    const h = granted({}, { rounds: 1, participantsMax: 1 });
    h.call(R1.register, a, "register", { job: 1, round: 1 });
    h.call(R1.commit, a, "commit", {
      job: 1,
      round: 1,
      deltaHash: trainingCommitmentHash(a, deltaHash(noise)),
    });
    h.goto(R1.score);
    for (const v of h.round(1, 1).verifiers)
      h.call(R1.score, v.address, "score", {
        job: 1,
        round: 1,
        scores: [BigInt(score!)],
        checkpointHash: NEXT,
      });
    const before = h.balance(a);
    h.goto(R1.end);
    const got = h.balance(a) - before;
    assert.ok(
      got < JOB_SPEC.budget / 100n,
      `noise that removed ${score} / 65536 nats was paid ${got} wei, the whole round`,
    );
  });
});
