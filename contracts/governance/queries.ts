/**
 * gov queries (spec/governance.md §Queries), served as `gov_<query>` over JSON-RPC and by
 * eth_call: the parameters and the training share, one proposal with its deposits and tally (a
 * live count with this cycle's weights while it is voting), a page of proposals, a proposal's
 * votes, and every parameter governance may change with its bounds and value.
 */
import { address20, list, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import { cycleOf } from "../../src/params/index.ts";
import { type Address, toHex } from "../../src/types/index.ts";
import type { Module, QueryContext, QueryDef } from "../module.ts";
import {
  params as rewardParams,
  rewards,
  trainingShareMilli,
  trainingShareUnlockHeight,
} from "../rewards/index.ts";
import { u32Key } from "../store.ts";
import { describeBody } from "./kinds.ts";
import {
  deposits,
  EMPTY_TALLY,
  type GovParams,
  govParams,
  govParamsFields,
  KIND_NAMES,
  open,
  type Proposal,
  proposalFields,
  proposals,
  STATUS_NAMES,
  Status,
  type Tally,
  tallyCodec,
  votes,
} from "./store.ts";
import { countVotes, weightsIn } from "./tally.ts";

type ProposalView = Proposal & {
  kindName: string;
  statusName: string;
  summary: string;
  deposits: { depositor: Address; amount: bigint }[];
  /** Closed: the tally it closed with; voting: the votes counted with this cycle's weights. */
  liveTally: Tally;
};
const proposalView = struct<ProposalView>("gov.ProposalView", {
  ...proposalFields,
  kindName: str(32),
  statusName: str(16),
  summary: str(512),
  deposits: list(
    struct<{ depositor: Address; amount: bigint }>("gov.Deposit", { depositor: address20, amount: quantity }),
    64,
  ),
  liveTally: tallyCodec,
});
const notFound: ProposalView = {
  id: 0,
  proposer: new Uint8Array(20),
  kind: 0,
  body: new Uint8Array(0),
  title: "",
  expedited: 0,
  status: 0,
  submitHeight: 0,
  depositEndCycle: 0,
  votingStartHeight: 0,
  votingEndCycle: 0,
  deposit: 0n,
  depositors: 0,
  voters: 0,
  tally: EMPTY_TALLY,
  result: "",
  kindName: "",
  statusName: "",
  summary: "",
  deposits: [],
  liveTally: EMPTY_TALLY,
};

function view(ctx: QueryContext, p: Proposal, withVotes: boolean): ProposalView {
  const cycle = cycleOf(ctx.height, ctx.preset.cycleLength);
  return {
    ...p,
    kindName: KIND_NAMES[p.kind] ?? "",
    statusName: STATUS_NAMES[p.status] ?? "",
    summary: describeBody(p.kind, p.body),
    deposits: deposits
      .entries(ctx.store, u32Key.encode(p.id))
      .map(([[, depositor], amount]) => ({ depositor, amount })),
    liveTally: withVotes && p.status === Status.voting ? countVotes(ctx, p, weightsIn(ctx, cycle)) : p.tally,
  };
}

const none = struct<Record<string, never>>("gov.none", {});

// biome-ignore lint/suspicious/noExplicitAny: each query has its own argument and result types
export const govQueries: Record<string, QueryDef<any, any>> = {
  params: {
    args: none,
    result: struct<GovParams & { trainingShareMilli: number; trainingShareFrom: number; open: number }>(
      "gov.params.result",
      { ...govParamsFields, trainingShareMilli: uint, trainingShareFrom: uint, open: uint },
    ),
    run: (ctx) => {
      const r = ctx.storeOf(rewards);
      return {
        ...govParams(ctx.store),
        trainingShareMilli: trainingShareMilli(r),
        trainingShareFrom: trainingShareUnlockHeight(rewardParams.get(r)?.blocksPerDay ?? 1),
        open: open.keys(ctx.store).length,
      };
    },
  },
  proposal: {
    args: struct<{ id: number }>("gov.proposal", { id: uint }),
    result: proposalView,
    run: (ctx, { id }: { id: number }) => {
      const p = proposals.get(ctx.store, id);
      return p ? view(ctx, p, true) : notFound;
    },
  },
  proposals: {
    args: struct<{ from: number; limit: number }>("gov.proposals", { from: uint, limit: uint }),
    result: struct<{ proposals: ProposalView[] }>("gov.proposals.result", {
      proposals: list(proposalView, 100),
    }),
    /** Up to `limit` (≤ 100) proposals from id `from` on, oldest first; their tallies as stored. */
    run: (ctx, { from, limit }: { from: number; limit: number }) => ({
      proposals: proposals
        .scan(ctx.store, { from: u32Key.encode(from), limit: Math.min(Math.max(limit, 1), 100) })
        .map((id) => view(ctx, proposals.get(ctx.store, id)!, false)),
    }),
  },
  votes: {
    args: struct<{ id: number }>("gov.votes", { id: uint }),
    result: struct<{ votes: { voter: Address; option: number; weight: bigint }[] }>("gov.votes.result", {
      votes: list(
        struct<{ voter: Address; option: number; weight: bigint }>("gov.Vote", {
          voter: address20,
          option: uint,
          weight: quantity,
        }),
        10_000,
      ),
    }),
    /** Each vote with the voter's weight in the current cycle. */
    run: (ctx, { id }: { id: number }) => {
      const w = weightsIn(ctx, cycleOf(ctx.height, ctx.preset.cycleLength));
      return {
        votes: votes.entries(ctx.store, u32Key.encode(id)).map(([[, voter], option]) => ({
          voter,
          option,
          weight: w.get(toHex(voter)) ?? 0n,
        })),
      };
    },
  },
};

/** `governable`: every parameter of `modules` governance may change, with bounds and value. */
// biome-ignore lint/suspicious/noExplicitAny: the query's own types
export function governableQuery(modules: () => Module[]): QueryDef<any, any> {
  return {
    args: none,
    result: struct<{ params: { module: string; param: string; min: bigint; max: bigint; value: bigint }[] }>(
      "gov.governable.result",
      {
        params: list(
          struct<{ module: string; param: string; min: bigint; max: bigint; value: bigint }>(
            "gov.Governable",
            {
              module: str(32),
              param: str(32),
              min: quantity,
              max: quantity,
              value: quantity,
            },
          ),
          256,
        ),
      },
    ),
    run: (ctx) => ({
      params: modules().flatMap((m) =>
        Object.entries(m.governable ?? {}).map(([param, p]) => ({
          module: m.name,
          param,
          min: p.min,
          max: p.max,
          value: p.get(ctx.storeOf(m)),
        })),
      ),
    }),
  };
}
