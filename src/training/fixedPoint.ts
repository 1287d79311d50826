/**
 * The fixed-point arithmetic of training (spec/training.md §Model, data and arithmetic). Every
 * value is an integer held in a JS number; every intermediate stays below 2^53 in magnitude, so
 * `+`, `-`, `*` are exact, and `Math.floor(a / b)` of two such integers is the exact floor (the
 * correctly rounded quotient of |a| < 2^53 cannot cross an integer). No Math.exp or Math.log: the
 * exponential and the logarithm are integer series below, the same on every platform.
 */

/** Q16: a real x is stored as floor(x · 2^16). Weights, activations, gradients, losses. */
export const FRAC_BITS = 16;
export const ONE = 2 ** FRAC_BITS;
/** Every weight, activation and back-propagated signal is clamped to ±MAX_ABS (±32.0). */
export const MAX_ABS = 2 ** 21;
/** ln 2 in Q16 and in Q24, floored. */
export const LN2_Q16 = 45426;
export const LN2_Q24 = 11629079;
/** exp results are Q30: 1.0 = 2^30. */
export const EXP_ONE = 2 ** 30;
const Q24 = 2 ** 24;

/** 2^0 … 2^60 by doubling: exact, and no Math.pow on the consensus path. */
const POW2: number[] = [1];
for (let i = 1; i <= 60; i++) POW2.push(POW2[i - 1]! * 2);

export function clamp(x: number, limit: number): number {
  return x > limit ? limit : x < -limit ? -limit : x;
}

/** floor(x / 2^16) for an integer |x| < 2^53. */
export function rescale(x: number): number {
  return Math.floor(x / ONE);
}

/**
 * e^(−x/2^16) in Q30 for an integer x ≥ 0: x = n·ln2 + r with 0 ≤ r < ln2, e^(−r) by ten terms
 * of its Taylor series (error < 2^−26), then a floor division by 2^n.
 */
export function expNegQ30(x: number): number {
  const n = Math.floor(x / LN2_Q16);
  if (n >= 31) return 0;
  const r = x - n * LN2_Q16;
  let term = EXP_ONE;
  let sum = EXP_ONE;
  for (let k = 1; k <= 10; k++) {
    term = Math.floor((term * r) / (k * ONE));
    sum += k % 2 === 1 ? -term : term;
  }
  return Math.floor(sum / POW2[n]!);
}

/**
 * ln(s / 2^30) in Q16 for an integer 2^30 ≤ s < 2^52: s = 2^(30+n)·m with m ∈ [1, 2), and
 * ln m = 2·atanh((m−1)/(m+1)) by six terms in Q24 (|u| < 1/3: error < 2^−24).
 */
export function lnQ16(s: number): number {
  let n = 0;
  while (s >= POW2[31 + n]!) n++;
  const m = Math.floor(s / POW2[6 + n]!); // Q24, in [2^24, 2^25)
  const u = Math.floor(((m - Q24) * Q24) / (m + Q24));
  const u2 = Math.floor((u * u) / Q24);
  let t = u;
  let sum = 0;
  for (let k = 1; k <= 11; k += 2) {
    sum += Math.floor(t / k);
    t = Math.floor((t * u2) / Q24);
  }
  return Math.floor((n * LN2_Q24 + 2 * sum) / 256);
}

/** floor(√v) for an integer 0 ≤ v < 2^53, by Newton's method on integers. */
export function isqrt(v: number): number {
  if (v < 2) return v;
  let x = v;
  let y = Math.floor((x + 1) / 2);
  while (y < x) {
    x = y;
    y = Math.floor((x + Math.floor(v / x)) / 2);
  }
  return x;
}
