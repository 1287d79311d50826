/**
 * Race model weights from the race seed, generated one tensor at a time (spec/race.md §Weights):
 * each keystream byte b gives the weight ((int8)b >> 1) | 1 (arithmetic shift): the 64 odd values
 * in [−63, 63], uniform and zero-mean. Four bytes are mapped per 32-bit operation.
 */
import type { RaceConfig } from "./config.ts";
import { keystreamChunks, weightKey } from "./seeds.ts";

export interface LayerWeights {
  /** Each [in][out] row-major: y[n] = Σ_k x[k]·W[k·out + n]. */
  wq: Int8Array;
  wk: Int8Array;
  wv: Int8Array;
  wo: Int8Array;
  /** FFN up, d × ffn. */
  w1: Int8Array;
  /** FFN down, ffn × d. */
  w2: Int8Array;
}

export interface RaceWeights {
  config: RaceConfig;
  /** [vocab][d] */
  embed: Int8Array;
  layers: LayerWeights[];
  /** The target vector, d odd values in [−63, 63]. */
  target: Int8Array;
}

/** In place: every byte b → ((int8)b >> 1) | 1, the odd values in [−63, 63] (zero mean). */
export function toWeights(bytes: Uint8Array): Int8Array {
  const words = Math.floor(bytes.byteLength / 4);
  const aligned = bytes.byteOffset % 4 === 0;
  if (aligned) {
    const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    for (let i = 0; i < words; i++) {
      const x = u32[i]!;
      u32[i] = ((x >>> 1) & 0x7f7f7f7f) | (x & 0x80808080) | 0x01010101;
    }
  }
  const out = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = aligned ? words * 4 : 0; i < out.length; i++) out[i] = (out[i]! >> 1) | 1;
  return out;
}

/** A tensor's weights, mapped chunk by chunk straight from the keystream into `into` (or a new array). */
export function tensor(key: Uint8Array, label: string, length: number, into?: Int8Array): Int8Array {
  const out = into ? into.subarray(0, length) : new Int8Array(length);
  const bytes = new Uint8Array(out.buffer, out.byteOffset, length);
  let off = 0;
  for (const chunk of keystreamChunks(key, label, length)) {
    bytes.set(chunk, off);
    toWeights(bytes.subarray(off, off + chunk.length));
    off += chunk.length;
  }
  return out;
}

/** One layer's weights; written into `into`'s arrays when given (reused scratch). */
export function generateLayer(key: Uint8Array, c: RaceConfig, l: number, into?: LayerWeights): LayerWeights {
  const d = c.dModel;
  const f = c.ffn;
  const t = (name: keyof LayerWeights, n: number) => tensor(key, `layer/${l}/${name}`, n, into?.[name]);
  return {
    wq: t("wq", d * d),
    wk: t("wk", d * d),
    wv: t("wv", d * d),
    wo: t("wo", d * d),
    w1: t("w1", d * f),
    w2: t("w2", f * d),
  };
}

export function generateWeights(
  raceSeed: Uint8Array,
  c: RaceConfig,
  onLayer?: (l: number) => void,
): RaceWeights {
  const key = weightKey(raceSeed);
  const layers: LayerWeights[] = [];
  for (let l = 0; l < c.layers; l++) {
    layers.push(generateLayer(key, c, l));
    onLayer?.(l);
  }
  return {
    config: c,
    embed: tensor(key, "embed", c.vocab * c.dModel),
    layers,
    target: tensor(key, "target", c.dModel),
  };
}
