/**
 * A training job's rounds on chain (spec/training.md §On chain): the schedule of each round in
 * blocks from the job's start, and what the hooks do at its edges — open it (the shard seed), draw
 * its verifiers at the exchange's last block (the score seed), and close it at the score window's
 * last block: per participant the score a strict majority of the drawn seats submitted, the zero
 * rule, payment by score from the module's account; the job's unspent budget goes back to
 * the training fund after its last round.
 */
import { createHash } from "node:crypto";
import { WeightedPool } from "../../src/inference/index.ts";
import { TRAINING_FUND_ADDRESS, TRAINING_MODULE_ADDRESS } from "../../src/params/index.ts";
import { type Address, concatBytes, equalBytes, toHex, u32be } from "../../src/types/index.ts";
import { beacon, latestOpenedSince, latestRound } from "../beacon/index.ts";
import { voterWeights } from "../models/index.ts";
import { InvariantError, type Module, type ModuleContext, type ModuleState } from "../module.ts";
import { race } from "../race/index.ts";
import { payFromTrainingFund, trainingFundBalance } from "../rewards/index.ts";
import type { RawStore, ReadStore } from "../store.ts";
import { validators as validatorsModule } from "../validators/index.ts";
import {
  activeJobs,
  commitments,
  excludedUntil,
  type Job,
  type JobSpec,
  JobStatus,
  jobs,
  MAX_ACTIVE_JOBS,
  MAX_INNER_STEPS,
  MAX_PARTICIPANTS,
  MAX_ROUNDS,
  nextJob,
  participants,
  type Round,
  RoundStatus,
  rounds,
  type Seat,
  submissions,
  trainingParams,
  Verdict,
} from "./store.ts";

const ZERO32 = new Uint8Array(32);

/**
 * deltaHash = SHA-256("racecoin/training/v1/delta" ‖ payload): the payload is the pseudo-gradient's
 * canonical bytes (src/training: int32 little-endian values), and the empty string for an all-zero
 * one whatever the model's size, so the chain knows the zero delta's hash without knowing the model.
 */
export function deltaHash(payload: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update("racecoin/training/v1/delta").update(payload).digest());
}
/** The hash of an all-zero pseudo-gradient. */
export const ZERO_DELTA_HASH = deltaHash(new Uint8Array(0));

/**
 * What `commit` carries: SHA-256("racecoin/training/v1/commit" ‖ participant ‖ deltaHash), bound to
 * the committer (src/training commitmentHash). A commitment lifted from another participant's
 * transaction verifies for no bytes of its own, so honest verifiers score it 0 whichever lands
 * first; the chain cannot tell a copy from an original by hashes, so it zeroes none.
 */
export function commitmentHash(participant: Address, dHash: Uint8Array): Uint8Array {
  return new Uint8Array(
    createHash("sha256").update("racecoin/training/v1/commit").update(participant).update(dHash).digest(),
  );
}
/** A participant's commitment of the all-zero pseudo-gradient: it scores 0 on chain whatever the verifiers submit. */
export function zeroCommitment(participant: Address): Uint8Array {
  return commitmentHash(participant, ZERO_DELTA_HASH);
}

export type Phase = "register" | "commit" | "exchange" | "score";

export interface RoundWindows {
  round: number;
  /** First block of each window; `end` is the first block after the score window. */
  start: number;
  commitStart: number;
  exchangeStart: number;
  scoreStart: number;
  end: number;
}

export function roundBlocks(
  j: Pick<Job, "registerBlocks" | "commitBlocks" | "exchangeBlocks" | "scoreBlocks">,
) {
  return j.registerBlocks + j.commitBlocks + j.exchangeBlocks + j.scoreBlocks;
}

/** The windows of round `round` (1-based) of a job. */
export function windowsOf(j: Job, round: number): RoundWindows {
  const start = j.startHeight + (round - 1) * roundBlocks(j);
  const commitStart = start + j.registerBlocks;
  const exchangeStart = commitStart + j.commitBlocks;
  const scoreStart = exchangeStart + j.exchangeBlocks;
  return { round, start, commitStart, exchangeStart, scoreStart, end: scoreStart + j.scoreBlocks };
}

