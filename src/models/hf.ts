/**
 * Loading a registered model from a local directory in the Hugging Face ONNX export layout
 * (config.json, tokenizer.json, model.onnx with past key values) with onnxruntime-node. Every file
 * the registry lists must hash to its registered SHA-256, or the model is refused with the name of
 * the file that differs. Generation keeps a key/value cache (one new token per run); verification
 * runs the whole sequence at once, teacher-forced.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { InferenceSession, Tensor } from "onnxruntime-node";
import {
  judgeTolerance,
  logSoftmax,
  type ModelFile,
  type Position,
  pick,
  positionOf,
  type Sampling,
  samplingOf,
  sha256Hex,
  type TaskPayload,
  Tokenizer,
  type ToleranceVerdict,
} from "../inference/index.ts";

type Ort = typeof import("onnxruntime-node");
let ortModule: Promise<Ort> | undefined;
const ort = () => (ortModule ??= import("onnxruntime-node"));

export interface HfConfig {
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  context: number;
  eos: number;
}

function configOf(raw: Record<string, unknown>): HfConfig {
  const int = (...keys: string[]) => {
    for (const k of keys) if (Number.isInteger(raw[k]) && (raw[k] as number) > 0) return raw[k] as number;
    throw new Error(`config.json: no ${keys.join(" / ")}`);
  };
  const layers = int("n_layer", "num_hidden_layers");
  const heads = int("n_head", "num_attention_heads");
  const hidden = int("n_embd", "hidden_size");
  const eos = Array.isArray(raw.eos_token_id) ? raw.eos_token_id[0] : raw.eos_token_id;
  if (!Number.isInteger(eos)) throw new Error("config.json: no eos_token_id");
  return {
    layers,
    heads,
    kvHeads: Number.isInteger(raw.num_key_value_heads) ? (raw.num_key_value_heads as number) : heads,
    headDim: Number.isInteger(raw.head_dim) ? (raw.head_dim as number) : hidden / heads,
    vocab: int("vocab_size"),
    context: int("n_positions", "max_position_embeddings"),
    eos: eos as number,
  };
}

export interface LoadOptions {
  /** Intra-op threads of the session (default 1: the node's other work keeps its cores). */
  threads?: number;
  /** Test-only: skip the hash check (a cheating executor running other weights). */
  unchecked?: boolean;
}

export class HfModel {
  private constructor(
    readonly id: string,
    readonly config: HfConfig,
    readonly tokenizer: Tokenizer,
    private readonly session: InferenceSession,
    private readonly ort: Ort,
  ) {}

  /**
   * Load `dir` as model `id` if every registered file hashes to its value; otherwise throw with
   * the file that differs (or is missing) and both hashes.
   */
  static async load(
    dir: string,
    id: string,
    registered: readonly ModelFile[],
    opts: LoadOptions = {},
  ): Promise<HfModel> {
    const bytes = new Map<string, Uint8Array>();
    for (const f of registered) {
      let b: Uint8Array;
      try {
        b = new Uint8Array(await readFile(join(dir, f.name)));
      } catch {
        throw new Error(`${id}: ${join(dir, f.name)} is missing (the registry lists it)`);
      }
      const h = sha256Hex(b);
      if (!opts.unchecked && h !== f.sha256.toLowerCase())
        throw new Error(
          `${id}: ${f.name} hashes to ${h}, the registry says ${f.sha256}; refusing to serve it`,
        );
      bytes.set(f.name, b);
    }
    const need = (name: string) => {
      const b = bytes.get(name);
      if (!b) throw new Error(`${id}: the registry lists no ${name}`);
      return b;
    };
    const text = (name: string) => JSON.parse(new TextDecoder().decode(need(name)));
    const config = configOf(text("config.json"));
    const tokenizer = new Tokenizer(text("tokenizer.json"));
    const o = await ort();
    const session = await o.InferenceSession.create(need("model.onnx"), {
      intraOpNumThreads: opts.threads ?? 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
    });
    for (const input of ["input_ids", "attention_mask", "past_key_values.0.key"])
      if (!session.inputNames.includes(input))
        throw new Error(
          `${id}: model.onnx has no input ${input} (expected a decoder export with past key values)`,
        );
    return new HfModel(id, config, tokenizer, session, o);
  }

  /** A generation in progress: feed tokens, get the logprobs of the next one. */
  cache(): KvCache {
    return new KvCache(this, this.ort);
  }

  /** @internal */
  run(feeds: Record<string, Tensor>): Promise<InferenceSession.OnnxValueMapType> {
    return this.session.run(feeds);
  }

  /**
   * Teacher-forced: the logprobs after each of the last `count` prefixes of `ids`, from one pass
   * with no cache (what a verifier runs).
   */
  async logprobsAlong(ids: readonly number[], count: number): Promise<Float64Array[]> {
    const c = this.cache();
    const rows = await c.feed(ids, count);
    return rows;
  }
}

export class KvCache {
  private past: Record<string, Tensor> = {};
  private length = 0;

  constructor(
    private readonly model: HfModel,
    private readonly ort: Ort,
  ) {
    const { layers, kvHeads, headDim } = model.config;
    for (let l = 0; l < layers; l++)
      for (const kv of ["key", "value"])
        this.past[`past_key_values.${l}.${kv}`] = new ort.Tensor("float32", new Float32Array(0), [
          1,
          kvHeads,
          0,
          headDim,
        ]);
  }

