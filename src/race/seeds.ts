/**
 * Seed derivation (spec/race.md §Seeds). SHA-256 for short derivations, AES-256-CTR for the
 * long weight streams (~730 MB/s in node:crypto here, and cheap on GPUs).
 */
import { createCipheriv, createHash } from "node:crypto";
import type { Address } from "../types/index.ts";

const enc = new TextEncoder();
const DOMAIN = "racecoin/race/v1/";

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

function u64be(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n);
  return b;
}

function u32be(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

export function tag(name: string): Uint8Array {
  return enc.encode(DOMAIN + name);
}

/** AES-256 key of every weight stream of a race. */
export function weightKey(raceSeed: Uint8Array): Uint8Array {
  return sha256(tag("weights"), raceSeed);
}

/**
 * `length` bytes of the race's keystream for one tensor: AES-256-CTR under weightKey with the
 * initial counter block SHA-256(label)[0..16] (the whole 128-bit block counts, big-endian).
 */
export function keystream(
  key: Uint8Array,
  label: string,
  length: number,
  out: Uint8Array = new Uint8Array(length),
): Uint8Array {
  let off = 0;
  for (const chunk of keystreamChunks(key, label, length)) {
    out.set(chunk, off);
    off += chunk.length;
  }
  return out;
}

/**
 * The same keystream as successive chunks (each a multiple of 16 bytes but the last), so callers
 * can transform it on the way into its destination instead of copying it first. 256 KB chunks:
 * cipher output buffers this size are reused by the allocator; 4 MB ones were fresh pages every
 * time (mainnet weight setup 3.2–6.2 s → 2.4–2.6 s).
 */
export function* keystreamChunks(key: Uint8Array, label: string, length: number): Generator<Uint8Array> {
  const iv = sha256(enc.encode(label)).subarray(0, 16);
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  const zeros = new Uint8Array(Math.min(length, 1 << 18));
  let off = 0;
  while (off < length) {
    const n = Math.min(zeros.length, length - off);
    const chunk = cipher.update(n === zeros.length ? zeros : zeros.subarray(0, n));
    yield chunk;
    off += chunk.length;
  }
}

/** A miner's node seed: SHA-256(tag ‖ 20-byte address). */
export function nodeSeed(miner: Address): Uint8Array {
  return sha256(tag("node"), miner);
}

/** The node seed of the calibration set (no miner has it). */
export const CALIBRATION_NODE_SEED = sha256(tag("calibration"));

/** Input seed of one nonce: SHA-256(tag ‖ nodeSeed ‖ raceSeed ‖ nonce as u64 BE). */
export function inputSeed(node: Uint8Array, raceSeed: Uint8Array, nonce: bigint): Uint8Array {
  return sha256(tag("input"), node, raceSeed, u64be(nonce));
}

/** Tokens: big-endian 16-bit words of the input seed, each mod vocab (a power of two). */
export function tokens(seed: Uint8Array, seqLen: number, vocab: number): Uint16Array {
  const out = new Uint16Array(seqLen);
  for (let i = 0; i < seqLen; i++) out[i] = ((seed[2 * i]! << 8) | seed[2 * i + 1]!) & (vocab - 1);
  return out;
}

/**
 * The output permutation of a nonce: Fisher–Yates from the end, position i swapped with
 * j = u32 mod (i + 1), the u32 words taken in order from SHA-256(tag ‖ inputSeed ‖ u32 block).
 * Returns perm with permuted[i] = output[perm[i]].
 */
export function permutation(seed: Uint8Array, d: number): Uint32Array {
  const perm = new Uint32Array(d);
  for (let i = 0; i < d; i++) perm[i] = i;
  let block = sha256(tag("perm"), seed, u32be(0));
  let blockIndex = 0;
  let word = 0;
  for (let i = d - 1; i > 0; i--) {
    if (word === 8) {
      block = sha256(tag("perm"), seed, u32be(++blockIndex));
      word = 0;
    }
    const r =
      ((block[4 * word]! << 24) |
        (block[4 * word + 1]! << 16) |
        (block[4 * word + 2]! << 8) |
        block[4 * word + 3]!) >>>
      0;
    word++;
    const j = r % (i + 1);
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm;
}

/** Sample index k of a miner's commitment: SHA-256(tag ‖ R ‖ miner ‖ u32 k) as u64 BE, mod count. */
export function sampleIndex(randomness: Uint8Array, miner: Address, k: number, count: number): number {
  const h = sha256(tag("sample"), randomness, miner, u32be(k));
  return Number(new DataView(h.buffer, h.byteOffset).getBigUint64(0) % BigInt(count));
}
