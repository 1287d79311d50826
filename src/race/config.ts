/**
 * Race model shapes and the exactness bounds every backend relies on (spec/race.md §Bounds).
 */
import type { RaceModelConfig } from "../params/index.ts";

export type RaceConfig = RaceModelConfig;

/** Largest nonce a proof may use (2^40 − 1: far beyond any race, small enough for every language's integers). */
export const MAX_NONCE = (1n << 40n) - 1n;
/** Most samples a preset may ask for: a reveal is S ordered-tree paths and must fit one transaction. */
export const MAX_SAMPLES = 32;
/** RMS of a normalised vector. */
export const NORM_SCALE = 32;
/**
 * Signed activations are int8 in [−128, 127], carried as uint8 with zero point 128; the FFN's
 * ReLU activations are uint8 in [0, 255] with zero point 0. Either way a GEMM input is a uint8.
 */
export const ACT_MIN = -128;
export const ACT_MAX = 127;
/** Zero point of the FFN's ReLU output in the down projection (≈ its mean, so the GEMM sees it centred). */
export const HIDDEN_ZERO_POINT = 11;
/** Residual stream clamp (int16 range keeps Σx² within 2^39 for d ≤ 512, exact in float64 and int64). */
export const RES_MAX = 32767;

export class RaceConfigError extends Error {}

/** Right shift that brings a K-term dot product of σ≈32 activations and σ≈37 weights back to σ≈26. */
function gemmShift(k: number): number {
  return 5 + Math.ceil(Math.log2(k) / 2);
}

export interface Shifts {
  qkv: number;
  attnOut: number;
  score: number;
  ffnIn: number;
  ffnOut: number;
}

export function shiftsFor(c: RaceConfig): Shifts {
  if (c.shifts) return c.shifts;
  const dh = c.dModel / c.heads;
  return {
    qkv: gemmShift(c.dModel),
    attnOut: gemmShift(c.dModel),
    // Scores are dh-term dot products of σ≈26 values: bring them to σ≈8 table steps.
    score: Math.max(0, Math.round(Math.log2((Math.sqrt(dh) * 26 * 26) / 8))),
    ffnIn: gemmShift(c.dModel),

    // ReLU outputs have RMS ≈ 18 rather than 32: one step less.
    ffnOut: gemmShift(c.ffn) - 1,
  };
}

export function parameterCount(c: RaceConfig): number {
  return c.vocab * c.dModel + c.layers * (4 * c.dModel * c.dModel + 2 * c.dModel * c.ffn);
}

/** Multiply-accumulates per nonce (all positions, all GEMMs; attention and norms excluded). */
export function macsPerNonce(c: RaceConfig): number {
  return c.seqLen * c.layers * (4 * c.dModel * c.dModel + 2 * c.dModel * c.ffn);
}

/** Reject configurations that would break exactness on any backend. */
export function checkRaceConfig(c: RaceConfig): void {
  const problems: string[] = [];
  const int = (v: number, name: string, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max)
      problems.push(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  };
  int(c.layers, "layers", 1, 1024);
  int(c.heads, "heads", 1, 4096);
  int(c.dModel, "dModel", 2, 8192);
  int(c.vocab, "vocab", 2, 65536);
  int(c.seqLen, "seqLen", 1, 16);
  int(c.ffn, "ffn", 1, 1 << 17);
  int(c.successRate, "successRate", 2, 1 << 20);
  int(c.calibrationNonces, "calibrationNonces", 16, 1 << 16);
  int(c.zMilli, "zMilli", 0, 10_000);
  int(c.samples, "samples", 1, MAX_SAMPLES);
  if (c.shifts) for (const [k, v] of Object.entries(c.shifts)) int(v, `shifts.${k}`, 0, 30);
  if ((c.vocab & (c.vocab - 1)) !== 0)
    problems.push("vocab must be a power of two (token = 16-bit seed word mod vocab, unbiased)");
  if (c.dModel % c.heads !== 0) problems.push("dModel must be a multiple of heads");
  // uint8 activations (≤ 255) × int8 weights (|w| ≤ 63) summed over K must fit int32.
  const k = Math.max(c.dModel, c.ffn);
  if (k * 255 * 64 >= 2 ** 31)
    problems.push(`a ${k}-term dot product can overflow int32 (K·255·64 ≥ 2^31): K must be < 131,072`);
  // Σx² of the residual stream must stay exact in float64/int64.
  if (c.dModel * RES_MAX * RES_MAX >= 2 ** 53) problems.push("dModel too large for an exact sum of squares");
  if (problems.length > 0)
    throw new RaceConfigError(
      `race model config breaks the exactness bounds:\n  - ${problems.join("\n  - ")}`,
    );
}