/** The round running at `height` and its phase, if any (before the start or after the last: none). */
export function roundAt(
  j: Job,
  height: number,
): { round: number; phase: Phase; windows: RoundWindows } | undefined {
  if (height < j.startHeight) return undefined;
  const round = Math.floor((height - j.startHeight) / roundBlocks(j)) + 1;
  if (round > j.rounds) return undefined;
  const w = windowsOf(j, round);
  const phase: Phase =
    height < w.commitStart
      ? "register"
      : height < w.exchangeStart
        ? "commit"
        : height < w.scoreStart
          ? "exchange"
          : "score";
  return { round, phase, windows: w };
}

/** The round's budget: ⌊budget / rounds⌋; the remainder goes back to the fund with the unpaid. */
export function roundBudget(j: Pick<Job, "budget" | "rounds">): bigint {
  return j.budget / BigInt(j.rounds);
}

/** Why a job cannot be created now ("" when it can): run at submission and again at execution. */
export function jobProblem(store: ReadStore, state: Pick<ModuleState, "getAccount">, s: JobSpec): string {
  if (s.rounds < 1 || s.rounds > MAX_ROUNDS) return `rounds must be 1 to ${MAX_ROUNDS}`;
  if (s.innerSteps < 1 || s.innerSteps > MAX_INNER_STEPS) return `innerSteps must be 1 to ${MAX_INNER_STEPS}`;
  if (s.participantsMax < 1 || s.participantsMax > MAX_PARTICIPANTS)
    return `participantsMax must be 1 to ${MAX_PARTICIPANTS}`;
  if (s.budget < BigInt(s.rounds)) return "the budget must be at least 1 wei a round";
  if (activeJobs.scan(store, { limit: MAX_ACTIVE_JOBS }).length >= MAX_ACTIVE_JOBS)
    return `${MAX_ACTIVE_JOBS} training jobs are running`;
  const fund = trainingFundBalance(state);
  if (s.budget > fund) return `the training fund holds ${fund} wei, the job asks ${s.budget}`;
  if ((nextJob.get(store) ?? 1) === 0xffffffff) return "training job ids are exhausted";
  return "";
}

function move(state: ModuleState, to: Address, amount: bigint): void {
  if (amount === 0n) return;
  const m = state.getAccount(TRAINING_MODULE_ADDRESS);
  if (m.balance < amount)
    throw new InvariantError(`the training module holds ${m.balance} wei, owes ${amount} to a job`);
  state.setAccount(TRAINING_MODULE_ADDRESS, { ...m, balance: m.balance - amount });
  const a = state.getAccount(to);
  state.setAccount(to, { ...a, balance: a.balance + amount });
}

/**
 * A passed trainingJob proposal (its check held in the same hook): the budget moves from the
 * training fund to this module's account and job n starts with the next block.
 */
export function createJob(store: RawStore, state: ModuleState, spec: JobSpec, height: number): number {
  const id = nextJob.get(store) ?? 1;
  const p = trainingParams(store);
  payFromTrainingFund(state, TRAINING_MODULE_ADDRESS, spec.budget);
  nextJob.set(store, id + 1);
  jobs.set(store, id, {
    id,
    ...spec,
    startHeight: height + 1,
    registerBlocks: p.registerBlocks,
    commitBlocks: p.commitBlocks,
    exchangeBlocks: p.exchangeBlocks,
    scoreBlocks: p.scoreBlocks,
    verifiers: p.verifiers,
    checkpointHash: spec.modelHash,
    roundsDone: 0,
    paid: 0n,
    returned: 0n,
    status: JobStatus.active,
    endHeight: 0,
  });
  activeJobs.set(store, id, 1);
  return id;
}

/** beginBlock at a round's first block: its record, with the latest beacon output as shard seed. */
export function openRound(ctx: ModuleContext, j: Job, round: number): void {
  const latest = latestRound(ctx.storeOf(beacon));
  rounds.set(ctx.store, [j.id, round], freshRound(j.id, round, RoundStatus.open, latest?.output ?? ZERO32));
}

/** A round's record before anything happened in it (`training_round` answers one of job 0 for none). */
export function freshRound(job: number, round: number, status: number, shardSeed: Uint8Array): Round {
  return {
    job,
    round,
    status,
    shardSeed,
    scoreSeed: ZERO32,
    registered: 0,
    committed: 0,
    verifiers: [],
    submitted: 0,
    checkpointHash: ZERO32,
    totalScore: 0n,
    paid: 0n,
    result: "",
  };
}

/** The draw's id of a round: u32be(job) ‖ u32be(round). */
export function roundDrawId(job: number, round: number): Uint8Array {
  return concatBytes(u32be(job), u32be(round));
}

