/**
 * gov: governance by compute (spec/governance.md). Anyone proposes with a deposit; miners vote
 * with their race weight (one unit of compute, one vote: no stake); at the end of the cycle the
 * vote closes in, a proposal that reached quorum and threshold without a veto takes effect.
 * Proposals register or retire models, change the parameters modules declare governable, grant
 * from the training fund, and change the training share from year 5 (paper Appendices J, K).
 */
import { address20, type Codec, encode, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import { GOVERNANCE_MODULE_ADDRESS } from "../../src/params/index.ts";
import { toHex } from "../../src/types/index.ts";
import { emit, event } from "../events.ts";
import { modelCodec, models, type RegisteredModel } from "../models/index.ts";
import type { CallContext, GenesisContext, GovernableParam, Module, ModuleContext } from "../module.ts";
import { ModuleError } from "../module.ts";
import { rewards } from "../rewards/index.ts";
import { tasksModule } from "../tasks/index.ts";
import { type JobSpec, jobSpecCodec, jobSpecFields, training } from "../training/index.ts";
import {
  type Grant,
  grantCodec,
  KINDS,
  type KindContext,
  type ParamChange,
  paramChangeCodec,
} from "./kinds.ts";
import { governableQuery, govQueries } from "./queries.ts";
import {
  DEFAULT_GOV_PARAMS,
  deposits,
  due,
  EMPTY_TALLY,
  GOV_PARAM_BOUNDS,
  type GovParams,
  govParams,
  Kind,
  MAX_BODY_BYTES,
  MAX_DEPOSITORS,
  MAX_OPEN_PROPOSALS,
  MAX_VOTERS,
  nextId,
  OPTION_NAMES,
  open,
  openBodies,
  type Proposal,
  params,
  proposals,
  STATUS_NAMES,
  Status,
  votes,
} from "./store.ts";
import { bodyKey, closeDue, closeProposal, closingCycle, weightsIn } from "./tally.ts";

export * from "./kinds.ts";
export * from "./store.ts";
export { bodyKey, countVotes, verdict, weightsIn } from "./tally.ts";

export const ProposalSubmitted = event(
  "ProposalSubmitted(uint32 indexed id, address indexed proposer, uint32 kind, uint256 deposit)",
);
export const ProposalDeposited = event(
  "ProposalDeposited(uint32 indexed id, address indexed depositor, uint256 amount, uint256 total)",
);
export const VotingStarted = event("VotingStarted(uint32 indexed id, uint32 votingEndCycle)");
export const Voted = event("Voted(uint32 indexed id, address indexed voter, uint32 option)");

interface Head {
  title: string;
  expedited: number;
  deposit: bigint;
}
const headFields = { title: str(128), expedited: uint, deposit: quantity };

export const proposeModelArgs = struct<Head & { model: RegisteredModel }>("gov.proposeModel", {
  ...headFields,
  model: modelCodec,
});
export const proposeRetireArgs = struct<Head & { id: string }>("gov.proposeRetire", {
  ...headFields,
  id: str(64),
});
export const proposeParamArgs = struct<Head & ParamChange>("gov.proposeParam", {
  ...headFields,
  module: str(32),
  param: str(32),
  value: quantity,
});
export const proposeGrantArgs = struct<Head & Grant>("gov.proposeGrant", {
  ...headFields,
  recipient: address20,
  amount: quantity,
  purpose: str(256),
});
export const proposeTrainingShareArgs = struct<Head & { milli: number }>("gov.proposeTrainingShare", {
  ...headFields,
  milli: uint,
});
export const proposeTrainingJobArgs = struct<Head & JobSpec>("gov.proposeTrainingJob", {
  ...headFields,
  ...jobSpecFields,
});
export const depositArgs = struct<{ id: number; amount: bigint }>("gov.deposit", {
  id: uint,
  amount: quantity,
});
export const voteArgs = struct<{ id: number; option: number }>("gov.vote", { id: uint, option: uint });

/**
 * A proposal's worst case: the kind's check (a model's files hash, the registry's keys), the open
 * list, and evicting a proposal with 64 depositors — 2.5–3.8 ms on the reference machine under
 * load, so 1,000,000 gas (8.3 ms at the ceiling's 8.33 ns a gas; spec/fees.md §Gas ceiling).
 */
export const PROPOSE_GAS = 1_000_000n;
/** A vote reads the cycle's whole voting weight: 4.2 ms among 1,000 weighted accounts under load. */
export const VOTE_GAS = 600_000n;

/** Governance's own parameters, changeable by proposal within GOV_PARAM_BOUNDS. */
export const governableGovParams: Record<string, GovernableParam> = Object.fromEntries(
  (Object.keys(GOV_PARAM_BOUNDS) as (keyof GovParams)[]).map((name) => [
    name,
    {
      min: GOV_PARAM_BOUNDS[name][0],
      max: GOV_PARAM_BOUNDS[name][1],
      get: (s) => BigInt(govParams(s)[name]),
      set: (s, v) =>
        params.set(s, {
          ...govParams(s),
          [name]: typeof DEFAULT_GOV_PARAMS[name] === "bigint" ? v : Number(v),
        }),
    } satisfies GovernableParam,
  ]),
);

/** The modules whose declared parameters proposals may change. */
export function governedModules(): Module[] {
  return [models, tasksModule, rewards, training, governance];
}

function kindContext(ctx: ModuleContext): KindContext {
  return { block: ctx.block, state: ctx.state, storeOf: ctx.storeOf, governed: governedModules() };
}

function minDepositOf(p: GovParams, expedited: number): bigint {
  return expedited === 1 ? p.expeditedMinDeposit : p.minDeposit;
}

function take(ctx: CallContext, amount: bigint): void {
  const from = ctx.state.getAccount(ctx.sender);
  if (from.balance < amount) throw new ModuleError(`the deposit of ${amount} wei is above the balance`);
  ctx.state.setAccount(ctx.sender, { ...from, balance: from.balance - amount });
  const gov = ctx.state.getAccount(GOVERNANCE_MODULE_ADDRESS);
  ctx.state.setAccount(GOVERNANCE_MODULE_ADDRESS, { ...gov, balance: gov.balance + amount });
}

function startVoting(ctx: CallContext, p: Proposal, params: GovParams): Proposal {
  due.delete(ctx.store, [p.depositEndCycle, p.id]);
  const period = p.expedited === 1 ? params.expeditedVotingCycles : params.votingCycles;
  const end = closingCycle(ctx.store, ctx.block.cycle + period);
  due.set(ctx.store, [end, p.id], 1);
  emit(ctx, VotingStarted, p.id, end);
  return { ...p, status: Status.voting, votingStartHeight: ctx.block.height, votingEndCycle: end };
}

/**
 * Room for one more open proposal: below the cap, or by evicting the deposit-period proposal with
 * the smallest deposit if the new one puts down more (its deposits are refunded). Proposals in
 * their voting period are never evicted: a full list of them has each paid the minimum deposit,
 * and a vote can veto them.
 */
function makeRoom(ctx: CallContext, deposit: bigint, id: number): void {
  const ids = open.keys(ctx.store);
  if (ids.length < MAX_OPEN_PROPOSALS) return;
  let smallest: Proposal | undefined;
  for (const other of ids) {
    const p = proposals.get(ctx.store, other)!;
    if (p.status === Status.deposit && (!smallest || p.deposit < smallest.deposit)) smallest = p;
  }
  if (!smallest || smallest.deposit >= deposit)
    throw new ModuleError(
      `${MAX_OPEN_PROPOSALS} proposals are open; a new one must deposit more than the smallest deposit-period one`,
    );
  closeProposal(ctx, smallest, Status.expired, `evicted by proposal ${id} with a larger deposit`);
}

function submit<B>(ctx: CallContext, head: Head, kind: Kind, codec: Codec<B>, body: B): void {
  if (head.expedited > 1) throw new ModuleError("expedited is 0 or 1");
  if (head.title.trim().length === 0) throw new ModuleError("a proposal needs a title");
  const encoded = encode(codec, body);
  if (encoded.length > MAX_BODY_BYTES)
    throw new ModuleError(`a proposal body is at most ${MAX_BODY_BYTES} bytes`);
  const problem = KINDS[kind]!.check(kindContext(ctx), body);
  if (problem) throw new ModuleError(problem);
  const key = bodyKey(kind, encoded);
  const same = openBodies.get(ctx.store, key);
  if (same !== undefined) throw new ModuleError(`the same change is already open as proposal ${same}`);
  const params = govParams(ctx.store);
  const min = minDepositOf(params, head.expedited);
  const initial = (min * BigInt(params.initialDepositMilli) + 999n) / 1000n;
  if (head.deposit < initial) throw new ModuleError(`a proposal puts down at least ${initial} wei`);
  if (ctx.state.getAccount(ctx.sender).balance < head.deposit)
    throw new ModuleError(`the deposit of ${head.deposit} wei is above the balance`);
  const id = nextId.get(ctx.store) ?? 1;
  if (id === 0xffffffff) throw new ModuleError("proposal ids are exhausted");
  makeRoom(ctx, head.deposit, id);
  nextId.set(ctx.store, id + 1);
  take(ctx, head.deposit);
  if (head.deposit > 0n) deposits.set(ctx.store, [id, ctx.sender], head.deposit);
  let p: Proposal = {
    id,
    proposer: ctx.sender,
    kind,
    body: encoded,
    title: head.title,
    expedited: head.expedited,
    status: Status.deposit,
    submitHeight: ctx.block.height,
    depositEndCycle: closingCycle(ctx.store, ctx.block.cycle + params.depositCycles),
    votingStartHeight: 0,
    votingEndCycle: 0,
    deposit: head.deposit,
    depositors: head.deposit > 0n ? 1 : 0,
    voters: 0,
    tally: EMPTY_TALLY,
    result: "",
  };
  due.set(ctx.store, [p.depositEndCycle, id], 1);
  emit(ctx, ProposalSubmitted, id, ctx.sender, kind, head.deposit);
  if (p.deposit >= min) p = startVoting(ctx, p, params);
  open.set(ctx.store, id, 1);
  openBodies.set(ctx.store, key, id);
  proposals.set(ctx.store, id, p);
}

function openProposal(ctx: CallContext, id: number, status: Status, what: string): Proposal {
  const p = proposals.get(ctx.store, id);
  if (!p) throw new ModuleError(`no proposal ${id}`);
  if (p.status !== status)
    throw new ModuleError(`proposal ${id} is not in its ${what} period (it is ${STATUS_NAMES[p.status]})`);
  return p;
}

function parseSection(raw: unknown): GovParams | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Error("modules.gov: expected an object of parameters (spec/governance.md §Parameters)");
  const o = raw as Record<string, unknown>;
  const out: Record<string, unknown> = { ...DEFAULT_GOV_PARAMS };
  for (const k of Object.keys(o)) {
    if (!Object.hasOwn(GOV_PARAM_BOUNDS, k)) throw new Error(`modules.gov.${k}: not a governance parameter`);
    const [lo, hi] = GOV_PARAM_BOUNDS[k as keyof GovParams];
    const big = typeof DEFAULT_GOV_PARAMS[k as keyof GovParams] === "bigint";
    const v = o[k];
    const ok = big
      ? typeof v === "string" && /^[0-9]{1,31}$/.test(v) && BigInt(v) >= lo && BigInt(v) <= hi
      : typeof v === "number" && Number.isInteger(v) && BigInt(v) >= lo && BigInt(v) <= hi;
    if (!ok)
      throw new Error(
        `modules.gov.${k}: ${big ? "a decimal string of wei" : "an integer"} in [${lo}, ${hi}]`,
      );
    out[k] = big ? BigInt(v as string) : v;
  }
  return out as unknown as GovParams;
}

