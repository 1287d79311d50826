/**
 * training: jobs paid from the training fund (spec/training.md §On chain). Governance grants a job
 * (a trainingJob proposal moves its budget here); each round, accounts with race weight register,
 * commit the hash of their pseudo-gradient, exchange the deltas off chain, and verifiers drawn by
 * race weight with a beacon output that came after the commitments submit every participant's
 * score and the next checkpoint's hash. The chain keeps what a strict majority of the drawn seats
 * agreed on, zeroes the zero delta's commitment, and pays the round's budget by score. It sees only
 * hashes, integer scores and money: the training itself is src/training's.
 */
import { hash32, list, struct, uint } from "../../src/encoding/index.ts";
import { TRAINING_MODULE_ADDRESS } from "../../src/params/index.ts";
import { toHex } from "../../src/types/index.ts";
import { emit, event } from "../events.ts";
import { voterWeights } from "../models/index.ts";
import type { CallContext, GenesisContext, GovernableParam, Module } from "../module.ts";
import { ModuleError } from "../module.ts";
import { race } from "../race/index.ts";
import { validators as validatorsModule } from "../validators/index.ts";
import { trainingQueries } from "./queries.ts";
import {
  closeRound,
  drawVerifiers,
  finishJob,
  openRound,
  type Phase,
  roundAt,
  runningJobs,
} from "./rounds.ts";
import {
  commitments,
  DEFAULT_TRAINING_PARAMS,
  type Job,
  JobStatus,
  jobs,
  MAX_PARTICIPANTS,
  params,
  participants,
  type Round,
  RoundStatus,
  rounds,
  scoreCodec,
  submissions,
  TRAINING_PARAM_BOUNDS,
  type TrainingParams,
  trainingParams,
} from "./store.ts";

export * from "./rounds.ts";
export * from "./store.ts";

export const TrainingRegistered = event(
  "TrainingRegistered(uint32 indexed job, uint32 indexed round, address indexed participant)",
);
export const TrainingCommitted = event(
  "TrainingCommitted(uint32 indexed job, uint32 indexed round, address indexed participant, uint32 index, bytes32 deltaHash)",
);
export const TrainingScored = event(
  "TrainingScored(uint32 indexed job, uint32 indexed round, address indexed verifier, bytes32 checkpointHash)",
);
export const trainingEvents = [TrainingRegistered, TrainingCommitted, TrainingScored];

export interface RoundArgs {
  job: number;
  round: number;
}
export const registerArgs = struct<RoundArgs>("training.register", { job: uint, round: uint });
export const commitArgs = struct<RoundArgs & { deltaHash: Uint8Array }>("training.commit", {
  job: uint,
  round: uint,
  deltaHash: hash32,
});
export const scoreArgs = struct<RoundArgs & { scores: bigint[]; checkpointHash: Uint8Array }>(
  "training.score",
  { job: uint, round: uint, scores: list(scoreCodec, MAX_PARTICIPANTS), checkpointHash: hash32 },
);

/** Registration reads the cycle's race weights, as gov.vote does: the same price. */
export const REGISTER_GAS = 600_000n;
export const COMMIT_GAS = 60_000n;
/** A vector of up to 256 scores decoded and stored once. */
export const SCORE_GAS = 200_000n;

/** The running job and round a call names, in the phase it needs; refused otherwise. */
function roundIn(ctx: CallContext, { job, round }: RoundArgs, phase: Phase): { j: Job; r: Round } {
  const j = jobs.get(ctx.store, job);
  if (!j) throw new ModuleError(`no training job ${job}`);
  if (j.status !== JobStatus.active) throw new ModuleError(`training job ${job} has finished`);
  const now = roundAt(j, ctx.block.height);
  if (!now || now.round !== round)
    throw new ModuleError(
      `training job ${job} is ${now ? `in round ${now.round}` : "not running a round"} at height ${ctx.block.height}, not round ${round}`,
    );
  if (now.phase !== phase)
    throw new ModuleError(
      `round ${round} of training job ${job} is in its ${now.phase} window, not ${phase}`,
    );
  const r = rounds.get(ctx.store, [job, round]);
  if (!r) throw new ModuleError(`round ${round} of training job ${job} is not open`);
  return { j, r };
}

/** Governance's parameters of this module, within TRAINING_PARAM_BOUNDS; new jobs take them. */
export const governableTrainingParams: Record<string, GovernableParam> = Object.fromEntries(
  (Object.keys(TRAINING_PARAM_BOUNDS) as (keyof TrainingParams)[]).map((name) => [
    name,
    {
      min: TRAINING_PARAM_BOUNDS[name][0],
      max: TRAINING_PARAM_BOUNDS[name][1],
      get: (s) => BigInt(trainingParams(s)[name]),
      set: (s, v) => params.set(s, { ...trainingParams(s), [name]: Number(v) }),
    } satisfies GovernableParam,
  ]),
);