/** The cycle's race weights (the governance vote's), less verifiers excluded for a minority vector. */
export function verifierCandidates(
  ctx: { storeOf(m: Pick<Module, "address">): ReadStore; store: ReadStore },
  cycle: number,
): { address: Address; weight: bigint }[] {
  return voterWeights(ctx.storeOf(race), ctx.storeOf(validatorsModule), cycle)
    .filter(([a]) => (excludedUntil.get(ctx.store, a) ?? 0) <= cycle)
    .map(([address, weight]) => ({ address, weight }));
}

/**
 * endBlock at the exchange's last block: the score seed is the latest beacon output if its round
 * *opened* at or after the commit window's end — its partials did not exist while anyone could
 * commit — and `verifiers` accounts are drawn in turn by race weight with it. Landing after the
 * window is not enough: a round that opened at the last commit block circulates as partials while
 * that block is built and routinely lands a block later, so its proposer could fit a Δ to it.
 */
export function drawVerifiers(ctx: ModuleContext, j: Job, round: number): void {
  const r = rounds.get(ctx.store, [j.id, round]);
  if (!r) throw new InvariantError(`training job ${j.id} round ${round} was never opened`);
  const w = windowsOf(j, round);
  const latest = latestRound(ctx.storeOf(beacon));
  const voidWith = (result: string) =>
    rounds.set(ctx.store, [j.id, round], { ...r, status: RoundStatus.void, result });
  if (r.committed === 0) {
    voidWith("no commitments");
    return;
  }
  if (!latest || latest.height < w.exchangeStart) {
    voidWith("no beacon output since the commit window closed");
    return;
  }
  const seed = latestOpenedSince(ctx.storeOf(beacon), w.exchangeStart, ctx.block.preset.beacon.roundInterval);
  if (!seed) {
    voidWith(`the latest beacon round (${latest.round}) opened before the commit window closed`);
    return;
  }
  const candidates = verifierCandidates(ctx, ctx.block.cycle);
  const pool = new WeightedPool(candidates);
  const weights = new Map(candidates.map((c) => [toHex(c.address), c.weight]));
  const seats: Seat[] = [];
  for (const a of pool.inTurn("racecoin/training-verifier", seed.output, roundDrawId(j.id, round))) {
    seats.push({ address: a, weight: weights.get(toHex(a))!, verdict: Verdict.pending });
    if (seats.length >= j.verifiers) break;
  }
  if (seats.length === 0) {
    voidWith("no race weight to draw verifiers from");
    return;
  }
  rounds.set(ctx.store, [j.id, round], {
    ...r,
    status: RoundStatus.scoring,
    scoreSeed: seed.output,
    verifiers: seats,
  });
}

/** The value holding a strict majority of `total` weight among `votes`, if one does. */
function majorityOf<V>(votes: { key: string; value: V; weight: bigint }[], total: bigint): V | undefined {
  const sums = new Map<string, { value: V; weight: bigint }>();
  for (const v of votes) {
    const s = sums.get(v.key) ?? { value: v.value, weight: 0n };
    s.weight += v.weight;
    sums.set(v.key, s);
  }
  for (const s of sums.values()) if (2n * s.weight > total) return s.value;
  return undefined;
}

/** Remove a closed round's registrations (≤ participantsMax): its commitments are the record. */
function pruneParticipants(store: RawStore, job: number, round: number): void {
  for (const k of participants.scan(store, { under: roundDrawId(job, round), limit: MAX_PARTICIPANTS }))
    participants.delete(store, k);
}

/**
 * endBlock at the score window's last block. Each participant's score is the value submitted by a
 * strict majority of the drawn seats (absent verifiers count against every value), and the next
 * checkpoint hash likewise; with any of them short of a majority the round is void. One seat, one
 * vote: the draw is already by weight, so weighing the vote again would let one heavy account
 * (45 % of the network beside two lighter seats) outvote the other seats and decide alone.
 */