export const governance: Module = {
  id: 8,
  name: "gov",
  address: GOVERNANCE_MODULE_ADDRESS,
  governable: governableGovParams,
  genesis(ctx: GenesisContext) {
    // Written only when the genesis file sets them: a chain on the defaults keeps an empty store.
    const p = parseSection(ctx.section);
    if (p) params.set(ctx.store, p);
  },
  endCycle(ctx) {
    closeDue(ctx, kindContext(ctx));
  },
  methods: {
    proposeModel: {
      args: proposeModelArgs,
      gas: PROPOSE_GAS,
      execute: (ctx, a: Head & { model: RegisteredModel }) =>
        submit(ctx, a, Kind.registerModel, modelCodec, a.model),
    },
    proposeRetire: {
      args: proposeRetireArgs,
      gas: PROPOSE_GAS,
      execute: (ctx, a: Head & { id: string }) =>
        submit(ctx, a, Kind.retireModel, KINDS[Kind.retireModel]!.codec, { id: a.id }),
    },
    proposeParam: {
      args: proposeParamArgs,
      gas: PROPOSE_GAS,
      execute: (ctx, a: Head & ParamChange) =>
        submit(ctx, a, Kind.changeParam, paramChangeCodec, {
          module: a.module,
          param: a.param,
          value: a.value,
        }),
    },
    proposeGrant: {
      args: proposeGrantArgs,
      gas: PROPOSE_GAS,
      execute: (ctx, a: Head & Grant) =>
        submit(ctx, a, Kind.grant, grantCodec, {
          recipient: a.recipient,
          amount: a.amount,
          purpose: a.purpose,
        }),
    },
    proposeTrainingShare: {
      args: proposeTrainingShareArgs,
      gas: PROPOSE_GAS,
      execute: (ctx, a: Head & { milli: number }) =>
        submit(ctx, a, Kind.trainingShare, KINDS[Kind.trainingShare]!.codec, { milli: a.milli }),
    },
    proposeTrainingJob: {
      args: proposeTrainingJobArgs,
      gas: PROPOSE_GAS,
      execute: (ctx, { title, expedited, deposit, ...spec }: Head & JobSpec) =>
        submit(ctx, { title, expedited, deposit }, Kind.trainingJob, jobSpecCodec, spec),
    },
    deposit: {
      args: depositArgs,
      gas: 60_000n,
      execute(ctx, { id, amount }: { id: number; amount: bigint }) {
        let p = openProposal(ctx, id, Status.deposit, "deposit");
        if (amount === 0n) throw new ModuleError("deposit a positive amount");
        const params = govParams(ctx.store);
        const min = minDepositOf(params, p.expedited);
        const had = deposits.get(ctx.store, [id, ctx.sender]);
        if (had === undefined) {
          if (p.depositors >= MAX_DEPOSITORS)
            throw new ModuleError(`proposal ${id} has ${MAX_DEPOSITORS} depositors`);
          const least = (min + BigInt(MAX_DEPOSITORS) - 1n) / BigInt(MAX_DEPOSITORS);
          if (amount < least) throw new ModuleError(`a new depositor puts down at least ${least} wei`);
        }
        take(ctx, amount);
        deposits.set(ctx.store, [id, ctx.sender], (had ?? 0n) + amount);
        p = { ...p, deposit: p.deposit + amount, depositors: p.depositors + (had === undefined ? 1 : 0) };
        emit(ctx, ProposalDeposited, id, ctx.sender, amount, p.deposit);
        if (p.deposit >= min) p = startVoting(ctx, p, params);
        proposals.set(ctx.store, id, p);
      },
    },
    vote: {
      args: voteArgs,
      // Reads the cycle's voting weights (every weighted account): 4.2 ms among 1,000 on the
      // reference machine under load (test/adversarial/governance.test.ts, timed), so 600,000.
      gas: VOTE_GAS,
      execute(ctx, { id, option }: { id: number; option: number }) {
        if (!OPTION_NAMES[option]) throw new ModuleError("option: 1 yes, 2 no, 3 abstain, 4 veto");
        const p = openProposal(ctx, id, Status.voting, "voting");
        const weight = weightsIn(ctx, ctx.block.cycle).get(toHex(ctx.sender)) ?? 0n;
        if (weight === 0n)
          throw new ModuleError(`only accounts with race weight in cycle ${ctx.block.cycle} vote`);
        const had = votes.get(ctx.store, [id, ctx.sender]);
        if (had === option) throw new ModuleError(`already voted ${OPTION_NAMES[option]} on proposal ${id}`);
        if (had === undefined && p.voters >= MAX_VOTERS)
          throw new ModuleError(`proposal ${id} has ${MAX_VOTERS} voters`);
        votes.set(ctx.store, [id, ctx.sender], option);
        if (had === undefined) proposals.set(ctx.store, id, { ...p, voters: p.voters + 1 });
        emit(ctx, Voted, id, ctx.sender, option);
      },
    },
  },
  queries: { ...govQueries, governable: governableQuery(governedModules) },
};

export const govEvents = [ProposalSubmitted, ProposalDeposited, VotingStarted, Voted];
