/**
 * training queries (spec/training.md §On chain), served as `training_<query>` over JSON-RPC and by
 * eth_call: the parameters, one job with the round and window running now, a page of jobs, and
 * one round with its commitments (scores and payouts once scored), verifiers and submissions.
 */
import { address20, hash32, list, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import type { Address } from "../../src/types/index.ts";
import type { QueryContext, QueryDef } from "../module.ts";
import { u32Key } from "../store.ts";
import { freshRound, roundAt, roundBudget, roundDrawId, windowsOf, ZERO_DELTA_HASH } from "./rounds.ts";
import {
  activeJobs,
  type Commitment,
  commitmentFields,
  commitments,
  JOB_STATUS_NAMES,
  type Job,
  jobFields,
  jobs,
  MAX_ACTIVE_JOBS,
  MAX_PARTICIPANTS,
  MAX_VERIFIERS,
  nextJob,
  ROUND_STATUS_NAMES,
  type Round,
  roundFields,
  rounds,
  type Submission,
  submissionFields,
  submissions,
  type TrainingParams,
  trainingParams,
  trainingParamsFields,
} from "./store.ts";

const ZERO32 = new Uint8Array(32);
const none = struct<Record<string, never>>("training.none", {});

interface Windows {
  start: number;
  commitStart: number;
  exchangeStart: number;
  scoreStart: number;
  end: number;
}
const windowsFields = { start: uint, commitStart: uint, exchangeStart: uint, scoreStart: uint, end: uint };
const windowsCodec = struct<Windows>("training.Windows", windowsFields);
const NO_WINDOWS: Windows = { start: 0, commitStart: 0, exchangeStart: 0, scoreStart: 0, end: 0 };

type JobView = Job & {
  statusName: string;
  roundBudget: bigint;
  /** The round running at the queried height (0: none) and its window's name. */
  currentRound: number;
  phase: string;
  windows: Windows;
};
const jobView = struct<JobView>("training.JobView", {
  ...jobFields,
  statusName: str(16),
  roundBudget: quantity,
  currentRound: uint,
  phase: str(16),
  windows: windowsCodec,
});

function viewJob(ctx: QueryContext, j: Job): JobView {
  const now = j.status === 1 ? roundAt(j, ctx.height) : undefined;
  return {
    ...j,
    statusName: JOB_STATUS_NAMES[j.status] ?? "",
    roundBudget: roundBudget(j),
    currentRound: now?.round ?? 0,
    phase: now?.phase ?? (j.status === 1 ? "waiting" : "finished"),
    windows: now ? (({ round: _, ...w }) => w)(now.windows) : NO_WINDOWS,
  };
}
const emptyJob: JobView = {
  id: 0,
  modelHash: ZERO32,
  datasetHash: ZERO32,
  innerSteps: 0,
  rounds: 0,
  participantsMax: 0,
  budget: 0n,
  purpose: "",
  startHeight: 0,
  registerBlocks: 0,
  commitBlocks: 0,
  exchangeBlocks: 0,
  scoreBlocks: 0,
  verifiers: 0,
  checkpointHash: ZERO32,
  roundsDone: 0,
  paid: 0n,
  returned: 0n,
  status: 0,
  endHeight: 0,
  statusName: "",
  roundBudget: 0n,
  currentRound: 0,
  phase: "",
  windows: NO_WINDOWS,
};

type CommitmentView = Commitment & { index: number };
type SubmissionView = Submission & { verifier: Address };
type RoundView = Round & {
  statusName: string;
  windows: Windows;
  commitments: CommitmentView[];
  submissions: SubmissionView[];
};
const roundView = struct<RoundView>("training.RoundView", {
  ...roundFields,
  statusName: str(16),
  windows: windowsCodec,
  commitments: list(
    struct<CommitmentView>("training.CommitmentView", { index: uint, ...commitmentFields }),
    MAX_PARTICIPANTS,
  ),
  submissions: list(
    struct<SubmissionView>("training.SubmissionView", { verifier: address20, ...submissionFields }),
    MAX_VERIFIERS,
  ),
});
const emptyRound: RoundView = {
  ...freshRound(0, 0, 0, ZERO32),
  statusName: "",
  windows: NO_WINDOWS,
  commitments: [],
  submissions: [],
};

// biome-ignore lint/suspicious/noExplicitAny: each query has its own argument and result types
export const trainingQueries: Record<string, QueryDef<any, any>> = {
  params: {
    args: none,
    result: struct<TrainingParams & { active: number; nextJob: number; zeroDeltaHash: Uint8Array }>(
      "training.params.result",
      { ...trainingParamsFields, active: uint, nextJob: uint, zeroDeltaHash: hash32 },
    ),
    run: (ctx) => ({
      ...trainingParams(ctx.store),
      active: activeJobs.scan(ctx.store, { limit: MAX_ACTIVE_JOBS }).length,
      nextJob: nextJob.get(ctx.store) ?? 1,
      zeroDeltaHash: ZERO_DELTA_HASH,
    }),
  },
  job: {
    args: struct<{ id: number }>("training.job", { id: uint }),
    result: jobView,
    run: (ctx, { id }: { id: number }) => {
      const j = jobs.get(ctx.store, id);
      return j ? viewJob(ctx, j) : emptyJob;
    },
  },
  jobs: {
    args: struct<{ from: number; limit: number }>("training.jobs", { from: uint, limit: uint }),
    result: struct<{ jobs: JobView[] }>("training.jobs.result", { jobs: list(jobView, 100) }),
    /** Up to `limit` (≤ 100) jobs from id `from` on, oldest first. */
    run: (ctx, { from, limit }: { from: number; limit: number }) => ({
      jobs: jobs
        .scan(ctx.store, { from: u32Key.encode(from), limit: Math.min(Math.max(limit, 1), 100) })
        .map((id) => viewJob(ctx, jobs.get(ctx.store, id)!)),
    }),
  },
  round: {
    args: struct<{ job: number; round: number }>("training.round", { job: uint, round: uint }),
    result: roundView,
    run: (ctx, { job, round }: { job: number; round: number }) => {
      const r = rounds.get(ctx.store, [job, round]);
      const j = jobs.get(ctx.store, job);
      if (!r || !j) return emptyRound;
      const under = roundDrawId(job, round);
      return {
        ...r,
        statusName: ROUND_STATUS_NAMES[r.status] ?? "",
        windows: (({ round: _, ...w }) => w)(windowsOf(j, round)),
        commitments: commitments
          .scan(ctx.store, { under, limit: MAX_PARTICIPANTS })
          .map(([, , index]) => ({ index, ...commitments.get(ctx.store, [job, round, index])! })),
        submissions: r.verifiers.flatMap((v) => {
          const s = submissions.get(ctx.store, [job, round, v.address]);
          return s ? [{ verifier: v.address, ...s }] : [];
        }),
      };
    },
  },
};
