/**
 * Race proof commitments (spec/race.md §Proofs): a miner's proofs are its sorted unique nonces; it
 * commits (count, root) of an **ordered Merkle tree** over them. Pure functions, no backend.
 *
 * leaf i = keccak256(0x00 ‖ u64be(i) ‖ u64be(nonce_i)), its interval [nonce_i, nonce_i];
 * inner   = keccak256(0x01 ‖ left ‖ right ‖ u64be(L.min) ‖ u64be(L.max) ‖ u64be(R.min) ‖ u64be(R.max)),
 *           its interval [L.min, R.max], and a path through it opens only if L.max < R.min;
 * a node whose leaves all lie at or past `count` is empty (no hash, 32 zero bytes); an inner node
 * with an empty right child hashes R as 32 zero bytes with interval (0, 0) and takes L's interval.
 *
 * Because each inner node commits to both children's intervals, every leaf whose path opens
 * ("good" leaf) sits inside a strictly increasing run with every other good leaf: the leaves that
 * can be revealed hold distinct nonces, so a count inflated k-fold survives S uniform samples with
 * probability at most k^-S (spec/race.md §Proofs, the bound and its proof).
 */
import { keccak256 } from "../crypto/index.ts";
import { MAX_NONCE } from "./config.ts";

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);
export const ZERO32 = new Uint8Array(32);
/** A proof node on the wire: its hash and its interval, `hash ‖ u64be(min) ‖ u64be(max)`. */
export const PROOF_NODE_BYTES = 48;
/** Counts are u32 on chain, so a tree is at most 32 levels deep. */
export const MAX_DEPTH = 32;

export interface Commitment {
  count: number;
  root: Uint8Array;
}

/** A subtree: its hash and the interval [min, max] of nonces it claims to hold. */
export interface TreeNode {
  hash: Uint8Array;
  min: bigint;
  max: bigint;
}

export class ProofError extends Error {}

const U64_MAX = (1n << 64n) - 1n;

/** Big-endian u64 that refuses what it cannot hold (DataView.setBigUint64 would wrap). */
function u64be(v: bigint, what: string): Uint8Array {
  if (v < 0n || v > U64_MAX) throw new ProofError(`${what} ${v} does not fit 64 bits`);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v);
  return b;
}

export function leafHash(index: number, nonce: bigint): Uint8Array {
  if (!Number.isSafeInteger(index) || index < 0 || index > 0xffffffff)
    throw new ProofError(`leaf index ${index} is not a u32`);
  if (nonce < 0n || nonce > MAX_NONCE) throw new ProofError(`nonce ${nonce} is outside [0, ${MAX_NONCE}]`);
  return keccak256(LEAF, u64be(BigInt(index), "index"), u64be(nonce, "nonce"));
}

function innerNode(l: TreeNode, r: TreeNode | null): TreeNode {
  if (!r)
    return {
      hash: keccak256(
        NODE,
        l.hash,
        ZERO32,
        u64be(l.min, "min"),
        u64be(l.max, "max"),
        u64be(0n, ""),
        u64be(0n, ""),
      ),
      min: l.min,
      max: l.max,
    };
  return {
    hash: keccak256(
      NODE,
      l.hash,
      r.hash,
      u64be(l.min, "min"),
      u64be(l.max, "max"),
      u64be(r.min, "min"),
      u64be(r.max, "max"),
    ),
    min: l.min,
    max: r.max,
  };
}

/** Why a path through (L, R) does not open, or undefined when it does. */
function orderViolation(l: TreeNode, r: TreeNode | null, level: number, index: number): string | undefined {
  if (l.min > l.max || (r && r.min > r.max))
    return `node ${index} at level ${level + 1} has a child whose interval is empty`;
  if (r && l.max >= r.min)
    return `node ${index} at level ${level + 1} is out of order: its left subtree reaches ${l.max}, its right starts at ${r.min}`;
  return undefined;
}

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

/** Every level of a tree, leaves first; null marks an empty node. */
export type Tree = (TreeNode | null)[][];

/** All levels of the tree over a proof set (checked sorted, unique, in range), leaves first. */
export function buildTree(nonces: readonly bigint[]): Tree {
  checkProofSet(nonces);
  return treeOver(nonces);
}

/**
 * The same tree over any leaves, unchecked: what a cheater's unsorted or padded set commits to
 * (fraud-proof tests, the adversarial suite and the test-only cheating miner build it).
 */
export function treeOver(nonces: readonly bigint[]): Tree {
  const width = 1 << depthFor(nonces.length);
  let level: (TreeNode | null)[] = Array.from({ length: width }, (_, i) =>
    i < nonces.length ? { hash: leafHash(i, nonces[i]!), min: nonces[i]!, max: nonces[i]! } : null,
  );
  const levels = [level];
  while (level.length > 1) {
    const next: (TreeNode | null)[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const l = level[i]!;
      next.push(l ? innerNode(l, level[i + 1]!) : null);
    }
    levels.push(next);
    level = next;
  }
  return levels;
}

