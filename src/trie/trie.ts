/**
 * The account trie: an Ethereum "secure" Merkle Patricia trie (keys are keccak256(address), so
 * every key is 64 nibbles). Supports insert/update/delete, lookup, proofs and walking nodes stored by
 * hash. Accounts are never removed (spec/state.md); module storage slots are.
 */
import { keccak256 } from "../crypto/index.ts";
import { type RlpValue, rlpDecode, rlpEncodeBytes } from "../encoding/index.ts";
import { concatBytes, equalBytes, plain } from "../types/index.ts";
import {
  BranchNode,
  bytesToNibbles,
  decodeHexPrefix,
  ExtensionNode,
  encodeNode,
  HashNode,
  LeafNode,
  type Nibbles,
  nodeHash,
  type TrieNode,
} from "./node.ts";

export const EMPTY_TRIE_ROOT = keccak256(rlpEncodeBytes(new Uint8Array(0)));

/** Where stored nodes come from: a map of hash → RLP, sync (in-memory) or async (LevelDB). */
export type NodeLoader = (hash: Uint8Array) => Promise<Uint8Array | undefined>;

function commonPrefix(a: Nibbles, b: Nibbles): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function insert(node: TrieNode | null, path: Nibbles, value: Uint8Array): TrieNode {
  if (node === null) return new LeafNode(path, value);
  if (node instanceof HashNode) throw new Error("trie: cannot update through an unloaded node");
  if (node instanceof LeafNode) {
    const c = commonPrefix(node.path, path);
    if (c === path.length && c === node.path.length) return new LeafNode(path, value);
    const children: (TrieNode | null)[] = new Array(16).fill(null);
    children[node.path[c]!] = new LeafNode(node.path.subarray(c + 1), node.value);
    children[path[c]!] = new LeafNode(path.subarray(c + 1), value);
    const branch = new BranchNode(children);
    return c > 0 ? new ExtensionNode(path.subarray(0, c), branch) : branch;
  }
  if (node instanceof ExtensionNode) {
    const c = commonPrefix(node.path, path);
    if (c === node.path.length)
      return new ExtensionNode(node.path, insert(node.child, path.subarray(c), value));
    const children: (TrieNode | null)[] = new Array(16).fill(null);
    children[node.path[c]!] =
      c + 1 === node.path.length ? node.child : new ExtensionNode(node.path.subarray(c + 1), node.child);
    children[path[c]!] = new LeafNode(path.subarray(c + 1), value);
    const branch = new BranchNode(children);
    return c > 0 ? new ExtensionNode(path.subarray(0, c), branch) : branch;
  }
  const children = node.children.slice();
  children[path[0]!] = insert(children[path[0]!] ?? null, path.subarray(1), value);
  return new BranchNode(children);
}

/** Join a nibble in front of a node's path: what is left when a branch keeps one child. */
function prefixed(prefix: Nibbles, node: TrieNode): TrieNode {
  if (node instanceof LeafNode) return new LeafNode(concatBytes(prefix, node.path), node.value);
  if (node instanceof ExtensionNode) return new ExtensionNode(concatBytes(prefix, node.path), node.child);
  if (node instanceof BranchNode) return new ExtensionNode(prefix, node);
  throw new Error("trie: cannot delete through an unloaded node");
}

/** Remove a key; returns the same node when the key is absent, null when nothing is left. */
function remove(node: TrieNode | null, path: Nibbles): TrieNode | null {
  if (node === null) return null;
  if (node instanceof HashNode) throw new Error("trie: cannot delete through an unloaded node");
  if (node instanceof LeafNode) return equalBytes(node.path, path) ? null : node;
  if (node instanceof ExtensionNode) {
    const n = node.path.length;
    if (path.length < n || !equalBytes(path.subarray(0, n), node.path)) return node;
    const child = remove(node.child, path.subarray(n));
    if (child === node.child) return node;
    return child === null ? null : prefixed(node.path, child);
  }
  const i = path[0]!;
  const old = node.children[i] ?? null;
  const child = remove(old, path.subarray(1));
  if (child === old) return node;
  const children = node.children.slice();
  children[i] = child;
  const left = children.flatMap((c, j) => (c ? [j] : []));
  if (left.length >= 2) return new BranchNode(children);
  if (left.length === 0) return null;
  return prefixed(new Uint8Array([left[0]!]), children[left[0]!]!);
}

/**
 * Hashed-key cache: the same accounts are touched block after block, and keccak of the key is a
 * third of an update's cost. Bounded; cleared when full.
 */
const pathCache = new Map<string, Nibbles>();
const PATH_CACHE_LIMIT = 200_000;

