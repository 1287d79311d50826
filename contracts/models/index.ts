/**
 * models: the registry of models the network serves (spec/inference.md §Registry): id, weights
 * hash, tokenizer, context length, compute units per token and verification class. Genesis lists
 * them (`modules.models`, default: the built-in exact model); proposals to add models are the
 * governance work. A node serves a model only if its local weights hash to the registry's value.
 *
 * Price (paper Appendix J): miners with race weight vote a price per unit of compute; at each cycle
 * end the weighted median of the votes — a miner that never voted counts at the current price —
 * becomes the next cycle's price. Genesis sets the first (`unitPrice`).
 */
import { address20, hash32, list, quantity, str, struct, uint } from "../../src/encoding/index.ts";
import { filesHash } from "../../src/inference/index.ts";
import { cycleOf, MODELS_MODULE_ADDRESS } from "../../src/params/index.ts";
import { type Address, compareBytes, equalBytes, fromHex, toHex } from "../../src/types/index.ts";
import {
  type GenesisContext,
  type GovernableParam,
  type Module,
  type ModuleContext,
  ModuleError,
} from "../module.ts";
import { race, raceWeights, settled } from "../race/index.ts";
import {
  addressKey20,
  bytesKey,
  type RawStore,
  type ReadStore,
  StoreItem,
  StoreMap,
  u32Key,
} from "../store.ts";
import { excludedFrom, validatorSetOf, validators as validatorsModule } from "../validators/index.ts";

export interface RegisteredModel {
  id: string;
  weightsHash: Uint8Array;
  tokenizer: string;
  contextLength: number;
  unitsPerToken: number;
  /** "exact" (bit-for-bit re-run) or "tolerance" (logprob comparison). */
  verification: string;
  /**
   * The files a node loads (Hugging Face ONNX layout) and their SHA-256; `weightsHash` is then
   * filesHash of them. Empty for a model generated in code (the built-in exact model).
   */
  files: { name: string; sha256: Uint8Array }[];
}

const fileCodec = struct<{ name: string; sha256: Uint8Array }>("models.File", {
  name: str(128),
  sha256: hash32,
});

const modelCodec = struct<RegisteredModel>("models.Model", {
  id: str(64),
  weightsHash: hash32,
  tokenizer: str(32),
  contextLength: uint,
  unitsPerToken: uint,
  verification: str(16),
  files: list(fileCodec, 16),
});

/** model id (UTF-8) → its entry. */
export const registeredModels = new StoreMap("model", bytesKey, modelCodec);
/** cycle → price per unit of compute (wei) in force during that cycle. */
export const unitPrices = new StoreMap("price", u32Key, quantity);
/** miner → its latest price vote (wei per unit); kept until it votes again. */
export const priceVotes = new StoreMap("vote", addressKey20, quantity);

/** Genesis price when the section sets none: 1 gwei per unit of compute. */
export const DEFAULT_UNIT_PRICE = 1_000_000_000n;
export const MAX_UNIT_PRICE = 10n ** 30n;

/**
 * Weighted median: the lowest price at which the cumulative weight of votes sorted by price
 * (then voter address) reaches at least half of the total. Undefined when the total is 0.
 */
export function weightedMedian(
  votes: { voter: Address; weight: bigint; price: bigint }[],
): bigint | undefined {
  const sorted = votes
    .filter((v) => v.weight > 0n)
    .sort((a, b) => (a.price === b.price ? compareBytes(a.voter, b.voter) : a.price < b.price ? -1 : 1));
  const total = sorted.reduce((t, v) => t + v.weight, 0n);
  if (total === 0n) return undefined;
  let acc = 0n;
  for (const v of sorted) {
    acc += v.weight;
    if (2n * acc >= total) return v.price;
  }
  return sorted[sorted.length - 1]!.price;
}