  /** Append `ids` to the sequence; returns the logprobs after each of the last `rows` of them. */
  async feed(ids: readonly number[], rows = 1): Promise<Float64Array[]> {
    const { Tensor } = this.ort;
    const n = ids.length;
    if (n === 0) throw new Error("feed at least one token");
    const total = this.length + n;
    const feeds: Record<string, Tensor> = {
      input_ids: new Tensor("int64", BigInt64Array.from(ids, BigInt), [1, n]),
      attention_mask: new Tensor("int64", new BigInt64Array(total).fill(1n), [1, total]),
      position_ids: new Tensor(
        "int64",
        BigInt64Array.from({ length: n }, (_, i) => BigInt(this.length + i)),
        [1, n],
      ),
      ...this.past,
    };
    const out = await this.model.run(feeds);
    const { layers } = this.model.config;
    for (let l = 0; l < layers; l++)
      for (const kv of ["key", "value"]) this.past[`past_key_values.${l}.${kv}`] = out[`present.${l}.${kv}`]!;
    this.length = total;
    const logits = out.logits!.data as Float32Array;
    const vocab = this.model.config.vocab;
    const result: Float64Array[] = [];
    for (let i = n - rows; i < n; i++) result.push(logSoftmax(logits.subarray(i * vocab, (i + 1) * vocab)));
    return result;
  }

  get size(): number {
    return this.length;
  }
}

/** The directory holding the built-in models' files (genesis/models beside the sources). */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL("../../genesis/models", import.meta.url));

/**
 * Load every registered model that has files from `dir/<id>/`: a model whose files are missing
 * or differ from the registry is refused with the reason (the node then does not serve it).
 */
export async function loadRegisteredModels(
  dir: string,
  registry: readonly { id: string; files: readonly ModelFile[] }[],
  opts: LoadOptions = {},
): Promise<{ loaded: Map<string, HfModel>; refused: Map<string, string> }> {
  const loaded = new Map<string, HfModel>();
  const refused = new Map<string, string>();
  for (const m of registry) {
    if (m.files.length === 0) continue;
    try {
      loaded.set(m.id, await HfModel.load(join(dir, m.id), m.id, m.files, opts));
    } catch (e) {
      refused.set(m.id, (e as Error).message);
    }
  }
  return { loaded, refused };
}

/**
 * Generation on a tolerance-class model with a key/value cache: each step the token the sampling
 * rule picks from the model's logprobs, its position record (top-k logprobs, for the payload),
 * its probability and its bytes. The end-of-text token ends it ("stop", and is recorded); the
 * context or `maxTokens` ends it with "length".
 */
export async function* floatSteps(
  model: HfModel,
  ids: readonly number[],
  maxTokens: number,
  s: Sampling,
): AsyncGenerator<{ position: Position; prob: number; bytes: Uint8Array }, "stop" | "length"> {
  const cache = model.cache();
  let [lp] = await cache.feed(ids);
  const eos = model.config.eos;
  for (let i = 0; i < maxTokens; i++) {
    const token = pick(lp!, s, i);
    if (token === eos) return "stop";
    const prob = Math.max(Number.MIN_VALUE, Math.min(1, Math.exp(lp![token]!)));
    yield { position: positionOf(lp!, token), prob, bytes: model.tokenizer.bytesOf(token) };
    if (cache.size + 1 >= model.config.context) return "length";
    if (i + 1 < maxTokens) [lp] = await cache.feed([token]);
  }
  return "length";
}

/**
 * Re-run a tolerance-class payload teacher-forced (one pass over prompt + claimed tokens) and judge
 * it (spec/inference.md §Tolerance); a finish the tokens contradict is fraud outright.
 */
export async function toleranceVerdict(model: HfModel, p: TaskPayload): Promise<ToleranceVerdict> {
  const out = (first: string): ToleranceVerdict => ({
    fraud: true,
    positions: p.positions.length,
    deviations: 0,
    gross: 0,
    pValue: 0,
    first,
  });
  const ids = model.tokenizer.encode(new TextDecoder().decode(p.prompt));
  const n = p.positions.length;
  if (p.tokens.length > 0 || n > p.maxTokens || ids.length === 0)
    return out("no prompt, or more than max_tokens");
  const eos = model.config.eos;
  const claimed = p.positions.map((q) => q.token);
  if (claimed.some((x) => x >= model.config.vocab)) return out("a token outside the vocab");
  if (claimed.includes(eos)) return out("the end-of-text token inside the text");
  const room = n < p.maxTokens && ids.length + n < model.config.context;
  if (p.finish === "length" ? room : p.finish !== "stop" || !room)
    return out(`finish "${p.finish.slice(0, 8)}" after ${n} of ${p.maxTokens} tokens`);
  const stop = p.finish === "stop";
  // Rows before each position, and after the last token for a "stop" (the end's own check).
  const fed = stop ? [...ids, ...claimed] : [...ids, ...claimed.slice(0, -1)];
  const rows = await model.logprobsAlong(fed, n + (stop ? 1 : 0));
  return judgeTolerance(
    p.positions,
    rows.slice(0, n),
    samplingOf(p),
    undefined,
    stop ? { eos, lp: rows[n]! } : undefined,
  );
}