function keyPath(key: Uint8Array): Nibbles {
  const k = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString("latin1");
  let path = pathCache.get(k);
  if (!path) {
    if (pathCache.size >= PATH_CACHE_LIMIT) pathCache.clear();
    path = bytesToNibbles(keccak256(key));
    pathCache.set(k, path);
  }
  return path;
}

/** An immutable in-memory trie version. `set` returns a new version sharing unchanged nodes. */
export class Trie {
  private constructor(readonly root: TrieNode | null) {}

  static empty(): Trie {
    return new Trie(null);
  }

  set(key: Uint8Array, value: Uint8Array): Trie {
    return new Trie(insert(this.root, keyPath(key), value));
  }

  /** Apply many updates (a null value deletes the key); each key is hashed once. */
  setMany(entries: Iterable<[Uint8Array, Uint8Array | null]>): Trie {
    let root = this.root;
    for (const [k, v] of entries) root = v === null ? remove(root, keyPath(k)) : insert(root, keyPath(k), v);
    return new Trie(root);
  }

  delete(key: Uint8Array): Trie {
    return new Trie(remove(this.root, keyPath(key)));
  }

  rootHash(): Uint8Array {
    return this.root ? nodeHash(this.root) : EMPTY_TRIE_ROOT;
  }

  /**
   * Nodes not yet written to storage, as (hash, rlp) pairs, and marks them written. Embedded
   * nodes (RLP < 32 bytes) live inside their parent; the root is always stored by hash.
   */
  takeUnpersisted(): [Uint8Array, Uint8Array][] {
    const out: [Uint8Array, Uint8Array][] = [];
    const visit = (node: TrieNode, isRoot: boolean) => {
      if (node.persisted || node instanceof HashNode) return;
      const enc = encodeNode(node);
      if (node instanceof ExtensionNode) visit(node.child, false);
      else if (node instanceof BranchNode) for (const c of node.children) if (c) visit(c, false);
      if (enc.length >= 32 || isRoot) out.push([nodeHash(node), enc]);
      node.persisted = true;
    };
    if (this.root) visit(this.root, true);
    return out;
  }
}

export interface TrieLookup {
  value: Uint8Array | undefined;
  /** RLP of every hashed node on the path from the root (eth_getProof's accountProof). */
  proof: Uint8Array[];
}

function decodeNodeRlp(enc: Uint8Array): RlpValue[] {
  const v = rlpDecode(enc);
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 17)) throw new Error("trie: malformed node");
  return v;
}

/**
 * Look a key up from a root hash through stored nodes, collecting the proof. Works for any
 * historical root whose nodes are stored (nodes are never pruned).
 */
export async function lookupWithProof(
  rootHash: Uint8Array,
  key: Uint8Array,
  load: NodeLoader,
): Promise<TrieLookup> {
  const proof: Uint8Array[] = [];
  if (equalBytes(rootHash, EMPTY_TRIE_ROOT)) return { value: undefined, proof };
  let path = bytesToNibbles(keccak256(key));
  let ref: RlpValue = rootHash;
  for (;;) {
    let items: RlpValue[];
    if (ref instanceof Uint8Array) {
      if (ref.length === 0) return { value: undefined, proof };
      const enc = await load(ref);
      if (!enc) throw new Error("trie: missing node");
      proof.push(plain(enc));
      items = decodeNodeRlp(enc);
    } else {
      items = ref;
    }
    if (items.length === 17) {
      if (path.length === 0) return { value: undefined, proof };
      ref = items[path[0]!]!;
      path = path.subarray(1);
      continue;
    }
    const { path: nodePath, leaf } = decodeHexPrefix(items[0] as Uint8Array);
    if (leaf) {
      return { value: equalBytes(nodePath, path) ? plain(items[1] as Uint8Array) : undefined, proof };
    }
    if (path.length < nodePath.length || !equalBytes(path.subarray(0, nodePath.length), nodePath)) {
      return { value: undefined, proof };
    }
    path = path.subarray(nodePath.length);
    ref = items[1]!;
  }
}

/** Verify a proof from lookupWithProof against a root, returning the proven value (or undefined). */
export async function verifyProof(
  rootHash: Uint8Array,
  key: Uint8Array,
  proof: Uint8Array[],
): Promise<Uint8Array | undefined> {
  const byHash = new Map(proof.map((p) => [Buffer.from(keccak256(p)).toString("hex"), p]));
  const result = await lookupWithProof(rootHash, key, async (h) =>
    byHash.get(Buffer.from(h).toString("hex")),
  );
  return result.value;
}