/**
 * Who votes in `cycle`, with what weight: the race weights settled for the previous cycle (every
 * miner with weight, in the set or not), or the cycle's validator set where no race settled or
 * no racer earned weight (the set then carries forward). An account excluded from `cycle` for a
 * proven offence has no weight in it (validators.md §Offences).
 */
export function voterWeights(
  raceStore: ReadStore,
  validatorsStore: ReadStore,
  cycle: number,
): [Address, bigint][] {
  if (cycle > 0 && settled.has(raceStore, cycle - 1)) {
    const excluded = excludedFrom(validatorsStore, cycle);
    const weights = raceWeights(raceStore, cycle - 1).filter(([a]) => !excluded.has(toHex(a)));
    // A race with no valid racer carries the set forward (race-cycle.md): so do its voters.
    if (weights.some(([, w]) => w > 0n)) return weights;
  }
  return (validatorSetOf(validatorsStore, cycle) ?? []).map((v) => [v.address, v.weight]);
}

export function unitPriceAt(store: ReadStore, cycle: number): bigint {
  for (let c = cycle; c >= 0; c--) {
    const p = unitPrices.get(store, c);
    if (p !== undefined) return p;
  }
  return DEFAULT_UNIT_PRICE;
}

/** The next cycle's price from this cycle's voters (a voter without a vote counts at this price). */
function settlePrice(ctx: ModuleContext): void {
  const cycle = ctx.block.cycle;
  const current = unitPriceAt(ctx.store, cycle);
  const voters = voterWeights(ctx.storeOf(race), ctx.storeOf(validatorsModule), cycle);
  const votes = voters.map(([voter, weight]) => ({
    voter,
    weight,
    price: priceVotes.get(ctx.store, voter) ?? current,
  }));
  unitPrices.set(ctx.store, cycle + 1, weightedMedian(votes) ?? current);
}

/** The built-in exact model (src/inference; a test holds its generated weights to this hash). */
export const BUILTIN_MODEL: RegisteredModel = {
  id: "racecoin-exact-tiny",
  weightsHash: fromHex("0xd5e0eb2f4bfb71ec8e086b25a203ad6b9d4cad71f3f05cdf6791075bcd102e73"),
  tokenizer: "bytes",
  contextLength: 256,
  unitsPerToken: 1,
  verification: "exact",
  files: [],
};

/**
 * The built-in tolerance-class model: a float decoder in the Hugging Face ONNX layout under
 * genesis/models/racecoin-float-tiny (scripts/gen-float-model.ts writes it; a test holds the
 * files to these hashes).
 */
export const FLOAT_MODEL: RegisteredModel = {
  id: "racecoin-float-tiny",
  weightsHash: fromHex("0x1df75e01976ca744059daa1bfbc95b24f734ff2e9669284143682059555a29fe"),
  tokenizer: "tokenizer.json",
  contextLength: 256,
  unitsPerToken: 2,
  verification: "tolerance",
  files: [
    {
      name: "config.json",
      sha256: fromHex("0x4a107f12de71d17cea006ee93189e26edc0fcd9205198bd7a8af878a78bdb307"),
    },
    {
      name: "tokenizer.json",
      sha256: fromHex("0xc9c72e6519f96c254212dc5f1b9e9227e084f497babd7b8e4e49995a7fc4fa27"),
    },
    {
      name: "model.onnx",
      sha256: fromHex("0x1fecb47de8f53bcc4998c2d8fdbd3eb2fc5985aaf115ac3cceb0dc10768b7e13"),
    },
  ],
};

export const DEFAULT_MODELS = [BUILTIN_MODEL, FLOAT_MODEL];

const idKey = (id: string) => new TextEncoder().encode(id);