function parseSection(raw: unknown): TrainingParams | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Error("modules.training: expected an object of parameters (spec/training.md §On chain)");
  const out: Record<string, number> = { ...DEFAULT_TRAINING_PARAMS };
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!Object.hasOwn(TRAINING_PARAM_BOUNDS, k))
      throw new Error(`modules.training.${k}: not a training parameter`);
    const [lo, hi] = TRAINING_PARAM_BOUNDS[k as keyof TrainingParams];
    if (typeof v !== "number" || !Number.isInteger(v) || BigInt(v) < lo || BigInt(v) > hi)
      throw new Error(`modules.training.${k}: an integer in [${lo}, ${hi}]`);
    out[k] = v;
  }
  return out as unknown as TrainingParams;
}

export const training: Module = {
  id: 9,
  name: "training",
  address: TRAINING_MODULE_ADDRESS,
  governable: governableTrainingParams,
  genesis(ctx: GenesisContext) {
    // Written only when the genesis file sets them: a chain on the defaults keeps an empty store.
    const p = parseSection(ctx.section);
    if (p) params.set(ctx.store, p);
  },
  beginBlock(ctx) {
    for (const j of runningJobs(ctx.store)) {
      const now = roundAt(j, ctx.block.height);
      if (now && now.windows.start === ctx.block.height) openRound(ctx, j, now.round);
    }
  },
  endBlock(ctx) {
    const h = ctx.block.height;
    for (const j of runningJobs(ctx.store)) {
      const now = roundAt(j, h);
      if (!now) continue;
      if (h === now.windows.scoreStart - 1) drawVerifiers(ctx, j, now.round);
      if (h === now.windows.end - 1) {
        let closed = closeRound(ctx, j, now.round);
        if (now.round === j.rounds) closed = finishJob(ctx, closed);
        jobs.set(ctx.store, j.id, closed);
      }
    }
  },
  methods: {
    register: {
      args: registerArgs,
      gas: REGISTER_GAS,
      execute(ctx, a: RoundArgs) {
        const { j, r } = roundIn(ctx, a, "register");
        if (participants.has(ctx.store, [a.job, a.round, ctx.sender]))
          throw new ModuleError(`already registered for round ${a.round} of training job ${a.job}`);
        if (r.registered >= j.participantsMax)
          throw new ModuleError(
            `round ${a.round} of training job ${a.job} has ${j.participantsMax} participants`,
          );
        // Weight now, as gov.vote asks (one unit of compute, one seat); an exclusion from verifier
        // draws does not keep an account from training.
        const sender = toHex(ctx.sender);
        const weights = voterWeights(ctx.storeOf(race), ctx.storeOf(validatorsModule), ctx.block.cycle);
        if (!weights.some(([a, w]) => w > 0n && toHex(a) === sender))
          throw new ModuleError(`only accounts with race weight in cycle ${ctx.block.cycle} train`);
        participants.set(ctx.store, [a.job, a.round, ctx.sender], 0);
        rounds.set(ctx.store, [a.job, a.round], { ...r, registered: r.registered + 1 });
        emit(ctx, TrainingRegistered, a.job, a.round, ctx.sender);
      },
    },
    commit: {
      args: commitArgs,
      gas: COMMIT_GAS,
      execute(ctx, a: RoundArgs & { deltaHash: Uint8Array }) {
        const { r } = roundIn(ctx, a, "commit");
        const entry = participants.get(ctx.store, [a.job, a.round, ctx.sender]);
        if (entry === undefined)
          throw new ModuleError(`not registered for round ${a.round} of training job ${a.job}`);
        if (entry !== 0)
          throw new ModuleError(`already committed to round ${a.round} of training job ${a.job}`);
        const index = r.committed;
        commitments.set(ctx.store, [a.job, a.round, index], {
          participant: ctx.sender,
          deltaHash: a.deltaHash,
          height: ctx.block.height,
          score: 0n,
          payout: 0n,
          copyOf: 0,
        });
        participants.set(ctx.store, [a.job, a.round, ctx.sender], index + 1);
        rounds.set(ctx.store, [a.job, a.round], { ...r, committed: index + 1 });
        emit(ctx, TrainingCommitted, a.job, a.round, ctx.sender, index, a.deltaHash);
      },
    },
    score: {
      args: scoreArgs,
      gas: SCORE_GAS,
      execute(ctx, a: RoundArgs & { scores: bigint[]; checkpointHash: Uint8Array }) {
        const { r } = roundIn(ctx, a, "score");
        if (r.status !== RoundStatus.scoring)
          throw new ModuleError(`round ${a.round} of training job ${a.job} is void: ${r.result}`);
        const me = toHex(ctx.sender);
        if (!r.verifiers.some((v) => toHex(v.address) === me))
          throw new ModuleError(`not a drawn verifier of round ${a.round} of training job ${a.job}`);
        if (submissions.has(ctx.store, [a.job, a.round, ctx.sender]))
          throw new ModuleError(`already scored round ${a.round} of training job ${a.job}`);
        if (a.scores.length !== r.committed)
          throw new ModuleError(
            `round ${a.round} has ${r.committed} commitments; ${a.scores.length} scores sent`,
          );
        submissions.set(ctx.store, [a.job, a.round, ctx.sender], {
          scores: a.scores,
          checkpointHash: a.checkpointHash,
          height: ctx.block.height,
        });
        rounds.set(ctx.store, [a.job, a.round], { ...r, submitted: r.submitted + 1 });
        emit(ctx, TrainingScored, a.job, a.round, ctx.sender, a.checkpointHash);
      },
    },
  },
  queries: trainingQueries,
};
