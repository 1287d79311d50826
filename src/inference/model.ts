/**
 * The built-in model (spec/inference.md): an exact-integer causal transformer in the race
 * engine's arithmetic (spec/race.md §Model), byte-level (vocab 256), with weights generated from a
 * fixed seed, so every node holds the same model without a download and a verifier's
 * teacher-forced re-run reproduces every token bit for bit (verification class "exact").
 * Logits are the final normalised vector against the embedding table; sampling is deterministic
 * from the request's seed. Its weights are random: it proves the path, not prose.
 */
import { createHash } from "node:crypto";
import {
  EXP_TABLE,
  forward,
  forwardPositions,
  generateWeights,
  type RaceConfig,
  type RaceWeights,
} from "../race/index.ts";

export interface ModelSpec {
  id: string;
  /** sha256 of every weight tensor in generation order: the registry's file hash. */
  weightsHash: string;
  contextLength: number;
  /** Compute units charged per token (prompt and completion). */
  unitsPerToken: number;
  verification: "exact" | "tolerance";
  tokenizer: "bytes";
}

const CONFIG: RaceConfig = {
  layers: 2,
  heads: 2,
  dModel: 32,
  vocab: 256,
  seqLen: 4,
  ffn: 96,
  successRate: 900,
  calibrationNonces: 16,
  zMilli: 0,
  samples: 1,
};
const SEED = createHash("sha256").update("racecoin/model/racecoin-exact-tiny/v1").digest();

export class ExactModel {
  readonly spec: ModelSpec;
  private readonly weights: RaceWeights;

  constructor() {
    this.weights = generateWeights(new Uint8Array(SEED), CONFIG);
    const h = createHash("sha256").update(this.weights.embed);
    for (const l of this.weights.layers) for (const t of [l.wq, l.wk, l.wv, l.wo, l.w1, l.w2]) h.update(t);
    this.spec = {
      id: "racecoin-exact-tiny",
      weightsHash: `0x${h.digest("hex")}`,
      contextLength: 256,
      unitsPerToken: 1,
      verification: "exact",
      tokenizer: "bytes",
    };
  }

  /** Integer logits of the next token after `tokens` (the final vector against every embedding). */
  logits(tokens: Uint8Array): Int32Array {
    return this.logitsOf(forward(this.weights, Uint16Array.from(tokens)));
  }

  /**
   * Logits after each of the last `count` prefixes of `tokens`, from one causal pass: entry i is
   * what `logits` gives for tokens[0 … n − count + i].
   */
  logitsAlong(tokens: Uint8Array, count: number): Int32Array[] {
    return forwardPositions(this.weights, Uint16Array.from(tokens), count).map((y) => this.logitsOf(y));
  }

  private logitsOf(y: Int32Array): Int32Array {
    const d = CONFIG.dModel;
    const out = new Int32Array(CONFIG.vocab);
    for (let v = 0; v < CONFIG.vocab; v++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += y[i]! * this.weights.embed[v * d + i]!;
      out[v] = s;
    }
    return out;
  }
}

/** Logit difference per exp-table step at temperature 1. */
const LOGIT_STEP = 1024;

export interface Sampling {
  /** 0: greedy. Otherwise the temperature in thousandths (integer arithmetic). */
  temperatureMilli: number;
  /** Nucleus in thousandths (1000: off). */
  topPMilli: number;
  seed: bigint;
}

/**
 * The next token: greedy (lowest id among ties) at temperature 0; otherwise integer weights
 * E[min(63, ⌊(max − logit) · 1000 / (1024 · temperatureMilli)⌋)] (E the race's exp table, a factor
 * 2^(−1/4) per step; logits have σ ≈ 8,000, so temperature 1 spans a few dozen tokens), the
 * smallest set of top tokens holding topP of the weight, and a draw
 * u64(SHA-256("racecoin/sample" ‖ u64be(seed) ‖ u32be(position))) mod their total.
 */
