/**
 * Verification class "tolerance" (spec/inference.md §Tolerance): float models give slightly
 * different logits on different hardware, kernels and thread counts, so a verifier cannot demand
 * the executor's tokens bit for bit. The executor reports, at each position, the token it picked
 * and its top-k logprobs; the verifier re-runs the sequence teacher-forced and counts the positions
 * that deviate (a logprob off by more than τ, or a pick the sampling draw cannot explain within ε),
 * then judges the count with a one-sided binomial test against the honest deviation rate p0.
 * Sampling is deterministic from the request (the exact class's draw), over the tokens in id
 * order so that a small change in probabilities moves the draw's boundaries only a little. Pure.
 */
import { createHash } from "node:crypto";
import type { Sampling } from "./model.ts";

/** One generated position: the token picked and the executor's top-k (token, logprob) list. */
export interface Position {
  token: number;
  /** −logprob of `token` in micro-nats (the model's distribution at temperature 1). */
  nll: number;
  top: { token: number; nll: number }[];
}

export const TOP_K = 5;
/** Micro-nats per nat in the payload's integer logprobs. */
export const MICRO = 1_000_000;
/** Largest −logprob carried (a probability below e^−100 reads as e^−100). */
const MAX_NLL = 100 * MICRO;

export interface ToleranceParams {
  /** A logprob deviates when it differs by more than this (nats). */
  tau: number;
  /** A logprob this far off (nats) is fraud on its own: no rounding moves a probability by a factor e. */
  tauGross: number;
  /** The draw u may miss the picked token's interval by this much. */
  epsilon: number;
  /** Deviation rate of an honest executor the test allows. */
  p0: number;
  /** Fraud when P(X ≥ deviations | n, p0) is below this. */
  alpha: number;
}

/** Calibrated in spec/inference.md §Tolerance (test/unit/float-model.test.ts measures it). */
export const TOLERANCE: ToleranceParams = { tau: 0.02, tauGross: 1, epsilon: 0.01, p0: 0.02, alpha: 1e-3 };

/** Natural-log softmax of a row of logits, in float64. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i]! - lse;
  return out;
}

/** The draw at `position`: u64be(SHA-256("racecoin/sample" ‖ u64be(seed) ‖ u32be(position))[0..8]) / 2^64. */
export function drawAt(seed: bigint, position: number): number {
  const b = Buffer.alloc(12);
  b.writeBigUInt64BE(BigInt.asUintN(64, seed), 0);
  b.writeUInt32BE(position, 8);
  return (
    Number(createHash("sha256").update("racecoin/sample").update(b).digest().readBigUInt64BE(0)) / 2 ** 64
  );
}

/**
 * The tokens the draw walks and their probabilities: q ∝ exp(lp · 1000 / temperatureMilli), the
 * smallest set of most likely tokens (ties: lower id) holding top_p of the mass, in id order.
 */
function kept(lp: Float64Array, s: Sampling): { token: number; q: number }[] {
  const t = s.temperatureMilli / 1000;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of lp) if (v > max) max = v;
  const all = Array.from(lp, (l, token) => ({ token, q: Math.exp((l - max) / t) }));
  const total = all.reduce((a, x) => a + x.q, 0);
  const sorted = [...all].sort((a, b) => b.q - a.q || a.token - b.token);
  const keep: typeof all = [];
  let mass = 0;
  for (const x of sorted) {
    keep.push(x);
    mass += x.q;
    if (mass * 1000 >= total * s.topPMilli) break;
  }
  keep.sort((a, b) => a.token - b.token);
  return keep.map((x) => ({ token: x.token, q: x.q / mass }));
}

/** The token the rule picks from logprobs `lp` at `position` (argmax, lowest id, at temperature 0). */
export function pick(lp: Float64Array, s: Sampling, position: number): number {
  if (s.temperatureMilli === 0) {
    let arg = 0;
    for (let v = 1; v < lp.length; v++) if (lp[v]! > lp[arg]!) arg = v;
    return arg;
  }
  const u = drawAt(s.seed, position);
  let acc = 0;
  const keep = kept(lp, s);
  for (const x of keep) {
    acc += x.q;
    if (u < acc) return x.token;
  }
  return keep[keep.length - 1]!.token;
}

const nllOf = (lp: number) => Math.min(MAX_NLL, Math.round(-lp * MICRO));

/** What the executor reports for a position: its pick and its top-k logprobs. */
export function positionOf(lp: Float64Array, token: number): Position {
  const order = Array.from(lp.keys()).sort((a, b) => lp[b]! - lp[a]! || a - b);
  return {
    token,
    nll: nllOf(lp[token]!),
    top: order.slice(0, TOP_K).map((t) => ({ token: t, nll: nllOf(lp[t]!) })),
  };
}