function parseSection(raw: unknown): { models: RegisteredModel[]; unitPrice: bigint } {
  if (raw === undefined) return { models: DEFAULT_MODELS, unitPrice: DEFAULT_UNIT_PRICE };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Error('modules.models: expected an object { models: [...], unitPrice: "wei" }');
  const o = raw as { models?: unknown; unitPrice?: unknown };
  let unitPrice = DEFAULT_UNIT_PRICE;
  if (o.unitPrice !== undefined) {
    if (
      typeof o.unitPrice !== "string" ||
      !/^[1-9][0-9]{0,30}$/.test(o.unitPrice) ||
      BigInt(o.unitPrice) > MAX_UNIT_PRICE
    )
      throw new Error("modules.models.unitPrice: a decimal string of wei per unit of compute, 1 to 10^30");
    unitPrice = BigInt(o.unitPrice);
  }
  return { models: o.models === undefined ? DEFAULT_MODELS : parseModels(o.models), unitPrice };
}

function parseModels(section: unknown): RegisteredModel[] {
  const problem = (m: string) => new Error(`modules.models: ${m}`);
  if (!Array.isArray(section) || section.length > 64) throw problem("expected a list of at most 64 models");
  const seen = new Set<string>();
  return section.map((e, i) => {
    const o = e as Record<string, unknown>;
    const where = `models[${i}]`;
    if (typeof o?.id !== "string" || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(o.id))
      throw problem(`${where}.id: lower-case letters, digits, '.', '_', '-' (≤ 64)`);
    if (seen.has(o.id)) throw problem(`${where}.id: duplicate ${o.id}`);
    seen.add(o.id);
    if (typeof o.weightsHash !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(o.weightsHash))
      throw problem(`${where}.weightsHash: a 0x-prefixed 32-byte hex string`);
    const int = (v: unknown, name: string, max: number) => {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max)
        throw problem(`${where}.${name}: an integer in [1, ${max}]`);
      return v;
    };
    if (o.verification !== "exact" && o.verification !== "tolerance")
      throw problem(`${where}.verification: "exact" or "tolerance"`);
    const files = parseFiles(o.files, `${where}.files`, problem);
    if (files.length > 0) {
      const h = filesHash(files.map((f) => ({ name: f.name, sha256: toHex(f.sha256) })));
      if (h !== o.weightsHash.toLowerCase())
        throw problem(
          `${where}.weightsHash: the files hash to ${h} (filesHash over their names and SHA-256)`,
        );
    } else if (o.verification === "tolerance")
      throw problem(
        `${where}.files: a tolerance-class model lists its files (config.json, tokenizer.json, model.onnx)`,
      );
    return {
      id: o.id,
      weightsHash: fromHex(o.weightsHash),
      tokenizer: typeof o.tokenizer === "string" ? o.tokenizer.slice(0, 32) : "bytes",
      contextLength: int(o.contextLength, "contextLength", 1 << 20),
      unitsPerToken: int(o.unitsPerToken, "unitsPerToken", 1 << 20),
      verification: o.verification,
      files,
    };
  });
}

function parseFiles(
  raw: unknown,
  where: string,
  problem: (m: string) => Error,
): { name: string; sha256: Uint8Array }[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > 16)
    throw problem(`${where}: a list of at most 16 { name, sha256 }`);
  const names = new Set<string>();
  return raw.map((f, j) => {
    const o = f as Record<string, unknown>;
    if (
      typeof o?.name !== "string" ||
      !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(o.name) ||
      names.has(o.name)
    )
      throw problem(`${where}[${j}].name: a distinct file name (letters, digits, '.', '_', '-')`);
    names.add(o.name);
    if (typeof o.sha256 !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(o.sha256))
      throw problem(`${where}[${j}].sha256: a 0x-prefixed 32-byte hex string`);
    return { name: o.name, sha256: fromHex(o.sha256) };
  });
}

/** The registry's size limit: the list query and genesis carry at most 64 entries. */
export const MAX_MODELS = 64;
const modelParams = new StoreItem(
  "params",
  struct<{ maxModels: number }>("models.Params", { maxModels: uint }),
);

