/**
 * Everything random in training is SHA-256 of a domain tag and the chain's inputs (spec/training.md
 * §A round off chain), read as a stream of little-endian u32: the initial weights, each
 * participant's shard and batches, the validation batches of proof of learning.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { TrainingError } from "./errors.ts";

const enc = new TextEncoder();
const DOMAIN = "racecoin/training/v1/";

export function tag(name: string): Uint8Array {
  return enc.encode(DOMAIN + name);
}

export function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** SHA-256 of the tag and the parts, with no separators: every part has a fixed length. */
export function taggedHash(name: string, ...parts: Uint8Array[]): Uint8Array {
  return sha256(concat([tag(name), ...parts]));
}

/**
 * `count` u32 words: block b is SHA-256(tag ‖ prefix ‖ u32le(b)), eight words each, little-endian.
 */
export function u32Stream(name: string, prefix: readonly Uint8Array[], count: number): Uint32Array {
  const out = new Uint32Array(count);
  const head = concat([tag(name), ...prefix]);
  for (let b = 0; b * 8 < count; b++) {
    const h = sha256(concat([head, u32le(b)]));
    const view = new DataView(h.buffer, h.byteOffset, 32);
    for (let w = 0; w < 8 && b * 8 + w < count; w++) out[b * 8 + w] = view.getUint32(w * 4, true);
  }
  return out;
}

/** Seeds come from the beacon and checkpoints: always 32 bytes, so the hash inputs cannot be shifted. */
export function checkSeed(seed: Uint8Array, what: string): void {
  if (seed.length !== 32)
    throw new TrainingError("TRAINING_ERROR_SEED", `${what} must be 32 bytes, got ${seed.length}`);
}