export function rootOf(tree: Tree): Uint8Array {
  return tree[tree.length - 1]![0]?.hash ?? ZERO32;
}

export function commit(nonces: readonly bigint[]): Commitment {
  if (nonces.length === 0) return { count: 0, root: ZERO32 };
  return { count: nonces.length, root: rootOf(buildTree(nonces)) };
}

export function encodeProofNode(n: TreeNode): Uint8Array {
  const out = new Uint8Array(PROOF_NODE_BYTES);
  out.set(n.hash, 0);
  out.set(u64be(n.min, "min"), 32);
  out.set(u64be(n.max, "max"), 40);
  return out;
}

function decodeProofNode(b: Uint8Array | undefined): TreeNode {
  if (b?.length !== PROOF_NODE_BYTES) throw new ProofError("Merkle proof is too short or malformed");
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { hash: b.subarray(0, 32), min: view.getBigUint64(32), max: view.getBigUint64(40) };
}

/** A node at (level, index) is empty when its first leaf lies at or past `count`. */
const isEmpty = (count: number, level: number, index: number) => index * 2 ** level >= count;

/**
 * Multiproof: the sibling nodes needed to recompute the root from the leaves at `indices`, level by
 * level from the leaves, left to right, skipping any the set itself provides and every empty one
 * (the verifier knows those from the count).
 */
export function multiproof(tree: Tree, indices: readonly number[]): Uint8Array[] {
  const proof: Uint8Array[] = [];
  let known = [...new Set(indices)].sort((a, b) => a - b);
  for (let lv = 0; lv < tree.length - 1; lv++) {
    const next: number[] = [];
    for (let i = 0; i < known.length; i++) {
      const idx = known[i]!;
      if (idx % 2 === 0 && known[i + 1] === idx + 1) i++;
      else {
        const sibling = tree[lv]![idx ^ 1];
        if (sibling) proof.push(encodeProofNode(sibling));
      }
      if (next[next.length - 1] !== idx >> 1) next.push(idx >> 1);
    }
    known = next;
  }
  return proof;
}

/**
 * Recompute the root from revealed leaves and a multiproof. Throws ProofError when the proof does
 * not rebuild the committed root (wrong leaf, path, count or length). Returns the first order
 * violation on the opened paths, or undefined when every revealed leaf is good.
 */
export function openLeaves(
  commitment: Commitment,
  revealed: ReadonlyMap<number, bigint>,
  proof: readonly Uint8Array[],
): string | undefined {
  if (revealed.size === 0) throw new ProofError("nothing revealed");
  const depth = depthFor(commitment.count);
  if (proof.length > revealed.size * depth)
    throw new ProofError(
      `Merkle proof has ${proof.length} nodes, more than ${revealed.size * depth} paths need`,
    );
  let known = new Map<number, TreeNode>();
  for (const [index, nonce] of revealed) {
    if (!Number.isInteger(index) || index < 0 || index >= commitment.count)
      throw new ProofError(`index ${index} is out of range for a commitment of ${commitment.count} proofs`);
    known.set(index, { hash: leafHash(index, nonce), min: nonce, max: nonce });
  }
  let p = 0;
  const take = () => decodeProofNode(proof[p++]);
  let violation: string | undefined;
  for (let lv = 0; lv < depth; lv++) {
    const sorted = [...known.keys()].sort((a, b) => a - b);
    const next = new Map<number, TreeNode>();
    for (let i = 0; i < sorted.length; i++) {
      const idx = sorted[i]!;
      let left: TreeNode;
      let right: TreeNode | null;
      if (idx % 2 === 0 && sorted[i + 1] === idx + 1) {
        left = known.get(idx)!;
        right = known.get(idx + 1)!;
        i++;
      } else if (idx % 2 === 0) {
        left = known.get(idx)!;
        right = isEmpty(commitment.count, lv, idx + 1) ? null : take();
      } else {
        left = take();
        right = known.get(idx)!;
      }
      violation ??= orderViolation(left, right, lv, idx >> 1);
      next.set(idx >> 1, innerNode(left, right));
    }
    known = next;
  }
  if (p !== proof.length) throw new ProofError(`Merkle proof has ${proof.length - p} nodes too many`);
  const root = known.get(0)!;
  if (!Buffer.from(root.hash).equals(Buffer.from(commitment.root)))
    throw new ProofError("Merkle proof does not match the commitment (wrong path, leaf or count)");
  return violation;
}

/** openLeaves, refusing any order violation: every revealed leaf must be good. */
export function verifyMultiproof(
  commitment: Commitment,
  revealed: ReadonlyMap<number, bigint>,
  proof: readonly Uint8Array[],
): void {
  const violation = openLeaves(commitment, revealed, proof);
  if (violation !== undefined) throw new ProofError(`the committed tree is not sorted: ${violation}`);
}
