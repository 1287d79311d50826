/**
 * What a proposal can do (spec/governance.md §Kinds): register or retire a model, change a module
 * parameter that module declares governable, grant from the training fund, change the training
 * share from year 5. Each kind has a body codec, a check run when the proposal is submitted and
 * again when it passes (the state may have moved in between), and the effect applied when it
 * passes. A check returns the reason it fails ("" when it holds); an effect runs only after its
 * check held in the same hook, so it never fails half-way.
 */
import { address20, type Codec, decode, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import { isModuleAddress } from "../../src/params/index.ts";
import { type Address, equalBytes, toChecksumAddress, toHex, ZERO_ADDRESS } from "../../src/types/index.ts";
import {
  isRetired,
  modelCodec,
  modelEntry,
  models,
  type RegisteredModel,
  registerModel,
  registrationProblem,
  retireModel,
} from "../models/index.ts";
import type { BlockInfo, Module, ModuleState } from "../module.ts";
import {
  MAX_TRAINING_SHARE_MILLI,
  MIN_TRAINING_SHARE_MILLI,
  payFromTrainingFund,
  params as rewardParams,
  rewards,
  setTrainingShare,
  trainingFundBalance,
  trainingShareMilli,
  trainingShareUnlockHeight,
} from "../rewards/index.ts";
import type { RawStore } from "../store.ts";
import { createJob, type JobSpec, jobProblem, jobSpecCodec, training } from "../training/index.ts";
import { Kind } from "./store.ts";

/** What a kind's check and effect see: the block, accounts, and the governed modules' stores. */
export interface KindContext {
  block: BlockInfo;
  state: ModuleState;
  storeOf(m: Pick<Module, "address">): RawStore;
  /** The modules whose declared parameters proposals may change, governance included. */
  governed: readonly Module[];
}

export interface ParamChange {
  module: string;
  param: string;
  value: bigint;
}
export const paramChangeCodec = struct<ParamChange>("gov.ParamChange", {
  module: str(32),
  param: str(32),
  value: quantity,
});

export interface Grant {
  recipient: Address;
  amount: bigint;
  purpose: string;
}
export const grantCodec = struct<Grant>("gov.Grant", {
  recipient: address20,
  amount: quantity,
  purpose: str(256),
});

export const retireCodec = struct<{ id: string }>("gov.Retire", { id: str(64) });
export const trainingShareCodec = struct<{ milli: number }>("gov.TrainingShare", { milli: uint });

/**
 * Module ids whose address may receive a plain grant: none. A reserved address — the pools, the
 * fund itself, governance — would hold the funds where nothing can spend them; the training module
 * spends only what its jobs' ledgers hold (its account equals their unspent budgets), so a job is
 * funded by its own kind, trainingJob, never by a grant to the module's account.
 */
export const GRANTABLE_MODULES: number[] = [];

const moduleIdOf = (a: Address) => (a[18]! << 8) | a[19]!;

interface KindDef<B> {
  codec: Codec<B>;
  check(ctx: KindContext, body: B): string;
  apply(ctx: KindContext, body: B): void;
  describe(body: B): string;
}

function paramOf(ctx: KindContext, c: ParamChange) {
  const module = ctx.governed.find((m) => m.name === c.module);
  const p =
    module?.governable && Object.hasOwn(module.governable, c.param) ? module.governable[c.param] : undefined;
  return module && p ? { module, p } : undefined;
}

const registerKind: KindDef<RegisteredModel> = {
  codec: modelCodec,
  check: (ctx, m) => registrationProblem(ctx.storeOf(models), m),
  apply: (ctx, m) => registerModel(ctx.storeOf(models), m),
  describe: (m) =>
    `register model ${m.id} (${m.verification}, ${m.unitsPerToken} units/token, context ${m.contextLength}, ${m.files.length} files)`,
};

const retireKind: KindDef<{ id: string }> = {
  codec: retireCodec,
  check: (ctx, { id }) =>
    !modelEntry(ctx.storeOf(models), id)
      ? `model ${id} is not registered`
      : isRetired(ctx.storeOf(models), id)
        ? `model ${id} is already retired`
        : "",
  // From the next cycle: this cycle's tasks for it were served in good faith and still settle.
  apply: (ctx, { id }) => retireModel(ctx.storeOf(models), id, ctx.block.cycle + 1),
  describe: ({ id }) => `retire model ${id}`,
};

const paramKind: KindDef<ParamChange> = {
  codec: paramChangeCodec,
  check(ctx, c) {
    const found = paramOf(ctx, c);
    if (!found) return `${c.module}.${c.param} is not a parameter governance may change`;
    if (c.value < found.p.min || c.value > found.p.max)
      return `${c.module}.${c.param} must be in [${found.p.min}, ${found.p.max}]`;
    return "";
  },
  apply(ctx, c) {
    const { module, p } = paramOf(ctx, c)!;
    p.set(ctx.storeOf(module), c.value);
  },
  describe: (c) => `set ${c.module}.${c.param} to ${c.value}`,
};

const grantKind: KindDef<Grant> = {
  codec: grantCodec,
  check(ctx, g) {
    if (g.amount === 0n) return "a grant of 0";
    if (equalBytes(g.recipient, ZERO_ADDRESS)) return "a grant's recipient is not the zero address";
    if (isModuleAddress(g.recipient) && !GRANTABLE_MODULES.includes(moduleIdOf(g.recipient)))
      return "a grant's recipient is an account, not a module or pool (fund a training job with a trainingJob proposal): funds sent there would be stuck";
    const fund = trainingFundBalance(ctx.state);
    return g.amount > fund ? `the training fund holds ${fund} wei, the grant asks ${g.amount}` : "";
  },
  apply: (ctx, g) => payFromTrainingFund(ctx.state, g.recipient, g.amount),
  describe: (g) =>
    `grant ${g.amount} wei from the training fund to ${toChecksumAddress(g.recipient)}: ${g.purpose}`,
};

const shareKind: KindDef<{ milli: number }> = {
  codec: trainingShareCodec,
  check(ctx, { milli }) {
    const from = trainingShareUnlockHeight(rewardParams.get(ctx.storeOf(rewards))!.blocksPerDay);
    if (ctx.block.height < from) return `the training share may change from height ${from} (year 5) on`;
    if (milli < MIN_TRAINING_SHARE_MILLI || milli > MAX_TRAINING_SHARE_MILLI)
      return `the training share must be ${MIN_TRAINING_SHARE_MILLI} to ${MAX_TRAINING_SHARE_MILLI} thousandths`;
    if (milli === trainingShareMilli(ctx.storeOf(rewards))) return `the training share is already ${milli}`;
    return "";
  },
  // The revenue of the next cycle on: settlements of earlier cycles keep the share they were earned under.
  apply: (ctx, { milli }) => setTrainingShare(ctx.storeOf(rewards), milli, ctx.block.cycle + 1),
  describe: ({ milli }) => `set the training share to ${milli / 10} %`,
};

const trainingJobKind: KindDef<JobSpec> = {
  codec: jobSpecCodec,
  check: (ctx, s) => jobProblem(ctx.storeOf(training), ctx.state, s),
  apply: (ctx, s) => {
    createJob(ctx.storeOf(training), ctx.state, s, ctx.block.height);
  },
  describe: (s) =>
    `training job: ${s.rounds} rounds of ${s.innerSteps} inner steps, ≤ ${s.participantsMax} participants, budget ${s.budget} wei from the training fund, model ${toHex(s.modelHash)}, dataset ${toHex(s.datasetHash)}: ${s.purpose}`,
};

// biome-ignore lint/suspicious/noExplicitAny: each kind has its own body type
export const KINDS: Record<number, KindDef<any>> = {
  [Kind.registerModel]: registerKind,
  [Kind.retireModel]: retireKind,
  [Kind.changeParam]: paramKind,
  [Kind.grant]: grantKind,
  [Kind.trainingShare]: shareKind,
  [Kind.trainingJob]: trainingJobKind,
};

/** Decode a stored body (encoded by the submitting method, so it decodes). */
export function decodeBody(kind: number, body: Uint8Array): unknown {
  return decode(KINDS[kind]!.codec, body);
}

/** The check of a stored proposal's body, now ("" when it holds). */
export function checkBody(ctx: KindContext, kind: number, body: Uint8Array): string {
  return KINDS[kind]!.check(ctx, decodeBody(kind, body));
}

export function applyBody(ctx: KindContext, kind: number, body: Uint8Array): void {
  KINDS[kind]!.apply(ctx, decodeBody(kind, body));
}

export function describeBody(kind: number, body: Uint8Array): string {
  const def = KINDS[kind];
  if (!def) return `unknown kind ${kind}`;
  return def.describe(decodeBody(kind, body)).slice(0, 512);
}