/**
 * Why position i deviates from the verifier's logprobs `lp`, or "": every reported logprob within
 * τ, and the draw within ε of the picked token's interval (in id order over the kept tokens).
 */
export function positionDeviation(
  claimed: Position,
  lp: Float64Array,
  s: Sampling,
  position: number,
  p: ToleranceParams = TOLERANCE,
): string {
  for (const e of [{ token: claimed.token, nll: claimed.nll }, ...claimed.top]) {
    if (e.token >= lp.length) return `token ${e.token} is outside the vocab`;
    const mine = Math.min(MAX_NLL, -lp[e.token]! * MICRO);
    if (Math.abs(mine - e.nll) > p.tau * MICRO)
      return `logprob of token ${e.token}: ${(-e.nll / MICRO).toFixed(4)} claimed, ${(-mine / MICRO).toFixed(4)} re-run`;
  }
  return pickDeviation(claimed.token, lp, s, position, p);
}

/**
 * Why the rule could not have picked `token` from the re-run's logprobs `lp`, or "": greedy, it is
 * within τ of the best; sampled, the draw lies within ε of its interval (id order, kept tokens).
 */
export function pickDeviation(
  token: number,
  lp: Float64Array,
  s: Sampling,
  position: number,
  p: ToleranceParams = TOLERANCE,
): string {
  if (s.temperatureMilli === 0) {
    let best = Number.NEGATIVE_INFINITY;
    for (const v of lp) if (v > best) best = v;
    return best - lp[token]! <= p.tau ? "" : `token ${token} is not the most likely`;
  }
  const u = drawAt(s.seed, position);
  let lo = 0;
  for (const x of kept(lp, s)) {
    if (x.token === token)
      return u >= lo - p.epsilon && u < lo + x.q + p.epsilon
        ? ""
        : `the draw ${u.toFixed(4)} falls outside token ${token}'s interval [${lo.toFixed(4)}, ${(lo + x.q).toFixed(4)})`;
    lo += x.q;
  }
  return `token ${token} is outside the top-p set`;
}

/** The largest gap (nats) between a reported logprob and the re-run's. */
function maxLogprobGap(c: Position, lp: Float64Array): number {
  let gap = 0;
  for (const e of [{ token: c.token, nll: c.nll }, ...c.top]) {
    if (e.token >= lp.length) return Number.POSITIVE_INFINITY;
    gap = Math.max(gap, Math.abs(Math.min(MAX_NLL, -lp[e.token]! * MICRO) - e.nll) / MICRO);
  }
  return gap;
}

/** P(X ≥ k) for X ~ Binomial(n, p). */
export function binomialTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let logC = 0;
  let tail = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    if (i >= k) tail += Math.exp(logC + i * Math.log(p) + (n - i) * Math.log1p(-p));
  }
  return Math.min(1, tail);
}

export interface ToleranceVerdict {
  positions: number;
  deviations: number;
  /** Positions with a logprob off by more than τ_gross. */
  gross: number;
  pValue: number;
  fraud: boolean;
  /** The first deviation, for the log. */
  first: string;
}

/**
 * Judge a generation: `rows[i]` are the verifier's logprobs before position i (teacher-forced on
 * the claimed tokens). A "stop" completion adds one position, the end: the rule must be able to
 * pick the end-of-text token `end.eos` from the logprobs after the last token, `end.lp`. Fraud
 * when a logprob is off by more than τ_gross, or the deviation count is improbable for an honest
 * executor.
 */
export function judgeTolerance(
  claimed: Position[],
  rows: Float64Array[],
  s: Sampling,
  p: ToleranceParams = TOLERANCE,
  end?: { eos: number; lp: Float64Array },
): ToleranceVerdict {
  let deviations = 0;
  let gross = 0;
  let first = "";
  claimed.forEach((c, i) => {
    const why = positionDeviation(c, rows[i]!, s, i, p);
    if (!why) return;
    deviations++;
    if (maxLogprobGap(c, rows[i]!) > p.tauGross) gross++;
    first ||= `position ${i}: ${why}`;
  });
  if (end) {
    const why = pickDeviation(end.eos, end.lp, s, claimed.length, p);
    if (why) {
      deviations++;
      first ||= `the end at position ${claimed.length}: ${why}`;
    }
  }
  const positions = claimed.length + (end ? 1 : 0);
  const pValue = binomialTail(positions, deviations, p.p0);
  return {
    positions,
    deviations,
    gross,
    pValue,
    fraud: gross > 0 || pValue < p.alpha,
    first,
  };
}
