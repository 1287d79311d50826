/** Integer helpers shared by every race backend written in TypeScript (spec/race.md §Arithmetic). */
import { coverage, hit } from "./coverage.ts";

/** ⌊a / b⌋ for integers with |a| < 2^52 and b > 0 (floor, not truncation). */
export function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q--;
  else if ((q + 1) * b <= a) q++;
  return q;
}

/** ⌊√n⌋ for an integer 0 ≤ n < 2^53. */
export function isqrt(n: number): number {
  let r = Math.floor(Math.sqrt(n));
  while (r * r > n) r--;
  while ((r + 1) * (r + 1) <= n) r++;
  return r;
}

export function isqrtBig(n: bigint): bigint {
  if (n < 0n) throw new Error("isqrt of a negative number");
  if (n < 2n ** 52n) return BigInt(isqrt(Number(n)));
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** exp table: E[0] = 65536, E[t] = ⌊E[t−1] · 55109 / 65536⌋ (≈ 2^(−t/4)); integer recursion, no libm. */
export const EXP_TABLE: Int32Array = (() => {
  const t = new Int32Array(64);
  t[0] = 65536;
  for (let i = 1; i < 64; i++) t[i] = Math.floor((t[i - 1]! * 55109) / 65536);
  return t;
})();

/** Round half to even (x a float64 holding an exact binary fraction). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Requantise a GEMM accumulator to uint8 (spec/race.md §Model): acc rounded to float32 (24
 * significant bits, ties to even), scaled by 2^−s (exact), rounded half to even, plus the zero
 * point, saturated to [0, 255]. This is what onnxruntime's QLinearMatMul epilogue computes with
 * power-of-two scales; for |acc| < 2^24 it is simply round-half-even(acc / 2^s) + zp.
 */
export function requantU8(acc: number, s: number, zp: number): number {
  const f = Math.fround(acc);
  const scaled = f / 2 ** s;
  const r = roundHalfEven(scaled) + zp;
  if (coverage.enabled) {
    if (f !== acc) hit("requant: float32 rounding of |acc| > 2^24");
    if (scaled - Math.floor(scaled) === 0.5) hit("requant: half-even tie");
    if (r < 0) hit(zp === 0 ? "requant: saturate at 0 (ReLU)" : "requant: saturate at 0 (signed, −128)");
    if (r > 255) hit(zp === 0 ? "requant: saturate at 255 (ReLU)" : "requant: saturate at 255 (signed, 127)");
  }
  return clamp(r, 0, 255);
}