/** How many models the registry may hold (governable, 1 to 64; 64 until a proposal sets it). */
export function maxModels(store: ReadStore): number {
  return modelParams.get(store)?.maxModels ?? MAX_MODELS;
}

/** What governance may change in this module (spec/governance.md §Parameters). */
export const governableModelParams: Record<string, GovernableParam> = {
  maxModels: {
    min: 1n,
    max: BigInt(MAX_MODELS),
    get: (s) => BigInt(maxModels(s)),
    set: (s, v) => modelParams.set(s, { maxModels: Number(v) }),
  },
};

/**
 * Why an entry cannot join the registry ("" when it can): the genesis section's rules — an id of
 * lower-case letters, digits, '.', '_', '-'; context and units per token in [1, 2^20]; an exact or
 * tolerance class; distinct file names whose filesHash is the weights hash; files listed for a
 * tolerance-class model — and an id not registered yet, in a registry below its limit.
 */
export function registrationProblem(store: ReadStore, m: RegisteredModel): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(m.id))
    return "model id: lower-case letters, digits, '.', '_', '-' (1 to 64)";
  if (modelEntry(store, m.id))
    return retiredFrom.has(store, idKey(m.id))
      ? `model ${m.id} is retired (its records still read the entry): register it under a new id`
      : `model ${m.id} is already registered`;
  if (modelList(store).length >= maxModels(store))
    return `the registry holds its limit of ${maxModels(store)} models`;
  for (const [name, v] of [
    ["contextLength", m.contextLength],
    ["unitsPerToken", m.unitsPerToken],
  ] as const)
    if (v < 1 || v > 1 << 20) return `${name}: an integer in [1, ${1 << 20}]`;
  if (m.verification !== "exact" && m.verification !== "tolerance")
    return 'verification: "exact" or "tolerance"';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/.test(m.tokenizer))
    return "tokenizer: a file name or 'bytes' (≤ 32)";
  const names = new Set<string>();
  for (const f of m.files) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(f.name) || names.has(f.name))
      return `file ${f.name.slice(0, 32)}: a distinct file name (letters, digits, '.', '_', '-')`;
    names.add(f.name);
  }
  if (m.files.length > 0) {
    const h = filesHash(m.files.map((f) => ({ name: f.name, sha256: toHex(f.sha256) })));
    if (h !== toHex(m.weightsHash)) return `weightsHash: the files hash to ${h}`;
  } else if (m.verification === "tolerance") return "a tolerance-class model lists its files";
  return "";
}

/** Add an entry that passed registrationProblem (governance, at a proposal's execution). */
export function registerModel(store: RawStore, m: RegisteredModel): void {
  registeredModels.set(store, idKey(m.id), m);
}

/**
 * model id → the first cycle in which it takes no new task (governance retired it). The entry
 * stays while the tasks of its last cycles are settled, checked, disputed and kept on record
 * (RECORD_CYCLES, spec/tasks.md §Records), then leaves the registry.
 */
export const retiredFrom = new StoreMap("retired", bytesKey, uint);
/** Cycles a retired entry stays after its last serving cycle: the tasks module keeps records 16. */
export const RETIRED_KEEP_CYCLES = 16;

/**
 * Retire a model from `fromCycle` on: it leaves the list nodes serve at once, receipts and serving
 * declarations for that cycle or later are refused; tasks of earlier cycles settle and are checked
 * as before.
 */
export function retireModel(store: RawStore, id: string, fromCycle: number): void {
  retiredFrom.set(store, idKey(id), fromCycle);
}

export function isRetired(store: ReadStore, id: string): boolean {
  return retiredFrom.has(store, idKey(id));
}

/** The entry of a model that takes tasks in `cycle`: registered, and not retired by then. */
export function activeModel(store: ReadStore, id: string, cycle: number): RegisteredModel | undefined {
  const from = retiredFrom.get(store, idKey(id));
  return from !== undefined && cycle >= from ? undefined : modelEntry(store, id);
}