export function nextToken(logits: Int32Array, s: Sampling, position: number): number {
  return choose(logits, s, position).token;
}

/** The next token and its probability under the rule (1 when greedy). */
export function choose(logits: Int32Array, s: Sampling, position: number): { token: number; prob: number } {
  let max = logits[0]!;
  let arg = 0;
  for (let v = 1; v < logits.length; v++)
    if (logits[v]! > max) {
      max = logits[v]!;
      arg = v;
    }
  if (s.temperatureMilli === 0) return { token: arg, prob: 1 };
  const ranked = Array.from(logits, (l, v) => ({
    v,
    w: EXP_TABLE[Math.min(63, Math.floor(((max - l) * 1000) / (LOGIT_STEP * s.temperatureMilli)))]!,
  }))
    .filter((x) => x.w > 0)
    .sort((a, b) => b.w - a.w || a.v - b.v);
  const total = ranked.reduce((t, x) => t + x.w, 0);
  const keep: typeof ranked = [];
  let acc = 0;
  for (const x of ranked) {
    keep.push(x);
    acc += x.w;
    if (acc * 1000 >= total * s.topPMilli) break;
  }
  const seedBytes = Buffer.alloc(12);
  seedBytes.writeBigUInt64BE(BigInt.asUintN(64, s.seed), 0);
  seedBytes.writeUInt32BE(position, 8);
  const r = createHash("sha256").update("racecoin/sample").update(seedBytes).digest().readBigUInt64BE(0);
  let pick = Number(r % BigInt(acc));
  for (const x of keep) {
    if (pick < x.w) return { token: x.v, prob: x.w / acc };
    pick -= x.w;
  }
  const last = keep[keep.length - 1]!;
  return { token: last.v, prob: last.w / acc };
}

export interface Generation {
  tokens: number[];
  finishReason: "stop" | "length";
}

/**
 * Generation one token at a time (so a server can stream and yield between tokens): yields each
 * chosen token and returns why it ended. Byte 0 ends the completion ("stop"); the context length
 * or `maxTokens` ends it with "length". Exact: the same request gives the same tokens everywhere.
 */
export function* steps(
  model: ExactModel,
  prompt: Uint8Array,
  maxTokens: number,
  s: Sampling,
): Generator<{ token: number; prob: number }, Generation["finishReason"]> {
  const ctx = Array.from(prompt);
  for (let i = 0; i < maxTokens; i++) {
    if (ctx.length >= model.spec.contextLength) return "length";
    const c = choose(model.logits(Uint8Array.from(ctx)), s, i);
    if (c.token === 0) return "stop";
    ctx.push(c.token);
    yield c;
  }
  return "length";
}

/** All of a generation at once. */
export function generate(model: ExactModel, prompt: Uint8Array, maxTokens: number, s: Sampling): Generation {
  const it = steps(model, prompt, maxTokens, s);
  const tokens: number[] = [];
  for (;;) {
    const r = it.next();
    if (r.done) return { tokens, finishReason: r.value };
    tokens.push(r.value.token);
  }
}

/**
 * Teacher-forced verification (class "exact"): one causal pass over prompt + claimed tokens gives
 * the logits after every prefix; each claimed token must be the one the rule picks at its
 * position. Returns the first position that differs, or -1 when every token matches.
 */
export function verifyGeneration(
  model: ExactModel,
  prompt: Uint8Array,
  tokens: number[],
  s: Sampling,
): number {
  if (tokens.length === 0) return -1;
  // The logits before token i come from the prefix ending at prompt + tokens[0 … i − 1].
  const ctx = Uint8Array.from([...prompt, ...tokens.slice(0, -1)]);
  const all = model.logitsAlong(ctx, tokens.length);
  for (let i = 0; i < tokens.length; i++) if (nextToken(all[i]!, s, i) !== tokens[i]) return i;
  return -1;
}
