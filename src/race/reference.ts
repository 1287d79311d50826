/**
 * The `reference` backend: the race model in plain TypeScript typed arrays, written to be read
 * next to spec/race.md §Model. Exact by construction; speed is secondary.
 */

import type { LoadedRace, RaceBackend } from "./backend.ts";
import {
  ACT_MAX,
  ACT_MIN,
  HIDDEN_ZERO_POINT,
  NORM_SCALE,
  type RaceConfig,
  RES_MAX,
  shiftsFor,
} from "./config.ts";
import { coverage, hit } from "./coverage.ts";
import { clamp, EXP_TABLE, floorDiv, isqrt, requantU8 } from "./intmath.ts";
import { finishOutputs } from "./outcome.ts";
import { inputSeed, tokens } from "./seeds.ts";
import { generateWeights, type RaceWeights } from "./weights.ts";

/** rmsnorm: r = max(1, ⌊√⌊Σx²/d⌋⌋); y = clamp(⌊x·32 / r⌋, −128, 127). */
export function rmsNorm(x: Int32Array, out: Int32Array): void {
  const d = x.length;
  let ss = 0;
  for (let i = 0; i < d; i++) ss += x[i]! * x[i]!;
  const r = Math.max(1, isqrt(Math.floor(ss / d)));
  for (let i = 0; i < d; i++) out[i] = clamp(floorDiv(x[i]! * NORM_SCALE, r), ACT_MIN, ACT_MAX);
  if (coverage.enabled) {
    if (r === 1) hit("rmsnorm: divisor floor max(1, ·)");
    for (let i = 0; i < d; i++) {
      const y = floorDiv(x[i]! * NORM_SCALE, r);
      if (y < ACT_MIN) hit("rmsnorm: clamp at −128");
      if (y > ACT_MAX) hit("rmsnorm: clamp at 127");
    }
  }
}

/**
 * out = requantU8((x − xZero)·W, shift, zp) − zp: signed outputs in [−128, 127] with zp 128, ReLU outputs
 * in [0, 255] with zp 0. W is [k][n] row-major.
 */
export function gemmRequant(
  x: Int32Array,
  w: Int8Array,
  n: number,
  shift: number,
  zp: 0 | 128,
  out: Int32Array,
  xZero = 0,
): void {
  const k = x.length;
  const acc = new Int32Array(n);
  for (let i = 0; i < k; i++) {
    const xi = x[i]! - xZero;
    if (xi === 0) continue;
    const row = i * n;
    for (let j = 0; j < n; j++) acc[j]! += xi * w[row + j]!;
  }
  for (let j = 0; j < n; j++) out[j] = requantU8(acc[j]!, shift, zp) - zp;
}

/** The final normalised vector of the last position for one token sequence. */
export function forward(weights: RaceWeights, toks: Uint16Array): Int32Array {
  return forwardPositions(weights, toks, 1)[0]!;
}

/**
 * The final normalised vectors of the last `last` positions (attention is causal, so position p's
 * vector depends only on tokens 0 … p: one pass yields what `forward` gives for every prefix).
 */