/** endCycle: retired entries whose records are gone leave the registry (≤ the registry's size). */
function dropRetired(ctx: ModuleContext): void {
  for (const key of retiredFrom.keys(ctx.store)) {
    const from = retiredFrom.get(ctx.store, key)!;
    if (ctx.block.cycle + 1 < from + RETIRED_KEEP_CYCLES) continue;
    retiredFrom.delete(ctx.store, key);
    registeredModels.delete(ctx.store, key);
  }
}

export { modelCodec };

export function modelEntry(store: ReadStore, id: string): RegisteredModel | undefined {
  return registeredModels.get(store, idKey(id));
}

/** The models nodes serve: registered and not retired. */
export function modelList(store: ReadStore): RegisteredModel[] {
  return registeredModels
    .entries(store)
    .filter(([key]) => !retiredFrom.has(store, key))
    .map(([, m]) => m);
}

const priceResult = struct<{
  cycle: number;
  unitPrice: bigint;
  votes: { voter: Address; weight: bigint; price: bigint }[];
}>("models.price.result", {
  cycle: uint,
  unitPrice: quantity,
  votes: list(
    struct<{ voter: Address; weight: bigint; price: bigint }>("models.PriceVote", {
      voter: address20,
      weight: quantity,
      price: quantity,
    }),
    100_000,
  ),
});

export const votePriceArgs = struct<{ price: bigint }>("models.votePrice", { price: quantity });

const listResult = struct<{ models: RegisteredModel[] }>("models.list.result", {
  models: list(modelCodec, 64),
});

export const models: Module = {
  id: 5,
  name: "models",
  address: MODELS_MODULE_ADDRESS,
  governable: governableModelParams,
  genesis(ctx: GenesisContext) {
    const { models: list, unitPrice } = parseSection(ctx.section);
    for (const m of list) registeredModels.set(ctx.store, idKey(m.id), m);
    unitPrices.set(ctx.store, 0, unitPrice);
  },
  endCycle(ctx) {
    settlePrice(ctx);
    dropRetired(ctx);
  },
  methods: {
    votePrice: {
      args: votePriceArgs,
      // Reads the weights of the whole voter set (≤ maxValidators): ~0.8 ms at 150 (bench:gas).
      gas: 120_000n,
      execute(ctx, args: { price: bigint }) {
        if (args.price < 1n || args.price > MAX_UNIT_PRICE)
          throw new ModuleError("price must be 1 to 10^30 wei per unit of compute");
        const cycle = cycleOf(ctx.block.height, ctx.block.preset.cycleLength);
        const voters = voterWeights(ctx.storeOf(race), ctx.storeOf(validatorsModule), cycle);
        if (!voters.some(([a, w]) => w > 0n && equalBytes(a, ctx.sender)))
          throw new ModuleError(`only miners with race weight in cycle ${cycle} vote on the price`);
        priceVotes.set(ctx.store, ctx.sender, args.price);
      },
    },
  },
  queries: {
    list: {
      args: struct<Record<string, never>>("models.list", {}),
      result: listResult,
      run: (ctx) => ({ models: modelList(ctx.store) }),
    },
    price: {
      args: struct<{ cycle: number }>("models.price", { cycle: uint }),
      result: priceResult,
      /** The price in force in `cycle`, and the votes that will set the next one. */
      run: (ctx, a: { cycle: number }) => {
        const current = unitPriceAt(ctx.store, a.cycle);
        const voters = voterWeights(ctx.storeOf(race), ctx.storeOf(validatorsModule), a.cycle);
        return {
          cycle: a.cycle,
          unitPrice: current,
          votes: voters.map(([voter, weight]) => ({
            voter,
            weight,
            price: priceVotes.get(ctx.store, voter) ?? current,
          })),
        };
      },
    },
  },
};
