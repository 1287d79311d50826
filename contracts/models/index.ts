/**
 * models: the registry of models the network serves (spec/inference.md §Registry): id, weights
 * hash, tokenizer, context length, compute units per token and verification class. Genesis lists
 * them (`modules.models`, default: the built-in exact model); proposals to add models are the
 * governance work. A node serves a model only if its local weights hash to the registry's value.
 */
import { hash32, list, str, struct, uint } from "../../src/encoding/index.ts";
import { MODELS_MODULE_ADDRESS } from "../../src/params/index.ts";
import { fromHex } from "../../src/types/index.ts";
import type { GenesisContext, Module } from "../module.ts";
import { bytesKey, type ReadStore, StoreMap } from "../store.ts";

export interface RegisteredModel {
  id: string;
  weightsHash: Uint8Array;
  tokenizer: string;
  contextLength: number;
  unitsPerToken: number;
  /** "exact" (bit-for-bit re-run) or "tolerance" (logprob comparison). */
  verification: string;
}

const modelCodec = struct<RegisteredModel>("models.Model", {
  id: str(64),
  weightsHash: hash32,
  tokenizer: str(32),
  contextLength: uint,
  unitsPerToken: uint,
  verification: str(16),
});

/** model id (UTF-8) → its entry. */
export const registeredModels = new StoreMap("model", bytesKey, modelCodec);

/** The built-in exact model (src/inference; a test holds its generated weights to this hash). */
export const BUILTIN_MODEL: RegisteredModel = {
  id: "racecoin-exact-tiny",
  weightsHash: fromHex("0xd5e0eb2f4bfb71ec8e086b25a203ad6b9d4cad71f3f05cdf6791075bcd102e73"),
  tokenizer: "bytes",
  contextLength: 256,
  unitsPerToken: 1,
  verification: "exact",
};

const idKey = (id: string) => new TextEncoder().encode(id);

function parseSection(section: unknown): RegisteredModel[] {
  if (section === undefined) return [BUILTIN_MODEL];
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
    return {
      id: o.id,
      weightsHash: fromHex(o.weightsHash),
      tokenizer: typeof o.tokenizer === "string" ? o.tokenizer.slice(0, 32) : "bytes",
      contextLength: int(o.contextLength, "contextLength", 1 << 20),
      unitsPerToken: int(o.unitsPerToken, "unitsPerToken", 1 << 20),
      verification: o.verification,
    };
  });
}

export function modelEntry(store: ReadStore, id: string): RegisteredModel | undefined {
  return registeredModels.get(store, idKey(id));
}

export function modelList(store: ReadStore): RegisteredModel[] {
  return registeredModels.entries(store).map(([, m]) => m);
}

const listResult = struct<{ models: RegisteredModel[] }>("models.list.result", {
  models: list(modelCodec, 64),
});

export const models: Module = {
  id: 5,
  name: "models",
  address: MODELS_MODULE_ADDRESS,
  genesis(ctx: GenesisContext) {
    for (const m of parseSection(ctx.section)) registeredModels.set(ctx.store, idKey(m.id), m);
  },
  methods: {},
  queries: {
    list: {
      args: struct<Record<string, never>>("models.list", {}),
      result: listResult,
      run: (ctx) => ({ models: modelList(ctx.store) }),
    },
  },
};