export function forwardPositions(weights: RaceWeights, toks: Uint16Array, last: number): Int32Array[] {
  const c = weights.config;
  const d = c.dModel;
  const T = toks.length;
  const H = c.heads;
  const dh = d / H;
  const s = shiftsFor(c);
  const h = Array.from({ length: T }, (_, p) =>
    Int32Array.from(weights.embed.subarray(toks[p]! * d, toks[p]! * d + d)),
  );
  const n = Array.from({ length: T }, () => new Int32Array(d));
  const q = Array.from({ length: T }, () => new Int32Array(d));
  const k = Array.from({ length: T }, () => new Int32Array(d));
  const v = Array.from({ length: T }, () => new Int32Array(d));
  const a = Array.from({ length: T }, () => new Int32Array(d));
  const o = new Int32Array(d);
  const f = new Int32Array(c.ffn);
  const scores = new Int32Array(T);
  for (const L of weights.layers) {
    // Attention block.
    for (let p = 0; p < T; p++) {
      rmsNorm(h[p]!, n[p]!);
      gemmRequant(n[p]!, L.wq, d, s.qkv, 128, q[p]!);
      gemmRequant(n[p]!, L.wk, d, s.qkv, 128, k[p]!);
      gemmRequant(n[p]!, L.wv, d, s.qkv, 128, v[p]!);
    }
    for (let p = 0; p < T; p++) {
      for (let head = 0; head < H; head++) {
        const base = head * dh;
        let max = Number.NEGATIVE_INFINITY;
        for (let j = 0; j <= p; j++) {
          let dot = 0;
          for (let t = 0; t < dh; t++) dot += q[p]![base + t]! * k[j]![base + t]!;
          scores[j] = dot >> s.score;
          if (coverage.enabled && dot < 0 && -dot % 2 ** s.score !== 0)
            hit("attention: floor shift of a negative score");
          if (scores[j]! > max) max = scores[j]!;
        }
        let wsum = 0;
        for (let j = 0; j <= p; j++) {
          if (coverage.enabled && max - scores[j]! > 63) hit("attention: exp index clamp at 63");
          scores[j] = EXP_TABLE[Math.min(max - scores[j]!, 63)]!;
          wsum += scores[j]!;
        }
        for (let t = 0; t < dh; t++) {
          let num = 0;
          for (let j = 0; j <= p; j++) num += scores[j]! * v[j]![base + t]!;
          a[p]![base + t] = floorDiv(num, wsum);
          if (coverage.enabled && num < 0 && num % wsum !== 0)
            hit("attention: floor of a negative weighted sum");
        }
      }
    }
    for (let p = 0; p < T; p++) {
      gemmRequant(a[p]!, L.wo, d, s.attnOut, 128, o);
      for (let i = 0; i < d; i++) h[p]![i] = clamp(h[p]![i]! + o[i]!, -RES_MAX, RES_MAX);
    }
    // Feed-forward block: the ReLU is the saturation at zero of a zero-point-0 requantisation.
    for (let p = 0; p < T; p++) {
      rmsNorm(h[p]!, n[p]!);
      gemmRequant(n[p]!, L.w1, c.ffn, s.ffnIn, 0, f);
      gemmRequant(f, L.w2, d, s.ffnOut, 128, o, HIDDEN_ZERO_POINT);
      for (let i = 0; i < d; i++) h[p]![i] = clamp(h[p]![i]! + o[i]!, -RES_MAX, RES_MAX);
    }
  }
  return h.slice(T - Math.min(last, T)).map((hp) => {
    const y = new Int32Array(d);
    rmsNorm(hp, y);
    return y;
  });
}

export class ReferenceRace implements LoadedRace {
  constructor(
    readonly raceSeed: Uint8Array,
    readonly weights: RaceWeights,
  ) {}
  get config(): RaceConfig {
    return this.weights.config;
  }
  get target(): Int8Array {
    return this.weights.target;
  }
  async evaluate(node: Uint8Array, nonces: readonly bigint[], opts: { outputs?: boolean } = {}) {
    return this.evaluateSync(node, nonces, opts);
  }
  /** The same, synchronously (the state transition checks nonce fraud proofs with it). */
  evaluateSync(node: Uint8Array, nonces: readonly bigint[], opts: { outputs?: boolean } = {}) {
    const c = this.config;
    const seeds = nonces.map((nonce) => inputSeed(node, this.raceSeed, nonce));
    const raw = new Int8Array(nonces.length * c.dModel);
    seeds.forEach((seed, i) => {
      raw.set(forward(this.weights, tokens(seed, c.seqLen, c.vocab)), i * c.dModel);
    });
    return finishOutputs(raw, seeds, this.target, opts.outputs ?? false);
  }
  async close() {}
}

export const referenceBackend: RaceBackend = {
  name: "reference",
  async available() {
    return { ok: true };
  },
  async load(raceSeed, config, opts) {
    return new ReferenceRace(raceSeed, generateWeights(raceSeed, config, opts?.onProgress));
  },
};
