/**
 * Race proof commitments (spec/race.md §Proofs): a miner's proofs are its sorted unique nonces;
 * it commits (count, root) of a binary Merkle tree over them. Pure functions, no backend.
 *
 * leaf(n) = keccak256(0x00 ‖ u64be(n)); node = keccak256(0x01 ‖ left ‖ right); the leaf level
 * is padded to 2^depth, depth = ⌈log2 count⌉, with 32 zero bytes; the empty set has root 0^32.
 */
import { keccak256 } from "../crypto/index.ts";
import { MAX_NONCE } from "./config.ts";

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);
export const ZERO32 = new Uint8Array(32);

export interface Commitment {
  count: number;
  root: Uint8Array;
}

export class ProofError extends Error {}

export function leafHash(nonce: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, nonce);
  return keccak256(LEAF, b);
}

const nodeHash = (l: Uint8Array, r: Uint8Array) => keccak256(NODE, l, r);

export function depthFor(count: number): number {
  return count <= 1 ? 0 : Math.ceil(Math.log2(count));
}

/** Throws unless nonces are strictly increasing and within [0, MAX_NONCE]. */
export function checkProofSet(nonces: readonly bigint[]): void {
  for (let i = 0; i < nonces.length; i++) {
    const n = nonces[i]!;
    if (n < 0n || n > MAX_NONCE)
      throw new ProofError(`nonce ${n} at index ${i} is outside [0, ${MAX_NONCE}]`);
    if (i > 0 && n <= nonces[i - 1]!)
      throw new ProofError(`nonces must be sorted and unique: index ${i} holds ${n} after ${nonces[i - 1]}`);
  }
}

/** All levels of the tree over a proof set (checked sorted, unique, in range), leaves first. */
export function buildTree(nonces: readonly bigint[]): Uint8Array[][] {
  checkProofSet(nonces);
  return treeOver(nonces);
}

/**
 * The same tree over any leaves, unchecked: what a cheater's unsorted or padded set commits to
 * (fraud-proof tests and the test-only cheating miner build it).
 */
export function treeOver(nonces: readonly bigint[]): Uint8Array[][] {
  const depth = depthFor(nonces.length);
  const width = 1 << depth;
  let level: Uint8Array[] = Array.from({ length: width }, (_, i) =>
    i < nonces.length ? leafHash(nonces[i]!) : ZERO32,
  );
  const levels = [level];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
    levels.push(next);
    level = next;
  }
  return levels;
}

export function commit(nonces: readonly bigint[]): Commitment {
  if (nonces.length === 0) return { count: 0, root: ZERO32 };
  const levels = buildTree(nonces);
  return { count: nonces.length, root: levels[levels.length - 1]![0]! };
}

/**
 * Multiproof: the sibling hashes needed to recompute the root from the leaves at `indices`,
 * level by level from the leaves, left to right, skipping any the set itself provides.
 */
export function multiproof(levels: Uint8Array[][], indices: readonly number[]): Uint8Array[] {
  const proof: Uint8Array[] = [];
  let known = [...new Set(indices)].sort((a, b) => a - b);
  for (let lv = 0; lv < levels.length - 1; lv++) {
    const next: number[] = [];
    for (let i = 0; i < known.length; i++) {
      const idx = known[i]!;
      if (idx % 2 === 0 && known[i + 1] === idx + 1) i++;
      else proof.push(levels[lv]![idx ^ 1]!);
      if (next[next.length - 1] !== idx >> 1) next.push(idx >> 1);
    }
    known = next;
  }
  return proof;
}

/** Recompute the root from revealed leaves and a multiproof; throws ProofError on any mismatch. */
export function verifyMultiproof(
  commitment: Commitment,
  revealed: ReadonlyMap<number, bigint>,
  proof: readonly Uint8Array[],
): void {
  if (revealed.size === 0) throw new ProofError("nothing revealed");
  const depth = depthFor(commitment.count);
  let known = new Map<number, Uint8Array>();
  for (const [index, nonce] of revealed) {
    if (!Number.isInteger(index) || index < 0 || index >= commitment.count) {
      throw new ProofError(`index ${index} is out of range for a commitment of ${commitment.count} proofs`);
    }
    known.set(index, leafHash(nonce));
  }
  let p = 0;
  const take = () => {
    const h = proof[p++];
    if (h?.length !== 32) throw new ProofError("Merkle proof is too short or malformed");
    return h;
  };
  for (let lv = 0; lv < depth; lv++) {
    const sorted = [...known.keys()].sort((a, b) => a - b);
    const next = new Map<number, Uint8Array>();
    for (let i = 0; i < sorted.length; i++) {
      const idx = sorted[i]!;
      let left: Uint8Array;
      let right: Uint8Array;
      if (idx % 2 === 0 && sorted[i + 1] === idx + 1) {
        left = known.get(idx)!;
        right = known.get(idx + 1)!;
        i++;
      } else if (idx % 2 === 0) {
        left = known.get(idx)!;
        right = take();
      } else {
        left = take();
        right = known.get(idx)!;
      }
      next.set(idx >> 1, nodeHash(left, right));
    }
    known = next;
  }
  if (p !== proof.length) throw new ProofError(`Merkle proof has ${proof.length - p} hashes too many`);
  const root = known.get(0)!;
  if (!Buffer.from(root).equals(Buffer.from(commitment.root))) {
    throw new ProofError("Merkle proof does not match the commitment (wrong path, leaf or count)");
  }
}
