/**
 * The character MLP in Q16 integers (spec/training.md §Model, data and arithmetic): forward pass,
 * cross-entropy, back-propagation and one SGD step. θ is one Int32Array laid out by `layoutOf`.
 * Loops run over typed arrays with exact integer sums; only floor divisions by 2^16 rescale.
 */
import { ALPHABET_SIZE, checkTrainingConfig, type Layout, layoutOf, type TrainingConfig } from "./config.ts";
import * as fp from "./fixedPoint.ts";
import { checkSeed, u32Stream } from "./seeds.ts";

// Module-local copies: tsx compiles an imported binding to a getter call, which the inner loops
// would pay on every iteration (measured: more than half the time of a forward pass).
const V = ALPHABET_SIZE;
const ONE = fp.ONE;
const MAX_ABS = fp.MAX_ABS;
const { clamp, expNegQ30, isqrt, lnQ16, rescale } = fp;

/** Scratch buffers for one example and the gradient of one batch, reused to keep the loops allocation-free. */
export interface Workspace {
  readonly config: TrainingConfig;
  readonly layout: Layout;
  readonly x: Float64Array;
  readonly hPre: Float64Array;
  readonly h: Float64Array;
  readonly z: Float64Array;
  readonly zClamped: Uint8Array;
  readonly e: Float64Array;
  readonly dz: Float64Array;
  readonly dh: Float64Array;
  readonly dx: Float64Array;
  /** Gradient sums of the batch, Q32 (products of two Q16 values, not rescaled until the step). */
  readonly grad: Float64Array;
}

/** Checks the configuration's bounds first: every pass goes through here, so none runs outside them. */
export function workspace(config: TrainingConfig): Workspace {
  checkTrainingConfig(config);
  const layout = layoutOf(config);
  const kd = config.context * config.embedding;
  return {
    config,
    layout,
    x: new Float64Array(kd),
    hPre: new Float64Array(config.hidden),
    h: new Float64Array(config.hidden),
    z: new Float64Array(V),
    zClamped: new Uint8Array(V),
    e: new Float64Array(V),
    dz: new Float64Array(V),
    dh: new Float64Array(config.hidden),
    dx: new Float64Array(kd),
    grad: new Float64Array(layout.size),
  };
}

/**
 * θ₀ from a 32-byte seed: each weight uniform in [−r, r] with r = ⌊2^16·√(3/fan-in)⌋ (unit
 * variance per input; embeddings use fan-in 1), drawn as (u32 mod (2r+1)) − r; biases 0.
 */
export function initialTheta(config: TrainingConfig, seed: Uint8Array): Int32Array {
  checkSeed(seed, "initial seed");
  const L = layoutOf(config);
  const theta = new Int32Array(L.size);
  const words = u32Stream("init", [seed], L.size);
  const fill = (from: number, to: number, fanIn: number) => {
    const r = isqrt(Math.floor((3 * ONE * ONE) / fanIn));
    for (let i = from; i < to; i++) theta[i] = (words[i]! % (2 * r + 1)) - r;
  };
  fill(L.emb, L.w1, 1);
  fill(L.w1, L.b1, config.context * config.embedding);
  fill(L.w2, L.b2, config.hidden);
  return theta;
}

/** Forward pass for the example whose target is symbols[t]; leaves z (logits) in the workspace. */
function forward(ws: Workspace, theta: Int32Array, symbols: Uint8Array, t: number): void {
  const { config, layout: L, x, hPre, h, z, zClamped } = ws;
  const { context: k, embedding: d, hidden: H } = config;
  for (let p = 0; p < k; p++) {
    const base = L.emb + symbols[t - k + p]! * d;
    for (let e = 0; e < d; e++) x[p * d + e] = theta[base + e]!;
  }
  hPre.fill(0);
  for (let i = 0; i < k * d; i++) {
    const xi = x[i]!;
    if (xi === 0) continue;
    const row = L.w1 + i * H;
    for (let j = 0; j < H; j++) hPre[j]! += xi * theta[row + j]!;
  }
  for (let j = 0; j < H; j++) {
    const v = theta[L.b1 + j]! + rescale(hPre[j]!);
    hPre[j] = v;
    h[j] = v <= 0 ? 0 : v > MAX_ABS ? MAX_ABS : v;
  }
  z.fill(0);
  for (let j = 0; j < H; j++) {
    const hj = h[j]!;
    if (hj === 0) continue;
    const row = L.w2 + j * V;
    for (let c = 0; c < V; c++) z[c]! += hj * theta[row + c]!;
  }
  for (let c = 0; c < V; c++) {
    const v = theta[L.b2 + c]! + rescale(z[c]!);
    zClamped[c] = v > MAX_ABS || v < -MAX_ABS ? 1 : 0;
    z[c] = clamp(v, MAX_ABS);
  }
}