export function closeRound(ctx: ModuleContext, j: Job, round: number): Job {
  const s = ctx.store;
  const r = rounds.get(s, [j.id, round]);
  if (!r) throw new InvariantError(`training job ${j.id} round ${round} was never opened`);
  pruneParticipants(s, j.id, round);
  const done: Job = { ...j, roundsDone: j.roundsDone + 1 };
  if (r.status === RoundStatus.void) return done;
  if (r.status !== RoundStatus.scoring)
    throw new InvariantError(`training job ${j.id} round ${round} closes in status ${r.status}`);
  const total = BigInt(r.verifiers.length);
  const subs = r.verifiers.map((v) => submissions.get(s, [j.id, round, v.address]));
  const voted = r.verifiers.flatMap((v, i) => (subs[i] ? [{ seat: v, sub: subs[i]! }] : []));
  const checkpoint = majorityOf(
    voted.map(({ sub }) => ({
      key: toHex(sub.checkpointHash),
      value: sub.checkpointHash,
      weight: 1n,
    })),
    total,
  );
  const scores: bigint[] = [];
  let problem = checkpoint ? "" : "no majority of the drawn seats on the next checkpoint hash";
  for (let i = 0; i < r.committed && !problem; i++) {
    const m = majorityOf(
      voted.map(({ sub }) => ({
        key: sub.scores[i]!.toString(),
        value: sub.scores[i]!,
        weight: 1n,
      })),
      total,
    );
    if (m === undefined) problem = `no majority of the drawn seats on the score of commitment ${i}`;
    else scores.push(m);
  }
  const verdictOf = (i: number): Verdict => {
    const sub = subs[i];
    if (!sub) return Verdict.absent;
    if (problem) return Verdict.undecided;
    const agrees = equalBytes(sub.checkpointHash, checkpoint!) && sub.scores.every((x, k) => x === scores[k]);
    return agrees ? Verdict.agreed : Verdict.minority;
  };
  const seats = r.verifiers.map((v, i) => ({ ...v, verdict: verdictOf(i) }));
  const until = ctx.block.cycle + 1 + trainingParams(s).exclusionCycles;
  for (const v of seats)
    if (v.verdict === Verdict.minority && trainingParams(s).exclusionCycles > 0)
      excludedUntil.set(s, v.address, until);
  if (problem) {
    rounds.set(s, [j.id, round], { ...r, status: RoundStatus.void, verifiers: seats, result: problem });
    return done;
  }
  // The zero delta's commitment scores 0. A commitment equal to an earlier one is recorded (copyOf)
  // but not zeroed: commitments are bound to their committer, so the copy — earlier or later — is
  // the one whose bytes verify for nobody, and the verifiers score it 0; zeroing the later one would
  // hand a front-runner the original's pay.
  const first = new Map<string, number>();
  const entries = [];
  for (let i = 0; i < r.committed; i++) {
    const c = commitments.get(s, [j.id, round, i]);
    if (!c) throw new InvariantError(`training job ${j.id} round ${round} lacks commitment ${i}`);
    const key = toHex(c.deltaHash);
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, i);
    const zero = equalBytes(c.deltaHash, zeroCommitment(c.participant));
    entries.push({ i, c, score: zero ? 0n : scores[i]!, copyOf: earlier === undefined ? 0 : earlier + 1 });
  }
  const sum = entries.reduce((a, e) => a + e.score, 0n);
  const budget = roundBudget(j);
  let paid = 0n;
  for (const e of entries) {
    const payout = sum === 0n ? 0n : (budget * e.score) / sum;
    move(ctx.state, e.c.participant, payout);
    paid += payout;
    commitments.set(s, [j.id, round, e.i], { ...e.c, score: e.score, payout, copyOf: e.copyOf });
  }
  rounds.set(s, [j.id, round], {
    ...r,
    status: RoundStatus.scored,
    verifiers: seats,
    checkpointHash: checkpoint!,
    totalScore: sum,
    paid,
    result: sum === 0n ? "scored; every score 0, nothing paid" : "scored and paid",
  });
  return { ...done, checkpointHash: checkpoint!, paid: j.paid + paid };
}

/** After the last round: what was not paid goes back to the training fund and the job finishes. */
export function finishJob(ctx: ModuleContext, j: Job): Job {
  const returned = j.budget - j.paid;
  move(ctx.state, TRAINING_FUND_ADDRESS, returned);
  activeJobs.delete(ctx.store, j.id);
  return { ...j, returned, status: JobStatus.finished, endHeight: ctx.block.height };
}

/** Every hook reads only the running jobs (≤ MAX_ACTIVE_JOBS). */
export function runningJobs(store: ReadStore): Job[] {
  return activeJobs.scan(store, { limit: MAX_ACTIVE_JOBS }).map((id) => {
    const j = jobs.get(store, id);
    if (!j) throw new InvariantError(`training job ${id} is active but not stored`);
    return j;
  });
}

/** The record of a round, for methods. */
export function roundRecord(store: ReadStore, job: number, round: number): Round | undefined {
  return rounds.get(store, [job, round]);
}