/** Softmax numerators e_c = e^(z_c − max) in Q30 into ws.e; returns [their sum, the max]. */
function softmaxSum(ws: Workspace): [number, number] {
  const { z, e } = ws;
  let max = z[0]!;
  for (let c = 1; c < V; c++) if (z[c]! > max) max = z[c]!;
  let sum = 0;
  for (let c = 0; c < V; c++) {
    const v = expNegQ30(max - z[c]!);
    e[c] = v;
    sum += v;
  }
  return [sum, max];
}

/** Cross-entropy −ln p(symbols[t]) in Q16: ln Σ e^(z−max) − (z_target − max). */
export function exampleLoss(ws: Workspace, theta: Int32Array, symbols: Uint8Array, t: number): number {
  forward(ws, theta, symbols, t);
  const [sum, max] = softmaxSum(ws);
  return lnQ16(sum) + max - ws.z[symbols[t]!]!;
}

/** Adds the example's gradient (Q32) to ws.grad. */
export function accumulateGradient(ws: Workspace, theta: Int32Array, symbols: Uint8Array, t: number): void {
  forward(ws, theta, symbols, t);
  const { config, layout: L, x, hPre, h, zClamped, e, dz, dh, dx, grad } = ws;
  const { context: k, embedding: d, hidden: H } = config;
  const [sum] = softmaxSum(ws);
  const target = symbols[t]!;
  // dL/dz = p − onehot, p_c = ⌊e_c·2^16 / Σe⌋; a clamped logit passes no gradient.
  for (let c = 0; c < V; c++) {
    const p = Math.floor((e[c]! * ONE) / sum);
    dz[c] = zClamped[c] ? 0 : p - (c === target ? ONE : 0);
    grad[L.b2 + c]! += dz[c]! * ONE;
  }
  for (let j = 0; j < H; j++) {
    const hj = h[j]!;
    const row = L.w2 + j * V;
    let back = 0;
    for (let c = 0; c < V; c++) {
      const g = dz[c]!;
      if (hj !== 0) grad[row + c]! += hj * g;
      back += theta[row + c]! * g;
    }
    // ReLU and its clamp pass the gradient only strictly inside (0, MAX_ABS].
    const v = hPre[j]!;
    dh[j] = v <= 0 || v > MAX_ABS ? 0 : clamp(rescale(back), MAX_ABS);
    grad[L.b1 + j]! += dh[j]! * ONE;
  }
  for (let i = 0; i < k * d; i++) {
    const xi = x[i]!;
    const row = L.w1 + i * H;
    let back = 0;
    for (let j = 0; j < H; j++) {
      const g = dh[j]!;
      if (g === 0) continue;
      grad[row + j]! += xi * g;
      back += theta[row + j]! * g;
    }
    dx[i] = clamp(rescale(back), MAX_ABS);
  }
  for (let p = 0; p < k; p++) {
    const base = L.emb + symbols[t - k + p]! * d;
    for (let e2 = 0; e2 < d; e2++) grad[base + e2]! += dx[p * d + e2]! * ONE;
  }
}

/**
 * One SGD step from ws.grad over a batch of `batch` examples, then clears it:
 * θ ← clamp(θ − ⌊⌊G/2^16⌋·lr / (batch·2^16)⌋).
 */
export function sgdStep(ws: Workspace, theta: Int32Array, batch: number): void {
  const { grad } = ws;
  const lr = ws.config.innerLrQ16;
  const den = batch * ONE;
  for (let i = 0; i < theta.length; i++) {
    const g = grad[i]!;
    if (g === 0) continue;
    theta[i] = clamp(theta[i]! - Math.floor((rescale(g) * lr) / den), MAX_ABS);
  }
  grad.fill(0);
}
